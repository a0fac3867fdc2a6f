"""Healthcare-use findings: the change in each count outcome and the count-outcome mediation.

Sources: the healthcare wing's ``healthcare_change.csv`` (rate ratios of each follow-up wave vs
entry: the random-intercept mixed model, method ``glmm``, primary; the complete-case regression,
sensitivity), ``healthcare_mediation.csv`` (rate ratios of the direct, indirect and total
effects: multiple imputation by Rubin's rules and complete cases, each row's ``role`` saying
which is primary) and ``healthcare_sentences.csv`` (the wing's sentences, used as the
primary rows' sentences).

Rows (``kind = healthcare``): ``healthcare.<outcome>.<wave>`` (primary) and
``...@complete_case``; ``healthcare_mediation.<analysis>.<effect>`` for total, direct and
total_indirect of the primary row, ``...@<method>`` of the sensitivity rows. Estimates are
**rate ratios** (1 = no change): the evidence grade and the agreement with the primary row are
judged on the log scale here (``pipeline.wording`` on ``log(ratio)``), so these rows must not go
through :func:`pipeline.findings.agreement.apply_agreement`, which reads the sign of
``estimate``. Method: the mixed model is the
likelihood-based counterpart of FIML for a count (valid under MAR); with another primary method
it carries ``stands_in:glmm``; the mediation's primary row carries ``stands_in:<method>`` when
its method is not the primary one (MI for FIML; complete cases when the chain has no imputed
sets), and MI rows ``mar_assumption``.
"""

from __future__ import annotations

import math

import pandas as pd

from pipeline.findings.agreement import agreement
from pipeline.findings.settings import FindingsSettings
from pipeline.findings.table import finding_row, missing_columns, num, text
from pipeline.status import Status
from pipeline.wording import change_verb, evidence_grade, fmt_num, join_caveats, lower_first

__all__ = ["BYARM_NEEDS", "CHANGE_NEEDS", "MEDIATION_NEEDS", "healthcare_findings"]

CHANGE_NEEDS = ["outcome", "construct", "label", "quantity", "wave", "method", "model",
                "estimate", "ci_lower", "ci_upper", "pvalue", "n_people", "n_rows", "status",
                "message"]
MEDIATION_NEEDS = ["analysis", "label", "outcome", "effect", "path", "rate_ratio", "ci_lower",
                   "ci_upper", "n", "conf", "status", "message"]
MEDIATION_EFFECTS = ("total", "direct", "total_indirect")
BYARM_NEEDS = ["outcome", "label", "quantity", "arm", "wave", "method", "model", "adjusted_for",
               "estimate", "ci_lower", "ci_upper", "pvalue", "n_people", "n_rows", "status",
               "message"]


def _log(v: float) -> float:
    return math.log(v) if isinstance(v, (int, float)) and v > 0 else math.nan


def _grade(ratio, lo, hi, caveats, status) -> str:
    return evidence_grade(_log(ratio), _log(lo), _log(hi), caveats, status)


def _ratio_text(r: dict) -> str:
    lo, hi = num(r, "ci_lower"), num(r, "ci_upper")
    return (f"rate ratio {fmt_num(num(r, 'estimate'), 2)}, {r['ci_label']} "
            f"{fmt_num(lo, 2)} to {fmt_num(hi, 2)}")


