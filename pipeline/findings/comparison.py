"""Comparison findings: the difference in change between the arms, one claim per outcome and
follow-up wave, with the design said in words.

Source: the comparison wing's ``comparison_change.csv`` (rows with ``estimand`` "difference in
change", one per outcome x wave x method, ``role`` primary | sensitivity, ``stands_in``) and
``comparison_sentences.csv`` (the design and balance sentences). Rows:

* ``comparison.design`` (kind comparison, no estimate): what the design can and cannot show;
* ``comparison.<outcome>.<wave>``: the primary method's difference in change (programme minus
  reference), or the method the wing names in ``stands_in`` with caveat
  ``stands_in:<method>`` and the reason; ``...@<method>``: the other methods as sensitivity
  rows (agreement is set by :mod:`pipeline.findings.agreement` like every claim).

Caveats: ``non_randomised`` for a non-randomised comparison (a design caveat: at most
"likely"; the lead adds the code to :data:`pipeline.wording.DESIGN`), ``mar_assumption`` for
FIML and MI, ``stands_in:<method>``. Verbs: GRADE-26's comparative verbs
(:func:`pipeline.wording.effect_verb`) for a randomised comparison, "a larger fall/rise in the
programme group" otherwise (a non-randomised comparison does not show what caused it).
Counts: ``n_contributing`` (people in the estimate) and ``n_observed`` (people with both
scores, the two arms together); the findings' disclosure rule prints them.
A study without a comparison group gets its ``not_run.comparison`` row from
:mod:`pipeline.findings.not_run` ("single group, no comparison").
"""

from __future__ import annotations

import math

import pandas as pd

from pipeline.findings.table import finding_row, missing_columns, num, text
from pipeline.status import Status
from pipeline.wording import (
    ci_label,
    decimals_for,
    effect_verb,
    evidence_grade,
    fmt_ci,
    fmt_num,
    join_caveats,
    lower_first,
    upper_first,
)

__all__ = ["COMPARISON_COLUMNS", "comparison_findings"]

COMPARISON_COLUMNS = ["outcome", "wave", "contrast", "estimand", "arm", "method", "role", "est",
                      "se", "ci_lower", "ci_upper", "ci_level", "pvalue", "status"]
MAR_METHODS = frozenset({"fiml", "mi"})
_DID = "difference in change"


def _caveats(method: str, randomised: bool, stands_in: str) -> list[str]:
    out = [] if randomised else ["non_randomised"]
    if method in MAR_METHODS:
        out.append("mar_assumption")
    if stands_in:
        out.append(f"stands_in:{stands_in}")
    return out


def _sentence(r: pd.Series, evidence: str, label: str, wave_label: str,
              randomised: bool) -> str:
    lo, hi = num(r, "scale_min"), num(r, "scale_max")
    est, cl, cu = num(r, "est"), num(r, "ci_lower"), num(r, "ci_upper")
    dec = decimals_for(lo, hi, [est, cl, cu])
    if evidence == "not_estimable":
        return (f"The difference between the groups in the change in {lower_first(label)} by "
                f"{lower_first(wave_label)} could not be estimated ({text(r, 'message')}).")
    nums = (f"{fmt_num(est, dec, signed=True)} {text(r, 'units')}, "
            f"{fmt_ci(cl, cu, dec, ci_label(num(r, 'ci_level', 0.95)))}")
    if randomised:
        what = ("no clear difference in the change in" if evidence == "no_clear" else
                f"{effect_verb(evidence)} a larger {'rise' if est > 0 else 'fall'} in")
        verb = "results in " if evidence == "no_clear" else ""
        return (f"Being offered the programme {verb}{what} {lower_first(label)} by "
                f"{lower_first(wave_label)} ({nums}).")
    if evidence == "no_clear":  # absence of evidence, not evidence of the same change
        return (f"There was no clear difference between the programme and comparison groups in "
                f"the change in {lower_first(label)} by {lower_first(wave_label)} ({nums}); the "
                "groups were not randomised, so this accounts for measured differences between "
                "them only.")
    more = "rose" if est > 0 else "fell"
    word = {"clear": "", "likely": "likely ", "may": "may have "}[evidence]
    verdict = f"{word}{more} more in the programme group than in the comparison group"
    return (f"{upper_first(label)} {verdict} by {lower_first(wave_label)} ({nums}); the groups "
            "were not randomised, so this accounts for measured differences between them only.")


