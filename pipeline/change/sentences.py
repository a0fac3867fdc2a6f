"""Plain-language sentences on change for the report: group change and individual change.

Wording follows the evidence (GRADE guidance 26 via :mod:`pipeline.wording`): a change is
described as an increase/decrease only when its multiplicity-adjusted interval
(``ci_lower_adj``/``ci_upper_adj``: Bonferroni simultaneous intervals, see
:mod:`pipeline.stats.emmeans`) excludes 0, and then as "likely increased": a single group
measured over time is a design caveat, so the certain "increased" is never earned here. The
interval is labelled as what it is ("95% CI, Bonferroni-adjusted over 2 contrasts", or the
table's own ``ci_label_adj``). Never causal (no "the programme improved"). Units name the scale
and its range when given ("points on the 3–9 UCLA-3 sum").

Individual change: shares of people with reliable change (Jacobson & Truax 1991), only as the
disclosure-controlled table (:func:`pipeline.change.rci.public_rci_shares`) shows them: a count
hidden there (small, or hidden so that a small one cannot be recovered) is never given as a
percentage in a sentence (a share of a known n gives the count back).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import numpy as np
import pandas as pd

from pipeline.change.rci import public_rci_shares, short_citation
from pipeline.errors import DataError
from pipeline.status import Status
from pipeline.wording import (
    EN_DASH,
    change_verb,
    ci_label,
    decimals_for,
    evidence_grade,
    fmt_ci,
    plain_reason,
)
from pipeline.wording import lower_first as _in_sentence

__all__ = ["change_sentence", "rci_sentence", "mid_words", "band_range", "bands_sentence",
           "sentences_table"]

MINUS = "\u2212"
OK, NOT_ESTIMABLE, FAILED = Status.OK.value, Status.NOT_ESTIMABLE.value, Status.FAILED.value



def _lower_first(text: str) -> str:
    """'Quality of life (EQ VAS)' -> 'quality of life (EQ VAS)'; leaves acronyms ('EQ VAS')."""
    if len(text) > 1 and text[0].isupper() and text[1].islower():
        return text[0].lower() + text[1:]
    return text


def _num(x: float, decimals: int) -> str:
    s = f"{x:.{decimals}f}"
    if float(s) == 0:
        s = f"{0:.{decimals}f}"
    return s.replace("-", MINUS)


def _verb(name: str) -> str:
    """'were' for a plural construct name ("Group memberships"), else 'was' ("Loneliness")."""
    words = re.sub(r"\s*\([^)]*\)", "", name).strip().split()
    head = words[-1] if words else ""
    if head.isupper():  # an acronym such as "EQ VAS"
        return "was"
    head = head.lower()
    return "were" if head.endswith("s") and not head.endswith(("ss", "us", "is")) else "was"


def change_sentence(
    contrasts: pd.DataFrame,
    construct: str,
    label: str | None = None,
    wave_phrases: Mapping[str, str] | None = None,
    baseline_phrase: str = "entry",
    unit: str = "points",
    decimals: int | None = None,
    scale_range: tuple[float, float] | None = None,
    units: str | None = None,
    score: str | None = None,
) -> str:
    """Plain-language sentences (one per follow-up) on model-based change in ``construct``.

    Branches, per follow-up contrast row:
    - fewer than min_cell people at the wave (flag "small_n"; status "not_estimable" as
      :func:`pipeline.change.trajectory.fit_trajectory` now reports it, or "ok" in older tables):
      "Too few people answered at <wave> to describe change in X."; a not_estimable row whose
      message says that only N people answered at the baseline wave: "Too few people answered
      at entry to describe change in X."
    - status not ok (or no finite estimate): "Change in X from entry to <wave> could not be
      estimated from these data." (failed: "... because the statistical model did not
      converge.")
    - adjusted CI excludes 0: "X likely increased|decreased between entry and <wave> (by d
      units, <label> a to b)." (GRADE-26 verb; <label> from :func:`_label`)
    - otherwise: "There was no clear change in X between entry and <wave> (difference d units,
      <label> a to b)."
    ``units`` (e.g. "points on the 3–9 UCLA-3 sum") replaces ``unit`` when given.
    ``wave_phrases`` maps wave id -> phrase ("at about 4 months"); default "at <months> months".
    ``decimals`` defaults to the findings' rule per contrast (:func:`pipeline.wording.
    decimals_for` on ``scale_range``, the score kind ``score`` and the estimate and bounds): 3
    for an index, 1 for a sum, 2 for a short item mean (1-7), 1 for a long one (0-100); more
    for small values.
    """
    rows = contrasts[contrasts["construct"] == construct]
    if rows.empty:
        raise DataError(
            f"change sentence: construct '{construct}' is not in the contrasts table; run the "
            "change stage for it."
        )
    lo, hi = scale_range if scale_range is not None else (None, None)

    def dec(r: pd.Series) -> int:
        if decimals is not None:
            return decimals
        vals = pd.to_numeric(pd.Series([r.get(c) for c in ("est", "ci_lower_adj",
                                                              "ci_upper_adj")]), errors="coerce")
        return decimals_for(lo, hi, [float(v) for v in vals.dropna()], score)

    name = label or construct
    k = int((rows["status"] == OK).sum()) or len(rows)
    return " ".join(_contrast_sentence(r, name, wave_phrases, baseline_phrase, units or unit,
                                       dec(r), _label(r, k))
                    for _, r in rows.iterrows())


def _label(r: pd.Series, k: int) -> str:
    """The adjusted interval's label: the table's ``ci_label_adj`` if it has one; else, when
    the table says the p-values are adjusted (``p_adjust``) over more than one contrast,
    "95% CI, Bonferroni-adjusted over k contrasts" (the simultaneous intervals of
    :func:`pipeline.stats.emmeans.ci_level_adjusted` are Bonferroni's; Holm's test has no
    compatible intervals); else "95% CI"."""
    own = r.get("ci_label_adj", "")
    if isinstance(own, str) and own:
        return own
    adj = str(r.get("p_adjust", "") or "")
    if adj and adj.lower() not in ("none", "nan") and k > 1:
        return ci_label(0.95, "bonferroni", k)
    return ci_label(0.95)


def _contrast_sentence(r: pd.Series, name: str, wave_phrases: Mapping[str, str] | None,
                       baseline_phrase: str, unit: str, dec: int, label: str = "95% CI") -> str:
    """The sentence of one contrast row (branches as in :func:`change_sentence`)."""
    lname = _lower_first(name)
    phrase = (wave_phrases or {}).get(r["wave"])
    if phrase is None:
        phrase = f"at {r['months']:g} months" if np.isfinite(r["months"]) else f"at {r['wave']}"
    msg = r.get("message", "")
    msg = msg if isinstance(msg, str) else ""
    base = str(r.get("contrast", "")).partition(" - ")[2]
    if (r["status"] == NOT_ESTIMABLE and msg.startswith("only ") and base
            and f"answered at {base} " in msg):  # too few people at baseline
        return f"Too few people answered at {baseline_phrase} to describe change in {lname}."
    if r.get("flag", "") == "small_n" and r["status"] in (OK, NOT_ESTIMABLE):
        return f"Too few people answered {phrase} to describe change in {lname}."
    if r["status"] != OK:
        why = (" because the statistical model did not converge" if r["status"] == FAILED
               else " from these data")
        return (f"Change in {lname} from {baseline_phrase} to {phrase.removeprefix('at ')} "
                f"could not be estimated{why}.")
    if not all(np.isfinite(float(r[c])) for c in ("est", "ci_lower_adj", "ci_upper_adj")):
        return (f"Change in {lname} from {baseline_phrase} to {phrase.removeprefix('at ')} "
                "could not be estimated from these data.")
    est, lo, hi = r["est"], r["ci_lower_adj"], r["ci_upper_adj"]
    grade = evidence_grade(est, lo, hi, ["single_group"])
    if grade != "no_clear":
        mag, a, b = (est, lo, hi) if est > 0 else (-est, -hi, -lo)
        return (f"{name[0].upper() + name[1:]} {change_verb(grade, est)} between "
                f"{baseline_phrase} and {phrase.removeprefix('at ')} "
                f"(by {_num(mag, dec)} {unit}, {fmt_ci(a, b, dec, label)}).")
    return (f"There was no clear change in {lname} between {baseline_phrase} and "
            f"{phrase.removeprefix('at ')} (difference {_num(est, dec)} {unit}, "
            f"{fmt_ci(lo, hi, dec, label)}).")


def _public_count(public: pd.DataFrame | None, construct: str, wave: str, cat: str) -> str | None:
    """The count of ``cat`` as the public table shows it (None: no public table given)."""
    if public is None:
        return None
    hit = public[(public["construct"] == construct) & (public["wave"] == wave)
                 & (public["category"] == cat)]
    return str(hit["count"].iloc[0]) if len(hit) else ""


def _public_n(public: pd.DataFrame | None, construct: str, wave: str) -> str | None:
    """The number with both scores as the public table prints it ("177", "169-177"); None
    without a public table."""
    if public is None:
        return None
    hit = public[(public["construct"] == construct) & (public["wave"] == wave)]
    return None if hit.empty or pd.isna(hit["n"].iloc[0]) else str(hit["n"].iloc[0])


def rci_sentence(shares: pd.DataFrame, construct: str, wave: str, *, label: str,
                 wave_phrase: str, min_cell: int = 10, public: pd.DataFrame | None = None
                 ) -> str:
    """Plain-language share of people with reliable change (Jacobson & Truax 1991) for one
    construct and follow-up, e.g. "Of the 177 people with community belonging scores at entry and
    at about 4 months, 10% (95% CI 6% to 15%) reliably improved and 4% (2% to 8%) reliably
    deteriorated." Counts below ``min_cell`` are not given as percentages ("fewer than 10"); when
    fewer than ``min_cell`` people have both scores (flag "small_n", whatever the status): "Too
    few people answered <wave> to describe individual change in X.". ``public``: the
    disclosure-controlled shares (:func:`pipeline.change.rci.public_rci_shares`); a count it
    hides is not given as a percentage ("a number not shown, to protect a small group"), and
    the number with both scores is printed as it prints it (a range, "169-177", when the exact
    number would give back a small group beside the number who answered).
    With a minimal important difference (a ``mid_improved`` row), the share that improved by
    at least it follows, with where the MID came from (:func:`mid_words`): "...; 30% (95% CI
    22% to 39%) improved by at least the minimal important difference (3 points; Maheswaran et
    al. 2012)."; when reliable change cannot be assessed, that share still is."""
    rows = shares[(shares["construct"] == construct) & (shares["wave"] == wave)]
    name = label[:1].lower() + label[1:] if label[:2] != label[:2].upper() else label
    n_rows = pd.to_numeric(rows.get("n", pd.Series(dtype=float)), errors="coerce")
    flagged = rows.get("flag", pd.Series(dtype=object)).eq("small_n")
    if flagged.any() or ((n_rows > 0) & (n_rows < min_cell)).any():
        return f"Too few people answered {wave_phrase} to describe individual change in {name}."
    if rows.empty or (rows["status"] != OK).all():
        has_msg = len(rows) and rows["message"].notna().any()
        msg = plain_reason(rows["message"].dropna().iloc[0]) if has_msg else ""
        reason = f" ({msg.rstrip('.')})" if msg else ""
        return (f"Reliable change in {name} {wave_phrase} could not be assessed{reason}.")
    by = rows.set_index("category")
    if int(by["n"].iloc[0]) < min_cell:
        return f"Too few people answered {wave_phrase} to describe individual change in {name}."
    n = _public_n(public, construct, wave) or str(int(by["n"].iloc[0]))

    def part(cat: str) -> str:
        if cat not in by.index:
            return "an unknown share"
        r = by.loc[cat]
        if 0 < int(r["count"]) < min_cell:
            return f"fewer than {min_cell} people"
        shown = _public_count(public, construct, wave, cat)
        if shown is not None and not shown.replace(".", "", 1).isdigit():
            return ("a number of people not shown (to protect a small group)"
                    if not shown.startswith("<") else f"fewer than {min_cell} people")
        if "-" in n:  # a range n: a percentage would give it back (public_rci_shares)
            return f"{shown if shown is not None else int(r['count'])} people"
        return (f"{100 * r['share']:.0f}% (95% CI {100 * r['ci_lower']:.0f}% to "
                f"{100 * r['ci_upper']:.0f}%)")

    mid = mid_words(by.loc["mid_improved"]) if "mid_improved" in by.index else ""
    mid = f"{part('mid_improved')} {mid}" if mid else ""
    if (rows.loc[rows["category"] != "mid_improved", "status"] != OK).all():  # MID share only
        why = rows["message"].dropna()
        why = f" ({plain_reason(why.iloc[0]).rstrip('.')})" if len(why) and why.iloc[0] else ""
        return (f"Reliable change in {name} {wave_phrase} could not be assessed{why}. Of the "
                f"{n} people with {name} scores at entry and {wave_phrase}, {mid}.")
    return (f"Of the {n} people with {name} scores at entry and {wave_phrase}, "
            f"{part('reliably_improved')} reliably improved and "
            f"{part('reliably_deteriorated')} reliably deteriorated{'; ' + mid if mid else ''}.")


def mid_words(row: pd.Series) -> str:
    """"improved by at least the minimal important difference (3 points; Maheswaran et al.
    2012)" for a ``mid_improved`` shares row: the MID and its source -- the preset's paper
    (:func:`pipeline.change.rci.short_citation` of ``mid_reference``), "set by the study" for
    a MID from the study config, nothing more when the source is not given. "" when the row
    is not ``ok`` (no share to give) or has no MID."""
    mid = pd.to_numeric(pd.Series([row.get("mid")]), errors="coerce").iloc[0]
    if row.get("status") != OK or not np.isfinite(mid):
        return ""
    source = str(row.get("mid_source", "") or "")
    cite = short_citation(str(row.get("mid_reference", "") or "")) if source == "preset" else ""
    where = f"; {cite}" if cite else ", set by the study" if source == "config" else ""
    return (f"improved by at least the minimal important difference "
            f"({mid:g} point{'' if mid == 1 else 's'}{where})")


def band_range(low: float, high: float, lo: float | None = None,
               hi: float | None = None) -> str:
    """"6 or more" for a band reaching the score's top ``hi``, "4 or less" for one starting
    at its bottom ``lo``, else "5–6"."""
    if hi is not None and float(high) >= float(hi) and (lo is None or float(low) > float(lo)):
        return f"{float(low):g} or more"
    if lo is not None and float(low) <= float(lo) and (hi is None or float(high) < float(hi)):
        return f"{float(high):g} or less"
    return f"{float(low):g}{EN_DASH}{float(high):g}"


def _band_share(r: pd.Series, min_cell: int, short: bool = False) -> str:
    """A band's share as the public table shows it: "64%"; a hidden count is not given as a
    percentage ("fewer than 10 people", "a share not shown"; ``short``: "not shown")."""
    count = str(r["count"])
    if count.startswith("<"):
        return f"fewer than {min_cell} people"
    try:
        share = float(r["share"]) if count.replace(".", "", 1).isdigit() else np.nan
    except ValueError:  # "[c]": a share that would narrow a hidden number
        share = np.nan
    if not np.isfinite(share):
        return "not shown" if short else "a share not shown (to protect a small group)"
    return f"{100 * share:.0f}%"


def bands_sentence(public: pd.DataFrame, construct: str, *, label: str,
                   wave_phrases: Mapping[str, str], min_cell: int = 10) -> str:
    """The share of people in each published band of ``construct`` at each wave, from the
    disclosure-controlled bands table (:func:`pipeline.change.bands.public_band_shares`):
    "Loneliness (UCLA-3): at entry 64% scored as lonely (6 or more); at about 4 months 51%."
    With two bands (a cut-off) only the upper band is given; with more (ONS4) every band:
    "...: at entry: low (4 or less) 12%, medium (5–6) 25%, ...; at about 4 months: low 10%,
    ...". A wave with too few people says
    so without a number; a hidden count is never a percentage. "" when the table has no rows
    for the construct. ``wave_phrases``: wave id -> "at entry", "at about 4 months", in wave
    order."""
    rows = public[public["construct"] == construct]
    if rows.empty:
        return ""
    first = rows[rows["wave"] == rows["wave"].iloc[0]]
    lo, hi = float(first["low"].min()), float(first["high"].max())
    names = list(dict.fromkeys(first["band"]))
    named = names[-1:] if len(names) == 2 else names
    parts = []
    for j, (w, phrase) in enumerate((w, p) for w, p in wave_phrases.items()
                                    if (rows["wave"] == w).any()):
        g = rows[rows["wave"] == w].set_index("band")
        if (g["status"] != OK).all():
            parts.append(f"{phrase} too few people answered to say")
            continue
        bits = []
        for b in named:  # the bands' score ranges are said at the first wave
            share = _band_share(g.loc[b], min_cell, short=len(named) > 1)
            rng = f" ({band_range(g.loc[b, 'low'], g.loc[b, 'high'], lo, hi)})" if j == 0 else ""
            if len(named) > 1:
                bits.append(f"{b}{rng} {share}")
            else:
                bits.append(f"{share} scored as {b}{rng}" if j == 0 else share)
        parts.append(f"{phrase}{':' if len(named) > 1 else ''} " + ", ".join(bits))
    return f"{label}: " + "; ".join(parts) + "."


def sentences_table(
    contrasts: pd.DataFrame,
    shares: pd.DataFrame,
    scale_labels: Mapping[str, str],
    scale_ranges: Mapping[str, tuple[float, float]],
    wave_labels: Mapping[str, str],
    min_cell: int = 10,
    units: Mapping[str, str] | None = None,
    group_sizes: Mapping[str, float] | None = None,
    bands: pd.DataFrame | None = None,
    scores: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """One row per construct with its group-change sentence (:func:`change_sentence`), then one
    per follow-up wave with its reliable-change sentence (:func:`rci_sentence`).

    ``wave_labels`` maps wave id -> label in wave order (the first is the baseline); a
    follow-up's phrase is "at " + its label with a lower-case first letter ("at about 4
    months"). ``group_sizes``: wave -> the number who answered (the public table's n,
    :func:`pipeline.change.rci.public_rci_shares`). ``bands``: the public bands table
    (:func:`pipeline.change.bands.public_band_shares`); a construct in it gets one more row,
    kind "bands" (:func:`bands_sentence`). ``scores``: scale -> scoring rule (the decimals of
    its change, :func:`change_sentence`). Columns ``construct, kind, wave, sentence``.
    """
    waves = list(wave_labels)
    phrases = {w: "at " + _in_sentence(wave_labels[w]) for w in waves[1:]}
    public = public_rci_shares(shares if "flag" in shares.columns else shares.assign(flag=""),
                               min_cell, group_sizes) if len(shares) else None
    rows = []
    for k, label in scale_labels.items():
        rows.append({"construct": k, "kind": "group_change", "wave": "",
                     "sentence": change_sentence(contrasts, k, label=label, wave_phrases=phrases,
                                                 scale_range=scale_ranges[k],
                                                 units=(units or {}).get(k),
                                                 score=(scores or {}).get(k))})
        for w in waves[1:]:
            rows.append({"construct": k, "kind": "reliable_change", "wave": w,
                         "sentence": rci_sentence(shares, k, w, label=label,
                                                  wave_phrase=phrases[w], min_cell=min_cell,
                                                  public=public)})
        if bands is not None and (bands["construct"] == k).any():
            rows.append({"construct": k, "kind": "bands", "wave": "",
                         "sentence": bands_sentence(bands, k, label=label, min_cell=min_cell,
                                                    wave_phrases={waves[0]: "at entry"}
                                                    | phrases)})
    return pd.DataFrame(rows)
