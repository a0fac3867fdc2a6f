"""Small-count suppression for every funder-facing table, figure and sentence.

Rule (config ``disclosure.min_cell``, default 10):

* **Primary suppression.** A count ``n`` with ``1 <= n <= min_cell - 1`` is shown as
  ``"<{min_cell}"`` (e.g. ``"<10"``). Every percentage computed from a hidden count is shown as
  ``"[c]"`` (not ``"<10"``, which would read as "under 10 per cent").
* **Zero is shown as 0.** A true zero discloses nothing about an individual and is commonly
  published (ONS / NHS Digital practice); zeros are only hidden when that is the only way to
  protect another cell (see below).
* **Secondary suppression.** Counts add up along *lines* (the cells of one row add to a row total;
  the cells of one column add to a column total; totals may be printed in the table or known from
  elsewhere, such as the number recruited). A suppressed cell that is the only hidden cell of a
  line could be recovered by subtraction, so one more cell of that line is hidden: the smallest
  shown non-zero count (then a zero if nothing else is left), repeated until every line holding a
  hidden cell holds at least two. Secondary cells are shown as ``"[c]"`` (ONS's mark for
  "confidential"), because they are not small.
* Missing counts (NaN, "not applicable") are left as they are and take no part in any line.

This protects against recovery from a single total (the usual standard for routine statistics,
e.g. ONS "10 threshold rule"; NHS Digital HES analysis guide, 2018); it is not a full linear-
programming audit of multi-way tables.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Literal

import numpy as np
import pandas as pd

SECONDARY_MARK = "[c]"
Additive = Literal["rows", "columns", "both", "none"]


def small_mark(min_cell: int) -> str:
    """The text shown instead of a small count, e.g. ``"<10"``."""
    return f"<{min_cell}"


def is_small(n, min_cell: int = 10):
    """True where ``1 <= n <= min_cell - 1`` (a count that must not be shown); NaN -> False.

    Works on scalars and array-likes (returns a bool or a boolean array/Series).
    """
    if np.isscalar(n) or n is None:
        return bool(n is not None and not pd.isna(n) and 1 <= n < min_cell)
    arr = pd.to_numeric(pd.Series(n) if not isinstance(n, pd.Series) else n, errors="coerce")
    out = (arr >= 1) & (arr < min_cell)
    return out if isinstance(n, pd.Series) else out.to_numpy()


def format_count(n, min_cell: int = 10) -> str:
    """A count as text for sentences and figures: ``"<10"`` when small, else the integer."""
    if n is None or pd.isna(n):
        return "NA"
    return small_mark(min_cell) if is_small(n, min_cell) else f"{round(float(n))}"


def _lines(
    shape: tuple[int, int],
    additive: Additive,
) -> list[np.ndarray]:
    """Index lines (flat positions) along which counts add up."""
    nr, nc = shape
    idx = np.arange(nr * nc).reshape(nr, nc)
    lines: list[np.ndarray] = []
    if additive in ("rows", "both") and nc > 1:
        lines += [idx[i, :] for i in range(nr)]
    if additive in ("columns", "both") and nr > 1:
        lines += [idx[:, j] for j in range(nc)]
    return lines


def suppression_mask(
    values: pd.DataFrame,
    min_cell: int = 10,
    secondary: bool = True,
    additive: Additive = "both",
    lines: Sequence[Sequence[tuple]] = (),
    prefer_shown: Sequence[tuple] = (),
) -> pd.DataFrame:
    """Return a frame of ``""`` (shown), ``"primary"`` or ``"secondary"`` for each count cell.

    ``values`` holds only count columns. ``additive`` says which lines add up to a total that a
    reader knows or can see ("rows", "columns", "both" or "none"); a total printed in the table
    should be one of the columns/rows so that it is itself part of the line. ``lines`` adds other
    linear relations, each a list of ``(row label, column)`` cells any one of which follows from
    the others (e.g. retained now = retained before - lost + rejoined). Cells in
    ``prefer_shown`` (``(row label, column)``, e.g. headline totals) are chosen for secondary
    suppression only when a line has no other candidate.
    """
    if min_cell < 1:
        raise ValueError(f"min_cell must be at least 1 (got {min_cell}).")
    v = values.apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    flat = v.ravel()
    present = ~np.isnan(flat)
    primary = present & (flat >= 1) & (flat < min_cell)
    hidden = primary.copy()
    if secondary:
        if (lines or prefer_shown) and not values.index.is_unique:
            raise ValueError("suppression_mask: 'lines'/'prefer_shown' need a unique row index.")
        pos = {(r, c): i * v.shape[1] + j
               for i, r in enumerate(values.index) for j, c in enumerate(values.columns)}
        kept = np.zeros(flat.shape, dtype=bool)
        kept[[pos[c] for c in prefer_shown]] = True
        extra = [np.array([pos[cell] for cell in ln]) for ln in lines]
        all_lines = [ln[present[ln]] for ln in _lines(v.shape, additive) + extra]
        all_lines = [ln for ln in all_lines if len(ln) > 1]
        changed = True
        while changed:
            changed = False
            for ln in all_lines:
                if hidden[ln].sum() != 1:
                    continue
                cand = ln[~hidden[ln]]
                # not-preferred before preferred, then smallest shown non-zero, then zeros;
                # ties by position (stable sort)
                key = np.where(flat[cand] > 0, flat[cand], np.inf)
                order = np.lexsort((key, kept[cand]))
                pick = cand[order[0]]
                hidden[pick] = True
                changed = True
    codes = np.where(primary, "primary", np.where(hidden, "secondary", "")).reshape(v.shape)
    return pd.DataFrame(codes, index=values.index, columns=values.columns)


def _pct_map(
    table: pd.DataFrame, count_columns: Sequence[str], pct_columns: Mapping[str, str] | None
) -> dict[str, str]:
    """Percentage column -> its count column (given, or found as ``pct_<c>`` / ``<c>_pct``)."""
    if pct_columns is not None:
        return dict(pct_columns)
    out = {}
    for c in count_columns:
        for name in (f"pct_{c}", f"{c}_pct"):
            if name in table.columns:
                out[name] = c
    return out


def suppress_counts(
    table: pd.DataFrame,
    count_columns: Iterable[str],
    min_cell: int = 10,
    secondary: bool = True,
    *,
    additive: Additive = "both",
    lines: Sequence[Sequence[tuple]] = (),
    prefer_shown: Sequence[tuple] = (),
    pct_columns: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Copy of ``table`` with small counts replaced by ``"<min_cell"`` (percentages by ``"[c]"``).

    Counts ``1..min_cell-1`` become ``"<10"`` (for ``min_cell = 10``); zeros stay 0; secondary
    suppression (``"[c]"``) hides one more cell of any row/column line (see ``additive``) or
    extra ``lines`` (see ``suppression_mask``) whose only hidden cell could otherwise be
    recovered from the line's total. Percentage columns
    (``pct_columns`` maps percentage column -> count column; by default ``pct_<c>``/``<c>_pct``)
    are shown as ``"[c]"`` wherever their count is hidden. Shown counts are integers; affected
    columns become ``object`` dtype. The input is not modified.
    """
    count_columns = list(count_columns)
    missing = [c for c in count_columns if c not in table.columns]
    if missing:
        raise KeyError(f"suppress_counts: count column(s) {missing} not in the table.")
    out = table.copy()
    if not count_columns or table.empty:
        return out
    mask = suppression_mask(table[count_columns], min_cell, secondary, additive, lines,
                            prefer_shown)
    small = small_mark(min_cell)
    for c in count_columns:
        col = pd.to_numeric(table[c], errors="coerce")
        shown = [None if pd.isna(x) else round(float(x)) for x in col]
        m = mask[c].to_numpy()
        out[c] = pd.Series(
            [small if k == "primary" else SECONDARY_MARK if k == "secondary" else s
             for s, k in zip(shown, m)],
            index=table.index,
            dtype=object,
        )
    for p, c in _pct_map(table, count_columns, pct_columns).items():
        m = mask[c].to_numpy()
        vals = table[p].astype(object).to_numpy().copy()
        vals[m != ""] = SECONDARY_MARK
        out[p] = pd.Series(vals, index=table.index, dtype=object)
    return out


