"""Header checks: duplicate names, the id column, configured items; safe renames."""

from __future__ import annotations

import difflib
import re
from collections import Counter

from pipeline.errors import InputFileError, closest_names, config_name


def duplicate_names(names: list[str]) -> list[str]:
    """Column names that occur more than once (ignoring empty names), in first-seen order."""
    counts = Counter(n for n in names if n not in ("", None))
    return [n for n in dict.fromkeys(names) if counts.get(n, 0) > 1]


def refuse_duplicates(names: list[str], *, file: str, where: str = "header (line 1)") -> None:
    """Raise when ``names`` repeat; the message lists every duplicate and its positions."""
    dups = duplicate_names(names)
    if not dups:
        return
    parts = []
    for d in dups:
        cols = [_col_letter(i) for i, n in enumerate(names) if n == d]
        parts.append(f"'{d}' (columns {', '.join(cols)})")
    raise InputFileError(
        f"{file}: the {where} has duplicate column names: {'; '.join(parts)}. Each column needs "
        "a unique name: rename or delete the extra columns in the export, then run again."
    )


def _col_letter(i: int) -> str:
    """Spreadsheet column letter for 0-based index ``i`` (0 -> A, 26 -> AA)."""
    s = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        s = chr(65 + r) + s
    return s


def _norm(name: str) -> str:
    return re.sub(r"\s+", " ", str(name)).strip().lower()


def match_columns(available: list[str], wanted: list[str]) -> tuple[dict[str, str], list[str]]:
    """Map each wanted name to an available column.

    Exact matches first; otherwise a unique match ignoring case and surrounding/extra white
    space (a safe recovery the caller logs). Returns ``(renames raw->wanted, missing)``.
    """
    avail = set(available)
    by_norm: dict[str, list[str]] = {}
    for a in available:
        by_norm.setdefault(_norm(a), []).append(a)
    renames: dict[str, str] = {}
    missing: list[str] = []
    for w in wanted:
        if w in avail:
            continue
        cands = [c for c in by_norm.get(_norm(w), []) if c not in wanted]
        if len(cands) == 1:
            renames[cands[0]] = w
        else:
            missing.append(w)
    return renames, missing


def refuse_missing_id(id_column: str, available: list[str], *, file: str, wave_id: str) -> None:
    """Raise: the id column is absent (suggest the closest names)."""
    close = closest_names(id_column, [str(a) for a in available])
    hint = f" Closest column names: {', '.join(repr(c) for c in close)}." if close else ""
    raise InputFileError(
        f"{file}: wave {wave_id} file has no id column '{id_column}'.{hint} Either rename the "
        f"column in the export or set 'id_column' in {config_name()} (or map it for this wave "
        f"with waves[{wave_id}].column_map: {{<name in file>: {id_column}}})."
    )


SUGGEST_CUTOFF = 0.6
"""Least difflib similarity (case-insensitive) for a column to be offered as a likely match:
``sup_3`` for ``sup3`` (0.89) or ``GM1_T2`` for ``gm1`` (0.67) are, ``religion`` for ``lon1``
(0.5) is not. Below it, a column is still offered when it starts with the name's letters and
ends with its number (``loneliness1`` for ``lon1``)."""

_STEM_NUMBER = re.compile(r"^([a-z]+)[^a-z0-9]*(\d+)$")


def _abbreviates(name: str, candidate: str) -> bool:
    """``name`` = letters + number (``lon1``) and ``candidate`` starts with those letters and
    ends with that number (``loneliness1``, ``lon_item_1``)."""
    m = _STEM_NUMBER.match(name)
    if not m:
        return False
    compact = re.sub(r"[^a-z0-9]", "", candidate)
    ends_with_number = re.search(rf"(?<!\d){m.group(2)}$", compact) is not None
    return compact.startswith(m.group(1)) and ends_with_number


def likely_match(name: str, candidates: list[str]) -> str | None:
    """The candidate most similar to ``name`` (case-insensitive) that is similar enough
    (:data:`SUGGEST_CUTOFF`) or abbreviated by it; None when there is none."""
    key = name.lower()
    best: tuple[float, str] | None = None
    for c in dict.fromkeys(str(c) for c in candidates):
        low = c.lower()
        ratio = difflib.SequenceMatcher(None, key, low).ratio()
        similar = ratio >= SUGGEST_CUTOFF or _abbreviates(key, low)
        if similar and (best is None or ratio > best[0]):
            best = (ratio, c)
    return best[1] if best else None


def refuse_missing_items(
    missing: list[str],
    available: list[str],
    *,
    file: str,
    wave_id: str,
    configured: list[str] | None = None,
) -> None:
    """Raise listing ALL missing configured columns, each with its likely match.

    A likely match is only offered among the file's columns that are not themselves
    ``configured`` (``sup4`` is never the match for a missing ``sup3``), and only when similar
    enough (:data:`SUGGEST_CUTOFF`).
    """
    if not missing:
        return
    taken = set(configured or []) | set(missing)
    avail = [str(a) for a in available if str(a) not in taken]
    lines = []
    for m in missing:
        match = likely_match(m, avail)
        close = [match] if match else []
        lines.append(
            f"'{m}'" + (f" (likely match: '{close[0]}')" if close else " (no similar column)")
        )
    raise InputFileError(
        f"{file}: wave {wave_id} file lacks {len(missing)} configured column(s): "
        + "; ".join(lines)
        + ". If a column was renamed in this wave's export, add it to the wave's 'column_map' in "
        f"{config_name()} (e.g. column_map: {{<name in file>: <configured name>}}); if an item "
        "was not asked in this wave, remove it from the scale or export it as an empty column."
    )
