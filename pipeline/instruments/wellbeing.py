"""Presets: WEMWBS, SWEMWBS (Rasch conversion table) and the ONS4 personal well-being items.

Sources and checks are stated on each preset (``reference``, ``verified``); see
docs/instruments.md for the table of all presets.
"""

from __future__ import annotations

from pipeline.instruments.model import MID, Band, Battery, Instrument

__all__ = ["WEMWBS", "SWEMWBS", "SWEMWBS_TABLE", "ONS_ITEMS", "ONS4"]

_WEMWBS_LABELS = ("None of the time", "Rarely", "Some of the time", "Often", "All of the time")
_WARWICK_LICENCE = (
    "(S)WEMWBS (c) NHS Health Scotland, University of Warwick and University of Edinburgh: free "
    "for non-commercial use, but users must register with Warwick Medical School before use "
    "(warwick.ac.uk/wemwbs); commercial use needs a licence."
)

WEMWBS = Instrument(
    name="wemwbs",
    title="Mental wellbeing (WEMWBS)",
    items=tuple(f"wemwbs_{i}" for i in range(1, 15)),
    range=(1.0, 5.0),
    response_labels=_WEMWBS_LABELS,
    score="sum",
    reference=(
        "Tennant R, Hiller L, Fishwick R, et al. The Warwick-Edinburgh Mental Well-being Scale "
        "(WEMWBS): development and UK validation. Health Qual Life Outcomes 2007;5:63."
    ),
    licence=_WARWICK_LICENCE,
    proration_note=(
        "Warwick publishes no proration rule; by default a score needs all 14 items. Lowering "
        "min_items prorates (person mean x 14), a project decision to disclose."
    ),
    mid=MID(
        value=3.0,
        low=3.0,
        high=8.0,
        reference=(
            "Maheswaran H, Weich S, Powell J, Stewart-Brown S. Evaluating the responsiveness of "
            "the WEMWBS: group and individual level analysis. Health Qual Life Outcomes "
            "2012;10:156 (standard error of measurement 2.4-3.1 points; important change at "
            "1 SEM, about 3 points, to 2.77 SEM, about 8 points)."
        ),
        note="value = lower end of the range (1 SEM, distribution-based, not anchor-based)",
    ),
    verified=(
        "14 items scored 1-5 and summed to 14-70: Warwick's scoring guidance "
        "(warwick.ac.uk/fac/med/research/platform/wemwbs/researchers/guidance, read here). MID: "
        "the cited paper's abstract (read here)."
    ),
    note="All items positively worded (no reverse keys). Warwick's cut-offs are not bundled.",
)

# Warwick's SWEMWBS raw-score (7-35) to metric-score conversion (Stewart-Brown et al. 2009).
SWEMWBS_TABLE: tuple[tuple[int, float], ...] = tuple(zip(range(7, 36), (
    7.00, 9.51, 11.25, 12.40, 13.33, 14.08, 14.75, 15.32, 15.84, 16.36,
    16.88, 17.43, 17.98, 18.59, 19.25, 19.98, 20.73, 21.54, 22.35, 23.21,
    24.11, 25.03, 26.02, 27.03, 28.13, 29.31, 30.70, 32.55, 35.00,
)))

