"""Shared inputs of the pooled report tests: the fixture tables (tests/fixtures/pooled_report,
a synthetic two-scheme run) and settings built by hand (no config is read)."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from pipeline.report.pooled_sections import PooledInputs
from pipeline.report.pooled_settings import PooledReportSettings

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "pooled_report"
CONSTRUCTS = {"group_memberships": ("Group memberships", 1.0, 7.0, "mean"),
              "belonging": ("Community belonging", 1.0, 7.0, "mean"),
              "support": ("Social support", 1.0, 7.0, "mean"),
              "loneliness": ("Loneliness (UCLA-3)", 3.0, 9.0, "sum"),
              "qol": ("Quality of life (EQ VAS)", 0.0, 100.0, "score")}


def settings(**over) -> PooledReportSettings:
    base = dict(title="Pooled evaluation report: 2 schemes", programme="Across the schemes",
                organisation="", language="en-GB", date="2026-11-30",
                primary_colour="#1F4E79", accent_colour="#8A3B12", min_cell=10,
                schemes={"north": "North pathway (north)", "south": "South pathway (south)"},
                constructs=CONSTRUCTS, scale_labels={k: v[0] for k, v in CONSTRUCTS.items()},
                wave_labels={"T0": "Pathway entry", "T1": "About 4 months", "T2": "6-9 months"},
                mediation="social_cure_chain", mediation_label="GM -> QoL",
                config_hash="abc123def456")
    return PooledReportSettings(**(base | over))


def inputs(drop: tuple[str, ...] = ()) -> PooledInputs:
    tables = {p.stem: pd.read_csv(p) for p in sorted(FIX.glob("*.csv")) if p.stem not in drop}
    return PooledInputs(tables=tables, figures={"pooled_change_loneliness":
                                                FIX / "pooled_change_loneliness.svg"})


def small_counts(text: str, min_cell: int) -> list[str]:
    """Counts of people below ``min_cell`` printed in ``text``: "<n> people", "<n> (<p>%)" (a
    count with its share, as the scheme table and sentences print them), "n = <n>", "<n> of
    <m>" and "<n> answered". "<10" and ranges ("86-94") do not match."""
    pats = [r"(?<![\w<.\-\u2212])(\d+) (?:people|participants|persons|answered)",
            r"(?<![\w<.\-\u2212])(\d+) \(\d+(?:\.\d+)?%\)", r"\bn = (\d+)\b",
            r"(?<![\w<.\-\u2212])(\d+) of \d"]
    found = []
    for pat in pats:
        found += [m.group(0) for m in re.finditer(pat, text) if 0 < int(m.group(1)) < min_cell]
    return found
