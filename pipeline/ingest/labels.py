"""SPSS/Stata value labels against the config's label maps.

A value label stored in the file says what a code means there. When the same label has another
code in the config's label map, the numbers in this file mean something else than in the other
waves: the ingest stage refuses the file (:func:`check_value_labels`). Labels the map does not
know are logged (``flagged``) and reported, not dropped. Declared user-missing codes
(``meta["user_missing"]``: points and ranges) are left out of the comparison.
"""

from __future__ import annotations

import logging
from typing import Any

from pipeline.config import Scale
from pipeline.text import norm_label

from .checks import raise_problems
from .result import ReadResult, log_entry
from .stat_reader import show_code

__all__ = ["check_value_labels", "compare_value_labels", "user_missing_codes"]

log = logging.getLogger("pipeline.ingest")


def compare_value_labels(
    value_labels: dict[str, dict[Any, str]],
    label_map: dict[str, float],
    *,
    missing_codes: dict[str, list[Any]] | None = None,
    offset: float = 0.0,
) -> list[str]:
    """Labels in a file that differ from the config's label map, one message each.

    Reports labels the map does not know and labels whose code differs from the map's code
    (matching ignores case and white space, as the cleaner does: :func:`pipeline.text.norm_label`).
    Codes listed in
    ``missing_codes[column]`` (user-missing) are skipped. ``offset`` is added to the file's codes
    before comparing (a wave declared on its own range, ``range_by_wave``: ``lo - wave_lo``).
    Returns [] when everything agrees.
    """
    norm_map = {norm_label(k): v for k, v in label_map.items()}
    problems = []
    for col, labels in value_labels.items():
        skip = set((missing_codes or {}).get(col, []))
        for code, label in labels.items():
            if code in skip:
                continue
            key = norm_label(label)
            if key not in norm_map:
                problems.append(
                    f"column '{col}': value label '{label}' (code {show_code(code)}) is not in the "
                    "config label map"
                )
            elif not _same_code(norm_map[key], code, offset):
                shifted = f" ({show_code(float(code) + offset)} after range_by_wave)" if offset \
                    else ""
                problems.append(
                    f"column '{col}': value label '{label}' has code {show_code(code)} in the file"
                    f"{shifted} but {show_code(norm_map[key])} in the config label map"
                )
    return problems


def _same_code(a: Any, b: Any, offset: float = 0.0) -> bool:
    """``a`` (the config's code) equals ``b`` (the file's code) + ``offset``."""
    try:
        return float(a) == float(b) + offset
    except (TypeError, ValueError):
        return str(a).strip() == str(b).strip()


def user_missing_codes(user_missing: dict[str, list[dict[str, Any]]]) -> dict[str, list[Any]]:
    """Point codes (lo == hi) per column, for :func:`compare_value_labels`'s ``missing_codes``."""
    return {
        c: [r["lo"] for r in rs if r.get("lo") == r.get("hi")] for c, rs in user_missing.items()
    }


def _code(c: Any) -> Any:
    """A code as a number when it is one (labels' keys may be text in JSON meta)."""
    try:
        return float(c)
    except (TypeError, ValueError):
        return c


def _is_user_missing(code: Any, declared: list[Any] | None) -> bool:
    """True when ``code`` is one of the file's declared user-missing values or ranges."""
    for d in declared or []:
        if isinstance(d, dict):
            try:
                if float(d["lo"]) <= float(code) <= float(d["hi"]):
                    return True
            except (TypeError, ValueError, KeyError):
                continue
        elif _code(d) == code:
            return True
    return False


def value_label_problems(
    value_labels: dict[str, dict[Any, str]],
    user_missing: dict[str, list[Any]],
    scales: dict[str, Scale],
    wave: str | None = None,
) -> tuple[list[str], list[str]]:
    """(conflicts, unknown): labels whose code differs from the scale's label map, and labels
    the map does not know (:func:`compare_value_labels`, per scale with a label map). A scale
    declared on its own range in ``wave`` (``range_by_wave``) is compared after the shift."""
    conflicts, unknown = [], []
    for sc in scales.values():
        if not sc.label_map:
            continue
        labels = {it: {_code(c): lab for c, lab in value_labels[it].items()}
                  for it in sc.items if it in value_labels}
        codes = {k: v for k, v in sc.label_map.items() if v is not None}
        missing = {it: [_code(c) for c in value_labels[it]
                        if _is_user_missing(_code(c), user_missing.get(it))]
                   for it in labels}
        wave_range = sc.range_by_wave.get(wave) if wave is not None else None
        offset = sc.range[0] - wave_range[0] if wave_range else 0.0
        for problem in compare_value_labels(labels, codes, missing_codes=missing, offset=offset):
            (unknown if problem.endswith("is not in the config label map") else conflicts
             ).append(problem)
    return conflicts, unknown


def check_value_labels(result: ReadResult, scales: dict[str, Scale], *, file: str,
                       wave: str | None = None) -> None:
    """Compare the value labels stored in an SPSS/Stata file with the config's label maps.

    A label whose code in the file differs from the config's code: refused, all such labels
    listed (codes of a wave declared on its own range, ``range_by_wave``, are compared after the
    shift). Labels the map does not know: logged in the read log (action "flagged") and the rule
    log, not silently dropped.
    """
    value_labels = result.meta.get("value_labels") or {}
    if not value_labels:
        return
    conflicts, unknown = value_label_problems(
        value_labels, result.meta.get("user_missing") or {}, scales, wave)
    raise_problems(
        conflicts, file=file, what="value labels whose codes differ from the config",
        advice="The numbers in this file are coded differently from the other waves. Recode "
        "the export to the configured codes (or correct the label map), then run again.",
    )
    if unknown:
        result.add_log([log_entry(file, None, p.split("'")[1], None, "value label not in the "
                                  "config label map: " + p, "flagged") for p in unknown])
        for p in unknown:
            log.warning("%s: %s", file, p)