SWEMWBS = Instrument(
    name="swemwbs",
    title="Mental wellbeing (SWEMWBS, metric score)",
    items=tuple(f"swemwbs_{i}" for i in range(1, 8)),
    range=(1.0, 5.0),
    response_labels=_WEMWBS_LABELS,
    score="lookup",
    lookup=SWEMWBS_TABLE,
    reference=(
        "Stewart-Brown S, Tennant A, Tennant R, Platt S, Parkinson J, Weich S. Internal construct "
        "validity of the WEMWBS: a Rasch analysis using data from the Scottish Health Education "
        "Population Survey. Health Qual Life Outcomes 2009;7:15. Conversion table: Warwick "
        "Medical School, SWEMWBS raw score to metric score conversion table."
    ),
    licence=_WARWICK_LICENCE,
    proration="none",
    proration_note=(
        "The conversion table is defined for complete raw sums only (7 items); no published "
        "proration rule exists, so a score needs all 7 items."
    ),
    mid=MID(
        value=1.0,
        low=1.0,
        high=3.0,
        reference=(
            "Shah N, Cader M, Andrews B, McCabe R, Stewart-Brown SL. Responsiveness of the Short "
            "Warwick Edinburgh Mental Well-Being Scale (SWEMWBS): evaluation a clinical sample. "
            "Health Qual Life Outcomes 2018;16:239 (a change of 1 to 3 points meets thresholds "
            "for statistically important change: 1 SEM = 1.03, 2.77 SEM = 2.87 points)."
        ),
        note="value = lower end of the range (1 SEM, distribution-based, not anchor-based)",
    ),
    verified=(
        "Warwick's guidance (read via search) confirms that raw sums must be converted with its "
        "table; the 29 rows here match a public transcription of the table in third-party "
        "analysis code exactly (first 7 -> 7.00, middle 21 -> 19.25, last 35 -> 35.00). "
        "Warwick's own table sits behind registration and was not read here: check it once. "
        "MID: the cited paper's abstract (read here)."
    ),
    note="All items positively worded (no reverse keys). Set score: sum for the raw 7-35 sum.",
)

_ONS_REF = (
    "Office for National Statistics, Personal well-being user guidance and harmonised "
    "standard (ONS4); thresholds as published by ONS (e.g. ons.gov.uk, personal well-being "
    "thresholds in its FOI answers and bulletins)."
)
_ONS_LICENCE = "Crown copyright; free to use under the Open Government Licence (cite ONS)."
_ONS_VERIFIED = (
    "0-10 response scale and the thresholds 0-4 low, 5-6 medium, 7-8 high, 9-10 very high "
    "(anxiety: 0-1 very low, 2-3 low, 4-5 medium, 6-10 high) from an ONS page read here."
)
_POSITIVE_BANDS = (Band("low", 0, 4), Band("medium", 5, 6), Band("high", 7, 8),
                   Band("very high", 9, 10))
_ANXIETY_BANDS = (Band("very low", 0, 1), Band("low", 2, 3), Band("medium", 4, 5),
                  Band("high", 6, 10))


def _ons_item(name: str, title: str, column: str, higher_is: str) -> Instrument:
    return Instrument(
        name=name,
        title=title,
        items=(column,),
        range=(0.0, 10.0),
        response_labels=("0 = not at all", "10 = completely"),
        score="mean",
        reference=_ONS_REF,
        licence=_ONS_LICENCE,
        bands=_ANXIETY_BANDS if higher_is == "worse" else _POSITIVE_BANDS,
        bands_reference=_ONS_REF,
        higher_is=higher_is,
        verified=_ONS_VERIFIED,
        note="One item, reported on its own (ONS does not sum the four items).",
    )


ONS_ITEMS = (
    _ons_item("ons_life_satisfaction", "Life satisfaction (ONS)", "ons_satisfied", "better"),
    _ons_item("ons_worthwhile", "Things done in life are worthwhile (ONS)", "ons_worthwhile",
              "better"),
    _ons_item("ons_happiness", "Happiness yesterday (ONS)", "ons_happy", "better"),
    _ons_item("ons_anxiety", "Anxiety yesterday (ONS)", "ons_anxious", "worse"),
)

ONS4 = Battery(
    name="ons4",
    title="ONS4 personal well-being",
    members=(("life_satisfaction", "ons_life_satisfaction"), ("worthwhile", "ons_worthwhile"),
             ("happiness", "ons_happiness"), ("anxiety", "ons_anxiety")),
    reference=_ONS_REF,
    licence=_ONS_LICENCE,
    note="Four single items reported separately, each with its ONS bands.",
)
