"""Covariates: numeric range checks, and categorical answers matched to the configured levels.

A categorical cell is matched in this order (first match wins; every comparison ignores case and
white space, and codes compare as numbers: ``2``, ``2.0`` and ``"2"`` are one answer,
:func:`pipeline.text.code_key`):

1. blank -- empty or a "no answer" word (``cleaning.missing_words``): missing, not an error;
2. a configured level (``covariates.<k>.levels``), respelled to the configured spelling;
3. a key of ``covariates.<k>.level_map`` (a text answer or a code as written) -> its level
   (``null``: no answer, set missing and logged);
4. a code with an SPSS/Stata value label in the file (the ingest read meta's ``value_labels``):
   the label, matched as in 2 and 3 ("value label 'female' (code 1) -> level 'Woman'");
5. anything else: missing, logged per cell as not a configured level.

A covariate without ``levels`` keeps every answer as its own level (white space trimmed), after
``level_map`` and the value labels. Recodes by ``level_map`` and by value labels are logged as
column summaries (one QC-log row per distinct recode).

A covariate that ends up with no usable value in the wave it is read from (the baseline, or
``Covariate.wave``) cannot adjust anything and usually means the answers were written
differently from the levels (codes 1-4 against levels "Woman"/"Man"):
:func:`check_covariates_present` stops the run naming the covariate, its column and file, what
the cells looked like and the fix.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from pipeline.clean.qc_log import SET_MISSING, Where, cell_log, summary_log
from pipeline.clean.values import Reading, cell_text, clean_numeric_covariate
from pipeline.config import Covariate, Wave
from pipeline.errors import DataError
from pipeline.text import code_key, missing_keys

__all__ = ["ISSUE_LEVEL", "LevelMatch", "check_covariates_present", "clean_covariate",
           "match_levels"]  # fmt: skip

ISSUE_LEVEL = "not a configured level"
_BLANK = (None, "blank", None, None)
SHOWN_VALUES = 8
"""How many distinct values (as written) an error message shows."""


@dataclass(frozen=True)
class LevelMatch:
    """Result of :func:`match_levels`, aligned with the raw column.

    ``value``: the configured level (``string``, <NA> = missing); ``issue``: why a non-blank cell
    was set missing (<NA> otherwise); ``how``: ``blank``, ``token`` (a "no answer" word),
    ``level``, ``respelled``, ``level_map``, ``value_label``, ``no_answer`` (mapped to null) or
    ``unknown``; ``via``: the recode in words for ``level_map``/``value_label``/``no_answer``.
    """

    value: pd.Series
    issue: pd.Series
    how: pd.Series
    via: pd.Series


class _Matcher:
    """The per-key rules of the module docstring for one covariate and one file."""

    def __init__(self, cov: Covariate, missing_words: Sequence[str] | None,
                 value_labels: Mapping[Any, str] | None):
        self.missing = missing_keys(None if missing_words is None else tuple(missing_words))
        self.levels = {code_key(lv): str(lv) for lv in (cov.levels or ())}
        self.free = cov.levels is None
        self.lmap = {code_key(k): (k, v) for k, v in (cov.level_map or {}).items()}
        self.labels = {code_key(c): str(lab) for c, lab in (value_labels or {}).items()}
        self.names = ", ".join(cov.levels or ())

    def _level(self, key: str, written: str) -> tuple[str | None, str, str | None]:
        """Steps 2-3 for one key: (level, how, via)."""
        if key in self.levels:
            return self.levels[key], "level", None
        if key in self.lmap:
            k, v = self.lmap[key]
            if v is None:
                return None, "no_answer", f"level_map '{k}' -> no answer"
            return str(v), "level_map", f"level_map '{k}' -> level '{v}'"
        if self.free and key not in self.labels:
            return written, "level", None
        return None, "unknown", None

    def resolve(self, written: str) -> tuple[str | None, str, str | None, str | None]:
        """(level, how, via, issue) of one cell's text as written (stripped)."""
        key = code_key(written)
        if key in self.missing:
            return None, ("blank" if key == "" else "token"), None, None
        level, how, via = self._level(key, written)
        if how != "unknown":
            return level, how, via, None
        if key in self.labels:
            label = self.labels[key]
            lv, lhow, lvia = self._level(code_key(label), label.strip())
            said = f"value label '{label}' (code {key})"
            if lhow == "no_answer":
                return None, "no_answer", f"{said} -> {lvia}", None
            if lhow != "unknown":
                extra = " via level_map" if lhow == "level_map" else ""
                return lv, "value_label", f"{said} -> level '{lv}'{extra}", None
            return None, "unknown", None, (f"{said} is {ISSUE_LEVEL} (levels: {self.names}); "
                                           "map it in level_map")
        return None, "unknown", None, f"{ISSUE_LEVEL} (levels: {self.names})"


def match_levels(raw: pd.Series, cov: Covariate, *,
                 missing_words: Sequence[str] | None = None,
                 value_labels: Mapping[Any, str] | None = None) -> LevelMatch:
    """Match a categorical covariate column to ``cov.levels`` (rules: module docstring).

    ``value_labels``: the file's {code: label} for this column (SPSS/Stata), if any. Never
    raises on cell content; every non-missing value is a configured level (or, without
    ``levels``, an answer as written).
    """
    written = cell_text(raw).str.strip()
    m = _Matcher(cov, missing_words, value_labels)
    table = {w: m.resolve(w) for w in pd.unique(written.dropna())}
    rows = [_BLANK if pd.isna(w) else table[w] for w in written.tolist()]
    idx = raw.index
    value = pd.Series([r[0] for r in rows], index=idx, dtype="string")
    how = pd.Series([r[1] for r in rows], index=idx, dtype=object)
    respelled = how.eq("level") & (written != value).fillna(False).astype(bool)
    how = how.mask(respelled, "respelled")
    via = pd.Series([r[2] for r in rows], index=idx, dtype="string")
    issue = pd.Series([r[3] for r in rows], index=idx, dtype="string")
    return LevelMatch(value, issue, how, via)


