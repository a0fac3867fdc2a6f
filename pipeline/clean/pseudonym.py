"""Participant id normalisation and pseudonymisation.

Raw ids are compared after :func:`normalise_id` and replaced by :func:`pseudonymise` before any
processed file or log is written; raw ids never leave the clean stage.
"""

from __future__ import annotations

import hashlib

import pandas as pd

from pipeline.clean.values import cell_text
from pipeline.errors import ConfigError, DataError
from pipeline.text import MISSING_TOKENS

PID_PREFIX = "p_"
PID_HEX_CHARS = 16


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
