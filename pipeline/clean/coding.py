"""Coding shifts across waves: a follow-up wave exported on other codes than the baseline.

The ingest stage checks each wave alone (``pipeline.ingest.checks.check_scale_coding``), which
needs a fair number of shifted codes: a 1-7 scale exported 0-6 in one wave, with 7 zeros among
702 answers, passes it, the zeros are set missing and every other answer reads one point low (a
spurious decline). Here each follow-up wave's answers to a scale (all items pooled, numbers only:
text labels are decoded by the label map to the configured codes) are compared with the
baseline's, looking for the *shape* of a whole-code shift, never a mean difference (a real
decline moves answers down but keeps them on the scale):

* answers outside the range on one side (``lo - 1``, zeros on a 1-based scale; any count), and
* the code at the other end never used while baseline uses it (>= :data:`END_SHARE`), or the
  lowest and the highest code both moved by the same whole number against baseline.

Both signs (the out-of-range answers, and one of the others) are needed: a stray 0 typed among
answers that still use 7 is a typo, which the cleaner sets missing and logs. Baseline answers
outside the range are left out of the comparison (a typed 8 at baseline is not its coding).
When no follow-up is off, the baseline is compared the same way with the follow-ups pooled (a
baseline exported on other codes than every later wave).

Known limit: a strong real decline in which nobody uses the top code any more, together with a
typed 0 at follow-up, looks like a shift; the message then says to list 0 in the scale's
``missing_codes`` or fix the typo. Checked on real pre/post data (15 seven-point scales, an
intervention study): nothing flagged; one scale shifted by hand: flagged.

Every affected scale and wave is named in one :class:`pipeline.errors.DataError` with its
numbers. A wave whose
own range is declared (``scales.<k>.range_by_wave``) is compared after its numbers are shifted
onto the scale's range (:func:`pipeline.clean.values.clean_item` does the same), so a correct
declaration passes; :func:`wave_range_log` is the QC-log row of that recode.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from pipeline.clean.qc_log import Where, summary_log
from pipeline.clean.values import ParsedCells, parse_cells
from pipeline.config import Scale, Wave
from pipeline.errors import DataError
from pipeline.text import number_text

__all__ = ["END_SHARE", "LIKERT_MAX_SPAN", "MIN_ANSWERS", "check_coding_shifts", "scale_codes",
           "shift_signs", "wave_range_log"]  # fmt: skip

LIKERT_MAX_SPAN = 10
"""Scales whose range spans at most this many points are checked (as in the ingest check; a
wing may not import another wing's modules, so the number is repeated here and a test keeps the
two equal)."""
END_SHARE = 0.05
"""Baseline share of answers at an end code above which "never used at follow-up" is a sign."""
MIN_ANSWERS = 5
"""Fewer answers than this in either wave: not compared."""


def _n(x: float) -> str:
    return number_text(float(x))


def scale_codes(frame: pd.DataFrame, sc: Scale, wave: str,
                missing_words: tuple[str, ...] | None = None) -> np.ndarray:
    """The numeric answers to ``sc``'s items in one wave's raw data, pooled: missing codes left
    out, a declared wave range shifted onto the scale's range. Text answers are left out."""
    lo = sc.range[0]
    out = []
    for it in sc.items:
        if it not in frame.columns:
            continue
        p = parse_cells(frame[it], sc.label_map, missing_words)
        v = p.value[p.kind.eq("number") & p.value.notna()].to_numpy(dtype=float)
        v = v[~np.isin(v, list(sc.missing_codes))] if sc.missing_codes else v
        if wave in sc.range_by_wave:
            v = v - sc.range_by_wave[wave][0] + lo
        out.append(v)
    return np.concatenate(out) if out else np.array([], dtype=float)


def _end_sign(w: np.ndarray, b: np.ndarray, end: float, name: str, base_wave: str) -> str | None:
    """'top code 7 never used, 12% at T0' when ``end`` is unused in ``w`` but common in ``b``."""
    share = float(np.mean(b == end))
    if (w == end).any() or share < END_SHARE:
        return None
    return f"{name} code {_n(end)} never used, {share:.0%} at {base_wave}"


