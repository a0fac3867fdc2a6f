"""Whole-column checks that catch a wrongly coded export before it is analysed.

``check_coding_shift`` (one column) and :func:`check_scale_coding` (every Likert item of every
scale, and each scale's items pooled; all affected ones in one message) raise
:class:`InputFileError`; ``check_text_answers``
returns the list of problems and :func:`check_label_answers` raises them all in one message
(:func:`raise_problems`). Completion dates: :mod:`pipeline.ingest.dates`; SPSS/Stata value
labels: :mod:`pipeline.ingest.labels`; checks across waves run in the clean stage
(:mod:`pipeline.clean.crosswave`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import pandas as pd

from pipeline.config import Scale
from pipeline.errors import InputFileError, config_name
from pipeline.text import missing_keys, norm_label, norm_text

LIKERT_MAX_SPAN = 10
"""Scales whose range spans at most this many points are Likert-type (coding-shift checked)."""


def raise_problems(problems: Sequence[str], *, file: str, what: str, advice: str) -> None:
    """Raise one InputFileError listing all ``problems`` (no-op when the list is empty)."""
    if problems:
        raise InputFileError(
            f"{file}: {len(problems)} {what}:\n  - " + "\n  - ".join(problems) + f"\n{advice}"
        )


def coding_shift_problem(values: pd.Series, *, column: str, lo: float, hi: float,
                         min_share: float = 0.05) -> str | None:
    """The problem text when an item's numeric codes look shifted by one against ``lo``-``hi``
    (``None`` otherwise).

    Shift down (e.g. 0-6 for a 1-7 item): at least max(3, ``min_share``) of the answers equal
    ``lo - 1`` and none equal ``hi``. The ingest stage also runs it on all items of a scale
    pooled (``min_share`` 1%, :func:`check_scale_coding`), which catches a recoded scale whose
    items each have few zeros. Shift up is symmetric. A few out-of-range values alongside ``hi``
    answers are not a shift (the cleaner sets them missing, logged). Fewer shifted codes than
    that are left to the clean stage, which compares the wave with the baseline
    (``pipeline.clean.coding``).
    """
    v = pd.to_numeric(pd.Series(values, dtype=object), errors="coerce").dropna()
    n = len(v)
    if n < 5:
        return None
    need = max(3, math.ceil(min_share * n))
    below, above = int((v == lo - 1).sum()), int((v == hi + 1).sum())
    at_lo, at_hi = int((v == lo).sum()), int((v == hi).sum())
    if below >= need and at_hi == 0:
        count, edge, absent = below, lo - 1, hi
    elif above >= need and at_lo == 0:
        count, edge, absent = above, hi + 1, lo
    else:
        return None
    return (
        f"column '{column}': answers run {_num(v.min())}-{_num(v.max())} ({count} of {n} answers "
        f"are {_num(edge)}, none is {_num(absent)}) but the configured range is "
        f"{_num(lo)}-{_num(hi)}: the coding looks shifted by one"
    )


SHIFT_ADVICE = (
    "Re-export with the same codes as the other waves (check the survey tool's recode values), "
    "or, if this wave was exported on other codes on purpose, declare them for the scale "
    "(scales.<scale>.range_by_wave: {<wave>: [lowest, highest]}), then run again."
)


def check_coding_shift(values: pd.Series, *, column: str, file: str, lo: float, hi: float,
                       min_share: float = 0.05) -> None:
    """Refuse one item whose codes look shifted by one (:func:`coding_shift_problem`)."""
    problem = coding_shift_problem(values, column=column, lo=lo, hi=hi, min_share=min_share)
    if problem:
        raise InputFileError(f"{file}, {problem}. {SHIFT_ADVICE}")


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def check_scale_coding(data: pd.DataFrame, scales: dict[str, Scale], *, file: str,
                       wave: str | None = None) -> None:
    """:func:`coding_shift_problem` on every item of every Likert-type scale (range span <=
    :data:`LIKERT_MAX_SPAN`), then on each multi-item scale's items pooled (``min_share`` 1%):
    a recode shifts all items of a scale, each of which may show only a few shifted codes.

    Every affected item and scale is named in one InputFileError. A scale's configured
    ``missing_codes`` are not answers and are left out. When the config declares this
    ``wave``'s own range for a scale (``range_by_wave``), its codes are checked against that
    range: a declared 0-6 export is not refused.
    """
    problems: list[str] = []
    for sc in scales.values():
        lo, hi = sc.range_by_wave.get(wave, sc.range) if wave is not None else sc.range
        if hi - lo > LIKERT_MAX_SPAN:
            continue
        cols = {it: _answers(data[it], sc) for it in sc.items if it in data.columns}
        shifted = [coding_shift_problem(v, column=it, lo=lo, hi=hi) for it, v in cols.items()]
        problems += [p for p in shifted if p]
        if len(cols) > 1:
            pooled = pd.concat(list(cols.values()), ignore_index=True)
            problems += [p for p in [coding_shift_problem(
                pooled, column=f"scale {sc.key} ({', '.join(sc.items)})", lo=lo, hi=hi,
                min_share=0.01)] if p]
    raise_problems(problems, file=file, what="item(s)/scale(s) whose coding looks shifted",
                   advice=SHIFT_ADVICE)


def _answers(col: pd.Series, sc: Scale) -> pd.Series:
    """The column's numeric answers, the scale's missing codes left out."""
    v = pd.to_numeric(pd.Series(col, dtype=object), errors="coerce").dropna()
    return v[~v.isin(list(sc.missing_codes))] if sc.missing_codes else v


def check_text_answers(
    df: pd.DataFrame,
    label_maps_by_column: dict[str, dict[str, float]],
    *,
    row_column: str = "_source_row",
    missing_words: tuple[str, ...] | None = None,
) -> list[str]:
    """Every text answer that is not in its column's label map, one problem per value.

    Matching ignores case and surrounding white space (as the cleaner does); numbers (codes)
    and blanks are not text answers. Each problem names the column, the value, how often it
    occurs and the rows (from ``row_column`` when present, else the index). The "no answer"
    words (``missing_words``, default :data:`pipeline.text.MISSING_TOKENS`) are not labels.
    """
    problems: list[str] = []
    for col, label_map in label_maps_by_column.items():
        if col not in df.columns:
            continue
        known = {norm_label(k) for k in label_map}  # as the cleaner matches (pipeline.text)
        known |= set(missing_keys(missing_words))  # "n/a", "-" ... mean no answer: not labels
        s = df[col].dropna()
        s = s[s.map(lambda v: isinstance(v, str))].astype(str)
        s = s[s.str.strip() != ""]
        s = s[pd.to_numeric(s.str.strip(), errors="coerce").isna()]
        unknown = s[~norm_text(s).isin(known).to_numpy(dtype=bool)]
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


def check_label_answers(data: pd.DataFrame, scales: dict[str, Scale], *, file: str,
                        missing_words: tuple[str, ...] | None = None) -> None:
    """Refuse text answers that are not in their scale's label map, all listed in one message
    (:func:`check_text_answers`)."""
    label_maps = {it: sc.label_map for sc in scales.values() if sc.label_map for it in sc.items}
    raise_problems(
        check_text_answers(data, label_maps, missing_words=missing_words), file=file,
        what="text answers that are not in the label map",
        advice=f"Add each label to the scale's label map in {config_name()} (with its "
        "code, or null if it means 'no answer'), or correct the export, then run again.",
    )
