"""Cross-file and whole-column checks that catch the wrong file before it is analysed.

Each function is pure. ``check_id_overlap``, ``check_same_file``, ``check_id_format`` and
``check_coding_shift`` raise :class:`InputFileError` listing every problem in one message;
``check_text_answers`` returns the list of problems (use :func:`raise_problems`);
``check_dates`` returns parsed dates with notes, or raises when the format cannot be decided.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pipeline.errors import InputFileError

MAX_EXAMPLES = 5


def raise_problems(problems: Sequence[str], *, file: str, what: str, advice: str) -> None:
    """Raise one InputFileError listing all ``problems`` (no-op when the list is empty)."""
    if problems:
        raise InputFileError(
            f"{file}: {len(problems)} {what}:\n  - " + "\n  - ".join(problems) + f"\n{advice}"
        )


def _id_set(ids: Iterable[Any]) -> set[str]:
    return {
        str(i).strip()
        for i in ids
        if i is not None and not (isinstance(i, float) and math.isnan(i)) and str(i).strip()
    }


def check_id_overlap(
    baseline_ids: Iterable[Any],
    followup_ids: Iterable[Any],
    *,
    file: str,
    wave_id: str,
    threshold: float = 0.2,
) -> float:
    """Refuse a follow-up file whose ids barely overlap the baseline's; return the overlap.

    Overlap = share of the follow-up's distinct ids also seen at baseline. Below
    ``threshold`` (config ``cleaning.min_id_overlap``) the file is most likely another
    cohort's or another programme's export.
    """
    base, follow = _id_set(baseline_ids), _id_set(followup_ids)
    if not follow:
        return 1.0
    shared = len(follow & base)
    share = shared / len(follow)
    if share < threshold:
        raise InputFileError(
            f"{file}: only {shared} of wave {wave_id}'s {len(follow)} participant ids "
            f"({share:.0%}) appear at baseline ({len(base)} ids); at least {threshold:.0%} are "
            f"expected. This looks like another cohort's file. Examples of wave {wave_id} ids: "
            f"{', '.join(sorted(follow - base)[:MAX_EXAMPLES])}. Check that the right export is "
            "in data/raw/ (or lower cleaning.min_id_overlap if this is expected)."
        )
    return share


def file_hash(path: str | Path, chunk: int = 1 << 20) -> str:
    """SHA-256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


def check_same_file(waves: Sequence[tuple[str, str | Path]]) -> None:
    """Refuse when two waves are given byte-identical files (same content hash).

    Waves read from one long file (REDCap ``event``) share a path on purpose: leave them out.
    Missing paths are skipped (the reader reports them).
    """
    by_hash: dict[str, list[tuple[str, str]]] = {}
    for wave_id, path in waves:
        if Path(path).is_file():
            by_hash.setdefault(file_hash(path), []).append((wave_id, Path(path).name))
    problems = [
        " and ".join(f"wave {w} ({name})" for w, name in group) + " have identical content"
        for group in by_hash.values()
        if len(group) > 1
    ]
    if problems:
        raise InputFileError(
            "the same file was given for more than one wave: " + "; ".join(problems) + ". A "
            "copy was probably saved under a new name: put each wave's own export in data/raw/."
        )


def id_shape(i: str) -> str:
    """The pattern of an id: digits -> 9, letters -> A (e.g. "SP-0012" -> "AA-9999")."""
    return re.sub(r"[A-Za-z]", "A", re.sub(r"\d", "9", str(i).strip()))


def _digits(i: str) -> str | None:
    d = re.sub(r"\D", "", i)
    return str(int(d)) if d else None


def check_id_format(
    baseline_ids: Iterable[Any],
    followup_ids: Iterable[Any],
    *,
    file: str,
    wave_id: str,
    min_share: float = 0.5,
) -> None:
    """Refuse a follow-up whose ids are written differently from the baseline's.

    Compares id shapes (digits -> 9, letters -> A). When fewer than ``min_share`` of the
    follow-up's ids have a shape seen at baseline, the message gives examples of both and,
    when the numbers inside match, says how they differ (e.g. prefix and zeros dropped).
    """
    base, follow = _id_set(baseline_ids), _id_set(followup_ids)
    if not base or not follow:
        return
    base_shapes = {id_shape(i) for i in base}
    same = sum(1 for i in follow if id_shape(i) in base_shapes)
    if same / len(follow) >= min_share:
        return
    base_digits = {_digits(i) for i in base} - {None}
    follow_digits = [_digits(i) for i in follow]
    numeric_match = sum(1 for d in follow_digits if d in base_digits) / len(follow)
    ex_b = ", ".join(f"'{i}'" for i in sorted(base)[:3])
    ex_f = ", ".join(f"'{i}'" for i in sorted(follow)[:3])
    hint = (
        f" The numbers match ({numeric_match:.0%} of wave {wave_id}'s ids equal a baseline id "
        "once letters, punctuation and leading zeros are ignored), so the id format changed "
        "(e.g. a prefix or leading zeros were lost, often by Excel)."
        if numeric_match >= min_share
        else ""
    )
    raise InputFileError(
        f"{file}: wave {wave_id}'s participant ids are written differently from baseline: "
        f"baseline ids look like {ex_b}, wave {wave_id} ids look like {ex_f} (only "
        f"{same} of {len(follow)} share a baseline id pattern).{hint} Re-export wave {wave_id} "
        "with the ids exactly as at baseline (format the id column as Text), or fix the ids in "
        "the export, then run again."
    )


