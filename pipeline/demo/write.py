"""Write the demo study: the three wave files named in ``config/config.yaml`` (T0 CSV, T1 XLSX,
T2 SPSS .sav; with ``waves`` > 3 one CSV per later wave), the manifest of planted defects and
README.md (for the demo's three waves only: its text describes them). Byte-identical for the
same seed (and the same pandas, openpyxl and pyreadstat versions): the only time written into
the files is a stamp derived from the data (09:00 on the day after the last completion date)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from pipeline.demo.export_csv import csv_bytes
from pipeline.demo.export_sav import write_sav
from pipeline.demo.export_xlsx import xlsx_bytes
from pipeline.demo.layout import (
    DATE_COLUMN,
    DEFAULT_N,
    DEFAULT_SEED,
    MANIFEST_FILE,
    README_FILE,
    wave_file,
)
from pipeline.demo.params import TRUE_PARAMS, DemoParams
from pipeline.demo.readme import render_readme
from pipeline.demo.simulate import simulate_demo

__all__ = ["write_demo", "file_stamp"]


def file_stamp(frames: dict[str, pd.DataFrame]) -> dt.datetime:
    """09:00 on the day after the last completion date in any wave (the files' write time)."""
    last = max(d for f in frames.values() for d in pd.to_datetime(f[DATE_COLUMN]).dropna())
    return dt.datetime.combine((last + pd.Timedelta(days=1)).date(), dt.time(9, 0, 0))


def write_demo(
    out_dir: str | Path,
    seed: int = DEFAULT_SEED,
    n: int = DEFAULT_N,
    readme: bool = True,
    waves: int = 3,
    params: DemoParams = TRUE_PARAMS,
) -> dict[str, Path]:
    """Write the wave files, the defect manifest and (optionally, three waves only) README.md.

    Returns the paths by key: one per wave (``T0``, ``T1``, ...), ``defects`` and ``readme``.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    study = simulate_demo(seed, n, params, waves)
    paths = {w: out / wave_file(w) for w in study.frames}
    stamp = file_stamp(study.frames)
    for w, frame in study.frames.items():
        if w == "T1":
            paths[w].write_bytes(xlsx_bytes(frame, stamp))
        elif w == "T2":
            write_sav(frame, paths[w], stamp)
        else:
            paths[w].write_bytes(csv_bytes(frame))
    paths["defects"] = out / MANIFEST_FILE
    paths["defects"].write_bytes(csv_bytes(study.defects))
    if readme and waves == 3:
        paths["readme"] = out / README_FILE
        paths["readme"].write_text(render_readme(study), encoding="utf-8")
    return paths
