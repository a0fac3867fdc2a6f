"""Mediation of a count outcome: X -> M1 .. Mk -> count, effects as rate ratios.

Models (complete cases of the chain): each mediator linear on X, the covariates and the earlier
mediators, ``M_j = a_j0 + a_jx X + sum_{i<j} a_ji M_i + c' g_j + e_j``; the count log-linear
(Poisson or NB2 by ``healthcare.model``), ``log E[Y] = t0 + t_x X + sum_j t_j M_j + c' t_c``;
no exposure-mediator interaction. Under these models (and no unmeasured confounding of X-M,
X-Y and M-Y) the counterfactual natural direct and indirect effects on the rate-ratio scale are
products of coefficients on the log scale (VanderWeele 2015, ch. 2-5; Valeri & VanderWeele
2013, Psychol Methods 18:137, for a count outcome with a continuous mediator: log RR_NDE =
t_x (x - x*), log RR_NIE = t_m a_x (x - x*)); with serial mediators each path from X to Y
through mediators ``i1 < ... < ir`` contributes ``a_{i1 x} a_{i2 i1} ... t_{ir}`` (the
product-of-coefficients rule of the serial model, Hayes 2022 model 6). Here per one unit of X:

    RR_direct = exp(t_x),  RR_path = exp(product),  RR_indirect = exp(sum of paths),
    RR_total = RR_direct x RR_indirect.

Complete cases: the chain on everyone with every variable, intervals by percentile bootstrap
(``healthcare.bootstrap_B`` resamples, seeded ``healthcare/<chain>/bootstrap``), every draw
fitted at once (:mod:`.bootstrap`).

Multiple imputation (:mod:`.rubin`): when the impute stage runs and the chain's count and
constructs at the waves it needs are in its imputation model (``missing_data.columns``), the
chain is also fitted on each imputed set and pooled by Rubin's rules (Monte Carlo intervals of
the rate ratios). Roles: with ``missing_data.primary: complete_case`` the complete-case rows are
primary and the MI rows a sensitivity analysis; with any other primary the MI rows are primary
(for ``fiml`` they stand in for it: there is no FIML form of this count model here, and MI, like
FIML, assumes the data are missing at random) and the complete-case rows a sensitivity analysis.
Without imputed sets for the chain, the complete-case rows stand in and say which config key
would give MI.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from pipeline.healthcare.bootstrap import BLOCK, batched_count_fit, batched_wls, resample_weights
from pipeline.healthcare.chain import (
    M,
    Y,
    chain_columns,
    chain_frame,
    chain_paths,
    designs,
    path_effects,
)
from pipeline.healthcare.models import choose_glm, family_words, method_words
from pipeline.healthcare.rubin import NotImputed, mi_chain
from pipeline.healthcare.settings import CountChain, HealthcareSettings
from pipeline.seeds import seed_for
from pipeline.status import Status

__all__ = ["MEDIATION_COLUMNS", "chain_frame", "chain_paths", "path_effects", "count_mediation",
           "chain_mediation"]

MEDIATION_COLUMNS = ["analysis", "label", "outcome", "effect", "path", "method", "role", "model",
                     "log_rr", "rate_ratio", "ci_lower", "ci_upper", "se_boot", "conf", "n",
                     "B", "B_ok", "status", "message"]

EFFECTS_TEXT = ("rate ratios per 1 unit more of X (product of coefficients on the log-rate "
                "scale: linear mediators, log-linear count, no exposure-mediator interaction; "
                "VanderWeele 2015)")


def _bootstrap(frame, med_x, y_x, fit, seed: int, B: int, k: int):
    y = frame[Y].to_numpy(float)
    rng = np.random.default_rng(seed)
    out: dict[str, list[np.ndarray]] = {}
    for start in range(0, B, BLOCK):
        w = resample_weights(rng, len(frame), min(BLOCK, B - start))
        a = [batched_wls(x, frame[M(j)].to_numpy(float), w)
             for j, x in enumerate(med_x, 1)]
        t, _ = batched_count_fit(y_x, y, w, np.asarray(fit.coef), fit.theta)
        for key, v in path_effects(a, t, k).items():
            out.setdefault(key, []).append(v)
    return {key: np.concatenate(v) for key, v in out.items()}


def _describe(b, labels) -> str:
    name = labels.get(b.construct) or b.construct.replace("_", " ")
    if b.change:
        return f"change in {name} ({b.change[0]} to {b.change[1]})"
    return f"{name} ({b.wave})"


def _path_text(effect: str, ch: CountChain, labels, y_text: str) -> str:
    x = _describe(ch.x, labels)
    if effect in ("direct", "total", "total_indirect"):
        return {"direct": f"{x} -> {y_text}, not through the mediators",
                "total": f"{x} -> {y_text}, all paths",
                "total_indirect": f"{x} -> {y_text}, through the mediators"}[effect]
    steps = [_describe(ch.mediators[int(m[1:]) - 1], labels) for m in effect.split("_")[1:]]
    return " -> ".join([x, *steps, y_text])


def _refusal(ch, o, status: Status, message: str, n: int, method: str = "complete_case",
             role: str = "primary") -> pd.DataFrame:
    row = {c: math.nan for c in MEDIATION_COLUMNS}
    row.update(analysis=ch.name, label=ch.label, outcome=o.name, effect="total",
               method=method, role=role, status=status.value, message=message, n=n)
    return pd.DataFrame([row], columns=MEDIATION_COLUMNS)


def _rows(ch, o, s: HealthcareSettings, labels, point: dict, draws: dict, ok: np.ndarray,
          **common) -> pd.DataFrame:
    """One row per effect: the point estimate, percentile interval and SD of the draws."""
    lo_q, hi_q = (1 - s.conf) / 2, 1 - (1 - s.conf) / 2
    y_text = f"{o.label} ({ch.y_wave})"
    rows = []
    for effect, est in point.items():
        d = draws[effect][ok]
        lo, hi = np.quantile(d, [lo_q, hi_q])
        rows.append(dict(analysis=ch.name, label=ch.label, outcome=o.name, effect=effect,
                         path=_path_text(effect, ch, labels, y_text), log_rr=float(est),
                         rate_ratio=math.exp(est), ci_lower=math.exp(lo), ci_upper=math.exp(hi),
                         se_boot=float(np.std(d, ddof=1)), conf=s.conf,
                         status=Status.OK.value, **common))
    return pd.DataFrame(rows, columns=MEDIATION_COLUMNS)


def _stands(s: HealthcareSettings, role: str, why_not_mi: str) -> str:
    """How the complete-case rows relate to the primary method, in words."""
    if s.primary == "complete_case":
        return "complete cases (the primary method)"
    if role == "sensitivity":
        return ("complete cases, a sensitivity analysis (they assume more than missing at random: "
                "that whether the chain is complete does not depend on the outcome)")
    return (f"complete cases stand in for the primary method ({method_words(s.primary)}): "
            f"there is no {method_words(s.primary)} form of this count-outcome mediation here"
            + (f"; {why_not_mi}" if why_not_mi else ""))


def complete_case_rows(wide: pd.DataFrame, ch: CountChain, s: HealthcareSettings,
                       labels: dict[str, str], role: str = "primary",
                       why_not_mi: str = "") -> pd.DataFrame:
    """The complete-case rows of one chain (percentile bootstrap intervals)."""
    o = s.outcomes[ch.outcome]
    frame = chain_frame(wide, ch)
    k = len(ch.mediators)
    med_x, y_x, names = designs(frame, k)
    if len(frame) < y_x.shape[1] + 10:
        return _refusal(ch, o, Status.NOT_ESTIMABLE, f"only {len(frame)} people have every "
                        f"variable of the chain; the count model has {y_x.shape[1]} "
                        "coefficients and needs at least 10 more people", len(frame), role=role)
    y = frame[Y].to_numpy(float)
    choice = choose_glm(pd.DataFrame(y_x, columns=names), y, s.model, "never")
    fit = choice.fit
    if fit.status is not Status.OK:
        return _refusal(ch, o, fit.status, f"the count model: {fit.message}", len(frame),
                        role=role)
    a = [np.linalg.lstsq(x, frame[M(j)].to_numpy(float), rcond=None)[0]
         for j, x in enumerate(med_x, 1)]
    point = path_effects(a, np.asarray(fit.coef), k)
    draws = _bootstrap(frame, med_x, y_x, fit, seed_for(s.seed or 0,
                       f"healthcare/{ch.name}/bootstrap"), s.bootstrap_B, k)
    ok = np.isfinite(draws["total"])
    n_ok = int(ok.sum())
    if n_ok < s.bootstrap_B / 2:
        return _refusal(ch, o, Status.NOT_ESTIMABLE, f"{s.bootstrap_B - n_ok} of "
                        f"{s.bootstrap_B} bootstrap resamples failed to fit", len(frame),
                        role=role)
    zeros = "; more zeros than the model expects" if choice.excess_zeros else ""
    msg = (f"{family_words(fit.family)} outcome ({choice.reason}); {_stands(s, role, why_not_mi)}"
           f"; {EFFECTS_TEXT}; percentile bootstrap, {n_ok} of {s.bootstrap_B} resamples{zeros}")
    return _rows(ch, o, s, labels, point, draws, ok, method="complete_case", role=role,
                 model=fit.family, n=len(frame), B=s.bootstrap_B, B_ok=n_ok, message=msg)


def _mi_words(s: HealthcareSettings) -> str:
    if s.primary == "mi":
        return "multiple imputation (the primary method)"
    if s.primary == "complete_case":
        return "multiple imputation, a sensitivity analysis (missing at random)"
    return (f"multiple imputation stands in for the primary method ({method_words(s.primary)}): "
            f"there is no {method_words(s.primary)} form of this count-outcome mediation here, "
            f"and multiple imputation, like {method_words(s.primary)}, assumes the data are "
            "missing at random")


def mi_rows(imputations, wide: pd.DataFrame, ch: CountChain, s: HealthcareSettings,
            labels: dict[str, str], role: str) -> pd.DataFrame:
    """The MI rows of one chain (Rubin's rules, Monte Carlo intervals); NotImputed when a
    variable is still missing in the imputed sets."""
    o = s.outcomes[ch.outcome]
    r = mi_chain(imputations, wide, ch, chain_columns(ch, wide.columns), s.model, s.conf,
                 s.mc_draws, seed_for(s.seed or 0, f"healthcare/{ch.name}/rubin_mc"))
    if r.message:
        return _refusal(ch, o, Status.NOT_ESTIMABLE, f"multiple imputation: {r.message}", r.n,
                        method="mi", role=role)
    fmi = float(np.nanmax(r.pooled["fmi"]))
    pct = f"{100 * s.conf:g}"
    msg = (f"{family_words(r.family)} outcome ({r.reason}); {_mi_words(s)}; the chain fitted on "
           f"each of the m = {r.m} imputed data sets of the impute stage ({r.n} people), every "
           f"coefficient pooled by Rubin's rules (Barnard-Rubin df); {EFFECTS_TEXT}, from the "
           f"pooled coefficients, {pct}% Monte Carlo intervals from {s.mc_draws} draws of their "
           "pooled covariance (within + (1 + 1/m) between; Preacher & Selig 2012); largest "
           f"fraction of missing information {fmi:.2f}")
    ok = np.isfinite(r.draws["total"])
    return _rows(ch, o, s, labels, r.point, r.draws, ok, method="mi", role=role,
                 model=r.family, n=r.n, B=s.mc_draws, B_ok=int(ok.sum()), message=msg)


def chain_mediation(wide: pd.DataFrame, ch: CountChain, s: HealthcareSettings,
                    labels: dict[str, str], imputations=None) -> pd.DataFrame:
    """The rows of one chain: direct, each path, total indirect and total, as rate ratios; by
    complete cases and, with ``imputations`` covering the chain, by multiple imputation."""
    missing = s.not_imputed(ch)
    why = ""
    if not s.impute_runs:
        why = ("the impute stage does not run for this study, so there is no multiple "
               "imputation form either")
    elif missing:
        why = (f"to fit it by multiple imputation instead, add {missing} to the imputation model "
               "(config key missing_data.columns)")
    elif imputations is None:
        why = "no imputed sets were given (run the impute rule)"
    if not why:
        mi_role = "sensitivity" if s.primary == "complete_case" else "primary"
        try:
            mi = mi_rows(imputations, wide, ch, s, labels, mi_role)
        except NotImputed as exc:
            why = f"multiple imputation is not possible: {exc}"
        else:
            cc = complete_case_rows(wide, ch, s, labels,
                                    "primary" if mi_role == "sensitivity" else "sensitivity")
            parts = [mi, cc] if mi_role == "primary" else [cc, mi]
            return pd.concat(parts, ignore_index=True)
    return complete_case_rows(wide, ch, s, labels, "primary", why)


def count_mediation(wide: pd.DataFrame, s: HealthcareSettings, labels: dict[str, str],
                    imputations=None) -> pd.DataFrame:
    """``healthcare_mediation.csv``: every configured chain (empty table when none);
    ``imputations``: the impute stage's imputed sets (:func:`pipeline.stage_io.read_imputed`)
    when the settings use them."""
    parts = [chain_mediation(wide, ch, s, labels, imputations) for ch in s.chains]
    return (pd.concat(parts, ignore_index=True) if parts
            else pd.DataFrame(columns=MEDIATION_COLUMNS))
