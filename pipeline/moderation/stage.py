"""Moderation of change by social-identity constructs: for each configured analysis the
residualised-change model with an interaction, by FIML (primary unless
``missing_data.primary`` is complete_case) and by complete cases, with simple slopes, the
Johnson-Neyman interval, sentences and two figures (see ``analysis.py`` and ``model.py``)."""

from __future__ import annotations

import pandas as pd

from pipeline.config import Config
from pipeline.moderation.analysis import ModerationResults, analyse
from pipeline.moderation.figures import plot_jn, plot_placeholder, plot_simple_slopes
from pipeline.moderation.sentences import build_sentences
from pipeline.moderation.settings import ModerationAnalysis, ModerationSettings, from_config
from pipeline.stage_io import StageIO
from pipeline.tables import write_table
from pipeline.wording import lower_first

TABLES = ("estimates", "simple_slopes", "jn", "status", "sentences")
METHOD_WORDS = {"fiml": "FIML", "complete_case": "complete-case"}


def _figures(a: ModerationAnalysis, s: ModerationSettings, res: ModerationResults,
             tables: dict[str, pd.DataFrame], io: StageIO) -> None:
    slopes_path = io.member("figures", f"moderation_{a.name}_slopes.png")
    jn_path = io.member("figures", f"moderation_{a.name}_jn.png")
    for p in (slopes_path, jn_path):  # declared twins, written by save_figure
        io.member("figures", p.with_suffix(".svg").name)
    title = a.label
    if a.name not in res.curves:
        why = (f"The {METHOD_WORDS[s.primary]} model could not be estimated with these data; "
               "the reason is in tables/moderation_status.csv.")
        for p in (slopes_path, jn_path):
            plot_placeholder(p, title=title, message=why)
        return
    x, y = (lower_first(s.scale(k)[0]) for k in (a.predictor, a.outcome))
    w = s.scale(a.moderator)[0]
    w0, w1 = a.waves
    primary = (tables["simple_slopes"]["analysis"] == a.name) & tables["simple_slopes"]["primary"]
    plot_simple_slopes(tables["simple_slopes"][primary], res.dx_ranges[a.name], slopes_path,
                       x_label=f"Change in {x}, {w0} to {w1} (points)",
                       y_label=f"Difference in {y} at {w1} (points, same {w0} score)",
                       w_label=f"{w} ({a.moderator_wave})", title=title)
    jn = tables["jn"]
    row = jn[(jn["analysis"] == a.name) & jn["primary"]].iloc[0]
    plot_jn(res.curves[a.name], row, jn_path, w_label=f"{w} ({a.moderator_wave})",
            slope_label=f"Slope: difference in {y} at {w1} per point of change in {x}",
            title=title)


def run(cfg: Config, io: StageIO) -> None:
    """Read ``wide``; write the five tables and, per analysis with a predictor, the simple-slopes
    and Johnson-Neyman figures (.png and .svg, ``figures``)."""
    s = from_config(cfg)
    res = analyse(pd.read_parquet(io.input("wide")), s)
    tables = res.tables()
    tables["sentences"] = build_sentences(tables, s)
    for name in TABLES:
        write_table(tables[name], io.output(name))
    for a in s.analyses:
        if a.predictor:
            _figures(a, s, res, tables, io)
