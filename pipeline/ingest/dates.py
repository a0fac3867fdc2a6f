"""Completion dates of a wave: parse the text the survey tool wrote, decide day/month order.

:func:`check_dates` parses one column (pure); :func:`read_wave_dates` applies it to a wave's
data and returns what the ingest stage stores (dates as ISO text, log records, meta).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from pipeline.config import Wave
from pipeline.errors import InputFileError, config_name

from .result import SOURCE_ROW, ReadResult, log_entry

__all__ = ["DateCheck", "check_dates", "read_wave_dates"]

MAX_EXAMPLES = 5
DATE_ORDERS = {"dmy": True, "mdy": False}
"""Config ``waves[].date_order`` -> ``dayfirst``."""


_ISO = re.compile(
    r"^\s*(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})"
    r"(?:[T ](?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:\.\d+)?)?)?"
    r"\s*(?:Z|[+-]\d{2}:?\d{2})?\s*$"
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
    reasons: dict[Any, str] = field(default_factory=dict)
    """Why each ``unparsed`` value was set missing (absent: "not a date")."""


def check_dates(
    series: pd.Series,
    *,
    column: str,
    file: str,
    dayfirst: bool | None = None,
    rows: pd.Series | None = None,
) -> DateCheck:
    """Parse a completion-date column written as ISO, day-first or month-first text.

    Decided from the data: a first number above 12 proves day-first, a second number above 12
    proves month-first. Both in one column -> refuse (mixed formats). Neither (every day <= 12)
    -> ambiguous: refuse unless ``dayfirst`` is given (config ``date_order``). ISO values may
    mix with one decided order (noted). Values already stored as dates (Excel, SPSS) are kept.
    Unparseable values become NaT and are returned in ``unparsed`` (with a note) for logging;
    so do dates outside what pandas can hold (before 1677-09-21 or after 2262-04-11: a typed
    year 0019 or 2300), with the reason in ``reasons``. ``rows`` (same index: the row numbers a
    person sees) lets messages point at example rows.
    """
    s = pd.Series(series, dtype=object)
    out = pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns]")
    notes: list[str] = []
    reasons: dict[Any, str] = {}
    unparsed: dict[Any, str] = {}
    is_dt = s.map(lambda v: isinstance(v, (pd.Timestamp, np.datetime64)) or hasattr(v, "year"))
    if is_dt.any():
        try:  # vectorised; one value outside pandas' range -> value by value
            out[is_dt] = pd.to_datetime(s[is_dt].astype(object)).astype("datetime64[ns]")
        except (OverflowError, ValueError):  # OutOfBoundsDatetime is a ValueError
            for i in s.index[is_dt.to_numpy()]:
                stamp = _stored_date(s[i])
                if stamp is None:
                    unparsed[i], reasons[i] = str(s[i]), _OUT_OF_RANGE
                else:
                    out[i] = stamp
    text = s[~is_dt & s.notna()].astype(str)
    text = text[text.str.strip() != ""]
    iso = text.str.extract(_ISO)
    slash = text.str.extract(_SLASH)
    out_of_range: set[Any] = set()
    is_iso = iso["y"].notna()
    is_slash = slash["a"].notna() & ~is_iso
    order = "datetime" if is_dt.any() else "none"
    if is_iso.any():
        out[is_iso[is_iso].index] = _assemble(iso[is_iso], "y", "m", "d", out_of_range)
        order = "iso"
    if is_slash.any():
        sl = slash[is_slash]
        use_dayfirst, order_notes = _slash_order(
            text[sl.index], sl, dayfirst, column=column, file=file, rows=rows
        )
        notes += order_notes
        day, month = ("a", "b") if use_dayfirst else ("b", "a")
        years = sl["y"].astype(int)
        if (sl["y"].str.len() == 2).any():
            sl = sl.assign(
                y=np.where(years < 70, years + 2000, np.where(years < 100, years + 1900, years))
            )
            notes.append(f"'{column}': two-digit years read as 19xx (>= 70) or 20xx (< 70)")
        out[sl.index] = _assemble(sl, "y", month, day, out_of_range)
        if order == "iso":
            notes.append(
                f"'{column}': mixed ISO and {'dmy' if use_dayfirst else 'mdy'} dates, both read"
            )
        order = "dmy" if use_dayfirst else "mdy"
    for i in text.index:
        if pd.isna(out[i]):
            unparsed[i] = text[i]
            if i in out_of_range:
                reasons[i] = _OUT_OF_RANGE
    if unparsed:
        ex = ", ".join(repr(v) for v in list(unparsed.values())[:MAX_EXAMPLES])
        notes.append(
            f"'{column}': {len(unparsed)} value(s) are not dates (or are out of the supported "
            f"range 1677-2262) and are set missing: {ex}"
        )
    return DateCheck(dates=out, order=order, notes=notes, unparsed=unparsed, reasons=reasons)


def _slash_order(
    text: pd.Series,
    parts: pd.DataFrame,
    dayfirst: bool | None,
    *,
    column: str,
    file: str,
    rows: pd.Series | None = None,
) -> tuple[bool, list[str]]:
    """Decide day-first (True) or month-first for d/m/y-or-m/d/y text; refuse when impossible.

    Examples in the messages carry their row numbers when ``rows`` is given."""
    a, b = parts["a"].astype(int), parts["b"].astype(int)

    def shown(sel: pd.Series) -> list[str]:
        vals = text[sel]
        if rows is None:
            return vals.tolist()
        return [f"{v} (row {int(rows[i])})" for i, v in vals.items()]

    day_first_ex = shown(a > 12)
    month_first_ex = shown(b > 12)
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
            f"{file}, column '{column}': dates such as "
            f"{', '.join(shown(pd.Series(True, index=text.index))[:3])} could be "
            "day/month or month/day (no day is above 12). Set the wave's date_order "
            f"(dmy or mdy) in {config_name()}, or re-export the dates as YYYY-MM-DD."
        )
    order = "dmy" if dayfirst else "mdy"
    return dayfirst, [
        f"'{column}': day/month order undecidable from the data; configured {order} used"
    ]


_OUT_OF_RANGE = "date out of the supported range (1677-09-21 to 2262-04-11)"
_TS_MIN, _TS_MAX = pd.Timestamp.min, pd.Timestamp.max


def _stored_date(v: Any) -> pd.Timestamp | None:
    """A date stored as a date (Excel, SPSS, Stata) as a nanosecond Timestamp; None when it
    lies outside what pandas can hold (e.g. year 19 or 2300)."""
    try:
        stamp = pd.Timestamp(v)
        return None if stamp < _TS_MIN or stamp > _TS_MAX else stamp.as_unit("ns")
    except (OverflowError, ValueError):  # OutOfBoundsDatetime is a ValueError
        return None


def _assemble(
    parts: pd.DataFrame, y: str, m: str, d: str, out_of_range: set[Any] | None = None
) -> pd.Series:
    """Dates from year/month/day parts (NaT where impossible); indexes of dates outside
    pandas' range are added to ``out_of_range`` and set NaT."""
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
    year = frame["year"]
    outside = (year < _TS_MIN.year) | (year > _TS_MAX.year)
    edge = (year == _TS_MIN.year) | (year == _TS_MAX.year)
    if edge.any():  # the first/last year is only partly representable: test the date itself
        for i in frame.index[edge.to_numpy()]:
            r = frame.loc[i].astype(int)
            try:
                stamp = pd.Timestamp(year=r["year"], month=r["month"], day=r["day"],
                                     hour=r["hour"], minute=r["minute"], second=r["second"])
            except (OverflowError, ValueError):
                continue  # not a date at all (e.g. month 13): NaT, "not a date"
            outside[i] = bool(stamp < _TS_MIN or stamp > _TS_MAX)
    if out_of_range is not None:
        out_of_range.update(frame.index[outside.to_numpy()])
    frame.loc[outside, "year"] = 2000  # placeholder, set NaT below
    dates = pd.to_datetime(frame, errors="coerce").astype("datetime64[ns]")
    return dates.mask(outside)



def read_wave_dates(result: ReadResult, wave: Wave, *, file: str) -> None:
    """Parse ``wave.date_column`` of ``result.data`` in place (:func:`check_dates`, with the
    configured ``date_order``): dates become ``"YYYY-mm-dd HH:MM:SS"`` text, unparseable values
    are logged ``set_missing`` ("not a date"), the order used and the notes go to the meta."""
    data, column = result.data, wave.date_column
    if not column:
        return
    dc = check_dates(data[column], column=column, file=file,
                     dayfirst=DATE_ORDERS.get(wave.date_order or ""), rows=data[SOURCE_ROW])
    result.add_log([
        log_entry(file, int(data.loc[i, SOURCE_ROW]), column, v,
                  dc.reasons.get(i, "not a date"), "set_missing")
        for i, v in dc.unparsed.items()
    ])
    data[column] = pd.to_datetime(dc.dates).dt.strftime("%Y-%m-%d %H:%M:%S")
    result.meta["date_order"] = dc.order
    result.meta.setdefault("notes", []).extend(dc.notes)
