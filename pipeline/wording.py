"""Words for numbers: one vocabulary for every funder-facing sentence.

Every sentence the pipeline writes for funders (the findings table, the report) takes its verb,
its interval label, its units and its number format from here, so that the same certainty is
always said the same way.

**Evidence grade and verb** (GRADE guidance 26: Santesso N, Glenton C, Dahm P, et al. *GRADE
guidelines 26: informative statements to communicate the findings of systematic reviews of
interventions.* J Clin Epidemiol 2020;119:126-135). GRADE pairs the certainty of the evidence
with a verb: high -> "results in", moderate -> "likely results in", low -> "may result in",
very low / imprecise -> "little or no difference / very uncertain". Here the certainty of one
estimate is graded from its confidence interval and the caveats that apply to it
(:func:`evidence_grade`):

=============  ==========================================================  ====================
grade          rule                                                        verb (change)
=============  ==========================================================  ====================
not_estimable  status not ``ok``, or no finite estimate / interval          "could not be
                                                                           estimated"
no_clear       the interval includes 0 (``ci_lower <= 0 <= ci_upper``)      "no clear change"
may            interval excludes 0, but a *fragile* caveat applies          "may have increased"
               (:data:`FRAGILE`: fragile_to_mnar, small_n, exploratory,
               method_disagrees)
likely         interval excludes 0, a *design* caveat applies              "likely increased"
               (:data:`DESIGN`: single_group, no_comparison, non_randomised, mar_assumption,
               attrition, concurrent_mediators, clpm_confounds_stable_
               differences, stands_in:<method>)
clear          interval excludes 0 and no caveat of either kind             "increased" /
                                                                           "results in"
=============  ==========================================================  ====================

Fragile beats design (a fragile estimate is "may" whatever else applies). Informational codes
(``holm_adjusted``) do not change the grade. In this single-group design every change and
mediation row carries ``single_group``, so "likely" is the most certain verb it can earn: a
before-after difference without a comparison group cannot show what the programme caused.

**Interval labels** (:func:`ci_label`): "95% CI" for an unadjusted interval and "95% CI,
Holm-adjusted over 2 contrasts" for a multiplicity-adjusted one, so a label never claims more
or less than the interval is.

**Units** (:func:`score_range`, :func:`units_text`): the score's own range, not the item range:
a sum of 3 items scored 1-3 runs 3-9 ("points on the 3–9 UCLA-3 sum"); a mean of items scored
1-7 runs 1-7 ("points on the 1–7 community belonging scale (item mean)").

**Numbers** (:func:`fmt_num`, :func:`decimals_for`): a true minus sign; decimals that fit the
score: 3 for an index (EQ-5D), 1 for a sum or a converted sum (UCLA-3, SWEMWBS), 2 for an item
mean on a short scale (1-7), 1 on a long one (the 0-100 EQ VAS); more for small values.

R equivalent: none (wording); the rules are tested on crafted tables in tests/test_wording.py.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping

__all__ = [
    "EVIDENCE", "FRAGILE", "DESIGN", "INFORMATIONAL", "MINUS", "EN_DASH",
    "evidence_grade", "ci_excludes_zero", "direction", "change_verb", "association_phrase",
    "effect_verb", "ci_label", "score_range", "units_text", "fmt_num", "decimals_for",
    "finding_decimals", "bound_decimals", "MEDIATION_ROUTES",
    "fmt_ci", "fmt_range", "split_caveats", "join_caveats", "lower_first", "upper_first",
    "tipping_distance", "fmt_p", "short_citation", "mid_note",
]

MINUS = "\u2212"
EN_DASH = "\u2013"

#: evidence grades, most to least certain (the ``evidence`` column of the findings table)
EVIDENCE = ("clear", "likely", "may", "no_clear", "not_estimable")

#: caveats that make an estimate fragile: its interval excludes 0 but the conclusion could
#: easily change (GRADE: low certainty, "may")
FRAGILE = frozenset({"fragile_to_mnar", "small_n", "exploratory", "method_disagrees"})

#: caveats of the design or of the missing-data assumption (GRADE: moderate, "likely")
DESIGN = frozenset({"single_group", "no_comparison", "mar_assumption", "attrition",
                    "concurrent_mediators", "clpm_confounds_stable_differences",
                    "non_randomised"})

#: caveats that say how a number was made without changing its certainty
INFORMATIONAL = frozenset({"holm_adjusted"})


def split_caveats(caveats: str | Iterable[str] | None) -> list[str]:
    """``"a;b"`` or ``["a", "b"]`` -> ``["a", "b"]`` (blanks dropped, order kept, unique)."""
    if caveats is None or (isinstance(caveats, float) and math.isnan(caveats)):
        return []
    items = caveats.split(";") if isinstance(caveats, str) else list(caveats)
    out: list[str] = []
    for c in (str(x).strip() for x in items):
        if c and c not in out:
            out.append(c)
    return out


def join_caveats(caveats: Iterable[str]) -> str:
    """The ``caveats`` cell: codes joined by ``;`` in the order given, without repeats."""
    return ";".join(split_caveats(list(caveats)))


def _finite(*xs: object) -> bool:
    try:
        return all(x is not None and math.isfinite(float(x)) for x in xs)
    except (TypeError, ValueError):
        return False


def ci_excludes_zero(ci_lower: float, ci_upper: float) -> bool:
    """True when the interval lies wholly above or wholly below 0 (0 on a bound: not excluded)."""
    return _finite(ci_lower, ci_upper) and (float(ci_lower) > 0 or float(ci_upper) < 0)


def direction(estimate: float) -> str:
    """``"up"`` (> 0), ``"down"`` (< 0) or ``"none"`` (0 or not finite)."""
    if not _finite(estimate) or float(estimate) == 0:
        return "none"
    return "up" if float(estimate) > 0 else "down"


def evidence_grade(estimate: float, ci_lower: float, ci_upper: float,
                   caveats: str | Iterable[str] | None = (), status: str = "ok") -> str:
    """GRADE-26 evidence grade of one estimate (table in the module docstring).

    ``not_estimable`` when ``status`` is not ``ok`` or a number is missing; ``no_clear`` when
    the interval includes 0; else ``may`` if any :data:`FRAGILE` caveat applies, ``likely`` if
    any :data:`DESIGN` caveat (or ``stands_in:<method>``) applies, ``clear`` otherwise.
    """
    if str(status) != "ok" or not _finite(estimate, ci_lower, ci_upper):
        return "not_estimable"
    if not ci_excludes_zero(ci_lower, ci_upper):
        return "no_clear"
    codes = set(split_caveats(caveats))
    if codes & FRAGILE:
        return "may"
    if codes & DESIGN or any(c.startswith("stands_in:") for c in codes):
        return "likely"
    return "clear"


_CHANGE = {
    "clear": {"up": "increased", "down": "decreased"},
    "likely": {"up": "likely increased", "down": "likely decreased"},
    "may": {"up": "may have increased", "down": "may have decreased"},
}


def change_verb(evidence: str, estimate: float) -> str:
    """Verb for change over time: "increased" / "likely increased" / "may have increased" (and
    "decreased"); "showed no clear change" (no_clear); "could not be estimated"."""
    if evidence == "no_clear":
        return "showed no clear change"
    if evidence == "not_estimable" or direction(estimate) == "none":
        return "could not be estimated"
    return _CHANGE[evidence][direction(estimate)]


_ASSOC = {"clear": "was associated with", "likely": "was likely associated with",
          "may": "may be associated with"}


def association_phrase(evidence: str, estimate: float) -> str:
    """For associations (mediation, cross-lagged paths): "was associated with higher",
    "was likely associated with lower", "may be associated with higher"; "showed no clear
    association with"; "could not be estimated for"."""
    if evidence == "no_clear":
        return "showed no clear association with"
    if evidence == "not_estimable" or direction(estimate) == "none":
        return "could not be estimated for"
    word = "higher" if direction(estimate) == "up" else "lower"
    return f"{_ASSOC[evidence]} {word}"


