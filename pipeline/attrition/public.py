"""Funder-facing copies of the attrition tables: small counts suppressed (``pipeline.disclosure``).

The disclosure rule itself lives in ``pipeline.disclosure``; this module names, for each
attrition table, the relations by which its counts add up -- within the table, to the other
attrition tables (every flow count is a sum of response-pattern counts) and to the baseline
description -- which only the attrition wing knows, and hands them to
``pipeline.disclosure.protect`` (audited suppression: no hidden count can be worked out from
any combination of the published ones; a hidden count is published as the range the others
allow, e.g. "116-124", so no table or chart is emptied). Checked by
``tests/test_disclosure_attack.py``.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from pipeline.attrition.flow import merged_patterns, pattern_waves
from pipeline.disclosure import (
    SECONDARY_MARK,
    is_small,
    protect,
    protect_described_variable,
    published_bounds,
    round_shown,
    suppress_counts,
)

__all__ = ["public_flow_and_patterns", "suppress_flow", "suppress_missingness",
           "suppress_comparison"]


FLOW_COUNTS = ("responded", "retained", "lost_since_previous", "rejoined")


def _flow_cells(flow: pd.DataFrame) -> list[tuple]:
    counts = [c for c in flow.columns if c in FLOW_COUNTS or c.startswith("excluded_")]
    return [("flow", i, c) for i in range(len(flow)) for c in counts]


def _flow_equations(flow: pd.DataFrame) -> list[dict]:
    """retained[w] = retained[w-1] - lost[w] + rejoined[w]; responded = retained when the two
    columns agree (a reader sees them equal)."""
    eqs = [{("flow", i - 1, "retained"): 1, ("flow", i, "lost_since_previous"): -1,
            ("flow", i, "rejoined"): 1, ("flow", i, "retained"): -1} for i in range(1, len(flow))]
    if "responded" in flow.columns and flow["responded"].equals(flow["retained"]):
        eqs += [{("flow", i, "responded"): 1, ("flow", i, "retained"): -1}
                for i in range(len(flow))]
    return eqs


def _pattern_equations(flow: pd.DataFrame, patterns: pd.DataFrame,
                       merged: pd.DataFrame) -> list[dict]:
    """Fine patterns (latent) add up to every flow count and to their merged category."""
    waves = list(flow["wave"])
    sets = {p: set(pattern_waves(p)) for p in patterns["pattern"]}
    fine = {p: ("fine", p) for p in sets}

    def total(cell, pats):
        return {cell: 1} | {fine[p]: -1 for p in pats}

    eqs = [total(("flow", 0, "retained"), sets)]
    for i in range(1, len(waves)):
        w, v = waves[i], waves[i - 1]
        eqs.append(total(("flow", i, "retained"), [p for p, s in sets.items() if w in s]))
        eqs.append(total(("flow", i, "lost_since_previous"),
                         [p for p, s in sets.items() if v in s and w not in s]))
        eqs.append(total(("flow", i, "rejoined"),
                         [p for p, s in sets.items() if v not in s and w in s]))
    eqs += [total(("cat", r.category), r.members.split(";")) for r in merged.itertuples()]
    return eqs


def public_flow_and_patterns(
    flow: pd.DataFrame, patterns: pd.DataFrame | None, min_cell: int,
    wave_labels: Mapping[str, str] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Funder copies of the participant flow and the merged response patterns, protected
    together (``pipeline.disclosure.protect``): every flow count is a sum of response-pattern
    counts, so a pattern shown exactly can give back a small flow count (with 630 joined,
    178 and 63 answering at T1 and T2, "answered every wave = 58" gives "came back = 5").

    Patterns are first merged (:func:`pipeline.attrition.flow.merged_patterns`); small counts
    are "<10"; cells hidden to protect them are shown as the range the other published numbers
    allow ("116-124"), hiding pattern categories before flow counts and never the numbers
    answering (``retained``) unless nothing else protects. The patterns table gets ``n_min``
    and ``n_max`` (the same range, for the chart). Percentages go with their counts.
    """
    flow = flow.reset_index(drop=True)
    cells = _flow_cells(flow)
    values = {c: flow.loc[c[1], c[2]] for c in cells}
    eqs = _flow_equations(flow)
    merged = None
    publish = list(cells)
    if patterns is not None:
        merged = merged_patterns(patterns, list(flow["wave"]), wave_labels)
        values |= {("fine", r.pattern): r.n for r in patterns.itertuples()}
        values |= {("cat", r.category): r.n for r in merged.itertuples()}
        eqs += _pattern_equations(flow, patterns, merged)
        publish = [("cat", c) for c in reversed(merged["category"])] + publish
    values = {k: (np.nan if pd.isna(v) else float(v)) for k, v in values.items()}
    prot = protect(values, eqs, publish, min_cell,
                   prefer_shown=[("flow", i, "retained") for i in range(len(flow))],
                   prefer_hidden=[k for k in publish if k[0] == "cat"])
    out = flow.copy()
    for c in {c for _, _, c in cells}:
        out[c] = out[c].astype(object)
    for k in prot.status:
        if k[0] == "flow":
            out.at[k[1], k[2]] = prot.text(k)
    out["pct_baseline"] = out["pct_baseline"].astype(object)
    out.loc[[prot.hidden(("flow", i, "retained")) for i in range(len(flow))],
            "pct_baseline"] = SECONDARY_MARK
    if merged is None:
        return out, None
    return out, _public_patterns(merged, prot)


