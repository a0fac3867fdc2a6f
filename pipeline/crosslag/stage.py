"""Cross-lagged panel models: CLPM and RI-CLPM by FIML (MLR SEs by default) for each configured
set of constructs, free and with stationary lagged effects, with the LR tests between them; the
RI-CLPM is the headline, the CLPM for comparison only (see ``analysis.py``)."""

from __future__ import annotations

import pandas as pd

from pipeline.config import Config
from pipeline.crosslag.analysis import analyse, wave_spacing
from pipeline.crosslag.figures import plot_lagged_paths, plot_not_estimable
from pipeline.crosslag.settings import from_config
from pipeline.stage_io import StageIO
from pipeline.tables import write_table

TABLES = ("estimates", "fit", "lagged", "status", "comparison")


def run(cfg: Config, io: StageIO) -> None:
    """Read ``wide``; write the tables, one lavaan syntax file per model (``models``) and one
    path diagram (.png and .svg, ``figures``) per fitted model."""
    s = from_config(cfg)
    months = {w.id: w.months for w in cfg.waves}
    results = analyse(pd.read_parquet(io.input("wide")), s, months,
                      processes=io.threads)
    write_table(wave_spacing(s.waves, months), io.output("spacing"))
    for name, table in results.tables().items():
        write_table(table, io.output(name))
    for stem, text in results.syntax.items():
        io.member("models", f"{stem}.lav").write_text(text)
    labels = {k: sc.label for k, sc in cfg.scales.items()}
    wave_labels = {w.id: f"{w.id} ({w.months:g} mo)" for w in cfg.waves}
    for stem, f in results.figures.items():
        path = io.member("figures", f"{stem}.png")
        io.member("figures", f"{stem}.svg")  # declared twin, written by save_figure
        if f.lagged is None:
            plot_not_estimable(path, title=f.title, message=f.message)
            continue
        plot_lagged_paths(f.lagged, list(f.constructs), list(s.waves), path,
                          labels={k: labels[k] for k in f.constructs}, wave_labels=wave_labels,
                          title=f.title, note=f.note, highlight=f.highlight)
