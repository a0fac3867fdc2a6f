"""Plain-language sentences of the comparison (``comparison_sentences.csv``).

One ``design`` sentence says what the design can and cannot show: randomised, the difference
in change estimates the effect of being offered the programme; not randomised, the arms
differed at entry and the adjusted difference accounts for measured differences only. One
``balance`` sentence names the largest baseline difference and the balance after weighting.
Per outcome and follow-up wave, one ``difference`` sentence (the primary method's difference
in change with its CI, and each arm's own change). Verbs and numbers come from
:mod:`pipeline.wording`; no counts of people are printed here (they are in the flow).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from pipeline.wording import (
    ci_label,
    decimals_for,
    evidence_grade,
    fmt_ci,
    fmt_num,
    lower_first,
)

__all__ = ["SENTENCE_COLUMNS", "design_sentence", "balance_sentence", "sentences_table"]

SENTENCE_COLUMNS = ["kind", "outcome", "wave", "method", "evidence", "sentence"]
_METHOD = {"fiml": "full-information maximum likelihood", "mi": "multiple imputation",
           "complete_case": "complete cases", "weighted": "propensity-score weighting"}
_GRADE = {"clear": "", "likely": "likely ", "may": "possibly "}


def design_sentence(randomised: bool, programme: str, reference: str,
                    adjust_for: Sequence[str]) -> str:
    """What the design can and cannot show."""
    if randomised:
        return (f"Participants were randomised to {programme} or {reference}, so the "
                f"difference in change between the arms estimates the effect of being offered "
                f"{programme}.")
    adj = (f"the adjusted difference accounts for measured differences only "
           f"({', '.join(adjust_for)}), not for differences nobody measured"
           if adjust_for else "the difference is not adjusted for any of them")
    return (f"Participants were not randomised: the {programme} and {reference} groups "
            f"differed at entry, and {adj}. The difference in change shows how the groups' "
            "changes compare, not for certain what the programme caused.")


def balance_sentence(balance: pd.DataFrame, labels: Mapping[str, str]) -> str:
    """The largest baseline difference (|SMD|) and the largest after weighting."""
    b = balance.dropna(subset=["smd_before"])
    if b.empty:
        return "The groups' baseline characteristics could not be compared."
    top = b.loc[b["smd_before"].abs().idxmax()]
    name = labels.get(top["variable"], top["variable"])
    if top["level"]:
        name = f"{name} ({top['level']})"
    text = (f"At entry the groups differed most in {lower_first(str(name))} (standardised "
            f"difference {fmt_num(top['smd_before'], 2)}; below 0.1 is usually read as "
            "balanced).")
    after = b["smd_after"].dropna()
    if len(after) and str(b["status"].iloc[0]) == "ok":
        text += (f" After {b['weighting'].iloc[0]} weighting the largest standardised "
                 f"difference was {fmt_num(after.abs().max(), 2)}.")
    return text


def _difference(rows: pd.DataFrame, label: str, wave_text: str, randomised: bool,
                caveats: list[str]) -> tuple[str, str]:
    did = rows[rows["estimand"] == "difference in change"].iloc[0]
    arms = rows[rows["estimand"] == "change within arm"]
    lo, hi = float(did["scale_min"]), float(did["scale_max"])
    dec = decimals_for(lo, hi, [did["est"], did["ci_lower"], did["ci_upper"]])
    ev = evidence_grade(did["est"], did["ci_lower"], did["ci_upper"], caveats, did["status"])
    if ev == "not_estimable":
        return ev, (f"The difference in change in {lower_first(label)} {wave_text} could not "
                    f"be estimated ({did['message']}).")
    within = "; ".join(f"{a['arm']} {fmt_num(a['est'], dec, signed=True)}"
                       for _, a in arms.iterrows() if a["status"] == "ok")
    num = (f"{fmt_num(did['est'], dec, signed=True)} {did['units']} "
           f"({fmt_ci(did['ci_lower'], did['ci_upper'], dec, ci_label(did['ci_level']))})")
    if ev == "no_clear":
        verdict = "no clear difference between the groups"
    else:
        more = "rise" if did["est"] > 0 else "fall"
        verdict = f"{_GRADE[ev]}a larger {more} in the programme group than in the comparison"
        if randomised:
            verdict += " caused by being offered the programme"
    return ev, (f"Change in {lower_first(label)} {wave_text}: {within} "
                f"(estimated by {_METHOD.get(did['method'], did['method'])}); difference in "
                f"change {num}: {verdict}.")


def sentences_table(change: pd.DataFrame, balance: pd.DataFrame | None, *, randomised: bool,
                    programme: str, reference: str, adjust_for: Sequence[str],
                    labels: Mapping[str, str], wave_labels: Mapping[str, str],
                    first_wave: str) -> pd.DataFrame:
    """The sentences table (:data:`SENTENCE_COLUMNS`) from the primary rows of ``change``."""
    rows = [{"kind": "design", "outcome": "", "wave": "", "method": "", "evidence": "",
             "sentence": design_sentence(randomised, programme, reference, adjust_for)}]
    if balance is not None and len(balance):
        rows.append({"kind": "balance", "outcome": "", "wave": "", "method": "",
                     "evidence": "", "sentence": balance_sentence(balance, labels)})
    caveats = ["mar_assumption"] + ([] if randomised else ["non_randomised"])
    prim = change[change["role"] == "primary"]
    for (k, w), cell in prim.groupby(["outcome", "wave"], sort=False):
        if not (cell["estimand"] == "difference in change").any():
            continue
        text_w = (f"from {lower_first(wave_labels.get(first_wave, first_wave))} to "
                  f"{lower_first(wave_labels.get(w, w))}")
        ev, text = _difference(cell, labels.get(k, k), text_w, randomised, caveats)
        rows.append({"kind": "difference", "outcome": k, "wave": w,
                     "method": str(cell["method"].iloc[0]), "evidence": ev, "sentence": text})
    return pd.DataFrame(rows, columns=SENTENCE_COLUMNS)