def _public_patterns(merged: pd.DataFrame, prot) -> pd.DataFrame:
    pub = merged.drop(columns="members").astype({"n": object, "pct": object})
    lo, hi = [], []
    for i, r in merged.iterrows():
        k = ("cat", r.category)
        pub.at[i, "n"] = prot.text(k)
        a, b = prot.ranges.get(k, (r.n, r.n)) if prot.hidden(k) else (r.n, r.n)
        lo.append(a)
        hi.append(b)
        if prot.hidden(k):
            pub.at[i, "pct"] = SECONDARY_MARK
    pub["n_min"], pub["n_max"] = lo, hi
    return pub


def suppress_flow(flow: pd.DataFrame, min_cell: int) -> pd.DataFrame:
    """The participant flow alone, protected as in :func:`public_flow_and_patterns` (the
    flow relation ``retained[w] = retained[w-1] - lost[w] + rejoined[w]``)."""
    return public_flow_and_patterns(flow, None, min_cell)[0]


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


def _is_hidden(frame: pd.DataFrame):
    return frame.map(lambda v: isinstance(v, str)).to_numpy()


def _hide_statistics(out: pd.DataFrame, table: pd.DataFrame, min_cell: int) -> None:
    """Hide (in place) the statistics of groups and rows whose counts are small or hidden."""
    for g in ("retained", "lost"):  # numeric rows: mean and SD of fewer than min_cell people,
        # or of a group whose n is hidden (shown as a range): a mean or SD of a known number
        # of decimals ties the group's sum to its n, and the same people's means in the other
        # follow-up wave's split (or the SMD and p-value beside the other group's statistics)
        # then pin n and with it the hidden missing count (found by an attack on a 40-person
        # study: n = 26 from the means of two splits); so the row's SMD and p go too
        few = is_small(pd.to_numeric(table[f"n_{g}"], errors="coerce"), min_cell)
        hidden_n = out[f"n_{g}"].map(lambda v: isinstance(v, str)).to_numpy()
        numeric = table["level"].eq("").to_numpy()
        for c in (f"mean_{g}", f"sd_{g}"):
            out.loc[(few | hidden_n) & numeric, c] = SECONDARY_MARK
        out.loc[hidden_n & numeric, ["smd", "pvalue"]] = SECONDARY_MARK
    for _, rows in table.groupby("variable", sort=False):
        idx = list(rows.index)
        small_group, categorical = False, rows["level"].ne("").any()
        for g in ("retained", "lost"):
            n_g = pd.to_numeric(rows[f"n_{g}"], errors="coerce").sum()
            if is_small(n_g, min_cell):
                small_group = True
                out.loc[idx, [f"mean_{g}", f"sd_{g}", f"pct_{g}"]] = SECONDARY_MARK
            if categorical and _is_hidden(out.loc[idx[:1], [f"missing_{g}"]]).any():
                # the shares' denominator (the group's n with a value) is hidden: a share of a
                # shown count would give it back, and with it the missing count
                out.loc[idx, f"pct_{g}"] = SECONDARY_MARK
        counts_hidden = _is_hidden(out.loc[idx, ["n_retained", "n_lost"]]).any()
        if small_group or (categorical and counts_hidden):
            out.loc[idx, ["smd", "pvalue"]] = SECONDARY_MARK
        pct_hidden = _is_hidden(out.loc[idx, ["pct_retained", "pct_lost"]]).any(axis=1)
        if categorical:
            out.loc[[i for i, h in zip(idx, pct_hidden) if h], "smd"] = SECONDARY_MARK


