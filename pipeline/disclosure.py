"""Small-count suppression for every funder-facing table, figure and sentence.

(This module runs over 400 lines on purpose: it is the one home of the disclosure rule -- the
line rule, the audited rule across tables and the helpers for words -- so that every output
follows the same rule.)

Rule (config ``disclosure.min_cell``, default 10):

* **Primary suppression.** A count ``n`` with ``1 <= n <= min_cell - 1`` is shown as
  ``"<{min_cell}"`` (e.g. ``"<10"``). Every percentage computed from a hidden count is shown as
  ``"[c]"`` (not ``"<10"``, which would read as "under 10 per cent").
* **Zero is shown as 0.** A true zero discloses nothing about an individual and is commonly
  published (ONS / NHS Digital practice); zeros are only hidden when that is the only way to
  protect another cell (see below).
* **Secondary (complementary) suppression.** Counts add up along *lines* (the cells of one row
  add to a row total; the cells of one column add to a column total; totals may be printed in
  the table or known from elsewhere, such as the number recruited). A suppressed cell that is the
  only hidden cell of a line could be recovered by subtraction, so one more cell of that line is
  hidden: the least informative one first (``prefer_hidden``, e.g. "no reliable change"), then
  the smallest shown non-zero count (then a zero if nothing else is left), never a headline cell
  (``prefer_shown``) unless nothing else is left. Secondary cells are shown as ``"[c]"`` (ONS's
  mark for "confidential"), because they are not small.
* Missing counts (NaN, "not applicable") are left as they are and take no part in any line.

**Audited suppression across tables** (:func:`protect`). Where counts of several published
tables are tied by linear relations (the attrition flow and the response patterns: every pattern
count is a sum of flow counts), the line rule above is not enough. :func:`protect` states every
relation as an equation, hides small cells, and then asks a linear programme, for every hidden
cell, for the smallest and largest value it can take given everything published; while some
hidden cell is pinned (fewer than two possible values) it hides one more cell of an equation
holding it (preference order as above). A hidden cell may then be published as the range the
LP finds (``"116-124"``): that range follows from the other published numbers, so it adds no
information, and a funder keeps an honest order of magnitude instead of an empty chart. This
is the "audit" of statistical disclosure control (Hundepool et al. 2012, *Statistical
Disclosure Control*, Wiley, sec. 4.2-4.3: feasibility intervals of suppressed cells); R
equivalent: ``sdcTable::protectTable`` with ``method = "SIMPLEHEURISTIC"`` plus its
attacker check. The attack test ``tests/test_disclosure_attack.py`` runs the same kind of
audit against the outputs of a full run.

**Tables that describe the same people** (the baseline description of the change wing and
the retained-vs-lost table of the attrition wing) protect the same whole-sample cells with one
rule, :func:`protect_described_variable` (entrants = n + missing; n = sum of the levels), so
that each wing knows what the other publishes (:func:`published_bounds`); ``protect(...,
guard=...)`` keeps a cell hidden in the other table from being pinned by this one. A range
that lies below ``min_cell`` ("2-3") is printed as ``"<10"`` (``Protection.text(...,
cap_small=True)``).

**Counts that differ by a few** (:func:`published_counts`). Every count of people an output
prints is the size of a group nested in groups whose size a reader can see (the entrants; the
people who answered at a wave, in the flow), and counts of nested groups sit side by side (the
people with a score at entry and at a follow-up; those in an estimate). The difference of two
published counts is itself a count of people ("12 entered", "n = 11" with a score: the one
person without a score, whom the baseline description shows as "<10"). So within one output
(a figure, the findings table and every sentence built from it, a report table), together with
the counts shown exactly elsewhere (``shown``: entrants, answered per wave), no two counts
printed exactly differ by 1 to ``min_cell - 1``. Going from the largest count down, a count
that would differ by so little from one already printed is printed as the range that "fewer
than ``min_cell`` short of it" allows: ``a - (min_cell - 1)`` to ``a - 1`` below the group
``a`` it belongs to (``groups``) or the count it sits closest above, e.g. "621-629" (a
count just above the printed one, which is not nested in it, as ``a + 1`` to
``a + min_cell - 1``). The range follows from the printed count and "<10" alone, invents no
number, and for a score at entry it is the range the baseline description prints (entrants =
n + missing). Counts below ``min_cell`` stay "<10"; a zero is shown. Within an output the
same count is printed the same way everywhere, since the rule depends only on the counts.

**Helpers for words and figures** (every sentence, label and percentage goes through them):

* :func:`safe_count` -- ``"<10"`` for a small count, ``"[c]"`` for a hidden one, else the count.
* :func:`safe_percent` -- a share as a whole per cent; ``"[c]"`` when its count is hidden;
  ``"under 16%"`` (rounded *up* from ``100 * min_cell / n``, so it says no more than "<10")
  when its count is small; ``"[c]"`` when the denominator is small or hidden. A percentage of a
  shown count pins only what is already shown.
* :func:`safe_share_text` -- ``"17% (95% CI 10% to 29%)"`` for a shown count, ``"fewer than 10
  people"`` for a small one, ``None`` for a hidden one (leave it out of the sentence: a CI of a
  share pins its count as surely as the share does).
* :func:`range_text` -- the published range of a hidden cell, ``"116-124"``.

This protects against recovery from totals, other tables' counts and percentages (the usual
standard for routine statistics, e.g. ONS "10 threshold rule"; NHS Digital HES analysis guide,
2018).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from typing import Literal

import numpy as np
import pandas as pd

_log = logging.getLogger(__name__)

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


def hidden_size_mean(mean, min_cell: int = 10, unit: float = 1.0) -> np.ndarray:
    """A mean of a group whose size is not published, rounded so the size cannot be read back.

    A mean of n scores that are multiples of ``unit`` (1 for answers on whole points and their
    sums; a mean of k such items is a multiple of 1/k, finer still) is a multiple of unit / n:
    printed or drawn exactly, it names n (a mean of 5.0862069 is 295/58; of the sizes 54-62 a
    table allows, only n = 58 gives a whole total). Rounded to a multiple of
    ``unit / min_cell``, it is consistent with every size n >= min_cell, since an interval
    that wide holds a multiple of unit / n for each of them (Hundepool et al. 2012, *Statistical
    Disclosure Control*, §5.2 on rounding). NaN stays NaN. With ``min_cell`` 1 nothing is
    hidden and the means are returned as they are.
    """
    if min_cell <= 1:
        return np.asarray(mean, dtype=float)
    step = float(unit) / float(min_cell)
    return np.round(np.asarray(mean, dtype=float) / step) * step


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
    prefer_hidden: Sequence[tuple] = (),
) -> pd.DataFrame:
    """Return a frame of ``""`` (shown), ``"primary"`` or ``"secondary"`` for each count cell.

    ``values`` holds only count columns. ``additive`` says which lines add up to a total that a
    reader knows or can see ("rows", "columns", "both" or "none"); a total printed in the table
    should be one of the columns/rows so that it is itself part of the line. ``lines`` adds other
    linear relations, each a list of ``(row label, column)`` cells any one of which follows from
    the others (e.g. retained now = retained before - lost + rejoined). Cells in
    ``prefer_shown`` (``(row label, column)``, e.g. headline totals) are chosen for secondary
    suppression only when a line has no other candidate; cells in ``prefer_hidden`` (the least
    informative, e.g. "no reliable change") are chosen first, in the order given.
    """
    if min_cell < 1:
        raise ValueError(f"min_cell must be at least 1 (got {min_cell}).")
    v = values.apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    flat = v.ravel()
    present = ~np.isnan(flat)
    primary = present & (flat >= 1) & (flat < min_cell)
    hidden = primary.copy()
    if secondary:
        if (lines or prefer_shown or prefer_hidden) and not values.index.is_unique:
            raise ValueError("suppression_mask: 'lines'/'prefer_*' need a unique row index.")
        pos = {(r, c): i * v.shape[1] + j
               for i, r in enumerate(values.index) for j, c in enumerate(values.columns)}
        kept = np.zeros(flat.shape, dtype=bool)
        kept[[pos[c] for c in prefer_shown]] = True
        rank = np.full(flat.shape, len(prefer_hidden), dtype=float)
        for k, c in enumerate(prefer_hidden):
            rank[pos[c]] = min(rank[pos[c]], k)
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
                # not-preferred before preferred, then prefer_hidden in order, then smallest
                # shown non-zero, then zeros; ties by position (stable sort)
                key = np.where(flat[cand] > 0, flat[cand], np.inf)
                order = np.lexsort((key, rank[cand], kept[cand]))
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
    prefer_hidden: Sequence[tuple] = (),
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
                            prefer_shown, prefer_hidden)
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
    prefer_hidden: Callable[[pd.Series], bool] | None = None,
) -> pd.DataFrame:
    """Suppress small counts in a long table whose rows, within each group, are categories of
    one total (e.g. reliably improved / unchanged / deteriorated of the n people with both
    scores, or the levels of gender among those retained). Each group is a line for secondary
    suppression, because its total is shown elsewhere. ``share_columns`` (proportions, CIs,
    percentages) are shown as "[c]" wherever the count is hidden. ``prefer_hidden(row)`` marks
    the least informative rows, hidden first by secondary suppression.
    """
    if table.empty:
        return table.copy()
    groups = table.groupby(list(group_columns), sort=False, dropna=False).groups
    lines = [[(i, count_column) for i in members] for members in groups.values()
             if len(members) > 1]
    soft = ([(i, count_column) for i, r in table.iterrows() if prefer_hidden(r)]
            if prefer_hidden is not None else [])
    out = suppress_counts(table, [count_column], min_cell, additive="none", lines=lines,
                          prefer_hidden=soft, pct_columns={})
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


# ----------------------------------------------------------------------------- audited suppression
def range_text(lo: float, hi: float, sep: str = "-") -> str:
    """The published range of a hidden cell, ``"116-124"`` (``"[c]"`` when unbounded)."""
    if not np.isfinite(hi):
        return SECONDARY_MARK
    return f"{int(lo)}{sep}{int(hi)}"


def feasible_ranges(
    equations: Sequence[Mapping[Hashable, float]],
    bounds: Mapping[Hashable, tuple[float, float]],
    cells: Iterable[Hashable],
) -> dict[Hashable, tuple[float, float]]:
    """Smallest and largest value of each of ``cells`` given ``sum(coef * x) = 0`` for every
    equation and ``lo <= x <= hi`` (``bounds``; keys missing there are ``[0, inf)``).

    A linear programme per cell and direction (scipy's HiGHS); the LP bounds are rounded inwards
    to integers (counts are whole). Raises ValueError when the constraints are infeasible (the
    published numbers contradict each other).
    """
    from scipy.optimize import linprog

    cells = list(cells)
    keys = list(dict.fromkeys([k for eq in equations for k in eq] + list(bounds) + cells))
    col = {k: j for j, k in enumerate(keys)}
    a_eq = np.zeros((max(len(equations), 1), len(keys)))
    for i, eq in enumerate(equations):
        for k, c in eq.items():
            a_eq[i, col[k]] += c
    bnd = [(bounds.get(k, (0, None))[0],
            None if not np.isfinite(bounds.get(k, (0, np.inf))[1]) else bounds[k][1])
           for k in keys]
    out = {}
    for k in cells:
        ends = []
        for sign in (1.0, -1.0):
            c = np.zeros(len(keys))
            c[col[k]] = sign
            res = linprog(c, A_eq=a_eq, b_eq=np.zeros(len(a_eq)), bounds=bnd, method="highs")
            if res.status == 2:
                raise ValueError("feasible_ranges: the published numbers contradict each other.")
            ends.append(np.inf if res.status == 3 else sign * res.fun)
        out[k] = (float(np.ceil(ends[0] - 1e-7)), float(np.floor(ends[1] + 1e-7)))
    return out


class Protection:
    """Result of :func:`protect`: ``status[key]`` is ``""`` (shown), ``"primary"`` or
    ``"secondary"``; ``ranges[key]`` is the feasible (LP) range of every hidden cell."""

    def __init__(self, values, status, ranges, min_cell):
        self.values, self.status, self.ranges, self.min_cell = values, status, ranges, min_cell
        self.unprotectable: list = []

    def hidden(self, key) -> bool:
        return self.status.get(key, "") != ""

    def text(self, key, show_ranges: bool = True, cap_small: bool = False):
        """The published form of a cell: the count, ``"<10"``, a range or ``"[c]"``.

        ``cap_small``: a range that lies below ``min_cell`` ("2-3") is published as ``"<10"``
        (or ``"[c]"`` when it reaches 0): it says less, and no printed count is below the
        threshold."""
        st = self.status[key]
        if st == "primary":
            return small_mark(self.min_cell)
        if st == "secondary":
            lo, hi = self.ranges[key]
            if cap_small and hi < self.min_cell and hi > lo:
                return small_mark(self.min_cell) if lo >= 1 else SECONDARY_MARK
            return range_text(lo, hi) if show_ranges and hi > lo else SECONDARY_MARK
        return round(float(self.values[key]))


def protect(
    values: Mapping[Hashable, float],
    equations: Sequence[Mapping[Hashable, float]],
    publish: Sequence[Hashable],
    min_cell: int = 10,
    *,
    known: Sequence[Hashable] = (),
    prefer_shown: Sequence[Hashable] = (),
    prefer_hidden: Sequence[Hashable] = (),
    min_values: int = 2,
    limits: Mapping[Hashable, tuple[float, float]] | None = None,
    guard: Sequence[Hashable] = (),
) -> Protection:
    """Audited primary + secondary suppression of the cells ``publish`` (see the module notes).

    ``values``: true count of every cell named anywhere (published, ``known`` -- published
    elsewhere exactly, e.g. the number recruited -- and latent cells that are never published,
    e.g. fine response patterns behind a merged category). ``equations``: linear relations,
    each ``{cell: coefficient}`` summing to zero (``{"total": 1, "a": -1, "b": -1}``).
    Until no hidden cell can take fewer than ``min_values`` values, one more cell of an
    equation holding a pinned cell is hidden (order: not in ``prefer_shown``, ``prefer_hidden``
    in order, smallest non-zero, zero, position). ``limits``: what readers know of latent cells
    (e.g. ``(1, 9)`` for a total published elsewhere as "<10"). When nothing is left to hide, a
    pinned small cell is shown as "[c]" instead of "<10" (which says "at least 1": with one
    missing value in all, "<10 of those lost" says it was theirs); a cell that the known totals
    pin even then is listed in ``Protection.unprotectable`` and logged. ``guard``: latent
    cells hidden in another published table (their bounds from ``limits``) that the cells
    published here must not pin either; they are checked like hidden cells.
    """
    publish = [k for k in publish if not pd.isna(values[k])]
    status = {k: "primary" if is_small(values[k], min_cell) else "" for k in publish}
    known_set = set(known)
    pos = {k: i for i, k in enumerate(publish)}
    soft = {k: i for i, k in enumerate(prefer_hidden)}
    # cells fixed by the known totals alone (e.g. zeros adding to a known 0): never worth hiding
    limits = dict(limits or {})
    free = {k: (float(values[k]),) * 2 for k in known_set} | limits
    span = feasible_ranges(equations, free, publish)
    fixed = {k for k, (lo, hi) in span.items() if hi - lo + 1 < min_values}
    lost: set = set()
    while True:
        bounds = {k: (float(values[k]),) * 2 for k in known_set} | limits
        for k, st in status.items():
            bounds[k] = ((float(values[k]),) * 2 if st == "" else
                         (1.0, float(min_cell - 1)) if st == "primary" else (0.0, np.inf))
        hidden = [k for k, st in status.items() if st]
        ranges = feasible_ranges(equations, bounds, hidden + list(guard))
        pinned = [k for k in hidden + list(guard)
                  if ranges[k][1] - ranges[k][0] + 1 < min_values and k not in lost]
        if not pinned:
            ranges = {k: ranges[k] for k in hidden}
            prot = Protection(dict(values), status, ranges, min_cell)
            prot.unprotectable = sorted(lost, key=str)
            return prot
        p = pinned[0]
        cand = sorted(_connected(p, equations, status),
                      key=lambda k: (k in prefer_shown, soft.get(k, len(soft)),
                                     values[k] if values[k] > 0 else np.inf, pos[k]))
        cand = [k for k in cand if k not in fixed]
        if not cand:
            # nothing left to hide: a "<10" (which says "at least 1") may be what pins it, so
            # show such cells as "[c]" (0 or more); else report the cell
            relax = [k for k in pinned if status.get(k) == "primary" and _tied(k, p, equations)]
            if relax:
                for k in relax:
                    status[k] = "secondary"
                continue
            _log.warning("disclosure: cell %r is fixed by published totals alone", p)
            lost.add(p)
            continue
        pick = next((k for k in cand if k not in prefer_shown
                     and _unpins(p, k, equations, bounds, min_values)), cand[0])
        status[pick] = "secondary"


def _connected(p, equations, status) -> set:
    """Shown cells tied to ``p`` through a chain of equations."""
    seen, todo = {p}, [p]
    while todo:
        q = todo.pop()
        for eq in equations:
            if q in eq:
                new = {k for k in eq if eq[k] != 0} - seen
                seen |= new
                todo += [k for k in new if status.get(k, "x") != ""]  # walk via hidden/latent
    return {k for k in seen if status.get(k) == ""}


def _tied(k, p, equations) -> bool:
    """Are cells ``k`` and ``p`` linked through a chain of equations?"""
    seen, todo = {p}, [p]
    while todo:
        q = todo.pop()
        for eq in equations:
            if q in eq:
                new = set(eq) - seen
                seen |= new
                todo += list(new)
    return k in seen


def _unpins(p, k, equations, bounds, min_values) -> bool:
    """Would hiding cell ``k`` leave ``p`` at least ``min_values`` possible values?"""
    trial = dict(bounds) | {k: (0.0, np.inf)}
    lo, hi = feasible_ranges(equations, trial, [p])[p]
    return hi - lo + 1 >= min_values


def protect_described_variable(
    n: float, missing: float, levels: Mapping[Hashable, float], total: float | None,
    min_cell: int = 10,
) -> Protection:
    """Counts of one variable of a published sample description, protected together: ``n``
    (people with a value), ``missing`` and, for a categorical variable, the ``levels`` counts,
    with ``total = n + missing`` (the number described, published elsewhere: known exactly
    unless small) and ``n = sum of the levels``. Cells: ``("n",)``, ``("miss",)``, ``("lvl",
    level)``; NaN cells are left out. The change wing's baseline description publishes this;
    the attrition wing recomputes it to know what that description shows of the whole sample.
    """
    values: dict = {}
    if n is not None and not pd.isna(n):
        values[("n",)] = float(n)
    if missing is not None and not pd.isna(missing):
        values[("miss",)] = float(missing)
    lv = {("lvl", k): float(v) for k, v in levels.items() if not pd.isna(v)}
    values |= lv
    eqs, known, limits = [], [], {}
    if total is not None and {("n",), ("miss",)} <= set(values):
        values[("N",)] = float(total)
        eqs.append({("N",): 1, ("n",): -1, ("miss",): -1})
        if is_small(total, min_cell):
            limits[("N",)] = (1.0, float(min_cell - 1))
        else:
            known.append(("N",))
    if lv and ("n",) in values:
        eqs.append({("n",): 1} | {k: -1 for k in lv})
    publish = [k for k in values if k != ("N",)]
    return protect(values, eqs, publish, min_cell, known=known, limits=limits,
                   prefer_shown=[("n",)])


def published_bounds(prot: Protection, key, cap_small: bool = True) -> tuple[float, float]:
    """What a reader learns of a cell from its published text (``Protection.text``): the count
    itself, (1, min_cell - 1) for "<10", the range, or (0, inf) for "[c]"."""
    text = prot.text(key, cap_small=cap_small)
    if not isinstance(text, str):
        return float(text), float(text)
    if text == small_mark(prot.min_cell):
        return 1.0, float(prot.min_cell - 1)
    return prot.ranges[key] if text != SECONDARY_MARK else (0.0, np.inf)


# ----------------------------------------------------------------------------- words and labels

def safe_count(n, min_cell: int = 10, *, hidden: bool = False) -> str:
    """A count for a sentence or label: ``"[c]"`` when hidden, ``"<10"`` when small."""
    if n is None or pd.isna(n):
        return "NA"
    return SECONDARY_MARK if hidden else format_count(n, min_cell)


def safe_percent(count, n, min_cell: int = 10, *, hidden: bool = False,
                 decimals: int = 0) -> str:
    """``count / n`` as a per cent that cannot pin a protected count (see module notes).

    ``hidden``: the count is hidden in the published table (secondary suppression), or its
    complement ``n - count`` is (a precise share of the rest gives the hidden one back).
    """
    if n is None or count is None or pd.isna(n) or pd.isna(count) or n <= 0:
        return "NA"
    if hidden or is_small(n, min_cell):
        return SECONDARY_MARK
    if is_small(count, min_cell):
        return f"under {int(np.floor(100 * (min_cell - 1) / n)) + 1}%"
    return f"{100 * count / n:.{decimals}f}%"


def safe_share_text(count, n, min_cell: int = 10, *, ci: tuple[float, float] | None = None,
                    ci_label: str = "95% CI", hidden: bool = False) -> str | None:
    """``"17% (95% CI 10% to 29%)"`` (``ci`` as proportions), ``"fewer than 10 people"`` for a
    small count, None when the count (or its complement) is hidden or ``n`` is small: leave it
    out, since a share's CI pins its count as surely as the share does."""
    if hidden or n is None or pd.isna(n) or is_small(n, min_cell) or pd.isna(count):
        return None
    if is_small(count, min_cell):
        return f"fewer than {min_cell} people"
    text = safe_percent(count, n, min_cell)
    if ci is not None and all(np.isfinite(ci)):
        text += f" ({ci_label} {100 * ci[0]:.0f}% to {100 * ci[1]:.0f}%)"
    return text


# ----------------------------------------------------------------------------- counts that differ
def published_counts(
    counts: Mapping[Hashable, float],
    min_cell: int = 10,
    *,
    shown: Iterable[float] = (),
    groups: Mapping[Hashable, Iterable[float]] | None = None,
) -> dict[Hashable, int | str | None]:
    """The printed form of every count of people of one output (see the module notes, "Counts
    that differ by a few"): the count (an int), ``"<10"``, or a range ``"621-629"``; None for a
    missing count (NaN).

    ``shown``: counts printed exactly elsewhere that a reader can set beside these (the
    entrants, the people who answered at each wave as the flow shows them); they stay as they
    are. ``groups[key]``: sizes of the shown groups the people of ``key`` belong to (entrants,
    answered at its wave); a range sits below the smallest of them that is close, else below
    (or above) the closest printed count. Deterministic: the same counts give the same texts.
    """
    groups = groups or {}
    gap = min_cell - 1
    kept = sorted({float(v) for v in shown if v is not None and not pd.isna(v)
                   and not is_small(v, min_cell)})
    out: dict[Hashable, int | str | None] = {}
    order = sorted(counts, key=lambda k: -float(counts[k]) if not pd.isna(counts[k]) else 0.0)
    for key in order:
        c = counts[key]
        if c is None or pd.isna(c):
            out[key] = None
            continue
        c = float(c)
        if is_small(c, min_cell):
            out[key] = small_mark(min_cell)
            continue
        near = [v for v in kept if 1 <= abs(v - c) <= gap]
        if c == 0 or not near:
            out[key] = round(c)
            if c not in kept:
                kept.append(c)
            continue
        own = [float(v) for v in groups.get(key, ()) if not pd.isna(v) and 1 <= v - c <= gap
               and float(v) in kept]
        above = [v for v in near if v > c]
        if own or above:
            a = min(own or above)
            out[key] = range_text(max(a - gap, 0), a - 1)
        else:
            a = max(near)
            out[key] = range_text(a + 1, a + gap)
    return out


def count_text(v: int | str | None, missing: str = "") -> str:
    """A published count (:func:`published_counts`) as text: ``"630"``, ``"<10"``,
    ``"621-629"``; ``missing`` for None."""
    return missing if v is None else str(v)


def flow_shown(flow_public: pd.DataFrame | None) -> tuple[dict[str, float], dict[str, str]]:
    """What the public attrition flow prints of the number who answered at each wave (the
    first wave's is the number who entered): (wave -> count, for those printed exactly;
    wave -> the printed text)."""
    exact: dict[str, float] = {}
    printed: dict[str, str] = {}
    if flow_public is None or not {"wave", "responded"} <= set(flow_public.columns):
        return exact, printed
    for w, v in zip(flow_public["wave"].astype(str), flow_public["responded"]):
        t = "" if pd.isna(v) else str(v).strip()
        try:
            x = float(t)
        except ValueError:
            printed[w] = t
            continue
        exact[w], printed[w] = x, f"{x:.0f}"
    return exact, printed


def nested_counts(items: Sequence[tuple[float, Sequence[str]]], min_cell: int = 10,
                  flow_public: pd.DataFrame | None = None) -> list[int | str | None]:
    """:func:`published_counts` for the counts of one output, each given as ``(count, waves)``:
    the people counted are among those who answered at each of ``waves`` (the first wave's
    answerers are the entrants). Beside them: the number who answered at every wave as the
    public flow prints it (``flow_public``; a count printed exactly there stays exact)."""
    exact, _ = flow_shown(flow_public)
    counts = {i: c for i, (c, _) in enumerate(items)}
    groups = {i: [exact[w] for w in ws if w in exact] for i, (_, ws) in enumerate(items)}
    shown = published_counts(counts, min_cell, shown=exact.values(), groups=groups)
    return [shown[i] for i in range(len(items))]


FINDINGS_COUNTS = ("n_contributing", "n_observed")


def findings_counts(rows: Sequence[Mapping], min_cell: int = 10,
                    flow_public: pd.DataFrame | None = None,
                    extra: Sequence[tuple[float, Sequence[str]]] = ()
                    ) -> tuple[list[dict[str, str]], list[str]]:
    """The counts of the findings table (``n_contributing``: the people in an estimate, among
    the entrants -- and among those who answered at the row's wave for complete cases;
    ``n_observed``: those with the outcome, among those who answered at the row's wave) as
    published, by :func:`nested_counts` over all of them and ``extra`` (other counts printed
    beside them, e.g. by the report) together. Participation rows print the flow as the public
    flow prints it. Returns (per row ``{column: text}``, the texts of ``extra``); "" for a
    missing count. The findings wing publishes these (table and sentences) and the report
    prints them."""
    exact, printed = flow_shown(flow_public)
    first = next(iter(printed), "")
    items: list[tuple[float, Sequence[str]]] = []
    where: dict[tuple[int, str], int] = {}
    for i, r in enumerate(rows):
        if str(r.get("kind", "")) == "participation":
            continue
        wave = "" if pd.isna(r.get("wave", "")) else str(r.get("wave", ""))
        cc = str(r.get("method", "")) == "complete_case"
        for c, ws in (("n_contributing", [first] + ([wave] if cc else [])),
                      ("n_observed", [wave])):
            where[(i, c)] = len(items)
            items.append((pd.to_numeric(r.get(c), errors="coerce"), ws))
    base = len(items)
    shown = nested_counts(items + list(extra), min_cell, flow_public)
    out = []
    for i, r in enumerate(rows):
        if str(r.get("kind", "")) == "participation":
            own = {"n_contributing": first, "n_observed": str(r.get("wave", ""))}
            out.append({c: printed.get(w) or count_text(
                nested_counts([(pd.to_numeric(r.get(c), errors="coerce"), [])], min_cell)[0])
                for c, w in own.items()})
            continue
        out.append({c: count_text(shown[where[(i, c)]]) for c in FINDINGS_COUNTS})
    return out, [count_text(v) for v in shown[base:]]