def shift_signs(w: np.ndarray, b: np.ndarray, lo: float, hi: float,
                base_wave: str) -> tuple[int, str] | None:
    """(shift in codes, the signs in words) when follow-up answers ``w`` look shifted by a
    whole code against baseline answers ``b`` on the range ``lo``-``hi`` (module docstring);
    ``None`` otherwise. Baseline answers outside the range (typos) are left out: a stray 8 at
    baseline and a stray 0 at follow-up must not read as "both ends moved by -1"."""
    b = b[(b >= lo) & (b <= hi)]  # baseline typos (an 8 on 1-7) say nothing of its coding
    if len(w) < MIN_ANSWERS or len(b) < MIN_ANSWERS:
        return None
    moved = float(w.min() - b.min())
    same = moved != 0 and moved == float(w.max() - b.max()) and moved.is_integer()
    for side in (-1, 1):
        limit, far_end, name = (lo, hi, "top") if side < 0 else (hi, lo, "bottom")
        outside = (w < lo) if side < 0 else (w > hi)
        if not outside.any():
            continue
        edge = w.min() if side < 0 else w.max()
        n_out = int(outside.sum())
        signs = [f"{n_out} answer{'s' if n_out > 1 else ''} of {len(w)} "
                 f"{'are' if n_out > 1 else 'is'} "
                 f"{'below' if side < 0 else 'above'} {_n(limit)}, "
                 f"{'down' if side < 0 else 'up'} to {_n(edge)}"]
        end = _end_sign(w, b, far_end, name, base_wave) if edge == limit + side else None
        signs += [end] if end else []
        k = side
        if same and np.sign(moved) == side:
            k = int(moved)
            signs.append(f"lowest and highest code both {k:+d} against {base_wave} "
                         f"({_n(b.min())}-{_n(b.max())})")
        if len(signs) > 1:
            return k, "; ".join(signs)
    return None


def _problem(key: str, sc: Scale, wave: str, w: np.ndarray, k: int, signs: str) -> str:
    lo, hi = sc.range
    declared = sc.range_by_wave.get(wave)
    base = declared if declared else (lo, hi)
    new = f"[{_n(base[0] + k)}, {_n(base[1] + k)}]"
    found = f"codes {_n(w.min())}-{_n(w.max())}"
    said = (f" after the declared range_by_wave {{{wave}: [{_n(base[0])}, {_n(base[1])}]}}"
            if declared else "")
    stray = _n(lo - 1) if k < 0 else _n(hi + 1)
    return (f"{key} at {wave}: {found}{said} ({signs}) -- looks exported "
            f"{_n(base[0] + k)}-{_n(base[1] + k)} instead of {_n(base[0])}-{_n(base[1])}. If so, "
            f"declare range_by_wave: {{{wave}: {new}}} for the scale; if the {stray}s are errors, "
            f"fix the export (or list {stray} in the scale's missing_codes)")


def _scale_problems(key: str, sc: Scale, raw: Mapping[str, pd.DataFrame], ids: list[str],
                    missing_words: tuple[str, ...] | None) -> list[str]:
    """One scale: each follow-up against the baseline; when none is off, the baseline against
    the follow-ups pooled (a baseline exported on other codes than every later wave)."""
    lo, hi = sc.range
    codes = {w: scale_codes(raw[w], sc, w, missing_words) for w in ids if w in raw}
    base, later = ids[0], [w for w in ids[1:] if w in codes]
    if base not in codes or not later:
        return []
    out = []
    for w in later:
        found = shift_signs(codes[w], codes[base], lo, hi, base)
        if found:
            out.append(_problem(key, sc, w, codes[w], *found))
    if not out:
        pooled = np.concatenate([codes[w] for w in later])
        found = shift_signs(codes[base], pooled, lo, hi, "follow-up (" + ", ".join(later) + ")")
        if found:
            out.append(_problem(key, sc, base, codes[base], *found))
    return out


def check_coding_shifts(raw: Mapping[str, pd.DataFrame], *, waves: Sequence[Wave],
                        scales: Mapping[str, Scale],
                        missing_words: tuple[str, ...] | None = None) -> None:
    """Refuse waves whose answers to a scale look shifted by a whole code against the baseline
    (or a baseline against the follow-ups pooled; module docstring), naming every affected scale
    and wave in one DataError.

    ``raw``: wave id -> the reader's data. Scales spanning more than :data:`LIKERT_MAX_SPAN`
    points (e.g. a 0-100 VAS) are not checked.
    """
    if len(waves) < 2:
        return
    ids = [w.id for w in waves]
    problems = [p for key, sc in scales.items() if sc.range[1] - sc.range[0] <= LIKERT_MAX_SPAN
                for p in _scale_problems(key, sc, raw, ids, missing_words)]
    if problems:
        raise DataError(
            f"coding shift: {len(problems)} scale(s) use other codes in one wave than in the "
            f"others (baseline {ids[0]}; items pooled, numeric answers):\n  - "
            + "\n  - ".join(problems)
            + "\nA shifted export would read every answer one code off (a spurious change). "
            "Declare each wave's own range or correct the export, then run again."
        )


def wave_range_log(where: Where, item: str, sc: Scale, parsed: ParsedCells) -> pd.DataFrame | None:
    """The QC-log summary row of an item recoded from its wave's declared range (action
    ``recoded``): "recoded from the wave's range 0-6 to 1-7"."""
    if parsed.shifted is None or where.wave not in sc.range_by_wave:
        return None
    wlo, whi = sc.range_by_wave[where.wave]
    lo, hi = sc.range
    return summary_log(where, parsed.shifted, item,
                       f"recoded from the wave's range {_n(wlo)}-{_n(whi)} to {_n(lo)}-{_n(hi)} "
                       "(range_by_wave)", "recoded")