_EFFECT = {"clear": "results in", "likely": "likely results in", "may": "may result in",
           "no_clear": "results in no clear difference in"}


def effect_verb(evidence: str) -> str:
    """GRADE-26's own verbs for a comparative (causal) effect: "results in", "likely results
    in", "may result in", "results in no clear difference in". Only for designs with a
    comparison group; a single-group study uses :func:`change_verb` or
    :func:`association_phrase`."""
    return _EFFECT.get(evidence, "could not be estimated for")


def ci_label(level: float = 0.95, adjust: str | None = None, k: int | None = None,
             what: str = "contrasts") -> str:
    """"95% CI"; "95% CI, Holm-adjusted over 2 contrasts" when ``adjust`` names a method
    (``none``/empty: unadjusted; ``k`` the number of intervals in the family)."""
    pct = f"{100 * float(level):.10g}% CI"
    if not adjust or str(adjust).lower() in ("none", "nan", "false"):
        return pct
    name = {"holm": "Holm", "bonferroni": "Bonferroni"}.get(str(adjust).lower(), str(adjust))
    family = f" over {int(k)} {what if int(k) != 1 else what.rstrip('s')}" if k else ""
    return f"{pct}, {name}-adjusted{family}"


def score_range(item_range: tuple[float, float], n_items: int, score: str) -> tuple[float, float]:
    """Range of a scale score: the item range for a mean score, ``n_items`` times it for a sum
    (UCLA-3: 3 items scored 1-3 summed -> 3-9)."""
    lo, hi = float(item_range[0]), float(item_range[1])
    return (lo * n_items, hi * n_items) if score == "sum" else (lo, hi)


