"""Row filters (``exclude_if``): drop rows by a condition on any column, each row logged.

Surveys hold rows that are not responses to analyse: unfinished ones (``Finished == 0``,
``Progress < 100``), previews and tests (``DistributionChannel == "preview"``) and failed
attention checks (``attn1 != 4``). ``cleaning.exclude_if`` (every wave) and
``waves[].exclude_if`` (one wave) list such conditions; :func:`parse_condition` reads one at
config validation time and :func:`apply_filters` drops the rows of a wave that match any of them,
logging each row ``row_dropped`` with the rule and the cell (``excluded by rule 'Finished == 0'
(Finished = 0)``).

Grammar: ``<column> <op> <value>`` with ``op`` one of ``== != < <= > >=`` and ``value`` a number
or a quoted string (single or double quotes); ``<column> in [v1, v2]`` and ``not in``. A column
name with spaces or operator signs is written in backticks (`` `Duration (in seconds)` < 60 ``).

How cells compare:

* against a **number**: where the cell reads as a number (white space ignored); a cell holding
  other text never matches and is logged ``flagged`` ("not a number: rule not applied");
* against a **string**: the cell's text, ignoring case and surrounding white space (Qualtrics
  writes ``preview``, an evaluator types ``"Preview"``);
* a **blank** cell never matches, whatever the operator (also ``!=`` and ``not in``): a blank
  ``Finished`` is not excluded. A blank says nothing about the row (an export option, a column
  added half-way through data collection), and excluding on it would drop rows silently for a
  reason the evaluator did not write. To exclude blanks, say so: ``attn1 == ""``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from pipeline.errors import ConfigError, InputFileError, closest_names
from pipeline.text import number_text

from .result import RawTable, log_entry

__all__ = ["Condition", "apply_filters", "parse_condition", "EXAMPLE"]

EXAMPLE = "Finished == 0, Progress < 100, DistributionChannel == \"preview\", attn1 not in [4]"
OPS = ("==", "!=", "<=", ">=", "<", ">", "in", "not in")
_COLUMN = r"(?:`(?P<bq>[^`]+)`|(?P<name>[^\s=!<>`\[\]'\"]+))"
_SIMPLE = re.compile(rf"^\s*{_COLUMN}\s*(?P<op>==|!=|<=|>=|<|>)\s*(?P<value>.+?)\s*$", re.S)
_LIST = re.compile(rf"^\s*{_COLUMN}\s+(?P<op>not\s+in|in)\s*\[(?P<values>.*)\]\s*$", re.S)
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_STRING = re.compile(r"""^(?:"(?P<d>[^"]*)"|'(?P<s>[^']*)')$""", re.S)
_ITEM = re.compile(r"""\s*("[^"]*"|'[^']*'|[^,\s]+)\s*(,|$)""")


@dataclass(frozen=True)
class Condition:
    """One parsed rule: ``column op value``; ``values`` holds one value (or a list for
    ``in``/``not in``), each a float or a str. ``text`` is the rule as configured."""

    column: str
    op: str
    values: tuple[float | str, ...]
    text: str = field(default="", compare=False)

    def __str__(self) -> str:
        col = self.column if re.fullmatch(r"[^\s=!<>`\[\]'\",]+", self.column) and \
            self.column not in ("in", "not") else f"`{self.column}`"
        vals = [_value_text(v) for v in self.values]
        if self.op in ("in", "not in"):
            return f"{col} {self.op} [{', '.join(vals)}]"
        return f"{col} {self.op} {vals[0]}"


def _value_text(v: float | str) -> str:
    if isinstance(v, str):
        return f"'{v}'" if '"' in v else f'"{v}"'
    return repr(int(v)) if float(v).is_integer() and abs(v) < 1e15 else repr(v)


def _refuse(key: str, text: str, why: str) -> ConfigError:
    return ConfigError(
        f"config key {key}: '{text}' is not a row filter ({why}). Write <column> <op> <value> "
        f"with op one of == != < <= > >= (or <column> in [a, b]), a number or a quoted "
        f"string as value, e.g. {EXAMPLE}."
    )


def _parse_value(token: str, *, key: str, text: str) -> float | str:
    token = token.strip()
    m = _STRING.match(token)
    if m:
        return m.group("d") if m.group("d") is not None else m.group("s")
    if _NUMBER.match(token):
        value = float(token)
        if math.isfinite(value):
            return value
    raise _refuse(key, text, f"the value {token!r} is neither a number nor a quoted string")


def _parse_list(body: str, *, key: str, text: str) -> tuple[float | str, ...]:
    values, pos = [], 0
    body = body.strip()
    while pos < len(body):
        m = _ITEM.match(body, pos)
        if not m or m.end() == pos:
            raise _refuse(key, text, "the list must be [value, value, ...]")
        values.append(_parse_value(m.group(1), key=key, text=text))
        pos = m.end()
    if not values:
        raise _refuse(key, text, "the list is empty")
    return tuple(values)