COMPARISON_COUNTS = ("n_retained", "n_lost", "missing_retained", "missing_lost")


def _variable_relations(table: pd.DataFrame, idx: list) -> tuple[dict, list, list, list]:
    """One variable's counts and relations: per group, level counts (or n) + missing = group
    size; per level, retained + lost = whole sample; likewise the missing counts, and (a
    categorical variable) the levels of the whole sample add up to its ``n``. Returns (values,
    equations, cells to publish, whole-sample cells)."""
    var = table.at[idx[0], "variable"]
    values, eqs = {}, []
    for g in ("retained", "lost"):
        cells = [(i, f"n_{g}") for i in idx] + [(idx[0], f"missing_{g}")]
        values |= {k: float(table.at[k]) for k in cells}
        values[("size", g)] = sum(values[k] for k in cells)
        eqs.append({("size", g): 1} | {k: -1 for k in cells})
    for i in idx:
        values[("all", i)] = values[(i, "n_retained")] + values[(i, "n_lost")]
        eqs.append({("all", i): 1, (i, "n_retained"): -1, (i, "n_lost"): -1})
    values[("allmiss", var)] = (values[(idx[0], "missing_retained")]
                                + values[(idx[0], "missing_lost")])
    eqs.append({("allmiss", var): 1, (idx[0], "missing_retained"): -1,
                (idx[0], "missing_lost"): -1})
    if table.loc[idx, "level"].fillna("").ne("").any():
        values[("alln", var)] = sum(values[("all", i)] for i in idx)
        eqs.append({("alln", var): 1} | {("all", i): -1 for i in idx})
    publish = [k for k in values if k[0] not in ("size", "all", "allmiss", "alln")]
    whole = [k for k in values if k[0] in ("all", "allmiss", "alln")]
    return values, eqs, publish, whole


def _described(values: dict, whole: list, min_cell: int) -> tuple[list, dict, list]:
    """What the baseline description (change wing) publishes of this variable's whole-sample
    counts: the same ``pipeline.disclosure.protect_described_variable`` run on them. Returns
    the cells it shows exactly (known), the bounds of those it hides (limits), and those
    (guard: the cells published here must not pin them either)."""
    var_n = next((k for k in whole if k[0] == "alln"), None) or \
        next(k for k in whole if k[0] == "all")
    miss = next(k for k in whole if k[0] == "allmiss")
    levels = [k for k in whole if k[0] == "all"] if var_n[0] == "alln" else []
    total = values[var_n] + values[miss]
    prot = protect_described_variable(values[var_n], values[miss],
                                      {k: values[k] for k in levels}, total, min_cell)
    cells = {var_n: ("n",), miss: ("miss",)} | {k: ("lvl", k) for k in levels}
    known, limits, guard = [], {}, []
    few = is_small(values[var_n], min_cell)  # the description then shows no level counts
    for k, d in cells.items():
        lo, hi = (0.0, np.inf) if few and d[0] == "lvl" else published_bounds(prot, d)
        if lo == hi:
            known.append(k)
        else:
            limits[k], guard = (lo, hi), guard + [k]
    return known, limits, guard


def _joined(blocks: list) -> tuple:
    """Several variables' relations as one protection (they share the group sizes)."""
    values, eqs, publish, known, limits, guard = {}, [], [], [], {}, []
    for v, e, p, (k, lim, gu) in blocks:
        values, eqs, publish = values | v, eqs + e, publish + p
        known, limits, guard = known + k, limits | lim, guard + gu
    return values, eqs, publish, (known, limits, guard)


def _group_sizes(values: dict, eqs: list, publish: list, known: list, limits: dict,
                 min_cell: int) -> tuple[list, dict, list]:
    """What readers know of the group sizes: exactly when the flow shows them; a size below
    ``min_cell`` (shown as "<10" there) is a published small cell here too, tied to the known
    number of entrants (retained + lost), so that nothing published here narrows it."""
    size = [("size", "retained"), ("size", "lost")]
    small = [k for k in size if is_small(values[k], min_cell)]
    if not small:
        return known + size, limits, publish
    values[("N",)] = values[size[0]] + values[size[1]]
    eqs.append({("N",): 1, size[0]: -1, size[1]: -1})
    if is_small(values[("N",)], min_cell):
        limits = limits | {("N",): (1.0, min_cell - 1.0)}
    else:
        known = known + [("N",)]
    return known, limits, small + publish


