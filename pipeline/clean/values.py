"""Cell-level cleaners: parse, decode, range-check and reverse-key item, covariate and date cells.

Each cleaner is a pure, vectorised function of one raw column. It returns the cleaned values and,
aligned with them, an ``issue`` Series that is ``<NA>`` where the cell was kept as parsed and
names the problem where the cell was set to missing. ``pipeline.clean.cleaner`` turns issues
into QC-log rows.

Parsing rule (all columns): a number (from XLSX/SPSS) is kept as is; text is stripped, and is
*blank* if empty or one of the "no answer" words (config ``cleaning.missing_words``, default
:data:`pipeline.text.MISSING_TOKENS`: ``"n/a"``, ``"NA"``, ``"."``, ...; compared
case-insensitively) -- blank cells are missing, not errors. Other text is read as a number
(``" 7"``, ``"3.0"``) or else looked up in the label map with case and white space ignored
(``"strongly AGREE "`` -> 7): :func:`pipeline.text.norm_text`.

A wave exported on other codes (``scales.<k>.range_by_wave``, e.g. ``{T1: [0, 6]}`` for a 1-7
scale) has its numbers shifted onto the scale's range (``x - wave_lo + lo``) before the range
check and reverse keying; text labels are decoded by the label map straight to the configured
codes and are not shifted. Categorical covariates: :mod:`pipeline.clean.covariates`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from pipeline.config import Covariate, Scale
from pipeline.text import missing_keys, norm_label, norm_text, number_texts

ISSUE_LABEL = "text not in label map"
ISSUE_NOT_NUMBER = "not a number"
ISSUE_MISSING_CODE = "missing code"
ISSUE_RANGE = "out of range"
ISSUE_NON_INTEGER = "non-integer value on integer-coded scale"
ISSUE_DATE = "unparseable date"


@dataclass(frozen=True)
class ParsedCells:
    """Result of :func:`parse_cells` (all Series share the raw column's index).

    ``value``: float, NaN where missing/unparsed; ``kind``: one of ``blank``, ``token`` (a
    missing-value word such as "n/a"), ``number``, ``label`` (decoded via the label map),
    ``unparsed`` (text that is neither); ``text``: the raw cell as text (for the log).
    """

    value: pd.Series
    kind: pd.Series
    text: pd.Series
    shifted: pd.Series | None = None
    """Set by :func:`clean_item` when the wave has its own range: the cells shifted onto the
    scale's range (numbers that are not missing codes)."""


@dataclass(frozen=True)
class Reading:
    """How one wave's answers are read: the "no answer" words (``None``: the default
    :data:`pipeline.text.MISSING_TOKENS`) and the file's SPSS/Stata value labels (column ->
    {code: label}, as in the ingest read meta; used for categorical covariates)."""

    missing_words: tuple[str, ...] | None = None
    value_labels: Mapping[str, Mapping[Any, str]] = field(default_factory=dict)


def cell_text(raw: pd.Series) -> pd.Series:
    """The raw cells as ``string`` (for ids and the QC log); integral numbers lose ``.0``
    (``99.0`` -> ``"99"``, ``1001.0`` -> ``"1001"``)."""
    if pd.api.types.is_numeric_dtype(raw.dtype) and not pd.api.types.is_bool_dtype(raw.dtype):
        return number_texts(raw)  # numbers beyond 2**53 as written, never cast to int64
    return raw.astype("string")


def parse_cells(raw: pd.Series, label_map: dict[str, float] | None = None,
                missing_words: tuple[str, ...] | None = None) -> ParsedCells:
    """Parse one raw column to floats (see module docstring for the rule).

    Text columns are parsed once per distinct cell text and spread back to the rows: the rule
    is cell by cell, and an answer column holds a few distinct texts (at 100,000 rows the
    per-row text work was most of the clean stage)."""
    text = cell_text(raw)
    if pd.api.types.is_numeric_dtype(raw.dtype) and not pd.api.types.is_bool_dtype(raw.dtype):
        value = raw.astype(float)
        kind = pd.Series(np.where(value.notna(), "number", "blank"), index=raw.index, dtype=object)
        return ParsedCells(value, kind, text)
    codes, uniques = pd.factorize(text, use_na_sentinel=True)
    distinct = pd.Series(pd.array([*uniques, pd.NA], dtype="string"))  # the last: missing
    at = np.where(codes < 0, len(uniques), codes)
    value, kind = _parse_text(distinct, label_map, missing_words)
    return ParsedCells(pd.Series(value[at], index=raw.index, dtype=float, name=text.name),
                       pd.Series(kind[at], index=raw.index, dtype=object), text)


def _parse_text(text: pd.Series, label_map: dict[str, float] | None,
                missing_words: tuple[str, ...] | None) -> tuple[np.ndarray, np.ndarray]:
    """(values, kinds) of text cells (``string`` dtype), as :func:`parse_cells` defines them."""
    key = norm_text(text)
    # labels mapped to null in the config mean "no answer" (e.g. "Prefer not to say")
    null_labels = [norm_label(k) for k, v in (label_map or {}).items() if v is None]
    words = list(missing_keys(missing_words))
    blank = key.isna() | key.isin(words + null_labels).fillna(False)
    is_token = blank & key.notna() & (key != "")
    num = pd.to_numeric(text.str.strip().where(~blank), errors="coerce").astype(float)
    lm = {norm_label(k): float(v) for k, v in (label_map or {}).items() if v is not None}
    lab = key.where(~blank & num.isna()).map(lm).astype(float)
    value = num.fillna(lab)
    kind = np.select(
        [blank & ~is_token, is_token, num.notna(), lab.notna()],
        ["blank", "token", "number", "label"],
        default="unparsed",
    )
    return value.to_numpy(dtype=float), np.asarray(kind, dtype=object)


def is_integer_coded(scale: Scale) -> bool:
    """A scale is integer-coded when it has a label map whose codes are all whole numbers
    (Likert items); then 3.5 is not a valid answer. Scales without a label map (e.g. EQ VAS)
    accept any number in range."""
    if not scale.label_map:
        return False
    return all(float(v).is_integer() for v in scale.label_map.values())


def _first_issue(conds: list[tuple[pd.Series, str]], index: pd.Index) -> pd.Series:
    """``issue`` Series: the text of the first true condition per cell, else <NA>."""
    out = pd.Series(pd.NA, index=index, dtype="string")
    for mask, text in reversed(conds):
        out = out.mask(mask.fillna(False).to_numpy(dtype=bool), text)
    return out


def clean_item(raw: pd.Series, scale: Scale, *, wave: str | None = None,
               missing_words: tuple[str, ...] | None = None
               ) -> tuple[pd.Series, pd.Series, ParsedCells]:
    """Clean one item column of ``scale`` in wave ``wave``: returns (values, issues, parsed).

    Set to missing (with an issue): text neither a number nor a label; a configured
    ``missing_codes`` value (as written in the file); a value outside ``scale.range`` (after the
    wave's own range, ``scale.range_by_wave[wave]``, is shifted onto it: ``parsed.shifted``
    marks those cells); a non-whole number on an integer-coded scale
    (see :func:`is_integer_coded`). Items in ``scale.reverse`` are reverse keyed afterwards as
    ``lo + hi - x`` (the usual reflection about the scale midpoint).
    """
    p = parse_cells(raw, scale.label_map, missing_words)
    lo, hi = scale.range
    v = p.value
    codes = list(scale.missing_codes)
    is_code = v.isin(codes) if codes else pd.Series(False, index=v.index)
    if wave is not None and wave in scale.range_by_wave:
        shifted = p.kind.eq("number") & v.notna() & ~is_code
        v = v.where(~shifted, v - scale.range_by_wave[wave][0] + lo)
        p = replace(p, shifted=shifted)
    lm_name = f" '{scale.label_map_name}'" if scale.label_map_name else ""
    unparsed_issue = f"{ISSUE_LABEL}{lm_name}" if scale.label_map else ISSUE_NOT_NUMBER
    conds = [
        (p.kind.eq("unparsed"), unparsed_issue),
        (is_code, ISSUE_MISSING_CODE),
        ((v < lo) | (v > hi), f"{ISSUE_RANGE} [{lo:g}, {hi:g}]"),
    ]
    if is_integer_coded(scale):
        conds.append((v.notna() & (v != np.round(v)), ISSUE_NON_INTEGER))
    issue = _first_issue(conds, v.index)
    out = v.where(issue.isna())
    if raw.name in scale.reverse:
        out = lo + hi - out
    return out.astype(float), issue, p


def clean_numeric_covariate(
    raw: pd.Series, cov: Covariate, *, missing_words: tuple[str, ...] | None = None
) -> tuple[pd.Series, pd.Series, ParsedCells]:
    """Numeric covariate: parse; text that is not a number or a value outside ``cov.range``
    becomes missing (with an issue)."""
    p = parse_cells(raw, None, missing_words)
    v = p.value
    conds = [(p.kind.eq("unparsed"), ISSUE_NOT_NUMBER)]
    if cov.range is not None:
        lo, hi = cov.range
        conds.append(((v < lo) | (v > hi), f"{ISSUE_RANGE} [{lo:g}, {hi:g}]"))
    issue = _first_issue(conds, v.index)
    return v.where(issue.isna()).astype(float), issue, p


def parse_dates(raw: pd.Series, missing_words: tuple[str, ...] | None = None
                ) -> tuple[pd.Series, pd.Series]:
    """Completion dates: datetimes are kept (time zone dropped); text is parsed as ISO 8601
    first, then any other format with day first (UK convention, ``05/03/2024`` = 5 March).
    Ambiguity checks belong to the reader. Unparseable non-blank text -> NaT with an issue."""
    if isinstance(raw.dtype, pd.DatetimeTZDtype):
        return raw.dt.tz_localize(None), pd.Series(pd.NA, index=raw.index, dtype="string")
    if pd.api.types.is_datetime64_any_dtype(raw.dtype):
        return raw, pd.Series(pd.NA, index=raw.index, dtype="string")
    text = cell_text(raw).str.strip()
    blank = text.isna() | norm_text(text).isin(list(missing_keys(missing_words))).fillna(False)
    txt = text.where(~blank).astype(object).where(~blank, None)
    iso = pd.to_datetime(txt, errors="coerce", format="ISO8601", utc=True).dt.tz_localize(None)
    other = pd.to_datetime(
        txt.where(iso.isna(), None), errors="coerce", format="mixed", dayfirst=True, utc=True
    ).dt.tz_localize(None)
    value = iso.fillna(other)
    issue = _first_issue([(~blank & value.isna(), ISSUE_DATE)], raw.index)
    return value, issue