def _row(r: pd.Series, role: str, *, randomised: bool, labels: dict, wave_labels: dict,
         stands_in: str = "", why: str = "") -> dict:
    outcome, wave, method = text(r, "outcome"), text(r, "wave"), text(r, "method")
    caveats = _caveats(method, randomised, stands_in)
    status = text(r, "status") or Status.OK.value
    est, lo, hi = num(r, "est"), num(r, "ci_lower"), num(r, "ci_upper")
    ev = evidence_grade(est, lo, hi, caveats, status)
    base = f"comparison.{outcome}.{wave}"
    label = labels.get(outcome, outcome)
    n_obs = num(r, "n_pairs_programme") + num(r, "n_pairs_reference")
    sentence = _sentence(r, ev, label, wave_labels.get(wave, wave), randomised)
    if stands_in:
        sentence += f" ({stands_in} stands in for the primary method: {why})"
    return finding_row(
        finding_id=base if role == "primary" else f"{base}@{method}", kind="comparison",
        role=role, analysis="comparison", construct=outcome, wave=wave,
        question=f"Did {lower_first(label)} change more in the programme group than in the "
                 "comparison group?",
        estimand=f"{_DID} ({text(r, 'arm')}), {text(r, 'contrast')}",
        term=f"{text(r, 'contrast')}: {text(r, 'arm')}", method=method, estimate=est,
        se=num(r, "se"), ci_lower=lo, ci_upper=hi, ci_level=num(r, "ci_level", 0.95),
        ci_label=ci_label(num(r, "ci_level", 0.95)), pvalue=num(r, "pvalue"),
        n_contributing=num(r, "n_contributing"),
        n_observed=n_obs if math.isfinite(n_obs) else math.nan, units=text(r, "units"),
        scale_min=num(r, "scale_min"), scale_max=num(r, "scale_max"), evidence=ev,
        caveats=join_caveats(caveats), status=status,
        message=why and f"{why}; {stands_in} stands in" or text(r, "message"),
        sentence=sentence if role == "primary" else "")


def comparison_findings(change: pd.DataFrame | None, sentences: pd.DataFrame | None, *,
                        randomised: bool, labels: dict[str, str],
                        wave_labels: dict[str, str]) -> list[dict]:
    """Findings rows of the comparison (see the module notes). ``labels``: scale -> label;
    ``wave_labels``: wave -> label."""
    gone = missing_columns(change, COMPARISON_COLUMNS)
    if gone:
        why = ("comparison_change.csv was not produced by the comparison rule"
               if change is None else f"comparison_change.csv lacks columns {gone}")
        return [finding_row(finding_id="comparison", kind="comparison", role="primary",
                            analysis="comparison", status=Status.NOT_ESTIMABLE.value,
                            evidence="not_estimable", message=why)]
    rows = []
    if sentences is not None and not missing_columns(sentences, ["kind", "sentence"]):
        for kind in ("design", "balance"):
            said = sentences.loc[sentences["kind"] == kind, "sentence"]
            if len(said):
                rows.append(finding_row(
                    finding_id=f"comparison.{kind}", kind="comparison", role="primary",
                    analysis="comparison", question="What can this comparison show?"
                    if kind == "design" else "Were the groups alike at entry?",
                    status=Status.OK.value, sentence=str(said.iloc[0])))
    did = change[change["estimand"] == _DID]
    for (outcome, wave), cell in did.groupby(["outcome", "wave"], sort=False):
        prim = cell[cell["role"] == "primary"]
        if prim.empty:
            continue
        p = prim.iloc[0]
        sub = text(p, "stands_in")
        chosen = cell[cell["method"] == sub].iloc[0] if sub and (cell["method"] == sub).any() \
            else p
        why = text(p, "message").split("; ")[0] if chosen is not p else ""
        rows.append(_row(chosen, "primary", randomised=randomised, labels=labels,
                         wave_labels=wave_labels, stands_in=sub if chosen is not p else "",
                         why=why))
        for _, r in cell.iterrows():
            if r["method"] != chosen["method"]:
                rows.append(_row(r, "sensitivity", randomised=randomised, labels=labels,
                                 wave_labels=wave_labels))
    return rows
