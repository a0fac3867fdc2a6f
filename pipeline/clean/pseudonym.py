"""Participant id normalisation, the id pattern and pseudonymisation.

Raw ids are repaired to ``id_pattern`` (:func:`apply_id_pattern`), compared after
:func:`normalise_id` and replaced by :func:`pseudonymise` before any processed data file is
written; raw ids leave the clean stage only in the analyst-only QC log (the id as written, in
``original_value`` of id rows) and in analyst-facing error messages.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

import pandas as pd

from pipeline.clean.values import cell_text
from pipeline.errors import ConfigError, DataError
from pipeline.text import MISSING_TOKENS

PID_PREFIX = "p_"
PID_HEX_CHARS = 16
MAX_ID_DIGITS = 18
"""Longest digit run :func:`apply_id_pattern` pads to."""
ISSUE_REPADDED = "id re-padded to id_pattern"


def normalise_id(series: pd.Series) -> pd.Series:
    """Normalise raw participant ids so that trivially different spellings match.

    Rule: convert to text (integral numbers lose a trailing ``.0``), remove *all* white space
    (leading, trailing and inner: ``" ab 12 "`` -> ``"ab12"``), then Unicode case-fold
    (``"AB12"`` -> ``"ab12"``). An id that is empty after this, or is a missing-value word
    ("NA", "n/a", "-", ".", "none", ... — :data:`pipeline.text.MISSING_TOKENS`), is
    missing (``pd.NA``): such rows are dropped and logged as "missing id", never merged into
    one made-up participant. Returns a ``string`` Series aligned with the input.
    """
    text = cell_text(series)
    out = text.str.replace(r"\s+", "", regex=True).str.casefold()
    return out.mask((out.str.len() == 0) | out.isin(list(MISSING_TOKENS)))


def pseudonymise(normalised_ids: pd.Series, salt: str) -> pd.Series:
    """Pseudonymous ids: ``"p_" + first 16 hex chars of SHA-256(salt + ":" + id)``.

    Deterministic for a given salt; missing ids stay missing. 16 hex chars = 64 bits, so the
    chance of any collision among 10^4 participants is ~3e-12; a collision is still checked
    for and raises DataError rather than silently merging two people.
    """
    if not salt:
        raise ConfigError(
            "config key pseudonymisation: the salt is empty. Set pseudonymisation.salt or the "
            "environment variable named by pseudonymisation.salt_env."
        )
    s = normalised_ids.astype("string")
    uniq = pd.unique(s.dropna())
    lookup = {
        u: PID_PREFIX + hashlib.sha256(f"{salt}:{u}".encode()).hexdigest()[:PID_HEX_CHARS]
        for u in uniq
    }
    if len(set(lookup.values())) != len(lookup):
        raise DataError(
            "two different participant ids received the same pseudonymous id (hash collision). "
            "Change pseudonymisation.salt and re-run the pipeline."
        )
    return s.map(lookup, na_action="ignore").astype("string")


@dataclass(frozen=True)
class PatternIds:
    """Ids checked against ``id_pattern`` (Series aligned with the input): ``ids`` (text:
    re-padded where that makes them match, else as written), ``as_written`` (the cells as
    text), ``repadded`` and ``unmatched`` (present, matching neither as written nor re-padded).
    """

    ids: pd.Series
    as_written: pd.Series
    repadded: pd.Series
    unmatched: pd.Series


def _repad(compact: str, rx: re.Pattern) -> str | None:
    """``compact`` with one digit run left-padded with zeros so that it matches ``rx``
    (shortest padding, first digit run first), or None."""
    for m in re.finditer(r"\d+", compact):
        digits = m.group()
        for width in range(len(digits) + 1, MAX_ID_DIGITS + 1):
            cand = compact[: m.start()] + digits.zfill(width) + compact[m.end():]
            if rx.fullmatch(cand):
                return cand
    return None


def apply_id_pattern(series: pd.Series, pattern: str | None) -> PatternIds:
    """Check ids against the config ``id_pattern`` (a regular expression the whole id must
    match) and re-pad ids that lost leading zeros (Excel turns "SP0012" typed as "SP12", or
    "0012" into 12).

    Matching ignores case and white space, as id comparison does (:func:`normalise_id`). An id
    that does not match but does once one of its digit runs is left-padded with zeros
    (shortest padding) is replaced by the padded id (``repadded``; logged "id re-padded to
    id_pattern"); an id matching neither is ``unmatched`` (flagged; a wave where most ids are
    unmatched is refused by :func:`pipeline.clean.crosswave.check_id_pattern`). Missing ids
    (blank, missing-value words) are neither. Without a pattern nothing changes.
    """
    text = cell_text(series)
    none = pd.Series(False, index=series.index)
    if pattern is None:
        return PatternIds(text, text, none, none.copy())
    rx = re.compile(pattern, re.IGNORECASE)
    present = normalise_id(series).notna()
    fixed: dict[str, str | None] = {}
    for t in pd.unique(text[present].dropna()):
        compact = re.sub(r"\s+", "", t)
        fixed[t] = t if rx.fullmatch(compact) else _repad(compact, rx)
    new = text.map(fixed, na_action="ignore")
    repadded = (present & new.notna() & (new != text)).fillna(False).astype(bool)
    unmatched = (present & new.isna()).astype(bool)
    ids = text.where(~repadded, new).astype("string")
    return PatternIds(ids, text, repadded, unmatched)