def _empty(kept: pd.DataFrame, cov: Covariate) -> pd.Series:
    numeric = cov.type == "numeric"
    return pd.Series(np.nan if numeric else pd.NA, index=kept.index,
                     dtype=float if numeric else "string")


def clean_covariate(where: Where, kept: pd.DataFrame, cov: Covariate,
                    reading: Reading | None = None) -> tuple[pd.Series, list]:
    """One covariate column of one wave with its QC-log rows: numeric range check or
    categorical level matching (:func:`match_levels`); a covariate this wave does not have
    (read from another wave) is all missing."""
    reading = reading or Reading()
    if cov.column not in kept.columns:
        return _empty(kept, cov), []
    raw = kept[cov.column]
    if cov.type == "numeric":
        v, issue, p = clean_numeric_covariate(raw, cov, missing_words=reading.missing_words)
        return v, [
            summary_log(
                where, p.kind.eq("token"), cov.column, "missing-value text", SET_MISSING, p.text
            ),
            cell_log(where, cov.column, p.text, issue, SET_MISSING),
        ]
    lm = match_levels(raw, cov, missing_words=reading.missing_words,
                      value_labels=reading.value_labels.get(cov.column))
    text = cell_text(raw)
    logs = [
        cell_log(where, cov.column, text, lm.issue, SET_MISSING),
        summary_log(where, lm.how.eq("respelled"), cov.column,
                    "spelling normalised to configured level", "recoded"),
    ]
    for said in sorted(lm.via.dropna().unique()):
        action = SET_MISSING if "-> no answer" in said else "recoded"
        logs.append(summary_log(where, lm.via.eq(said).fillna(False), cov.column, said, action,
                                text))
    return lm.value, logs


def _shown(values: pd.Series) -> str:
    distinct = [str(v) for v in pd.unique(values.dropna())]
    more = f" and {len(distinct) - SHOWN_VALUES} more" if len(distinct) > SHOWN_VALUES else ""
    return ", ".join(f"'{v}'" for v in distinct[:SHOWN_VALUES]) + more


def _what_was_there(cov: Covariate, frame: pd.DataFrame | None, wave: str,
                    labels: Mapping[Any, str] | None) -> str:
    """The source column described for the error: file, cells, values as written, labels."""
    if frame is None or cov.column not in frame.columns:
        return f"column '{cov.column}' is not in wave {wave}'s file"
    file = str(frame["_source_file"].iloc[0]) if len(frame) and "_source_file" in frame else "?"
    text = cell_text(frame[cov.column]).str.strip()
    filled = text[text.notna() & (text != "")]
    where = f"column '{cov.column}' of {file} (wave {wave})"
    if filled.empty:
        return f"{where} is empty in all {len(text)} rows"
    out = f"{where} has {len(filled)} non-blank cells (as written: {_shown(filled)})"
    if labels:
        pairs = [f"{code_key(c)} = '{lab}'" for c, lab in list(labels.items())[:SHOWN_VALUES]]
        out += f"; the file's value labels: {', '.join(pairs)}"
    return out


def check_covariates_present(
    cleaned: Sequence[pd.DataFrame], raw: Mapping[str, pd.DataFrame], *,
    waves: Sequence[Wave], covariates: Mapping[str, Covariate],
    value_labels: Mapping[str, Mapping[str, Mapping[Any, str]]] | None = None,
) -> None:
    """Refuse covariates with no usable value in the wave they are read from (baseline, or
    ``Covariate.wave``: the values the wide table and every analysis take), all in one DataError.

    ``cleaned``: the cleaned waves in wave order (columns named by covariate key); ``raw``: wave
    id -> the reader's data (to show what the cells looked like); ``value_labels``: wave id ->
    column -> {code: label}. A source wave that kept no row is skipped (other checks say why).
    """
    if not waves or sum(len(c) for c in cleaned) == 0:
        return
    by_wave = dict(zip([w.id for w in waves], cleaned, strict=False))
    problems = []
    for key, cov in covariates.items():
        src = cov.wave or waves[0].id
        frame = by_wave.get(src)
        if frame is None or len(frame) == 0 or (key in frame.columns and frame[key].notna().any()):
            continue
        labels = (value_labels or {}).get(src, {}).get(cov.column)
        seen = _what_was_there(cov, raw.get(src), src, labels)
        if cov.type == "numeric":
            rng = f"[{cov.range[0]:g}, {cov.range[1]:g}]" if cov.range else "(no range)"
            fix = (f"check covariates.{key}.column and range {rng}; a text column needs "
                   "recoding to numbers in the export")
        else:
            levels = ", ".join(cov.levels) if cov.levels else "(none)"
            fix = (f"the configured levels are {levels}: map the answers to them with "
                   f"covariates.{key}.level_map (e.g. level_map: {{'female': 'Woman', '2': "
                   f"'Man'}}), or correct covariates.{key}.levels / column")
        problems.append(f"covariate '{key}' ({cov.type}): no usable value in wave {src}; {seen}. "
                        f"Fix: {fix}.")
    if problems:
        raise DataError(
            f"{len(problems)} covariate(s) would be entirely missing:\n  - "
            + "\n  - ".join(problems)
            + "\nFix the config (or the export) and run again."
        )