def fmt_range(lo: float, hi: float) -> str:
    """``3–9`` (en dash, no trailing zeros); a negative end with a minus sign (``−0.285–1``,
    an EQ-5D index)."""
    return f"{float(lo):g}{EN_DASH}{float(hi):g}".replace("-", "\u2212")


def units_text(label: str, lo: float, hi: float, score: str = "mean", unit: str = "points") -> str:
    """Units with the scale range, for "by 0.38 <units>".

    An instrument named in brackets in the label is used as the name: "Loneliness (UCLA-3)",
    sum -> "points on the 3–9 UCLA-3 sum"; "Quality of life (EQ VAS)" -> "points on the 0–100
    EQ VAS"; otherwise the label: "Community belonging", mean -> "points on the 1–7 community
    belonging scale (item mean)". A score read from a published table says so: ``lookup``
    (SWEMWBS's Rasch conversion) -> "points on the 7–35 SWEMWBS metric score"; ``index`` (an
    EQ-5D value set) -> "points on the −0.285–1 EQ-5D-5L index".
    """
    m = re.search(r"\(([^)]*)\)\s*$", label or "")
    rng = fmt_range(lo, hi)
    if m:
        name = m.group(1).strip()
        if score == "lookup":  # "SWEMWBS, metric score" -> "SWEMWBS metric score"
            name = re.sub(r",?\s*metric score$", "", name)
            return f"{unit} on the {rng} {name} metric score"
        if score == "index":
            kind = "" if name.lower().endswith("index") else " index"
            return f"{unit} on the {rng} {name}{kind}"
        kind = " sum" if score == "sum" else ""
        return f"{unit} on the {rng} {name}{kind}"
    name = lower_first((label or "").strip()) or "the"
    kind = {"sum": " scale (item sum)", "lookup": " metric score",
            "index": " index"}.get(score, " scale (item mean)")
    return f"{unit} on the {rng} {name}{kind}"


def decimals_for(scale_min: float | None, scale_max: float | None,
                 values: Iterable[float] = (), score: str | None = None) -> int:
    """Decimals that fit the score (``score``: the scale's scoring rule, when known): 3 for an
    ``index`` (an EQ-5D value-set index: changes of 0.05 matter, and value sets are published
    to 3 decimals); 1 for a ``sum`` or a ``lookup`` (a summed or converted score: UCLA-3 3-9,
    WEMWBS 14-70, SWEMWBS metric 7-35); for a ``mean`` (or no kind given) 2 on scales spanning
    under 20 points (1-7, 0-10), else 1 (the 0-100 EQ VAS). More (at most 3) when the largest
    of ``values`` (estimate and bounds) is small, so that it keeps two significant digits
    (0.19 on the EQ VAS, not 0.2; −0.35 on the UCLA-3, not −0.3; 0.004 per point, not
    0.00). A bound of an interval that leaves out zero may need more: :func:`bound_decimals`."""
    base = 2 if _finite(scale_min, scale_max) and float(scale_max) - float(scale_min) < 20 else 1
    base = {"index": 3, "sum": 1, "lookup": 1}.get(score or "", base)
    mags = [abs(float(v)) for v in values if _finite(v) and float(v) != 0]
    if not mags:
        return base
    return max(base, min(math.ceil(-math.log10(max(mags))) + 1, 3))


