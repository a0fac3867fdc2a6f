"""Groups maintained, gained and lost, from "which groups do you belong to?" listings asked at
entry and at follow-up (config ``group_listings``, :mod:`pipeline.config_listings`).

Why: the social-identity account of health says that *keeping* the groups one had (identity
continuity) and *joining* new ones both protect well-being after a life change (Haslam et al.
2008, Neuropsychological Rehabilitation 18(5-6):671-691; Iyer et al. 2009, British Journal of
Social Psychology 48(4):707-733, the social identity model of identity change behind the EXITS
items; Jetten et al. 2015, PLoS ONE 10(5):e0124609). Where a study lists each person's groups
at entry and again later, the counts can be derived rather than asked.

Per person, with ``A`` the group types listed at the listing's first wave (entry) and ``B``
those listed at a later listing wave:

* ``<key>_count``: ``|B|`` at each listing wave (``|A|`` at entry);
* ``<key>_maintained`` = ``|A ∩ B|``, ``<key>_gained`` = ``|B \\ A|``, ``<key>_lost`` =
  ``|A \\ B|`` at each later listing wave (so maintained + lost = entry count and
  maintained + gained = the wave's count).

**A missing listing is missing, never 0.** A listing is answered at a wave when the person
ticked at least one box, answered a box explicitly (0 / no), ticked "none of these", or (text
form) wrote one of ``none_values``; a blank box then means "not ticked". Nobody can tell a
skipped checkbox question from "no groups", so all-blank is missing. An answer that is neither
ticked nor unticked (a "2", an unknown group in the text), or "none of these" ticked beside a
group, makes that person's listing at that wave missing. The derived counts are missing when
either wave's listing is. Everything set missing is in the QC log: per cell for unreadable or
contradictory answers (``set_missing``), per wave and construct for unanswered listings and
missing derived counts (``score_missing``, ``row == "all"``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from pipeline.clean.qc_log import SET_MISSING, Where, cell_log, concat_logs, make_log
from pipeline.clean.values import cell_text
from pipeline.config_listings import GroupListing
from pipeline.errors import InputFileError
from pipeline.text import code_key, norm_label

__all__ = ["derive_changes", "read_listing", "add_listings"]


def derive_changes(entry: np.ndarray, later: np.ndarray) -> dict[str, np.ndarray]:
    """``maintained``, ``gained``, ``lost`` per row of two 0/1 matrices (rows = people,
    columns = group types; a row of NaN = no listing): NaN where either row is missing."""
    a, b = np.asarray(entry, float), np.asarray(later, float)
    known = ~(np.isnan(a).any(axis=1) | np.isnan(b).any(axis=1))
    a0, b0 = np.nan_to_num(a), np.nan_to_num(b)
    out = {"maintained": (a0 * b0).sum(axis=1), "gained": ((1 - a0) * b0).sum(axis=1),
           "lost": (a0 * (1 - b0)).sum(axis=1)}
    return {k: np.where(known, v, np.nan) for k, v in out.items()}


def _keys(values: Iterable) -> frozenset[str]:
    return frozenset(code_key(v) for v in values)


def _indicators(raw: pd.DataFrame, lst: GroupListing, blank_words: frozenset[str]):
    """(matrix, per-cell issues by column) of the ``columns`` form."""
    sel, unsel = _keys(lst.selected), _keys(lst.not_selected)
    state = {}
    for c in lst.raw_columns:
        keys = raw[c].map(lambda v: "" if pd.isna(v) else code_key(v))
        state[c] = pd.Series(np.select([keys.isin(sel), keys.isin(unsel),
                                        keys.isin(blank_words)], [1.0, 0.0, -1.0], np.nan),
                             index=raw.index)  # -1 blank, NaN unreadable
    issues = {c: pd.Series(np.where(s.isna(), f"listing '{lst.key}': neither ticked nor "
                                    "unticked; the listing at this wave is set missing", None),
                           index=raw.index) for c, s in state.items()}
    boxes = pd.DataFrame({c: state[c] for c in lst.columns})
    none = state[lst.none_column] == 1 if lst.none_column else pd.Series(False, raw.index)
    both = none & (boxes == 1).any(axis=1)
    if lst.none_column:
        issues[lst.none_column] = issues[lst.none_column].where(
            ~both, f"listing '{lst.key}': 'none of these' ticked beside a group; the listing "
            "at this wave is set missing")
    answered = (boxes >= 0).any(axis=1) | none
    bad = pd.DataFrame(state).isna().any(axis=1) | both
    matrix = (boxes == 1).astype(float).where(answered & ~bad)
    return matrix, issues


def _text(raw: pd.DataFrame, lst: GroupListing, blank_words: frozenset[str]):
    """(matrix, per-cell issues) of the ``column`` + ``options`` text form."""
    opts = {norm_label(o): o for o in lst.options}
    nones = {norm_label(v) for v in lst.none_values}
    rows, issue = [], []
    for v in cell_text(raw[lst.column]):
        t = "" if pd.isna(v) else norm_label(v)
        tokens = [norm_label(x) for x in str(v).split(lst.delimiter)] if t else []
        tokens = [x for x in tokens if x]
        unknown = [x for x in tokens if x not in opts and x not in nones]
        if t in nones:
            rows.append([0.0] * len(opts))
            issue.append(None)
        elif not tokens or t in blank_words:
            rows.append([np.nan] * len(opts))
            issue.append(None)
        elif unknown or any(x in nones for x in tokens):
            rows.append([np.nan] * len(opts))
            issue.append(f"listing '{lst.key}': " + (
                f"{unknown} not among its options" if unknown else "'none' beside a group")
                + "; the listing at this wave is set missing")
        else:
            rows.append([float(k in tokens) for k in opts])
            issue.append(None)
    matrix = pd.DataFrame(rows, index=raw.index, columns=list(lst.options), dtype=float)
    return matrix, {lst.column: pd.Series(issue, index=raw.index, dtype=object)}


def read_listing(raw: pd.DataFrame, lst: GroupListing,
                 missing_words: Iterable[str] = ("",)) -> tuple[pd.DataFrame, dict]:
    """One wave's listing as a 0/1 matrix (rows of ``raw``, columns = group types; a row of
    NaN = no listing) and the per-cell issues (column -> Series, None = fine).
    ``missing_words``: cell texts read as blank (``cleaning.missing_words``), except those
    the listing reads as an answer."""
    answers = _keys(lst.selected) | _keys(lst.not_selected) | {norm_label(v)
                                                                for v in lst.none_values}
    blank = frozenset({""} | {norm_label(w) for w in missing_words}) - answers
    return (_text if lst.column else _indicators)(raw, lst, blank)


def _summary(wave: str, column: str, n: int, issue: str) -> pd.DataFrame | None:
    if not n:
        return None
    return make_log(1, row="all", wave=wave, column=column,
                    original_value=f"{n} participants", issue=f"score missing: {issue}",
                    action="score_missing")


def _wave_matrix(long: pd.DataFrame, raw: pd.DataFrame, lst: GroupListing, wave: str,
                 missing_words, logs: list) -> pd.DataFrame:
    """The listing matrix of the long rows of ``wave`` (index = those rows)."""
    absent = [c for c in lst.raw_columns if c not in raw.columns]
    file = str(raw["_source_file"].iloc[0]) if len(raw) else "(empty file)"
    if absent:
        raise InputFileError(
            f"{file} (wave {wave}): no column(s) {absent} for the group listing "
            f"'{lst.key}' (config group_listings.{lst.key}). Check the export's column names, "
            f"or list only the waves that asked it (group_listings.{lst.key}.waves).")
    rows = long[long["wave"] == wave]
    src = raw.drop_duplicates("_source_row").set_index("_source_row")
    cells = src.loc[rows["_source_row"].to_numpy(), list(lst.raw_columns)]
    cells.index = rows.index
    matrix, issues = read_listing(cells, lst, missing_words)
    where = Where(rows["_source_file"].astype(str), rows["_source_row"], rows["pid"], wave)
    for c, iss in issues.items():
        logs.append(cell_log(where, c, cell_text(cells[c]).fillna("").astype(str), iss,
                             SET_MISSING))
    unanswered = matrix.isna().any(axis=1) & pd.concat(
        [i.isna() for i in issues.values()], axis=1).all(axis=1)
    logs.append(_summary(wave, f"{lst.key}_count", int(unanswered.sum()),
                         "group listing not answered (nothing ticked)"))
    return matrix


def add_listings(long: pd.DataFrame, raw: Mapping[str, pd.DataFrame],
                 listings: Mapping[str, GroupListing],
                 missing_words: Iterable[str] = ("",)) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The long table with every listing's derived columns (:data:`GroupListing.derived`; NaN
    at waves that did not ask it, and maintained / gained / lost NaN at entry) and their QC
    log. ``raw``: wave id -> the reader's data (rows found by ``_source_row``)."""
    out, logs = long.copy(), []
    for lst in listings.values():
        for name in lst.derived:
            out[name] = np.nan
        count, maint, gained, lost = lst.derived
        mats = {w: _wave_matrix(out, raw[w], lst, w, missing_words, logs) for w in lst.waves}
        for w, m in mats.items():
            out.loc[m.index, count] = m.sum(axis=1, min_count=1).where(m.notna().all(axis=1))
        first = mats[lst.waves[0]]
        entry = pd.DataFrame(first.to_numpy(), index=out.loc[first.index, "pid"].to_numpy())
        for w in lst.waves[1:]:
            m = mats[w]
            a = entry.reindex(out.loc[m.index, "pid"].to_numpy()).to_numpy(float)
            d = derive_changes(a, m.to_numpy(float))
            for name, key in ((maint, "maintained"), (gained, "gained"), (lost, "lost")):
                out.loc[m.index, name] = d[key]
            no_entry = np.isnan(a).any(axis=1) & ~m.isna().any(axis=1).to_numpy()
            logs.append(_summary(w, f"{lst.key}_maintained/_gained/_lost",
                                 int(no_entry.sum()), f"no group listing at entry "
                                 f"({lst.waves[0]}) to compare with"))
    return out, concat_logs([g for g in logs if g is not None])
