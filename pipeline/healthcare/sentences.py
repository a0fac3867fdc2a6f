"""Plain words for the count outcomes: one sentence per follow-up wave (change) and per chain
(mediation), with the recall period in what is counted ("GP visits in the last 3 months").

Change: the model-based mean counts of entry and the follow-up wave (their ratio is the rate
ratio) and the rate ratio with its interval, from the primary mixed model. The verb follows the
evidence grade of :mod:`pipeline.wording` on the log scale (an interval of the ratio that
includes 1 is "no clear change"); a before-after change in one group carries the design caveats
``single_group`` and ``mar_assumption``, so "likely" is the most certain verb. No counts of
people are printed (nothing for disclosure control to hide).

By arm (a study with a comparison group): per follow-up wave the ratio of rate ratios of the
primary mixed model in words ("fell by 21% more in the programme than in usual care"), each
arm's own rate ratio beside it; graded with ``mar_assumption`` (and ``non_randomised`` when not
randomised, when the sentence adds "accounting for measured differences only").

Mediation: the total indirect effect of the primary row of each chain (role ``primary``: multiple
imputation when the chain was fitted on the imputed sets, else complete cases), naming the
method at the end ("...; multiple imputation").
"""

from __future__ import annotations

import math

import pandas as pd

from pipeline.wording import change_verb, evidence_grade, fmt_num, lower_first

__all__ = ["SENTENCE_COLUMNS", "CHANGE_CAVEATS", "MEDIATION_CAVEATS", "log_grade",
           "change_sentence", "mediation_sentence", "sentences_table", "arm_sentence",
           "arm_rows"]

SENTENCE_COLUMNS = ["kind", "outcome", "analysis", "wave", "effect", "evidence", "sentence"]
CHANGE_CAVEATS = ("single_group", "no_comparison", "mar_assumption")
MEDIATION_CAVEATS = ("single_group", "no_comparison")
METHOD_TEXT = {"complete_case": "complete cases", "mi": "multiple imputation"}


def log_grade(ratio: float, lo: float, hi: float, caveats, status: str = "ok") -> str:
    """Evidence grade of a ratio: :func:`pipeline.wording.evidence_grade` of its logarithm."""
    def lg(v):
        return math.log(v) if isinstance(v, (int, float)) and v > 0 else math.nan
    return evidence_grade(lg(ratio), lg(lo), lg(hi), caveats, status)


def _ratio_text(r, lo, hi, conf) -> str:
    """"rate ratio 0.74, 95% CI 0.63 to 0.87"; more decimals (up to 4) while 2 would show a
    bound of an interval that excludes 1 as 1.00."""
    dec = 2
    while dec < 4 and (lo > 1 or hi < 1) and 1.0 in (round(lo, dec), round(hi, dec)):
        dec += 1
    return (f"rate ratio {fmt_num(r, dec)}, {100 * conf:.10g}% CI {fmt_num(lo, dec)} to "
            f"{fmt_num(hi, dec)}")


def change_sentence(label: str, entry_mean: float, follow_mean: float, ratio: float,
                    lo: float, hi: float, entry_words: str, wave_words: str, conf: float,
                    evidence: str) -> str:
    """"GP visits in the last 3 months likely decreased from 2.1 at pathway entry to 1.6 at
    about 4 months on average (rate ratio 0.74, 95% CI 0.63 to 0.87)."""
    if evidence == "not_estimable":
        return f"The change in {lower_first(label)} to {wave_words} could not be estimated."
    verb = change_verb(evidence, math.log(ratio))
    return (f"{label} {verb} from {fmt_num(entry_mean, 1)} at {entry_words} to "
            f"{fmt_num(follow_mean, 1)} at {wave_words} on average "
            f"({_ratio_text(ratio, lo, hi, conf)}).")


def mediation_sentence(row: pd.Series, x_text: str, conf: float, evidence: str) -> str:
    """The total indirect effect of a chain, in words."""
    if evidence == "not_estimable":
        return f"The count-outcome mediation '{row['label']}' could not be estimated."
    word = {"no_clear": "showed no clear indirect link with", "clear": "went with",
            "likely": "likely went with", "may": "may have gone with"}[evidence]
    way = "" if evidence == "no_clear" else (
        " fewer" if row["rate_ratio"] < 1 else " more")
    ratio = _ratio_text(row["rate_ratio"], row["ci_lower"], row["ci_upper"], conf)
    how = METHOD_TEXT.get(str(row.get("method", "complete_case")), "complete cases")
    return (f"One point more {x_text} {word}{way} {lower_first(str(row['outcome_label']))} "
            f"through the mediators ({ratio}; {how}).")


def _change_rows(change: pd.DataFrame, waves: dict[str, str], conf: float) -> list[dict]:
    rows = []
    for name, g in change.groupby("outcome", sort=False):
        ratios = g[(g["method"] == "glmm") & (g["quantity"] == "rate_ratio")]
        means = g[(g["method"] == "glmm") & (g["quantity"] == "mean_count")].set_index("wave")
        entry = next(iter(waves))
        for _, r in ratios.iterrows():
            ev = log_grade(r["estimate"], r["ci_lower"], r["ci_upper"], CHANGE_CAVEATS,
                           r["status"])
            wave = r["wave"] if isinstance(r["wave"], str) else ""
            text = change_sentence(
                r["label"], means["estimate"].get(entry, math.nan),
                means["estimate"].get(wave, math.nan), r["estimate"], r["ci_lower"],
                r["ci_upper"], waves.get(entry, entry), waves.get(wave, "a follow-up wave"),
                conf, ev)
            rows.append(dict(kind="change", outcome=name, analysis="", wave=wave,
                             effect="rate_ratio", evidence=ev, sentence=text))
    return rows


