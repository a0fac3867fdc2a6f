"""Header checks: duplicate names, the id column, configured items; safe renames."""

from __future__ import annotations

import re
from collections import Counter

from pipeline.errors import InputFileError, closest_names


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
        f"column in the export or set 'id_column' in config/config.yaml (or map it for this wave "
        f"with waves[{wave_id}].column_map: {{<name in file>: {id_column}}})."
    )


def refuse_missing_items(
    missing: list[str], available: list[str], *, file: str, wave_id: str
) -> None:
    """Raise listing ALL missing configured columns, each with its likely match."""
    if not missing:
        return
    avail = [str(a) for a in available]
    lines = []
    for m in missing:
        close = closest_names(m, avail)
        lines.append(
            f"'{m}'" + (f" (likely match: '{close[0]}')" if close else " (no similar column)")
        )
    raise InputFileError(
        f"{file}: wave {wave_id} file lacks {len(missing)} configured column(s): "
        + "; ".join(lines)
        + ". If a column was renamed in this wave's export, add it to the wave's 'column_map' in "
        "config/config.yaml (e.g. column_map: {<name in file>: <configured name>}); if an item "
        "was not asked in this wave, remove it from the scale or export it as an empty column."
    )
