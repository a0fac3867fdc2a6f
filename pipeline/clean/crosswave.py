"""Cross-wave checks: refuse follow-up files that cannot belong to the baseline's cohort.

They run in the clean stage, the first stage that sees every wave. All follow one measure of
how well a follow-up wave's participant ids match the baseline's, :func:`id_overlap`:

    overlap = |F ∩ B| / |F|      (F, B: the distinct ids of the follow-up wave and the baseline)

* before cleaning, on normalised raw ids: ``overlap < cleaning.min_id_overlap`` -> refused as
  another cohort's file (:func:`check_id_overlap`); the id *format* is compared too
  (:func:`check_id_format`) and byte-identical files for two waves are refused
  (:func:`check_same_file`);
* after cleaning and linking, on pseudonymous ids: ``1 - overlap >
  cleaning.max_unmatched_share`` -> refused as re-typed ids (:func:`check_unmatched`).

Before any of the id checks, waves whose completion dates say they are swapped are refused
as "waves swapped?" (:mod:`pipeline.clean.timeorder`): swapped files look like re-typed ids,
and following the unmatched-id advice would drop the real baseline. With ``id_pattern`` set,
ids are first re-padded to it (:func:`pipeline.clean.pseudonym.apply_id_pattern`), so ids that
lost their leading zeros no longer fail the format check, and a wave where most ids match
the pattern in neither form is refused (:func:`check_id_pattern`).

Each function is pure apart from :func:`check_same_file` (it hashes the files) and raises
:class:`~pipeline.errors.InputFileError` / :class:`~pipeline.errors.DataError` naming the
file, the numbers and the fix. Ids in these (analyst-facing) messages are shown as written
in the file.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from pipeline.clean.pseudonym import PatternIds, apply_id_pattern, normalise_id
from pipeline.clean.timeorder import WaveDates, check_swapped_waves, swapped_waves_problem
from pipeline.clean.values import parse_dates
from pipeline.config import Wave
from pipeline.errors import DataError, InputFileError, config_name

__all__ = [
    "IdOverlap",
    "check_id_format",
    "check_id_pattern",
    "check_id_overlap",
    "check_same_file",
    "check_unmatched",
    "cross_wave_checks",
    "file_hash",
    "id_overlap",
    "id_shape",
]

MAX_EXAMPLES = 5


def _id_set(ids: Iterable[Any]) -> set[str]:
    """Distinct ids as stripped text; missing and blank ids are left out. (Missing values
    found at once and the values taken out as a list: at 100,000 ids a ``pd.isna`` call and
    an Arrow element access per id were a large part of the clean stage.)"""
    values = ids if isinstance(ids, pd.Series) else pd.Series(list(ids), dtype=object)
    return {t for t in map(str.strip, map(str, values[values.notna()].tolist())) if t}


@dataclass(frozen=True)
class IdOverlap:
    """How many of a follow-up wave's distinct ids were seen at baseline."""

    n_baseline: int
    n_followup: int
    n_shared: int

    @property
    def share(self) -> float:
        """|F ∩ B| / |F| (1.0 for a follow-up without ids)."""
        return self.n_shared / self.n_followup if self.n_followup else 1.0

    @property
    def n_unmatched(self) -> int:
        return self.n_followup - self.n_shared

    @property
    def unmatched_share(self) -> float:
        """|F \\ B| / |F| (0.0 for a follow-up without ids)."""
        return self.n_unmatched / self.n_followup if self.n_followup else 0.0


def id_overlap(baseline_ids: Iterable[Any], followup_ids: Iterable[Any]) -> IdOverlap:
    """The overlap of a follow-up wave's distinct ids with the baseline's (see module doc)."""
    base, follow = _id_set(baseline_ids), _id_set(followup_ids)
    return IdOverlap(len(base), len(follow), len(follow & base))


def check_id_overlap(
    baseline_ids: Iterable[Any],
    followup_ids: Iterable[Any],
    *,
    file: str,
    wave_id: str,
    threshold: float,
    shown: Iterable[Any] | None = None,
) -> float:
    """Refuse a follow-up file whose ids barely overlap the baseline's; return the overlap.

    Below ``threshold`` (config ``cleaning.min_id_overlap``) the file is most likely another
    cohort's or another programme's export. ``shown``: the follow-up ids as written, in the
    order of ``followup_ids`` (the examples show them; the comparison uses ``followup_ids``).
    """
    ov = id_overlap(baseline_ids, followup_ids)
    if ov.share < threshold:
        follow, base = _id_set(followup_ids), _id_set(baseline_ids)
        written: dict[str, str] = {}
        if shown is not None:
            for n, t in zip(followup_ids, shown, strict=True):
                if not pd.isna(n):
                    written.setdefault(str(n).strip(), str(t).strip())
        ex = [written.get(i, i) for i in sorted(follow - base)[:MAX_EXAMPLES]]
        raise InputFileError(
            f"{file}: only {ov.n_shared} of wave {wave_id}'s {ov.n_followup} participant ids "
            f"({ov.share:.0%}) appear at baseline ({ov.n_baseline} ids); at least "
            f"{threshold:.0%} are expected. This looks like another cohort's file. Examples of "
            f"wave {wave_id} ids: {', '.join(ex)}. Check that "
            "the right export is in data/raw/ (or lower cleaning.min_id_overlap if this is "
            "expected)."
        )
    return ov.share


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