def sentences_table(change: pd.DataFrame, mediation: pd.DataFrame, waves: dict[str, str],
                    x_texts: dict[str, str], outcome_labels: dict[str, str],
                    conf: float, byarm: pd.DataFrame | None = None,
                    randomised: bool = False) -> pd.DataFrame:
    """``healthcare_sentences.csv``: ``waves`` wave id -> words ("about 4 months");
    ``x_texts`` chain -> its X in words; ``outcome_labels`` outcome -> what is counted;
    ``byarm``: ``healthcare_comparison.csv`` when the study has a comparison group (its
    sentences follow each outcome's one-group change)."""
    rows = _change_rows(change, waves, conf)
    if byarm is not None and len(byarm):
        rows += arm_rows(byarm, waves, conf, randomised)
    if len(mediation) and "role" in mediation.columns:  # the primary rows speak for a chain
        mediation = mediation[mediation["role"].fillna("primary") == "primary"]
    tot = mediation[mediation["effect"] == "total_indirect"] if len(mediation) else mediation
    for _, r in tot.iterrows():
        r = r.copy()
        r["outcome_label"] = outcome_labels.get(r["outcome"], r["outcome"])
        ev = log_grade(r["rate_ratio"], r["ci_lower"], r["ci_upper"], MEDIATION_CAVEATS,
                       r["status"])
        rows.append(dict(kind="mediation", outcome=r["outcome"], analysis=r["analysis"],
                         wave="", effect="total_indirect", evidence=ev,
                         sentence=mediation_sentence(r, x_texts.get(r["analysis"], "X"), conf,
                                                     ev)))
    for _, r in mediation[mediation["status"] != "ok"].iterrows() if len(mediation) else []:
        rows.append(dict(kind="mediation", outcome=r["outcome"], analysis=r["analysis"],
                         wave="", effect=r["effect"], evidence="not_estimable",
                         sentence=f"The count-outcome mediation '{r['label']}' could not be "
                                  f"estimated: {r['message']}."))
    return pd.DataFrame(rows, columns=SENTENCE_COLUMNS)


def arm_sentence(label: str, rrr: pd.Series, arms: pd.DataFrame, entry_words: str,
                 wave_words: str, conf: float, evidence: str, randomised: bool) -> str:
    """"GP visits in the last 3 months likely fell by 21% more in social prescribing than in
    usual care from pathway entry to about 4 months (ratio of rate ratios 0.79, 95% CI 0.63 to
    0.99; social prescribing rate ratio 0.75, usual care 0.95; not randomised: accounting for
    measured differences only)." ``arms``: the two arms' own rate-ratio rows, the reference
    arm first (as :mod:`.byarm` writes them)."""
    reference, programme = [str(a) for a in arms["arm"]][:2] if len(arms) == 2 else ("", "")
    span = f"from {entry_words} to {wave_words}"
    if evidence == "not_estimable":
        return (f"The difference between the arms in the change in {lower_first(label)} {span} "
                "could not be estimated.")
    ratio = _ratio_text(rrr["estimate"], rrr["ci_lower"], rrr["ci_upper"], conf).replace(
        "rate ratio", "ratio of rate ratios", 1)
    own = "; ".join(f"{a['arm']} rate ratio {fmt_num(a['estimate'], 2)}"
                    for _, a in arms.iterrows())
    tail = "" if randomised else "; not randomised: accounting for measured differences only"
    if evidence == "no_clear":
        return (f"{label} showed no clear difference in change between {programme} and "
                f"{reference} {span} ({ratio}; {own}{tail}).")
    r = float(rrr["estimate"])
    way, pct = ("fell", 100 * (1 - r)) if r < 1 else ("rose", 100 * (r - 1))
    verb = {"clear": way, "likely": f"likely {way}",
            "may": f"may have {'fallen' if way == 'fell' else 'risen'}"}[evidence]
    return (f"{label} {verb} by {fmt_num(pct, 0)}% more in {programme} than in {reference} "
            f"{span} ({ratio}; {own}{tail}).")


def arm_rows(byarm: pd.DataFrame, waves: dict[str, str], conf: float,
             randomised: bool) -> list[dict]:
    """Sentence rows (``kind = comparison``) of the primary ratio of rate ratios per outcome
    and follow-up wave of ``healthcare_comparison.csv``."""
    rows = []
    caveats = ["mar_assumption"] + ([] if randomised else ["non_randomised"])
    entry = next(iter(waves))
    prim = byarm[byarm["role"] == "primary"]
    for name, g in prim.groupby("outcome", sort=False):
        for _, r in g[g["quantity"] == "ratio_of_rate_ratios"].iterrows():
            wave = r["wave"] if isinstance(r["wave"], str) else ""
            arms = g[(g["quantity"] == "rate_ratio") & (g["wave"] == wave)]
            ev = log_grade(r["estimate"], r["ci_lower"], r["ci_upper"], caveats, r["status"])
            text = arm_sentence(r["label"], r, arms, waves.get(entry, entry),
                                waves.get(wave, "a follow-up wave"), conf, ev, randomised)
            rows.append(dict(kind="comparison", outcome=name, analysis="", wave=wave,
                             effect="ratio_of_rate_ratios", evidence=ev, sentence=text))
    return rows