def parse_condition(text: Any, *, key: str) -> Condition:
    """Parse one ``exclude_if`` rule; a :class:`ConfigError` naming ``key`` if it is not one."""
    if not isinstance(text, str) or not text.strip():
        raise _refuse(key, str(text), "it is empty")
    m = _LIST.match(text)
    if m:
        op = "not in" if m.group("op").startswith("not") else "in"
        values = _parse_list(m.group("values"), key=key, text=text)
    else:
        m = _SIMPLE.match(text)
        if not m:
            raise _refuse(key, text, "no comparison operator between a column and a value")
        op = m.group("op")
        values = (_parse_value(m.group("value"), key=key, text=text),)
        if op in ("<", "<=", ">", ">=") and isinstance(values[0], str):
            raise _refuse(key, text, f"'{op}' compares numbers; the value is a string")
    column = (m.group("bq") if m.group("bq") is not None else m.group("name")).strip()
    if not column:
        raise _refuse(key, text, "no column name")
    return Condition(column=column, op=op, values=values, text=text.strip())


def _as_numbers(cells: pd.Series) -> pd.Series:
    """Cells as floats where they read as numbers (text stripped), else NaN."""
    if pd.api.types.is_bool_dtype(cells):
        return cells.astype(float)
    if pd.api.types.is_numeric_dtype(cells):
        return cells.astype(float)
    text = cells.map(lambda v: v.strip() if isinstance(v, str) else v)
    text = text.map(lambda v: float(v) if isinstance(v, bool) else v)
    return pd.to_numeric(text, errors="coerce").astype(float)


def _blank(cells: pd.Series) -> np.ndarray:
    return (cells.isna() | cells.map(lambda v: isinstance(v, str) and not v.strip())).to_numpy()


def _compare(cond: Condition, cells: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(rows matching the rule, non-blank rows holding text where a number was needed)."""
    blank = _blank(cells)
    nums = _as_numbers(cells).to_numpy()
    texts = np.asarray([number_text(v).strip().casefold() if not b else ""
                        for v, b in zip(cells.to_numpy(dtype=object), blank)], dtype=object)
    numeric = [float(v) for v in cond.values if not isinstance(v, str)]
    strings = [v.strip().casefold() for v in cond.values if isinstance(v, str)]
    want_blank = "" in strings
    strings = [v for v in strings if v]
    text_hit = np.isin(texts, strings) & ~blank if strings else np.zeros(len(cells), dtype=bool)
    not_number = ~blank & np.isnan(nums) & ~text_hit if numeric else np.zeros_like(blank)
    with np.errstate(invalid="ignore"):
        if cond.op in ("<", "<=", ">", ">="):
            compare = {"<": np.less, "<=": np.less_equal, ">": np.greater,
                       ">=": np.greater_equal}[cond.op]
            return compare(nums, numeric[0]) & ~blank, not_number
        equal = (np.isin(nums, numeric) & ~blank) | text_hit
    if cond.op in ("==", "in"):
        return equal | (blank & want_blank), not_number
    return ~equal & ~blank & ~not_number, not_number


def _missing_column(cond: Condition, columns: list[str], *, file: str, wave_id: str) -> None:
    close = closest_names(cond.column, columns)
    raise InputFileError(
        f"{file}: row filter '{cond.text}' (wave {wave_id}) names column '{cond.column}', which "
        "the file does not have"
        + (f" (closest: {', '.join(repr(c) for c in close)})" if close else "")
        + ". Fix the rule under exclude_if (cleaning.exclude_if applies to every wave's file; "
        "put a rule for one file under that wave's exclude_if)."
    )


def apply_filters(
    table: RawTable, conditions: tuple[Condition, ...], *, file: str, wave_id: str
) -> RawTable:
    """Drop the rows matching any rule (the first matching rule is logged); log text cells a
    numeric rule could not read (``flagged``). Rows dropped per rule: ``meta['excluded_by_rule']``.
    """
    if not conditions:
        return table
    df = table.data
    columns = [str(c) for c in df.columns]
    rows = np.asarray(table.rows)
    log = list(table.log)
    dropped = np.zeros(len(df), dtype=bool)
    counts: dict[str, int] = {}
    notes = list(table.meta.get("notes", []))
    for cond in conditions:
        if cond.column not in columns:
            _missing_column(cond, columns, file=file, wave_id=wave_id)
        cells = df[cond.column]
        hit, not_number = _compare(cond, cells)
        blank = int((_blank(cells) & ~hit & ~dropped).sum())
        if blank:
            notes.append(f"row filter '{cond.text}': {blank} row(s) with a blank '{cond.column}' "
                         "not excluded (a blank never matches a rule)")
        new = hit & ~dropped
        counts[cond.text] = int(new.sum())
        for i in np.flatnonzero(not_number & ~dropped):
            log.append(log_entry(file, int(rows[i]), cond.column, cells.iloc[i],
                                 f"rule '{cond.text}' not applied: not a number", "flagged"))
        for i in np.flatnonzero(new):
            value = number_text(cells.iloc[i])
            log.append(log_entry(file, int(rows[i]), cond.column, value,
                                 f"excluded by rule '{cond.text}' ({cond.column} = {value})",
                                 "row_dropped"))
        dropped |= new
    meta = dict(table.meta)
    meta["excluded_by_rule"] = counts
    meta["notes"] = notes
    return RawTable(df[~dropped].reset_index(drop=True), rows[~dropped], log, meta)
