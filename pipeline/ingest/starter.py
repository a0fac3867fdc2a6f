"""``socialcure init``: guess a starter study config from the headers of the evaluator's files.

An evaluator has exports (CSV, Excel, SPSS, Stata, Qualtrics, REDCap) and no config. This module
reads each file with the ingest readers (``sniff``/``formats`` to decide what it is,
``csv_reader``, ``excel_reader``, ``stat_reader``, ``qualtrics``: no parsing of its own) and
guesses what a config needs: the id column (a name like id/participant/record_id/ResponseId
with unique values), each wave's completion-date column, REDCap events (one wave each), groups
of item-like columns sharing a prefix (``gm1..gm4`` -> scale ``gm``, its range from the value
labels or the codes seen), text answers that are a known Likert set (-> a label map) and the
usual covariates (age, gender). :mod:`pipeline.ingest.starter_yaml` writes the guesses as a
commented YAML file that says what was guessed and what must be checked.

Privacy: only column names, numeric codes, value labels, answer options of item groups (text
answers repeated across items, or a known Likert set), REDCap event names and question texts are
written, never an id, a date, an age or a free-text answer.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from pipeline.errors import InputFileError

from . import qualtrics
from . import starter_words as W
from .longfile import REDCAP_EVENT, REDCAP_REPEAT
from .starter_read import FileProfile, present, profile_file

__all__ = ["FileProfile", "Starter", "profile_file", "guess_starter"]

# ---------------------------------------------------------------------------- guesses


@dataclass
class ScaleGuess:
    key: str
    items: list[str]
    range: tuple[float, float] | None
    source: str  # where the range came from: value labels, label map, codes seen
    label_map: str | None = None
    missing_codes: list[float] = field(default_factory=list)
    question: str | None = None
    absent_from: list[str] = field(default_factory=list)
    reverse: list[str] = field(default_factory=list)


@dataclass
class Starter:
    """Everything guessed; :func:`pipeline.ingest.starter_yaml.render` writes it."""

    files: list[FileProfile]
    id_column: str | None
    id_note: str
    waves: list[dict[str, Any]]
    scales: list[ScaleGuess]
    label_maps: dict[str, dict[str, float | None]]
    label_map_known: dict[str, str]
    covariates: dict[str, dict[str, Any]]
    checks: list[str]
    skipped: list[str]
    personal: list[str]
    unused: list[str] = field(default_factory=list)


def _repeats(p: FileProfile, col: str) -> int | None:
    """Rows whose value repeats within the file (within event/instance of a long file); None
    when the column is blank in more than 5% of rows (not an id column)."""
    v = present(p.frame[col])
    if len(v) == 0 or len(v) < 0.95 * len(p.frame):
        return None
    group = [c for c in (REDCAP_EVENT, *REDCAP_REPEAT) if c in p.frame.columns]
    keys = p.frame.loc[v.index, [col, *group]].astype(str).apply(lambda s: s.str.strip())
    return int(keys.duplicated(keep=False).sum())


def guess_id(files: list[FileProfile]) -> tuple[str | None, str]:
    """The id column: in every file, an id-like name, filled in, unique values (within event);
    a Qualtrics ResponseId only when nothing else fits (it changes from wave to wave)."""
    common = [c for c in files[0].columns if all(c in p.columns for p in files[1:])]
    scored = []
    for c in common:
        low = c.strip().lower()
        name = 3 if low in W.ID_EXACT else 2 if W.ID_PATTERN.search(low) else 0
        repeats = [_repeats(p, c) for p in files]
        if name == 0 or None in repeats or any(_is_date(p.frame[c]) for p in files):
            continue
        n_rep = sum(r for r in repeats if r is not None)
        share = n_rep / max(1, sum(len(p.frame) for p in files))
        response_id = low in W.RESPONSE_IDS
        score = name + (2 if n_rep == 0 else 1 if share <= 0.1 else 0) - 4 * response_id
        scored.append((score, -common.index(c), c, n_rep, response_id))
    if not scored:
        return None, ("no filled-in column with an id-like name is in every file: set id_column "
                      "to the column holding the participant id (the same name in every wave).")
    _, _, col, n_rep, response_id = max(scored)
    note = "guessed from its name" + (" and unique values." if n_rep == 0 else ".")
    if n_rep:
        note += (f" {n_rep} row(s) share their value with another row of the same file "
                 "(duplicate submissions? the cleaning resolves them): check that it identifies "
                 "participants.")
    if response_id:
        note += (" A Qualtrics ResponseId differs between waves for the same person: use the "
                 "participant id you stored in the survey (embedded data, ExternalReference).")
    return col, note


def _is_date(s: pd.Series) -> bool:
    v = present(s)
    if len(v) == 0:
        return False
    if pd.api.types.is_datetime64_any_dtype(v):
        return True
    kinds = v.map(lambda x: hasattr(x, "year") and hasattr(x, "month"))
    if kinds.mean() >= 0.9:
        return True
    text = v.astype(str)
    return bool(text.str.match(W.DATE_TEXT).mean() >= 0.9)


def guess_date(p: FileProfile, exclude: set[str]) -> str | None:
    """The completion-date column of one file (Qualtrics: RecordedDate, then EndDate)."""
    if p.qualtrics:
        for c in ("RecordedDate", "EndDate"):
            if c in p.columns:
                return c
    cands = [c for c in p.columns if c not in exclude and not W.DATE_NEVER.search(c)
             and (W.DATE_NAME.search(c) or p.format in ("sav", "dta", "xlsx"))
             and _is_date(p.frame[c])]
    if not cands:
        return None
    return sorted(cands, key=lambda c: (bool(W.DATE_AVOID.search(c)),
                                        not W.DATE_PREFER.search(c), not W.DATE_NAME.search(c),
                                        p.columns.index(c)))[0]


def _norm(v: Any) -> str:
    return re.sub(r"\s+", " ", str(v)).strip().lower()


def _split_missing_codes(codes: list[float]) -> tuple[list[float], list[float]]:
    """Codes such as -99, -9 or 99/999 beside a short 0-10 scale: missing codes."""
    main = [c for c in codes if -3 <= c <= 11]
    odd = [c for c in codes if c not in main and (c <= -7 or c >= 77)]
    if main and len(main) + len(odd) == len(codes):
        return main, odd
    return codes, []


def item_groups(columns: list[str], exclude: set[str]) -> dict[str, list[str]]:
    """Columns named <prefix><number> (``gm1``, ``ss_2``, ``Q3_1``) grouped by prefix; groups
    of two or more, items in number order."""
    groups: dict[str, list[tuple[int, str]]] = {}
    for c in columns:
        m = W.ITEM.match(c.strip())
        if c in exclude or not m or W.NOT_ITEM.search(c) or W.PERSONAL.search(c):
            continue
        groups.setdefault(m["prefix"].lower(), []).append((int(m["num"]), c))
    return {p: [c for _, c in sorted(v)] for p, v in groups.items() if len(v) >= 2}


def reverse_named(item: str) -> bool:
    """An item whose name ends in r/_r/_rev after its number (``nat_2r``): reverse-keyed."""
    m = W.ITEM.match(item.strip())
    return bool(m and m["rev"])


def _scale_key(prefix: str, taken: set[str]) -> str:
    key = re.sub(r"[^a-z0-9_]+", "_", prefix.lower()).strip("_") or "scale"
    key = key if key[0].isalpha() else f"s_{key}"
    base, n = key, 2
    while key in taken:
        key, n = f"{base}_{n}", n + 1
    return key


def _split_values(series: list[pd.Series]) -> tuple[list[float], set[str]]:
    """The numeric codes and the normalised text answers seen across an item group."""
    vals = pd.concat([present(s) for s in series]) if series else pd.Series([], dtype=object)
    num = pd.to_numeric(vals, errors="coerce")
    texts = {_norm(v) for v in vals[num.isna()]}
    return sorted(float(v) for v in num.dropna().unique()), texts


def _labels_map(labelled: list[dict[Any, str]]) -> tuple[dict[str, float], list[float]]:
    """Value labels (SPSS/Stata) of a group as one label map, and the missing codes."""
    merged = {float(k): str(v) for lab in labelled for k, v in lab.items()
              if isinstance(k, (int, float))}
    valid = {v: k for k, v in sorted(merged.items()) if not W.MISSING_LABEL.search(v)}
    return valid, sorted(k for k, v in merged.items() if W.MISSING_LABEL.search(v))


def _guess_scale(key: str, items: list[str], files: list[FileProfile],
                 maps: dict[str, dict[str, float | None]], known: dict[str, str],
                 ) -> ScaleGuess | str:
    """One item group -> a scale guess, or the reason it is not one (a string)."""
    series = [p.frame[c] for p in files for c in items if c in p.columns]
    absent = [p.path.name for p in files if any(c not in p.columns for c in items)]
    labelled = [p.value_labels[c] for p in files for c in items if p.value_labels.get(c)]
    question = next((str(p.variable_labels[c]) for p in files for c in items
                     if p.variable_labels.get(c)), None)
    guess = ScaleGuess(key, items, None, "", question=question, absent_from=absent,
                       reverse=[c for c in items if reverse_named(c)])
    codes, texts = _split_values(series)
    where = f"{key} ({', '.join(items)})"
    if any(c % 1 for c in codes):
        return f"{where}: numbers with decimals, not read as rating items"
    if labelled:
        label_map, guess.missing_codes = _labels_map(labelled)
        codes = sorted(label_map.values())
        name = _map_name(key, label_map, maps, known)
        guess.label_map, guess.source = name, "the value labels"
        texts -= set(maps[name])
    elif codes:
        codes, guess.missing_codes = _split_missing_codes(codes)
        guess.source = "the codes seen"
    if codes and (len(codes) > 11 or codes[-1] - codes[0] > 10):
        return f"{where}: numbers from {codes[0]:g} to {codes[-1]:g}: not read as rating items"
    if codes:
        guess.range = (codes[0], codes[-1])
    if texts and not _text_map(guess, texts, series, maps, known):
        return f"{where}: text answers that are not a known answer set nor repeated options"
    if guess.range is None and not guess.label_map:
        guess.source = "nothing: no answers in the files; give the instrument's range"
    return guess


def _map_name(key: str, labels: dict[str, float], maps: dict[str, dict[str, float | None]],
              known: dict[str, str]) -> str:
    """Register a label map (value labels), named after the known set it equals if any."""
    same = [k for k, v in W.LIKERT_SETS.items()
            if {_norm(x): float(i + 1) for i, x in enumerate(v)} ==
            {_norm(x): c for x, c in labels.items()}]
    name = same[0] if same else f"{key}_labels"
    if name not in maps:
        maps[name] = dict(labels)
        known[name] = "labels"
    return name


def _text_map(guess: ScaleGuess, texts: set[str], series: list[pd.Series],
              maps: dict[str, dict[str, float | None]], known: dict[str, str]) -> bool:
    """Text answers of a group -> its label map: a known Likert set (codes in its order; with
    numeric codes too, the set as long as their range), else the answer options repeated
    across items with codes to fill in. False when the texts look like free text."""
    lo, hi = guess.range or (1.0, None)
    fits = sorted((len(v), k) for k, v in W.LIKERT_SETS.items()
                  if texts <= {_norm(x) for x in v} and (hi is None or (lo == 1 and len(v) == hi)))
    if guess.label_map and not fits:
        return False
    if fits and not guess.label_map:
        name = fits[0][1]
        maps.setdefault(name, {x: float(i + 1) for i, x in enumerate(W.LIKERT_SETS[name])})
        known.setdefault(name, "set")
        guess.label_map = name
        guess.range = guess.range or (1.0, float(len(W.LIKERT_SETS[name])))
        guess.source = (guess.source + " and " if guess.source else "") + f"the set '{name}'"
        return True
    if fits:
        return True
    if len(texts) > 11 or not _answer_options(texts, series):
        return False
    name = f"{guess.key}_answers"
    maps[name] = {x: None for x in sorted(texts)}
    known[name] = "todo"
    guess.label_map = name
    guess.source = guess.source or "text answers (codes to fill in)"
    return True


def _answer_options(texts: set[str], series: list[pd.Series]) -> bool:
    """True when every text looks like an answer option, not something a person wrote: short,
    without digits, and given in at least two items by at least three rows (an option recurs
    across questions and people; a name or a remark does not)."""
    if any(len(t) > 40 or re.search(r"\d", t) for t in texts):
        return False
    long = pd.concat([present(s).map(_norm).rename("v").reset_index().assign(item=str(s.name))
                      for s in series])
    long = long[long["v"].isin(texts)]
    rows = long.groupby("v")["index"].nunique()
    items = long.groupby("v")["item"].nunique()
    return bool(len(rows) == len(texts) and (rows >= 3).all() and (items >= 2).all())


def _guess_covariates(files: list[FileProfile], taken: set[str]) -> dict[str, dict[str, Any]]:
    """Age (numeric) and gender/sex (categorical) columns of the first file, if present."""
    first = files[0]
    out: dict[str, dict[str, Any]] = {}
    for c in first.columns:
        low = c.strip().lower()
        if c in taken:
            continue
        if low in W.AGE_NAMES and "age" not in out:
            out["age"] = {"column": c, "type": "numeric", "range": [16, 110]}
        elif low in W.GENDER_NAMES and "gender" not in out:
            out["gender"] = {"column": c, "type": "categorical",
                             "levels": _gender_levels(first, c)}
    for cov in out.values():  # a long file: the event holding the values
        events = [e for e in first.events if present(_event_rows(first, e).frame[cov["column"]])
                  .size]
        if len(events) == 1:
            cov["event"] = events[0]
        elif 1 < len(events) < len(first.events):
            cov["first_nonempty"] = True
    return out


def _gender_levels(p: FileProfile, col: str) -> list[str] | None:
    labels = p.value_labels.get(col)
    if labels:
        return [str(v) for v in labels.values() if not W.MISSING_LABEL.search(str(v))]
    seen = {_norm(v) for v in present(p.frame[col])}
    if seen and seen <= set(W.GENDER_WORDS):
        return list(dict.fromkeys(W.GENDER_WORDS[v] for v in sorted(seen)))
    return None  # codes or free text: the evaluator writes the levels


def _event_rows(p: FileProfile, event: str) -> FileProfile:
    """The rows of one REDCap event, as a profile of their own."""
    rows = p.frame[REDCAP_EVENT].astype(str).str.strip() == event
    return dataclasses.replace(p, frame=p.frame[rows])


def _waves(files: list[FileProfile], id_col: str | None) -> list[dict[str, Any]]:
    """One wave per file, or per REDCap event of a long file, each with its date column."""
    waves: list[dict[str, Any]] = []
    exclude = {c for c in (id_col, REDCAP_EVENT) if c}
    for p in files:
        parts = [(e, _event_rows(p, e)) for e in p.events] or [(None, p)]
        for event, rows in parts:
            w: dict[str, Any] = {"id": f"T{len(waves)}", "file": str(p.path),
                                 "months": 0 if not waves else None}
            if event is not None:
                w["event"] = event
            date = guess_date(rows, exclude)
            if date:
                w["date_column"] = date
            if p.sheet and len(p.notes):
                w["sheet"] = p.sheet
            waves.append(w)
    return waves


def guess_starter(paths: list[str | Path]) -> Starter:
    """Read every file and guess the study config (see the module docstring)."""
    if not paths:
        raise InputFileError("socialcure init: name at least one survey export to read.")
    files = [profile_file(p) for p in paths]
    id_col, id_note = guess_id(files)
    waves = _waves(files, id_col)
    dates = {w.get("date_column") for w in waves}
    columns = list(dict.fromkeys(c for p in files for c in p.columns))
    meta_cols = set(qualtrics.METADATA_COLUMNS) | {REDCAP_EVENT, *REDCAP_REPEAT}
    exclude = {c for c in (id_col, *dates) if c} | meta_cols
    maps: dict[str, dict[str, float | None]] = {}
    known: dict[str, str] = {}
    scales, skipped, keys = [], [], set()
    for prefix, items in item_groups(columns, exclude).items():
        key = _scale_key(prefix, keys)
        guess = _guess_scale(key, items, files, maps, known)
        if isinstance(guess, str):
            skipped.append(guess)
        else:
            keys.add(key)
            scales.append(guess)
    taken = exclude | {c for s in scales for c in s.items}
    personal = [c for c in columns if c in qualtrics.PRIVATE_COLUMNS or (
        W.PERSONAL.search(c) and c not in (REDCAP_EVENT, *REDCAP_REPEAT))]
    covariates = _guess_covariates(files, taken)
    used = taken | set(personal) | {c["column"] for c in covariates.values()}
    checks = [f"{p.path.name}: {n}" for p in files for n in p.notes]
    return Starter(files=files, id_column=id_col, id_note=id_note, waves=waves, scales=scales,
                   label_maps=maps, label_map_known=known,
                   covariates=covariates, checks=checks, skipped=skipped, personal=personal,
                   unused=[c for c in columns if c not in used])