_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
_SHAPE = str.maketrans({**{c: "9" for c in "0123456789"}, **{c: "A" for c in _LETTERS}})


def id_shape(i: str) -> str:
    """The pattern of an id: digits -> 9, letters -> A (e.g. "SP-0012" -> "AA-9999").
    ASCII ids by a translation table (fast at 100,000 ids); others by the regular expressions
    (``\\d`` also matches non-ASCII digits)."""
    text = str(i).strip()
    if text.isascii():
        return text.translate(_SHAPE)
    return re.sub(r"[A-Za-z]", "A", re.sub(r"\d", "9", text))


def _digits(i: str) -> str | None:
    d = re.sub(r"\D", "", i)
    return str(int(d)) if d else None


def _pattern_hint(base_shown: set[str], follow: set[str]) -> str:
    """When only leading zeros were lost (the ids' letters and punctuation still match the
    baseline's), suggest an ``id_pattern`` written from the commonest baseline id shape."""
    skeleton = lambda i: re.sub(r"\d+", "#", i).casefold()  # noqa: E731
    base_sk = {skeleton(i) for i in base_shown}
    if sum(skeleton(i) in base_sk for i in follow) < len(follow) / 2:
        return ""
    example = pd.Series(sorted(base_shown)).map(id_shape).mode().iloc[0]
    model = next(i for i in sorted(base_shown) if id_shape(i) == example)
    rx = "".join(f"\\d{{{len(part)}}}" if part.isdigit() else re.escape(part).replace("\\-", "-")
                 for part in re.split(r"(\d+)", model) if part)
    return (f" If only leading zeros were lost, setting id_pattern: '{rx}' in "
            f"{config_name()} re-pads them (each re-padded id is logged).")


