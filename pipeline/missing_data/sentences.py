"""Plain-language sentences of the missing-data wing: the tipping-point statement for a report.

The statistics behind it (the delta-adjusted tipping-point table and its tipping points) are in
:mod:`pipeline.stats.tipping`.
"""

from __future__ import annotations

import pandas as pd

from pipeline.stats.tipping import tipping_delta

__all__ = ["FINDING", "tipping_sentence", "stand_in_note"]

METHOD_NAMES = {"fiml": "full-information maximum likelihood (FIML)",
                "complete_case": "the complete-case analysis",
                "ipw": "inverse-probability weighting"}


def stand_in_note(primary: str) -> str:
    """' This check uses multiple imputation, standing in for FIML: ...' ('' for MI)."""
    if primary == "mi":
        return ""
    return (f" This check uses multiple imputation, standing in for the main analysis "
            f"({METHOD_NAMES.get(primary, primary)}), because shifting the missing scores needs "
            "imputed values.")


def _num(x: float) -> str:
    """A δ on the configured grid, never rounded away (0.25 -> "0.25", 3 -> "3", 12.5 -> "12.5")."""
    return f"{abs(float(x)):.4g}"


def _signed(x: float) -> str:
    return ("\u2212" if x < 0 else "+" if x > 0 else "") + _num(x)


#: words for the three conclusions of a CI (negative / uncertain / positive).
FINDING = {"positive": "a clear increase", "negative": "a clear decrease",
           "uncertain": "no clear change"}


def _unit(value: float, units: str) -> str:
    """'points' -> 'point' for a magnitude of exactly 1."""
    return units[:-1] if abs(float(value)) == 1 and units.endswith("s") else units


def _sd_clause(tips: dict | None, units: str = "points") -> str:
    """The nearest tipping point in baseline SD units, and 'fragile' when within fragile_sd."""
    if not tips or tips.get("tipping_nearest_sd") is None:
        return ""
    near = float(tips["tipping_nearest_sd"])
    limit = float(tips.get("fragile_sd", 0.2))
    sides = [d for d in (tips.get("tipping_delta_negative"), tips.get("tipping_delta_positive"))
             if d is not None]
    d = min(sides, key=abs) if sides else None
    what = (f"A shift of {_num(d)} {_unit(d, units)} is {near:.2f} standard deviations of entry "
            "scores" if d is not None else
            f"The nearest tipping point is {near:.2f} standard deviations of entry scores")
    if tips.get("fragile"):
        return (f" {what}, within {limit:g} SD, so this conclusion is fragile: a difference that "
                "small between people who left and similar people who stayed is plausible.")
    return f" {what} (more than {limit:g} SD)."


def tipping_sentence(table: pd.DataFrame, outcome_label: str, units: str = "points",
                     tips: dict | None = None) -> str:
    """The tipping-point statement (:func:`_tipping_words`) and, given ``tips`` (the summary of
    :func:`pipeline.stats.tipping.tipping_in_sd`), the nearest tipping point in baseline SD
    units and whether the conclusion is fragile (within ``fragile_sd`` SD)."""
    return _tipping_words(table, outcome_label, units) + _sd_clause(tips, units)


def _tipping_words(table: pd.DataFrame, outcome_label: str, units: str = "points") -> str:
    """Plain-language statement of the tipping points for a report (both directions).

    The first sentence states the result under MAR (delta = 0); the second says how different
    people who left would have to be for it to change, e.g. for an uncertain result: "This would
    become a clear decrease only if people who left had scores on average 3 points lower than
    similar people who stayed, and a clear increase only if they had scores 6 points higher."
    For a clear result: "The finding of a clear increase would no longer hold if people who left
    had scores on average 12 points lower than similar people who stayed." When nothing changes:
    "... did not change within the range examined (delta from -20 to +20 points) ...".
    The estimate is read as a change (positive = increase). For a not-estimable table (one
    status row, :func:`not_estimable_table`) it says the analysis could not be done and why.
    """
    base = table.loc[table["delta"] == 0]
    if base.empty:
        reasons = [str(x).strip().rstrip(".") for x in table.get("message", pd.Series(dtype=str))
                   if isinstance(x, str) and x.strip()]
        if reasons:
            return f"The sensitivity analysis for {outcome_label} could not be done: {reasons[0]}."
    if base.empty or base["status"].iloc[0] != "ok":
        return (f"The sensitivity analysis for {outcome_label} could not be done because the main "
                "analysis could not be estimated on the imputed data.")
    ok = table[table["status"] == "ok"]
    lo, hi = float(ok["delta"].min()), float(ok["delta"].max())
    old = base["conclusion"].iloc[0]
    tips = tipping_delta(table)
    label = outcome_label
    if len(label) > 1 and label[0].isupper() and label[1].islower():  # not acronyms ("EQ VAS")
        label = label[0].lower() + label[1:]
    first = (f"If people who left the study were like similar people who stayed, there is "
             f"{FINDING[old]} in {label}.")
    span = f"\u03b4 from {_signed(lo)} to {_signed(hi)} {units}"
    reach = []
    if lo < 0:
        reach.append(f"{_num(lo)} {_unit(lo, units)} lower")
    if hi > 0:
        reach.append(f"{_num(hi)} {_unit(hi, units)} higher")
    even_if = (f", that is, even if people who left had scores on average up to "
               f"{' or up to '.join(reach)} than similar people who stayed.") if reach else "."
    new = {side: (None if d is None else table.loc[table["delta"] == d, "conclusion"].iloc[0])
           for side, d in tips.items()}
    word = {"negative": "lower", "positive": "higher"}

    if old == "uncertain":
        if tips["negative"] is None and tips["positive"] is None:
            return f"{first} This did not change within the range examined ({span}){even_if}"
        parts = []
        for side in ("negative", "positive"):
            d = tips[side]
            if d is None:
                continue
            who = "people who left had scores on average" if not parts else "they had scores"
            tail = " than similar people who stayed" if not parts else ""
            parts.append(f"{FINDING[new[side]]} only if {who} {_num(d)} {_unit(d, units)} "
                         f"{word[side]}{tail}")
        text = f"{first} This would become " + ", and ".join(parts) + "."
        for side, limit in (("negative", lo), ("positive", hi)):
            if tips[side] is None and (limit < 0 if side == "negative" else limit > 0):
                text += (f" Even if they had scores {_num(limit)} {_unit(limit, units)} "
                         f"{word[side]}, it would "
                         f"not become {FINDING[side]}.")
        return text

    finding = f"The finding of {FINDING[old]}"
    if tips["negative"] is None and tips["positive"] is None:
        return f"{first} {finding} did not change within the range examined ({span}){even_if}"
    parts = [f"{_num(tips[s])} {_unit(tips[s], units)} {word[s]}" for s in ("negative", "positive")
             if tips[s] is not None]
    return (f"{first} {finding} would no longer hold if people who left had scores on average "
            f"{' or '.join(parts)} than similar people who stayed.")