def suppress_within_groups(
    table: pd.DataFrame,
    count_column: str,
    group_columns: Sequence[str],
    min_cell: int = 10,
    *,
    share_columns: Sequence[str] = (),
) -> pd.DataFrame:
    """Suppress small counts in a long table whose rows, within each group, are categories of
    one total (e.g. reliably improved / unchanged / deteriorated of the n people with both
    scores, or the levels of gender among those retained). Each group is a line for secondary
    suppression, because its total is shown elsewhere. ``share_columns`` (proportions, CIs,
    percentages) are shown as "[c]" wherever the count is hidden.
    """
    if table.empty:
        return table.copy()
    groups = table.groupby(list(group_columns), sort=False, dropna=False).groups
    lines = [[(i, count_column) for i in members] for members in groups.values()
             if len(members) > 1]
    out = suppress_counts(table, [count_column], min_cell, additive="none", lines=lines,
                          pct_columns={})
    hidden = out[count_column].map(lambda v: isinstance(v, str))
    for col in share_columns:
        if col in out.columns:
            out[col] = out[col].astype(object).where(~hidden, "[c]")
    return out


def is_number(v: object) -> bool:
    """True for a finite int/float cell (not a bool, not a suppression mark, not NaN)."""
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool) \
        and bool(np.isfinite(v))


def round_shown(table: pd.DataFrame, digits: Mapping[str, int],
                significant: Sequence[str] = ()) -> pd.DataFrame:
    """Round the shown statistics of a public table; marks ("<10", "[c]") stay as they are.

    ``digits``: column -> decimals; ``significant``: columns rounded to 2 significant digits
    (p-values). At full precision a shown mean of whole numbers (such as ages) can reveal its
    denominator, i.e. a count hidden by secondary suppression.
    """
    out = table.copy()
    for c, d in digits.items():
        out[c] = out[c].map(lambda v, d=d: round(float(v), d) if is_number(v) else v)
    for c in significant:
        out[c] = out[c].map(lambda v: float(f"{float(v):.2g}") if is_number(v) else v)
    return out


def round_percentages(table: pd.DataFrame, digits: int = 1) -> pd.DataFrame:
    """Every column whose name contains "pct" rounded to ``digits`` decimals (public tables;
    suppressed cells stay text)."""
    out = table.copy()
    for c in [c for c in out.columns if "pct" in c]:
        out[c] = out[c].map(lambda v: round(float(v), digits) if isinstance(v, (int, float)) else v)
    return out