def check_id_format(
    baseline_ids: Iterable[Any],
    followup_ids: Iterable[Any],
    *,
    file: str,
    wave_id: str,
    min_share: float = 0.5,
    id_column: str | None = None,
    shown: tuple[Iterable[Any], Iterable[Any]] | None = None,
) -> None:
    """Refuse a follow-up whose ids are written differently from the baseline's.

    ``id_column`` is named in the message; ``shown`` (baseline, follow-up) are the ids as
    written in the files, used for the examples (the comparison uses the normalised ids).

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
    show_b, show_f = (_id_set(shown[0]), _id_set(shown[1])) if shown else (base, follow)
    ex_b = ", ".join(f"'{i}'" for i in sorted(show_b)[:3])
    ex_f = ", ".join(f"'{i}'" for i in sorted(show_f)[:3])
    column = f" (column '{id_column}')" if id_column else ""
    hint = (
        f" The numbers match ({numeric_match:.0%} of wave {wave_id}'s ids equal a baseline id "
        "once letters, punctuation and leading zeros are ignored), so the id format changed "
        "(e.g. a prefix or leading zeros were lost, often by Excel)."
        + _pattern_hint(show_b, follow)
        if numeric_match >= min_share
        else ""
    )
    raise InputFileError(
        f"{file}: wave {wave_id}'s participant ids{column} are written differently from "
        "baseline: "
        f"baseline ids look like {ex_b}, wave {wave_id} ids look like {ex_f} (only "
        f"{same} of {len(follow)} share a baseline id pattern).{hint} Re-export wave {wave_id} "
        f"with the ids exactly as at baseline (format the id column{column} as Text), or fix "
        "the ids in the export, then run again."
    )


def check_id_pattern(
    ids: PatternIds, pattern: str, *, file: str, wave_id: str, id_column: str,
    max_share: float = 0.5,
) -> None:
    """Refuse a wave where more than ``max_share`` of the distinct present ids match
    ``id_pattern`` neither as written nor re-padded (:func:`apply_id_pattern`): the pattern
    or the id column is wrong. Fewer are left to the cleaner, which flags them per row."""
    present = normalise_id(ids.as_written).notna()
    n = int(ids.as_written[present].nunique())
    bad = pd.unique(ids.as_written[ids.unmatched].astype(str))
    if not n or len(bad) / n <= max_share:
        return
    ex = ", ".join(f"'{i}'" for i in bad[:MAX_EXAMPLES])
    raise InputFileError(
        f"{file} (wave {wave_id}): {len(bad)} of the {n} participant ids in column "
        f"'{id_column}' ({len(bad) / n:.0%}) do not match id_pattern '{pattern}', even with "
        f"leading zeros restored; e.g. {ex}. Fix id_pattern in {config_name()} to describe "
        f"these ids (or remove it), or check that '{id_column}' is the id column of this "
        "export."
    )


def _wave_dates(raw: dict[str, pd.DataFrame], waves: Sequence[Wave],
                ids: dict[str, pd.Series]) -> list[WaveDates | None]:
    """Every wave's (normalised ids, parsed completion dates); None for a wave without a date
    column (pairs with such a wave are not judged)."""
    out: list[WaveDates | None] = []
    for w in waves:
        frame = raw[w.id]
        if not w.date_column or w.date_column not in frame.columns:
            out.append(None)
            continue
        out.append(WaveDates(w.id, Path(w.file).name, ids[w.id],
                             parse_dates(frame[w.date_column])[0]))
    return out


def cross_wave_checks(
    raw: dict[str, pd.DataFrame],
    *,
    waves: Sequence[Wave],
    wave_paths: dict[str, Path],
    id_column: str,
    min_id_overlap: float,
    id_pattern: str | None = None,
) -> None:
    """Refuse follow-up files that cannot belong to this cohort, in this order: the same file
    twice; ids not matching ``id_pattern`` (when set; ids are re-padded to it first); waves
    whose completion dates say they are swapped (:mod:`pipeline.clean.timeorder`); a changed
    id format; ids that barely overlap baseline. ``raw``: wave id -> the reader's data;
    ``wave_paths``: wave id -> its export (waves read from one long file are left out)."""
    check_same_file([(w.id, wave_paths[w.id]) for w in waves
                     if not (w.event or w.wave_column or w.instance is not None)])
    written, ids = {}, {}
    for w in waves:
        fixed = apply_id_pattern(raw[w.id][id_column], id_pattern)
        if id_pattern:
            check_id_pattern(fixed, id_pattern, file=Path(w.file).name, wave_id=w.id,
                             id_column=id_column)
        written[w.id], ids[w.id] = fixed.as_written, normalise_id(fixed.ids)
    dated = _wave_dates(raw, waves, ids)
    for pair in zip(dated, dated[1:]):
        if None not in pair:
            check_swapped_waves(pair)
    base = waves[0].id
    keep_b = ids[base].notna()
    for w in waves[1:]:
        keep = ids[w.id].notna()
        file = Path(w.file).name
        check_id_format(ids[base][keep_b], ids[w.id][keep], file=file, wave_id=w.id,
                        id_column=id_column,
                        shown=(written[base][keep_b], written[w.id][keep]))
        check_id_overlap(ids[base][keep_b], ids[w.id][keep], file=file, wave_id=w.id,
                         threshold=min_id_overlap, shown=written[w.id][keep])


def _refuse_if_swapped(cleaned: Sequence[pd.DataFrame], waves: Sequence[Wave], i: int) -> None:
    """Say "waves swapped?" (not "re-typed ids") when the dates of wave ``i`` and the wave
    before it say so (cleaned waves with ``date``)."""
    if not all("date" in c.columns for c in cleaned[i - 1: i + 1]):
        return
    prev, cur = (WaveDates(waves[k].id, Path(waves[k].file).name, cleaned[k]["pid"],
                           cleaned[k]["date"]) for k in (i - 1, i))
    problem = swapped_waves_problem(prev, cur)
    if problem:
        raise InputFileError(problem)


def check_unmatched(
    cleaned: Sequence[pd.DataFrame],
    raw: dict[str, pd.DataFrame],
    *,
    waves: Sequence[Wave],
    id_column: str,
    limit: float,
) -> None:
    """Refuse a follow-up wave in which more than ``limit`` (``cleaning.max_unmatched_share``)
    of the participants have ids never seen at baseline: usually ids re-typed or re-formatted
    for part of the file (e.g. "12" for "SP-0012"), which would silently drop real respondents.

    ``cleaned``: the cleaned waves (``pid``, ``_source_row``) in the order of ``waves``;
    ``raw``: wave id -> the reader's data (for the id patterns of the unmatched rows; the
    message shows patterns, never raw ids). When the completion dates say wave ``k`` and the
    wave before it are swapped, that is said instead (:func:`_refuse_if_swapped`).
    """
    base_pids = cleaned[0]["pid"]
    for i, w in enumerate(waves[1:], start=1):
        ov = id_overlap(base_pids, cleaned[i]["pid"])
        if ov.n_followup == 0 or ov.unmatched_share <= limit:
            continue
        _refuse_if_swapped(cleaned, waves, i)
        bad = cleaned[i][~cleaned[i]["pid"].isin(set(base_pids.dropna()))]
        src = raw[w.id].set_index("_source_row")[id_column]
        shapes = src.reindex(bad["_source_row"].astype(int)).dropna().astype(str).map(id_shape)
        base_shapes = raw[waves[0].id][id_column].dropna().astype(str).map(id_shape)
        raise DataError(
            f"{Path(w.file).name}: {ov.n_unmatched} of the {ov.n_followup} participants of wave "
            f"{w.id} ({ov.unmatched_share:.0%}) have ids that were never seen at baseline (limit "
            f"cleaning.max_unmatched_share = {limit:.0%}). Their id patterns: "
            + ", ".join(f"'{k}' x{v}" for k, v in shapes.value_counts().head(3).items())
            + "; baseline ids look like "
            + ", ".join(f"'{k}'" for k in base_shapes.value_counts().head(2).index)
            + " (9 = digit, A = letter). Correct the ids in the export (or raise "
            "cleaning.max_unmatched_share if these really are new people); the rows are listed "
            "in the QC log of a run with a higher limit."
        )