def bound_decimals(lo: float, hi: float, decimals: int) -> tuple[int, int]:
    """Decimals of the (lower, upper) bound: ``decimals``, except that a bound of an interval
    that leaves out zero which would print as zero gets the decimals (at most 4) that keep it
    off zero: "0.004 to 0.57", not "0.00 to 0.57" beside "the interval leaves out zero" (a
    funder-eyed read). The same for a bound of an interval that holds zero: "−0.005 to
    0.45", not "0.00 to 0.45", which reads as an interval that stops at zero (a reviewer's
    read of the cross-lagged table). Only that bound: the estimate and the other bound keep the
    row's decimals, so the midpoint of the bounds is no more precise than the printed estimate
    (an estimate at full precision can give back a group size printed as a range)."""

    def need(b: float) -> int:
        d = decimals
        while d < 4 and float(b) != 0 and round(abs(float(b)), d) == 0:
            d += 1
        return d

    if not (_finite(lo) and _finite(hi)):
        return decimals, decimals
    return need(lo), need(hi)


def finding_decimals(r: object, scores: Mapping[str, str] | None = None) -> int:
    """Decimals of a findings row (a namedtuple or a mapping of ``findings.csv``), as its
    sentence, the report's tables and ``findings_public.csv`` print it: 2 for a ratio (units
    "rate ratio": 1 = no change); else :func:`decimals_for` on the scale and on the estimate
    and its bounds, a change row (kind "change") by its construct's score kind (``scores``:
    scale -> scoring rule; 3 decimals for an EQ-5D index, 1 for a sum, 2 for a short item
    mean)."""
    get = r.get if isinstance(r, Mapping) else (lambda k, d=None: getattr(r, k, d))
    if "rate ratio" in str(get("units", "")):
        return 2
    vals = []
    for k in ("estimate", "ci_lower", "ci_upper"):
        try:
            vals.append(float(get(k, None)))
        except (TypeError, ValueError):
            continue
    score = (scores or {}).get(str(get("construct", ""))) if get("kind", "") == "change" \
        else None
    return decimals_for(get("scale_min", None), get("scale_max", None),
                        [v for v in vals if _finite(v)], score)


def fmt_num(x: float, decimals: int = 2, signed: bool = False) -> str:
    """Fixed decimals with a true minus sign; no "−0.00"; ``signed`` adds "+" to positives."""
    if not _finite(x):
        return "NA"
    s = f"{float(x):.{decimals}f}"
    if float(s) == 0:
        s = f"{0:.{decimals}f}"
    if signed and float(s) > 0:
        s = "+" + s
    return s.replace("-", MINUS)


def fmt_ci(lo: float, hi: float, decimals: int, label: str = "95% CI") -> str:
    """"95% CI 0.21 to 0.66"; with a qualified label (:func:`ci_label`) the qualifier follows
    the numbers, without any bracketed aside: "95% CI, Holm-adjusted over 2 contrasts" ->
    "95% CI 0.21 to 0.66, Holm-adjusted over 2 contrasts"."""
    head, _, rest = (label or "95% CI").partition(", ")
    rest = re.sub(r"\s*\([^)]*\)", "", rest).strip()
    dlo, dhi = bound_decimals(lo, hi, decimals)
    nums = f"{head} {fmt_num(lo, dlo)} to {fmt_num(hi, dhi)}"
    return f"{nums}, {rest}" if rest else nums