def _protect_comparison_counts(table: pd.DataFrame, min_cell: int) -> pd.DataFrame:
    """Counts of ``retained_vs_lost`` protected (see :func:`suppress_comparison`): per variable
    when both group sizes are published exactly (the flow shows them), else all variables
    together, since a group size the flow shows as "<10" is then one unknown they share (each
    variable's ranges, protected apart, could be intersected to pin it)."""
    out = table.copy()
    for c in COMPARISON_COUNTS:
        out[c] = out[c].astype(object)
    blocks = []
    for _, rows in table.groupby("variable", sort=False):
        values, eqs, publish, whole = _variable_relations(table, list(rows.index))
        blocks.append((values, eqs, publish, _described(values, whole, min_cell)))
    sizes = [tuple(b[0][("size", g)] for g in ("retained", "lost")) for b in blocks]
    if len(set(sizes)) == 1 and any(is_small(v, min_cell) for v in sizes[0]):
        blocks = [_joined(blocks)]  # the group sizes are one shared unknown
    for values, eqs, publish, (known, limits, guard) in blocks:
        known, limits, publish = _group_sizes(values, eqs, publish, known, limits, min_cell)
        prot = protect(values, eqs, publish, min_cell, known=known, limits=limits, guard=guard)
        shown = [k for k in publish if k[0] != "size" and k in prot.status]
        for k in shown:
            out.at[k] = prot.text(k, cap_small=True)
        for i, k in [(k[0], k) for k in shown if str(k[1]).startswith("missing_")]:
            rows = table.index[table["variable"] == table.at[i, "variable"]]
            out.loc[rows, k[1]] = prot.text(k, cap_small=True)  # one cell, on every level row
    for g in ("retained", "lost"):
        hidden = out[f"n_{g}"].map(lambda v: isinstance(v, str))
        out[f"pct_{g}"] = out[f"pct_{g}"].astype(object).where(~hidden, SECONDARY_MARK)
    return out


def suppress_comparison(table: pd.DataFrame, min_cell: int) -> pd.DataFrame:
    """``retained_vs_lost`` output with small counts suppressed for funders.

    Per variable and group, the counts (level counts, or n) plus the missing count (one cell,
    repeated with the same text on every level row) add up to the group size published in the
    flow table, and retained + lost add up to the whole sample,
    whose counts the baseline description publishes; all these relations are protected
    together (``pipeline.disclosure.protect``; a hidden count is shown as the range they allow).
    Percentages go with their counts. Summary statistics of fewer than ``min_cell`` people can
    identify people (with one person retained, the retained "mean age" is that person's age),
    so, shown as "[c]":

    * a group (retained or lost) with fewer than ``min_cell`` people with a value of the
      variable: its means, SDs and percentages, and the variable's SMD and p-value;
    * a row whose percentage is hidden: its SMD (the SMD and the other group's percentage would
      give the hidden one back);
    * a categorical variable with any hidden count: its test p-value (one test per variable;
      with the margins known, the exact p-value pins down the hidden counts);
    * a categorical variable whose missing count is hidden in a group: that group's
      percentages (a share of a shown count gives its denominator, and so the missing count,
      back).

    The whole-sample counts are what the baseline description (change wing) publishes of them
    (``pipeline.disclosure.protect_described_variable``, recomputed here): exact cells are
    known, hidden ones are bounded by their published form and guarded (nothing here may pin
    them). When a group is smaller than ``min_cell`` (the flow shows "<10"), its size is not
    known either, and all variables are protected together; no range below ``min_cell`` is
    printed ("2-3" reads "<10").

    Shown statistics are rounded (``pipeline.disclosure.round_shown``: means and SDs to 2
    decimals, percentages to 1, SMDs to 2, p-values to 2 significant digits).
    """
    out = _protect_comparison_counts(table, min_cell)
    stat_cols = [f"{k}_{g}" for g in ("retained", "lost") for k in ("mean", "sd", "pct")]
    for c in stat_cols + ["smd", "pvalue"]:
        out[c] = out[c].astype(object)
    _hide_statistics(out, table, min_cell)
    digits = {"mean_retained": 2, "sd_retained": 2, "mean_lost": 2, "sd_lost": 2,
              "pct_retained": 1, "pct_lost": 1, "smd": 2}
    return round_shown(out, digits, significant=["pvalue"])
