"""Funder-facing copies of the attrition tables: small counts suppressed (``pipeline.disclosure``).

The disclosure rule itself (primary "<10", secondary "[c]" along lines of cells that add up to
a known total) lives in ``pipeline.disclosure``; this module names, for each attrition table,
the lines along which its counts add up, which only the attrition wing knows.
"""

from __future__ import annotations

import pandas as pd

from pipeline.disclosure import (
    SECONDARY_MARK,
    is_small,
    round_shown,
    suppress_counts,
)

__all__ = ["suppress_flow", "suppress_missingness", "suppress_patterns", "suppress_comparison"]


def suppress_flow(flow: pd.DataFrame, min_cell: int) -> pd.DataFrame:
    """``participant_flow`` output with small counts suppressed for funders.

    Primary rule as ``pipeline.disclosure``; secondary suppression along the flow relation
    ``retained[w] = retained[w-1] - lost[w] + rejoined[w]``, hiding a loss before a headline
    ``retained`` count. ``pct_baseline`` is hidden with ``retained``.
    """
    counts = [c for c in flow.columns
              if c in ("responded", "retained", "lost_since_previous", "rejoined")
              or c.startswith("excluded_")]
    idx = list(flow.index)
    lines = [[(idx[i - 1], "retained"), (idx[i], "lost_since_previous"), (idx[i], "rejoined"),
              (idx[i], "retained")] for i in range(1, len(idx))]
    return suppress_counts(flow, counts, min_cell, additive="none", lines=lines,
                           prefer_shown=[(i, "retained") for i in idx],
                           pct_columns={"pct_baseline": "retained"})


def suppress_missingness(table: pd.DataFrame, min_cell: int) -> pd.DataFrame:
    """``missingness_table`` output with small counts suppressed for funders.

    Secondary suppression along ``n_missing_baseline = n_baseline - n_responders + n_missing``
    (the baseline total is known), so a hidden ``n_missing`` cannot be recovered.
    """
    idx = list(table.index)
    lines = [[(i, "n_missing"), (i, "n_missing_baseline"), (i, "n_responders")] for i in idx]
    return suppress_counts(
        table, ["n_responders", "n_missing", "n_missing_baseline"], min_cell, additive="none",
        lines=lines, prefer_shown=[(i, "n_responders") for i in idx],
        pct_columns={"pct_missing": "n_missing", "pct_missing_baseline": "n_missing_baseline"})


def suppress_patterns(patterns: pd.DataFrame, min_cell: int) -> pd.DataFrame:
    """``pattern_summary`` output with small counts suppressed for funders.

    Pattern counts add up to the baseline total, those including a wave add up to the number
    retained at that wave (published in the flow table) and those excluding it to baseline minus
    retained, so all three kinds of line get secondary suppression.
    """
    idx = list(patterns.index)
    waves = {w for p in patterns["pattern"] for w in p.replace(" only", "").split("+")}
    sets = [set(p.replace(" only", "").split("+")) for p in patterns["pattern"]]
    lines = [[(i, "n") for i, s in zip(idx, sets) if w in s] for w in sorted(waves)]
    # ... and those *excluding* a wave add up to baseline minus retained (also derivable)
    lines += [[(i, "n") for i, s in zip(idx, sets) if w not in s] for w in sorted(waves)]
    lines = [ln for ln in lines if len(ln) > 1]
    return suppress_counts(patterns, ["n"], min_cell, additive="columns", lines=lines,
                           pct_columns={"pct": "n"})


def _is_hidden(frame: pd.DataFrame):
    return frame.map(lambda v: isinstance(v, str)).to_numpy()


def _hide_statistics(out: pd.DataFrame, table: pd.DataFrame, min_cell: int) -> None:
    """Hide (in place) the statistics of groups and rows whose counts are small or hidden."""
    for g in ("retained", "lost"):  # numeric rows: mean and SD of fewer than min_cell people
        few = is_small(pd.to_numeric(table[f"n_{g}"], errors="coerce"), min_cell)
        few &= table["level"].eq("")
        for c in (f"mean_{g}", f"sd_{g}"):
            out.loc[few, c] = SECONDARY_MARK
    for _, rows in table.groupby("variable", sort=False):
        idx = list(rows.index)
        small_group = False
        for g in ("retained", "lost"):
            n_g = pd.to_numeric(rows[f"n_{g}"], errors="coerce").sum()
            if is_small(n_g, min_cell):
                small_group = True
                out.loc[idx, [f"mean_{g}", f"sd_{g}", f"pct_{g}"]] = SECONDARY_MARK
        counts_hidden = _is_hidden(out.loc[idx, ["n_retained", "n_lost"]]).any()
        categorical = rows["level"].ne("").any()
        if small_group or (categorical and counts_hidden):
            out.loc[idx, ["smd", "pvalue"]] = SECONDARY_MARK
        pct_hidden = _is_hidden(out.loc[idx, ["pct_retained", "pct_lost"]]).any(axis=1)
        if categorical:
            out.loc[[i for i, h in zip(idx, pct_hidden) if h], "smd"] = SECONDARY_MARK


def suppress_comparison(table: pd.DataFrame, min_cell: int) -> pd.DataFrame:
    """``retained_vs_lost`` output with small counts suppressed for funders.

    Per variable and group, the counts (level counts, or n) plus the missing count add up to the
    group size published in the flow table, so each such line gets secondary suppression.
    Percentages go with their counts. Summary statistics of fewer than ``min_cell`` people can
    identify people (with one person retained, the retained "mean age" is that person's age),
    so, shown as "[c]":

    * a group (retained or lost) with fewer than ``min_cell`` people with a value of the
      variable: its means, SDs and percentages, and the variable's SMD and p-value;
    * a row whose percentage is hidden: its SMD (the SMD and the other group's percentage would
      give the hidden one back);
    * a categorical variable with any hidden count: its test p-value (one test per variable;
      with the margins known, the exact p-value pins down the hidden counts).

    Shown statistics are rounded (``pipeline.disclosure.round_shown``: means and SDs to 2
    decimals, percentages to 1, SMDs to 2, p-values to 2 significant digits).
    """
    lines = []
    for _, rows in table.groupby("variable", sort=False):
        idx = list(rows.index)
        for g in ("retained", "lost"):
            lines.append([(i, f"n_{g}") for i in idx] + [(idx[0], f"missing_{g}")])
    out = suppress_counts(
        table, ["n_retained", "n_lost", "missing_retained", "missing_lost"], min_cell,
        additive="none", lines=lines,
        pct_columns={"pct_retained": "n_retained", "pct_lost": "n_lost"})
    stat_cols = [f"{k}_{g}" for g in ("retained", "lost") for k in ("mean", "sd", "pct")]
    for c in stat_cols + ["smd", "pvalue"]:
        out[c] = out[c].astype(object)
    _hide_statistics(out, table, min_cell)
    digits = {"mean_retained": 2, "sd_retained": 2, "mean_lost": 2, "sd_lost": 2,
              "pct_retained": 1, "pct_lost": 1, "smd": 2}
    return round_shown(out, digits, significant=["pvalue"])
