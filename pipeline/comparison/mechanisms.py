"""The by-arm mechanism analyses as one step of the stage: fits, tables and sentences.

For the chains (:mod:`pipeline.comparison.chains`) and cross-lagged models
(:mod:`pipeline.comparison.panels`) of the settings, fit by arm and return the four tables and
one plain sentence per tested model (``kind = mechanism``): whether the paths differ between
the arms, by the headline test (under MLR the Satorra-Bentler scaled LR test, or the robust
Wald test when the scaled test cannot be computed; under ML the LR test); a test without evidence
says that it can miss a modest difference with the arms' numbers of people. The chain's
sentence adds each arm's total indirect effect with its Monte Carlo interval.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipeline.comparison.chains import chain_by_arm, mediation_tables
from pipeline.comparison.panels import crosslag_tables, panel_by_arm
from pipeline.comparison.sentences import SENTENCE_COLUMNS
from pipeline.wording import ci_label, fmt_ci, fmt_num, fmt_p, lower_first, upper_first

__all__ = ["DIFFER_P", "Mechanisms", "mechanisms", "arm_test_sentence"]

#: a headline test below this p-value says the paths differ
DIFFER_P = 0.05
_PLAIN = {"not_converged": "the model by group did not converge",
          "improper_solution": "the model by group gave improper estimates (such as a negative "
                               "variance), which often means too few people for its parameters",
          "not_identified": "these data cannot identify the model by group",
          "failed": "the estimation failed"}


@dataclass
class Mechanisms:
    mediation: pd.DataFrame
    mediation_test: pd.DataFrame
    crosslag: pd.DataFrame
    crosslag_test: pd.DataFrame
    sentences: pd.DataFrame


def _sizes(r, entered: dict | None, programme: str, reference: str) -> str:
    """The arms' numbers of people in the fit, said only through the counts the public flow
    prints (``entered``: arm -> its printed count of entrants, an int or a mark such as ``"<10"``
    or ``"[c]"``): the fit's own sizes when they equal them, else "at most" those; when either
    is not printed exactly, no number at all. So no new count is published (non-negotiable 4)."""
    n = (int(r["n_programme"]), int(r["n_reference"]))
    top = n if entered is None else (entered.get(programme), entered.get(reference))
    if not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in top):
        return "arms of the sizes shown in the flow"
    top = (int(top[0]), int(top[1]))
    return f"{n[0]} and {n[1]} people" if n == top else f"at most {top[0]} and {top[1]} people"


def arm_test_sentence(tests: pd.DataFrame, what: str, programme: str, reference: str,
                      entered: dict | None = None) -> str:
    """Whether ``what`` worked differently in the two arms, from the headline row of ``tests`` (one
    analysis and model of a ``*_test.csv`` table); ``entered``: arm -> its printed count of
    entrants (:func:`pipeline.comparison.flow.public_flow`), see :func:`_sizes`."""
    head = tests[tests["headline"].astype(bool)]
    r = (head if len(head) else tests).iloc[0]
    if r["status"] != "ok":
        why = _PLAIN.get(str(r["status"])) or lower_first(
            str(r["message"]).split("; ")[0].rstrip("."))
        return (f"Whether {what} worked differently in {programme} and {reference} could not "
                f"be tested: {why}.")
    p = float(r["pvalue"])
    stat = (f"{r['test']}: \u03c7\u00b2 = {float(r['chisq']):.2f}, df = {int(r['df'])}, "
            f"{fmt_p(p)}")
    if p < DIFFER_P:
        return (f"{upper_first(what)} worked differently in {programme} and in {reference}: "
                f"its paths differed between the groups ({stat}).")
    return (f"There was no clear evidence that {what} worked differently in {programme} and "
            f"in {reference} ({stat}); with {_sizes(r, entered, programme, reference)}, the "
            "test can miss a modest difference.")


def _indirect_text(med: pd.DataFrame, name: str) -> str:
    rows = med[(med["analysis"] == name) & (med["model"] == "free")
               & (med["label"] == "ind_total") & (med["status"] == "ok")]
    if rows.empty:
        return ""
    parts = [f"{fmt_num(r.est, 2, signed=True)} in {r.arm} ("
             f"{fmt_ci(r.ci_lower, r.ci_upper, 2, ci_label(float(r.ci_level)))})"
             for r in rows.sort_values("role_arm").itertuples()]
    return " The total indirect effect was " + " and ".join(parts) + " (Monte Carlo intervals)."


def mechanisms(wide: pd.DataFrame, s, programme: str, reference: str, seed: int,
               labels: dict[str, str], entered: dict | None = None) -> Mechanisms:
    """Fit every chain and cross-lagged model of ``s`` (comparison settings) by arm;
    ``entered``: arm -> its printed count of entrants (the public flow)."""
    arms, robust = (reference, programme), s.fiml_se == "robust"
    chains = []
    for spec in s.chains:
        fits, notes = chain_by_arm(wide, spec, s.group, arms, robust=robust)
        chains.append((spec, fits, notes))
    med, med_test = mediation_tables(chains, s.conf_level, s.mc_draws, seed)
    panels = [(p, m, panel_by_arm(wide, p, m, s.group, arms, robust=robust))
              for p in s.panels for m in p.models]
    cl, cl_test = crosslag_tables(panels, s.conf_level)
    rows = []
    for spec, _, _ in chains:
        what = f"the chain {spec.label or spec.name}"
        text = arm_test_sentence(med_test[med_test["analysis"] == spec.name], what, programme,
                                 reference, entered) + _indirect_text(med, spec.name)
        rows.append({"kind": "mechanism", "outcome": spec.name, "wave": "",
                     "method": "fiml", "evidence": "", "sentence": text})
    for p, m, fits in panels:
        names = ", ".join(labels.get(c, c) for c in p.constructs)
        what = (f"the {m.upper().replace('RICLPM', 'RI-CLPM')} of {names} (its cross-lagged "
                "effects)")
        t = cl_test[(cl_test["analysis"] == p.name)
                    & (cl_test["model"] == {"clpm": "CLPM", "riclpm": "RI-CLPM"}[m])]
        rows.append({"kind": "mechanism", "outcome": f"{p.name}/{m}", "wave": "",
                     "method": "fiml", "evidence": "",
                     "sentence": arm_test_sentence(t, what, programme, reference, entered)})
    return Mechanisms(med, med_test, cl, cl_test,
                      pd.DataFrame(rows, columns=SENTENCE_COLUMNS))