def _change_row(r: pd.Series, s: FindingsSettings, sentences: dict) -> dict:
    primary = text(r, "method") == "glmm"
    cav = ["single_group", "no_comparison", "mar_assumption"]
    if primary and s.primary != "fiml":
        cav.append("stands_in:glmm")
    if not primary and s.primary != "complete_case":
        cav.remove("mar_assumption")  # complete cases assume more than MAR: said in message
    st = text(r, "status") or Status.OK.value
    est, lo, hi = num(r, "estimate"), num(r, "ci_lower"), num(r, "ci_upper")
    grade = _grade(est, lo, hi, cav, st)
    wave = text(r, "wave")
    base = f"healthcare.{r['outcome']}.{wave}" if wave else f"healthcare.{r['outcome']}"
    label = text(r, "label")
    row = finding_row(
        finding_id=base if primary else f"{base}@{r['method']}", kind="healthcare",
        role="primary" if primary else "sensitivity",
        question=f"Did {lower_first(label)} change from entry to {s.wave(wave).phrase}?",
        estimand=f"rate ratio {wave} vs {s.baseline.id} ({text(r, 'model')})",
        analysis=str(r["outcome"]), construct=text(r, "construct"), wave=wave,
        term=f"{wave} / {s.baseline.id}", method=text(r, "method"), estimate=est,
        ci_lower=lo, ci_upper=hi, ci_level=0.95, ci_label="95% CI", pvalue=num(r, "pvalue"),
        n_contributing=num(r, "n_people"), n_observed=num(r, "n_rows"),
        units=f"rate ratio ({label}; 1 = no change)", effect_size=est,
        effect_size_kind="incidence-rate ratio", evidence=grade, caveats=join_caveats(cav),
        status=st, message=text(r, "message"))
    if st == Status.OK.value and primary:
        row["sentence"] = sentences.get((str(r["outcome"]), wave), "")
        verb = change_verb(grade, _log(est))
        row["headline"] = (f"{label}: {verb} by {s.wave(wave).phrase} "
                           f"({_ratio_text(row)}).")[:160]
    elif st != Status.OK.value and primary:
        row["sentence"] = (f"The change in {lower_first(label)} could not be estimated: "
                           f"{text(r, 'message')}.")
    return row


def _path_words(path: str) -> str:
    """A chain's path as a funder reads it: arrows, no capital mid-sentence."""
    return lower_first(path.replace(" -> ", " \u2192 "))


def _mediation_row(r: pd.Series, s: FindingsSettings, sentences: dict) -> dict:
    method = text(r, "method") or "complete_case"
    primary = (text(r, "role") or "primary") == "primary"
    cav = ["single_group", "no_comparison"] + (["mar_assumption"] if method == "mi" else [])
    if primary and method != s.primary:
        cav.append(f"stands_in:{method}")
    st = text(r, "status") or Status.OK.value
    est, lo, hi = num(r, "rate_ratio"), num(r, "ci_lower"), num(r, "ci_upper")
    effect = text(r, "effect")
    level = num(r, "conf", 0.95)
    base = f"healthcare_mediation.{r['analysis']}.{effect}"
    how = ("Monte Carlo, multiple imputation by Rubin's rules" if method == "mi"
           else "percentile bootstrap")
    row = finding_row(
        finding_id=base if primary else f"{base}@{method}", kind="healthcare",
        role="primary" if primary else "sensitivity",
        question=f"Does {_path_words(text(r, 'path'))} explain part of the change?",
        estimand=f"{effect} effect as a rate ratio per unit of X (product of coefficients)",
        analysis=str(r["analysis"]), construct=str(r["outcome"]), term=effect,
        method=method, estimate=est, ci_lower=lo, ci_upper=hi, ci_level=level,
        ci_label=f"{100 * level:.10g}% CI ({how})",
        n_contributing=num(r, "n"), units="rate ratio per unit of X (1 = no effect)",
        effect_size=est, effect_size_kind="rate ratio",
        evidence=_grade(est, lo, hi, cav, st), caveats=join_caveats(cav), status=st,
        message=text(r, "message"))
    if primary and method != s.primary:
        row["_why_plain"] = "there is no such form of this count-outcome mediation here"
        if " stand" not in row["message"]:  # the wing's message says it already
            words = {"mi": "multiple imputation stands in"}.get(method, "complete cases stand in")
            row["message"] = f"{words} for {s.primary}. {row['message']}".strip()
    if effect == "total_indirect" and primary:
        row["sentence"] = sentences.get((str(r["analysis"]), "total_indirect"), "")
    return row


