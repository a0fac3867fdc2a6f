"""FIML arm x time: each wave's score regressed on the programme arm (and covariates).

Model (one outcome, waves ``0..K``; ``P`` = 1 in the programme arm; ``x`` the centred
``adjust_for`` covariates when the comparison is not randomised)::

    y_k = i_k + b_k P + g_k' x + e_k,   k = 0..K

with the residuals ``e_k`` freely correlated, ``P`` and ``x`` jointly normal with free means
and covariances (lavaan ``fixed.x = FALSE``, so entrants with a missing covariate still count)
and the auxiliary variables correlated with every other variable (Graham's 2003 saturated
correlates). The model is saturated: it re-parameterises the unrestricted normal model of all
its variables, so the auxiliaries change the estimates only through the information they
carry about the missing scores (missing at random given them). Several outcomes may share one
fit (each is then the others' auxiliary; the likelihood is the same).

Estimands (defined parameters, delta-method SEs as lavaan's ``:=``):

* difference in change to wave k, programme minus reference: ``did_k = b_k - b_0``;
* change within the reference arm: ``i_k - i_0``; within the programme arm:
  ``(i_k + b_k) - (i_0 + b_0)`` (at the sample's average covariates: they are centred);
* each arm's mean at wave k: ``i_k`` and ``i_k + b_k``.

SEs: MLR (robust sandwich, Yuan & Bentler 2000) or observed information, from the change
wing's ``fiml_se``; Wald CIs on z as lavaan's ``parameterEstimates``.

R equivalent (tests/fixtures/comparison/make_reference.R)::

    model <- 'y0 ~ i0*1 + b0*P + age
              y1 ~ i1*1 + b1*P + age
              y0 ~~ y1;  P ~~ age;  a1 ~~ y0 + y1 + P + age
              did1 := b1 - b0'
    lavaan::sem(model, data, missing = "ml", fixed.x = FALSE, estimator = "MLR")
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import combinations

import numpy as np
import pandas as pd

from pipeline.errors import DataError
from pipeline.sem import fit_sem
from pipeline.status import Status

__all__ = ["arm_syntax", "fiml_arm_rows"]


def arm_syntax(outcomes: Mapping[str, Sequence[str]], arm: str, covariates: Sequence[str],
               auxiliaries: Sequence[str]) -> tuple[str, dict[tuple[str, str, int], str]]:
    """lavaan syntax of the arm x time model and the labels of its estimands:
    ``labels[(outcome, estimand, k)]`` for estimand in did, chg_ref, chg_prog (k >= 1) and
    mean_ref, mean_prog (k >= 0)."""
    xs = [arm, *covariates]
    ys = [c for cols in outcomes.values() for c in cols]
    lines, labels = [], {}
    for i, (key, cols) in enumerate(outcomes.items()):
        for k, col in enumerate(cols):
            rhs = " + ".join([f"b{i}_{k}*{arm}", *covariates])
            lines += [f"{col} ~ {rhs}", f"{col} ~ i{i}_{k}*1"]
            lines.append(f"mr{i}_{k} := i{i}_{k}")
            lines.append(f"mp{i}_{k} := i{i}_{k} + b{i}_{k}")
            labels[(key, "mean_ref", k)] = f"mr{i}_{k}"
            labels[(key, "mean_prog", k)] = f"mp{i}_{k}"
            if k:
                lines.append(f"did{i}_{k} := b{i}_{k} - b{i}_0")
                lines.append(f"cr{i}_{k} := i{i}_{k} - i{i}_0")
                lines.append(f"cp{i}_{k} := i{i}_{k} + b{i}_{k} - i{i}_0 - b{i}_0")
                labels[(key, "did", k)] = f"did{i}_{k}"
                labels[(key, "chg_ref", k)] = f"cr{i}_{k}"
                labels[(key, "chg_prog", k)] = f"cp{i}_{k}"
    lines += [f"{a} ~~ {b}" for a, b in combinations(ys, 2)]
    lines += [f"{a} ~~ {b}" for a, b in combinations(xs, 2)]
    others = xs + ys
    for j, a in enumerate(auxiliaries):
        lines += [f"{a} ~~ {b}" for b in others + list(auxiliaries[j + 1:])]
    return "\n".join(lines), labels


def _usable_aux(frame: pd.DataFrame, ys: Sequence[str], aux: Sequence[str]) -> list[str]:
    """Auxiliaries with variation overall and among the people observed on each outcome
    column (else their covariance with it is not identified)."""
    keep = []
    for a in aux:
        v = frame[a]
        if v.notna().sum() < 2 or v.dropna().nunique() < 2:
            continue
        if any(frame.loc[frame[y].notna(), a].dropna().nunique() < 2 for y in ys):
            continue
        keep.append(a)
    return keep


def fiml_arm_rows(frame: pd.DataFrame, outcomes: Mapping[str, Sequence[str]], arm: str,
                  covariates: Sequence[str], auxiliaries: Sequence[str], *,
                  se: str = "robust", name: str = "comparison_fiml") -> list[dict]:
    """One row per outcome, estimand and wave index ``k`` (``outcome, estimand, k, est, se,
    n_contributing, status, message``) from one FIML fit of ``outcomes`` (key -> wave
    columns, the reference wave first)."""
    ys = [c for cols in outcomes.values() for c in cols]
    flat = [c for c in [arm, *covariates] if frame[c].dropna().nunique() < 2]
    if flat:
        raise DataError(f"comparison FIML: {flat} do not vary; leave them out of "
                        "comparison.adjust_for.")
    aux = _usable_aux(frame, ys, [a for a in auxiliaries if a not in ys])
    syntax, labels = arm_syntax(outcomes, arm, covariates, aux)
    data = frame[[*ys, arm, *covariates, *aux]].astype(float)
    res = fit_sem(syntax, data, missing="ml", se=se, name=name)
    ok = res.status == Status.OK.value
    est = res.estimates.drop_duplicates("label").set_index("label") if ok else None
    rows = []
    for (key, estimand, k), lab in labels.items():
        rows.append({"outcome": key, "estimand": estimand, "k": k,
                     "est": float(est.loc[lab, "est"]) if ok else np.nan,
                     "se": float(est.loc[lab, "se"]) if ok else np.nan,
                     "df": np.inf, "n_contributing": res.n_obs, "status": res.status,
                     "message": "" if ok else res.message,
                     "auxiliaries": len(aux)})
    return rows