#: the routes of a mediation chain in words (the summary's headlines, the report's findings
#: tables), by the findings table's ``term``
MEDIATION_ROUTES = {"total": "Overall", "direct": "Not through the mediators",
                    "ind_total": "Through all mediators together",
                    "total_indirect": "Through all mediators together",
                    "ind_serial": "Through the chain of mediators",
                    "serial": "Through the chain of mediators"}


def lower_first(text: str) -> str:
    """A label inside a sentence, as written except a capitalised first word: 'Quality of life
    (EQ VAS)' -> 'quality of life (EQ VAS)', 'About 4 months' -> 'about 4 months'; acronyms and
    ids ('EQ VAS', 'FU1 (PHQ)', 'T2') stay as written."""
    text = str(text)
    if len(text) > 1 and text[0].isupper() and text[1].islower():
        return text[0].lower() + text[1:]
    return text


def upper_first(text: str) -> str:
    return text[:1].upper() + text[1:]


def tipping_distance(delta: float, sd: float, fragile_sd: float = 0.2,
                     unit: str = "points") -> str:
    """How far from zero a tipping delta lies, in points and baseline SD units, and whether the
    conclusion is fragile (it tips within ``fragile_sd`` SD of zero; default 0.2 SD, Cohen's
    "small" difference): "1 point (0.05 SD) from zero: the conclusion is fragile, because it
    changes under a departure from missing at random smaller than 0.2 SD" / "8 points (0.40
    SD) from zero, beyond 0.2 SD". Without an SD only the points are given."""
    mag = abs(float(delta))
    pts = f"{mag:g} {unit[:-1] if mag == 1 and unit.endswith('s') else unit}"
    if not _finite(sd) or float(sd) <= 0:
        return f"{pts} from zero"
    in_sd = mag / float(sd)
    head = f"{pts} ({in_sd:.2f} SD) from zero"
    if in_sd <= fragile_sd:
        return (f"{head}: the conclusion is fragile, because it changes under a departure from "
                f"missing at random of {fragile_sd:g} SD or less")
    return f"{head}, beyond {fragile_sd:g} SD"


def fmt_p(p: float) -> str:
    """"p = 0.042", "p = 0.20", "p < 0.001" (APA style: never "p = 0.000")."""
    if not _finite(p):
        return "p = NA"
    p = float(p)
    if p < 0.001:
        return "p < 0.001"
    return f"p = {p:.3f}" if p < 0.01 else f"p = {p:.2f}"


def short_citation(reference: str) -> str:
    """"Maheswaran et al. 2012" from "Maheswaran H, Weich S, ... 2012;10:156 (...)": the first
    author's surname, "et al." when the author list has more than one name, and the first
    year (19xx/20xx); "" when no year is found (a config key, not a paper)."""
    year = re.search(r"\b(19|20)\d{2}\b", reference or "")
    if year is None:
        return ""
    authors = reference.split(". ", 1)[0]
    first = authors.split(",", 1)[0].strip()
    surname = first.split(" ")[0] if re.fullmatch(r"\S+ [A-Z]{1,3}", first) else first
    return f"{surname}{' et al.' if ',' in authors else ''} {year.group(0)}"


def mid_note(mid: float, source: str, reference: str = "") -> str:
    """What "meaningfully improved" means, for a table note: "a change of at least 3 points in
    the better direction (the minimal important difference; Maheswaran et al. 2012)"; a MID
    the study set itself: "(..., set by the study)"; "" without a finite MID."""
    if not _finite(mid):
        return ""
    cite = short_citation(reference) if source == "preset" else ""
    where = f"; {cite}" if cite else ", set by the study" if source == "config" else ""
    m = float(mid)
    return (f"a change of at least {m:g} point{'' if m == 1 else 's'} in the better direction "
            f"(the minimal important difference{where})")


def plain_reason(message: object) -> str:
    """A reliable-change status message as a funder reads it: without the config key to set
    or the scale's key ("no reliability for 'qol': ...; set change.reliability.qol ..." ->
    "no reliability estimate: ...")."""
    msg = re.split(r";\s*set [A-Za-z_]+\.", str(message))[0]
    return re.sub(r"^no reliability for '[^']*':\s*", "no reliability estimate: ", msg).strip()