def check_coding_shift(values: pd.Series, *, column: str, file: str, lo: float, hi: float,
                       min_share: float = 0.05) -> None:
    """Refuse an item whose numeric codes look shifted by one against the configured range.

    Shift down (e.g. 0-6 for a 1-7 item): at least max(3, ``min_share``) of the answers equal
    ``lo - 1`` and none equal ``hi``. The ingest stage also runs it on all items of a scale
    pooled (``min_share`` 1%), which catches a recoded scale whose items each have few zeros. Shift up is symmetric. A few out-of-range values alongside ``hi`` answers are
    not a shift (the cleaner sets them missing, logged).
    """
    v = pd.to_numeric(pd.Series(values, dtype=object), errors="coerce").dropna()
    n = len(v)
    if n < 5:
        return
    need = max(3, math.ceil(min_share * n))
    below, above = int((v == lo - 1).sum()), int((v == hi + 1).sum())
    at_lo, at_hi = int((v == lo).sum()), int((v == hi).sum())
    if below >= need and at_hi == 0:
        found, direction = f"{_num(v.min())}-{_num(v.max())}", (below, lo - 1, hi)
    elif above >= need and at_lo == 0:
        found, direction = f"{_num(v.min())}-{_num(v.max())}", (above, hi + 1, lo)
    else:
        return
    count, edge, absent = direction
    raise InputFileError(
        f"{file}, column '{column}': answers run {found} ({count} of {n} answers are "
        f"{_num(edge)}, none is {_num(absent)}) but the configured range is {_num(lo)}-{_num(hi)}: "
        "the coding looks shifted by one. Re-export with the same codes as the other waves "
        "(check the survey tool's recode values), then run again."
    )


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


_ISO = re.compile(
    r"^\s*(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})"
    r"(?:[T ](?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:\.\d+)?)?)?\s*(?:Z|[+-]\d{2}:?\d{2})?\s*$"
)
_SLASH = re.compile(
    r"^\s*(?P<a>\d{1,2})[/.\-](?P<b>\d{1,2})[/.\-](?P<y>\d{4}|\d{2})"
    r"(?:[ T,]+(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2}))?)?\s*$"
)


@dataclass(frozen=True)
class DateCheck:
    """Parsed completion dates: ``dates`` (NaT where blank or unparseable), the order used
    ('iso', 'dmy', 'mdy', 'datetime', 'none'), notes, and the unparseable values by index."""

    dates: pd.Series
    order: str
    notes: list[str] = field(default_factory=list)
    unparsed: dict[Any, str] = field(default_factory=dict)


def check_dates(
    series: pd.Series, *, column: str, file: str, dayfirst: bool | None = None
) -> DateCheck:
    """Parse a completion-date column written as ISO, day-first or month-first text.

    Decided from the data: a first number above 12 proves day-first, a second number above 12
    proves month-first. Both in one column -> refuse (mixed formats). Neither (every day <= 12)
    -> ambiguous: refuse unless ``dayfirst`` is given (config ``date_order``). ISO values may
    mix with one decided order (noted). Values already stored as dates (Excel, SPSS) are kept.
    Unparseable values become NaT and are returned in ``unparsed`` (with a note) for logging.
    """
    s = pd.Series(series, dtype=object)
    out = pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns]")
    notes: list[str] = []
    is_dt = s.map(lambda v: isinstance(v, (pd.Timestamp, np.datetime64)) or hasattr(v, "year"))
    if is_dt.any():
        out[is_dt] = pd.to_datetime(s[is_dt].astype(object), errors="coerce")
    text = s[~is_dt & s.notna()].astype(str)
    text = text[text.str.strip() != ""]
    iso = text.str.extract(_ISO)
    slash = text.str.extract(_SLASH)
    is_iso = iso["y"].notna()
    is_slash = slash["a"].notna() & ~is_iso
    order = "datetime" if is_dt.any() else "none"
    if is_iso.any():
        out[is_iso[is_iso].index] = _assemble(iso[is_iso], "y", "m", "d")
        order = "iso"
    if is_slash.any():
        sl = slash[is_slash]
        use_dayfirst, order_notes = _slash_order(
            text[sl.index], sl, dayfirst, column=column, file=file
        )
        notes += order_notes
        day, month = ("a", "b") if use_dayfirst else ("b", "a")
        years = sl["y"].astype(int)
        if (sl["y"].str.len() == 2).any():
            sl = sl.assign(
                y=np.where(years < 70, years + 2000, np.where(years < 100, years + 1900, years))
            )
            notes.append(f"'{column}': two-digit years read as 19xx (>= 70) or 20xx (< 70)")
        out[sl.index] = _assemble(sl, "y", month, day)
        if order == "iso":
            notes.append(
                f"'{column}': mixed ISO and {'dmy' if use_dayfirst else 'mdy'} dates, both read"
            )
        order = "dmy" if use_dayfirst else "mdy"
    bad_idx = [i for i in text.index if pd.isna(out[i])]
    unparsed = {i: text[i] for i in bad_idx}
    if unparsed:
        ex = ", ".join(repr(v) for v in list(unparsed.values())[:MAX_EXAMPLES])
        notes.append(
            f"'{column}': {len(unparsed)} value(s) are not dates and are set missing: {ex}"
        )
    return DateCheck(dates=out, order=order, notes=notes, unparsed=unparsed)