def _byarm_row(r: pd.Series, s: FindingsSettings, sentences: dict) -> dict:
    """A ratio of rate ratios (programme vs reference, a follow-up wave vs entry) of the
    healthcare wing's arm x wave model (``healthcare_comparison.csv``)."""
    primary = text(r, "method") == "glmm"
    randomised = text(r, "adjusted_for").startswith("none (randomised)")
    cav = ["mar_assumption"] + ([] if randomised else ["non_randomised"])
    if primary and s.primary != "fiml":
        cav.append("stands_in:glmm")
    if not primary and s.primary != "complete_case":
        cav.remove("mar_assumption")
    st = text(r, "status") or Status.OK.value
    est, lo, hi = num(r, "estimate"), num(r, "ci_lower"), num(r, "ci_upper")
    wave, label = text(r, "wave"), text(r, "label")
    base = f"healthcare_comparison.{r['outcome']}.{wave}" if wave else \
        f"healthcare_comparison.{r['outcome']}"
    row = finding_row(
        finding_id=base if primary else f"{base}@{r['method']}", kind="healthcare",
        role="primary" if primary else "sensitivity",
        question=f"Did {lower_first(label)} change differently in the two groups from entry "
                 f"to {s.wave(wave).phrase}?",
        estimand=f"ratio of rate ratios {wave} vs {s.baseline.id}, {text(r, 'arm')} "
                 f"({text(r, 'model')})",
        analysis=str(r["outcome"]), construct=text(r, "construct"), wave=wave,
        term=f"arm x {wave}", method=text(r, "method"), estimate=est, ci_lower=lo,
        ci_upper=hi, ci_level=0.95, ci_label="95% CI", pvalue=num(r, "pvalue"),
        n_contributing=num(r, "n_people"), n_observed=num(r, "n_rows"),
        units=f"ratio of rate ratios ({label}; 1 = the same change in both groups)",
        effect_size=est, effect_size_kind="ratio of incidence-rate ratios",
        evidence=_grade(est, lo, hi, cav, st), caveats=join_caveats(cav), status=st,
        message=text(r, "message"))
    if primary:
        row["sentence"] = sentences.get(("comparison", str(r["outcome"]), wave), "") \
            if st == Status.OK.value else (f"The difference between the groups in the change "
                                           f"in {lower_first(label)} could not be estimated: "
                                           f"{text(r, 'message')}.")
    return row


def _agree(rows: list[dict]) -> None:
    """``agrees_with_primary`` of the complete-case rows, judged on log rate ratios."""
    primaries = {r["finding_id"]: r for r in rows if r["role"] == "primary"}
    for r in rows:
        p = primaries.get(r["finding_id"].split("@", 1)[0])
        if r["role"] != "sensitivity" or p is None:
            continue
        logs = [{**x, **{k: _log(num(x, k)) for k in ("estimate", "ci_lower", "ci_upper")}}
                for x in (p, r)]
        r["agrees_with_primary"] = agreement(logs[0], logs[1])


def healthcare_findings(change: pd.DataFrame | None, mediation: pd.DataFrame | None,
                        sentences: pd.DataFrame | None, s: FindingsSettings,
                        byarm: pd.DataFrame | None = None) -> list[dict]:
    """Findings rows of the healthcare wing's tables (none when a table is absent); ``byarm``:
    ``healthcare_comparison.csv`` (a study with a comparison group)."""
    said = {}
    if sentences is not None and not missing_columns(sentences, ["kind", "sentence"]):
        for _, x in sentences.iterrows():
            if x["kind"] == "change":
                key = (text(x, "outcome"), text(x, "wave"))
            elif x["kind"] == "comparison":
                key = ("comparison", text(x, "outcome"), text(x, "wave"))
            else:
                key = (text(x, "analysis"), text(x, "effect"))
            said[key] = text(x, "sentence")
    rows: list[dict] = []
    if change is not None and not missing_columns(change, CHANGE_NEEDS):
        ratios = change[(change["quantity"] == "rate_ratio")
                        & change["method"].isin(["glmm", "complete_case"])]
        rows += [_change_row(r, s, said) for _, r in ratios.iterrows()]
    if mediation is not None and not missing_columns(mediation, MEDIATION_NEEDS):
        keep = mediation[mediation["effect"].isin(MEDIATION_EFFECTS)
                         | (mediation["status"] != Status.OK.value)]
        rows += [_mediation_row(r, s, said) for _, r in keep.iterrows()]
    if byarm is not None and not missing_columns(byarm, BYARM_NEEDS):
        rrr = byarm[byarm["quantity"] == "ratio_of_rate_ratios"]
        rows += [_byarm_row(r, s, said) for _, r in rrr.iterrows()]
    _agree(rows)
    return rows