def _slash_order(
    text: pd.Series, parts: pd.DataFrame, dayfirst: bool | None, *, column: str, file: str
) -> tuple[bool, list[str]]:
    """Decide day-first (True) or month-first for d/m/y-or-m/d/y text; refuse when impossible."""
    a, b = parts["a"].astype(int), parts["b"].astype(int)
    day_first_ex = text[a > 12].tolist()
    month_first_ex = text[b > 12].tolist()
    if day_first_ex and month_first_ex:
        raise InputFileError(
            f"{file}, column '{column}': dates are written in mixed orders: day first "
            f"(e.g. {', '.join(day_first_ex[:2])}) and month first (e.g. "
            f"{', '.join(month_first_ex[:2])}). Re-export the dates in one format (preferably "
            "YYYY-MM-DD), then run again."
        )
    if day_first_ex or month_first_ex:
        seen = bool(day_first_ex)
        if dayfirst is not None and dayfirst != seen:
            example = (day_first_ex or month_first_ex)[0]
            raise InputFileError(
                f"{file}, column '{column}': the configured date order is "
                f"{'day' if dayfirst else 'month'} first, but dates such as {example} can only "
                f"be {'day' if seen else 'month'} first. Fix date_order in the config."
            )
        return seen, []
    if dayfirst is None:
        raise InputFileError(
            f"{file}, column '{column}': dates such as {', '.join(text.iloc[:3])} could be "
            "day/month or month/day (no day is above 12). Set the wave's date_order "
            "(dmy or mdy) in config/config.yaml, or re-export the dates as YYYY-MM-DD."
        )
    order = "dmy" if dayfirst else "mdy"
    return dayfirst, [
        f"'{column}': day/month order undecidable from the data; configured {order} used"
    ]


def _assemble(parts: pd.DataFrame, y: str, m: str, d: str) -> pd.Series:
    frame = pd.DataFrame(
        {
            "year": pd.to_numeric(parts[y]),
            "month": pd.to_numeric(parts[m]),
            "day": pd.to_numeric(parts[d]),
            "hour": pd.to_numeric(parts.get("H"), errors="coerce") if "H" in parts else 0,
            "minute": pd.to_numeric(parts.get("M"), errors="coerce") if "M" in parts else 0,
            "second": pd.to_numeric(parts.get("S"), errors="coerce") if "S" in parts else 0,
        },
        index=parts.index,
    ).fillna({"hour": 0, "minute": 0, "second": 0})
    return pd.to_datetime(frame, errors="coerce")


def check_text_answers(
    df: pd.DataFrame,
    label_maps_by_column: dict[str, dict[str, float]],
    *,
    row_column: str = "_source_row",
) -> list[str]:
    """Every text answer that is not in its column's label map, one problem per value.

    Matching ignores case and surrounding white space (as the cleaner does); numbers (codes)
    and blanks are not text answers. Each problem names the column, the value, how often it
    occurs and the rows (from ``row_column`` when present, else the index).
    """
    problems: list[str] = []
    for col, label_map in label_maps_by_column.items():
        if col not in df.columns:
            continue
        from pipeline.clean.values import MISSING_TOKENS

        def norm(x: pd.Series) -> pd.Series:  # as the cleaner matches: case, outer/inner spaces
            return x.str.strip().str.replace(r"\s+", " ", regex=True).str.casefold()

        known = set(norm(pd.Series([str(k) for k in label_map], dtype=object)))
        known |= set(MISSING_TOKENS)  # "n/a", "NA", "-" ... are missing answers, not labels
        s = df[col].dropna()
        s = s[s.map(lambda v: isinstance(v, str))].astype(str)
        s = s[s.str.strip() != ""]
        s = s[pd.to_numeric(s.str.strip(), errors="coerce").isna()]
        unknown = s[~norm(s).isin(known)]
        if unknown.empty:
            continue
        rows = (
            df.loc[unknown.index, row_column]
            if row_column in df.columns
            else pd.Series(unknown.index, index=unknown.index)
        )
        for value, idx in unknown.groupby(unknown, sort=True).groups.items():
            r = [str(x) for x in rows.loc[idx].tolist()]
            shown = ", ".join(r[:10]) + (f" and {len(r) - 10} more" if len(r) > 10 else "")
            problems.append(
                f"column '{col}': '{value}' ({len(r)}x, rows {shown}) is not in the label map"
            )
    return problems
