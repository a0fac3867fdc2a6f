"""What the by-arm chains and cross-lagged models share: the two-group fits and their tests.

A model is fitted by arm as one two-group FIML model (:func:`pipeline.sem.multigroup.
fit_multigroup`, lavaan ``sem(..., group = "arm", missing = "ml", fixed.x = FALSE)``), three
times at most:

* ``free``: every parameter its own in each arm, by MLR with robust FIML standard errors
  (``se = "robust"``), else by ML (the estimates and the ML chi-square are the same either
  way; only the standard errors differ);
* ``equal`` by ML: the tested paths equal across the arms (``group_equal`` labels or keywords,
  ``group_partial`` exemptions: lavaan's ``group.equal`` / ``group.partial``); everything else
  (covariates' effects, intercepts, variances) stays free per arm.

Tests of "the paths are equal across arms", each a row of the ``*_test.csv`` tables
(:data:`TEST_COLUMNS`):

* ``likelihood ratio`` (ML): the difference of the ML chi-squares of ``equal`` and ``free``
  (lavaan ``lavTestLRT`` of two ML fits); valid under multivariate normality;
* with robust SEs (MLR), ``scaled likelihood ratio``: the Satorra-Bentler (2001) scaled
  difference, ``T = (T0 - T1) / cd`` with ``cd = (df0 c0 - df1 c1) / (df0 - df1)`` from each
  model's MLR scaling factor (Yuan-Bentler, Mplus variant; lavaan ``lavTestLRT`` of the two MLR
  fits, ``method = "satorra.bentler.2001"``; :func:`pipeline.sem.multigroup.
  scaled_lr_test_groups`), robust to non-normality; the ``equal`` fit's ML estimates are its MLR
  estimates, so it is not refitted. ``scaling_factor`` holds ``cd``. When ``cd`` is negative
  (lavaan: ``NA``) or cannot be computed, the row has status ``not_estimable`` and the reason;
* with robust SEs, ``robust Wald``: the same equalities tested with the MLR (sandwich)
  covariance of the free fit (``lavTestWald``).

The ``headline`` row (:mod:`pipeline.sem.headline`, the rule the pooled tests use too): under
MLR the scaled LR test when it is computable, else the robust Wald test; under ML the LR test
(the Wald test with the ML covariance never leads). A model the data cannot support (an arm
too small, not identified, not converged) is a status with its reason, never an error.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from pipeline.errors import PipelineError
from pipeline.sem import headline
from pipeline.sem.montecarlo import draw_parameters, evaluate_definitions
from pipeline.sem.multigroup import (
    MultiGroupResult,
    fit_multigroup,
    lr_test_groups,
    scaled_lr_test_groups,
    wald_test_groups,
)
from pipeline.sem.syntax import parse_model
from pipeline.stats.distributions import norm_ppf, norm_sf
from pipeline.status import Status

__all__ = ["ARM_GROUP", "TEST_COLUMNS", "ArmFits", "fit_by_arm", "arm_test_rows", "wald_table",
           "defined_draws"]

#: the group column of the stacked frames (the arm's name)
ARM_GROUP = "comparison_arm"
TEST_COLUMNS = ["analysis", "model", "test", "estimator", "paths_tested", "chisq", "df",
                "pvalue", "scaling_factor", "headline", "n_programme", "n_reference", "status",
                "message"]
_TEST = {"lr": "likelihood ratio (equal vs free paths)",
         "scaled": "scaled likelihood ratio (equal vs free paths)",
         "wald": "robust Wald (paths equal across arms)"}


@dataclass
class ArmFits:
    """The fits of one model by arm; ``status``/``message``: the first problem, if any."""

    name: str
    arms: tuple[str, str]  # (reference, programme): lavaan's group order
    free: MultiGroupResult | None = None
    equal: MultiGroupResult | None = None
    status: str = Status.OK.value
    message: str = ""
    lr: dict = field(default_factory=dict)
    #: the Satorra-Bentler (2001) scaled LR test (MLR only; ``message`` set when not computable)
    scaled: dict = field(default_factory=dict)
    wald: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status == Status.OK.value

    @property
    def reported(self) -> MultiGroupResult | None:
        """The free fit, whose per-arm estimates are reported (MLR when robust)."""
        return self.free

    @property
    def robust(self) -> bool:
        return self.free is not None and self.free.options.get("estimator") == "MLR"

    def n(self, arm: str) -> int:
        fit = self.free
        return int(fit.n_obs.get(arm, 0)) if fit is not None else 0


def _fail(fits: ArmFits, status: str, message: str) -> ArmFits:
    fits.status, fits.message = status, message
    return fits


def fit_by_arm(name: str, syntax: str, data: pd.DataFrame, arms: tuple[str, str], *,
               equal: Sequence[str], partial: Sequence[str] = (), wald_rows: Sequence[str],
               robust: bool, mode: str = "sem") -> ArmFits:
    """Fit ``syntax`` by arm (``data[ARM_GROUP]``): free (MLR when ``robust``) and ``equal``
    (group_equal, ML); the LR, (with ``robust``) scaled LR and Wald tests of the
    ``wald_rows`` paths."""
    fits = ArmFits(name, arms)
    kw = dict(group_order=list(arms), mode=mode)
    try:
        fits.free = fit_multigroup(syntax, data, ARM_GROUP, name=f"{name} (free paths)",
                                   estimator="MLR" if robust else "ML", **kw)
        if fits.free.ok:
            fits.equal = fit_multigroup(syntax, data, ARM_GROUP, group_equal=list(equal),
                                        group_partial=list(partial),
                                        name=f"{name} (paths equal across arms)", **kw)
    except PipelineError as exc:
        return _fail(fits, Status.NOT_ESTIMABLE.value, str(exc))
    except (np.linalg.LinAlgError, FloatingPointError) as exc:  # numerical: a status too
        return _fail(fits, Status.FAILED.value, f"{name}: estimation failed with a numerical "
                     f"error ({exc}); the model may be too large for the arms' data.")
    for res in (fits.free, fits.equal):
        if res is not None and not res.ok:
            return _fail(fits, res.status, res.message)
    try:
        fits.lr = lr_difference(fits.equal, fits.free)
        fits.wald = wald_test_groups(fits.free, list(wald_rows))
    except (PipelineError, np.linalg.LinAlgError) as exc:
        return _fail(fits, Status.NOT_ESTIMABLE.value, str(exc))
    if fits.robust:
        fits.scaled = _scaled(fits)
    return fits


def _scaled(fits: ArmFits) -> dict:
    """The scaled LR test; a failure of it (only) is its own row's reason, not the model's."""
    try:
        return scaled_lr_test_groups(fits.equal, fits.free)
    except (PipelineError, np.linalg.LinAlgError, FloatingPointError) as exc:
        nan = float("nan")
        return {"chisq_diff": nan, "df_diff": fits.lr.get("df_diff", nan), "pvalue": nan,
                "scaling_factor": nan, "message": str(exc).rstrip(".")}


def lr_difference(equal: MultiGroupResult, free: MultiGroupResult) -> dict[str, float]:
    """The LR (chi-square difference) test of the ML ``equal`` fit against the ``free`` fit,
    whose ML chi-square is the same whether it was fitted by ML or MLR (:func:`pipeline.sem.
    multigroup.lr_test_groups` on the two ML fits, without refitting the free model by ML)."""
    as_ml = replace(free, options={**free.options, "estimator": "ML"})
    return lr_test_groups(equal, as_ml)


def arm_test_rows(fits: ArmFits, analysis: str, model: str, paths: str) -> list[dict]:
    """The rows of a ``*_test.csv`` table (:data:`TEST_COLUMNS`): LR, scaled LR (MLR) and Wald,
    or one status row when the models could not be fitted; the ``headline`` row by the one
    rule of :mod:`pipeline.sem.headline`."""
    ref, prog = fits.arms
    base = {"analysis": analysis, "model": model, "paths_tested": paths,
            "n_programme": fits.n(prog), "n_reference": fits.n(ref)}
    if not fits.ok:
        return [{**base, "test": _TEST["lr"], "estimator": "ML", "status": fits.status,
                 "message": fits.message, "headline": True}]
    robust = fits.robust
    scaled_ok = robust and bool(fits.scaled) and not fits.scaled.get("message")
    rows = [{**base, "test": _TEST["lr"], "estimator": "ML", "chisq": fits.lr["chisq_diff"],
             "df": fits.lr["df_diff"], "pvalue": fits.lr["pvalue"], "kind": headline.LR,
             "status": Status.OK.value, "message": "assumes multivariate normality"}]
    if robust:
        sc = fits.scaled
        rows.append({**base, "test": _TEST["scaled"], "estimator": "MLR",
                     "chisq": sc["chisq_diff"], "df": sc["df_diff"], "pvalue": sc["pvalue"],
                     "scaling_factor": sc["scaling_factor"], "kind": headline.SCALED_LR,
                     "status": Status.OK.value if scaled_ok else Status.NOT_ESTIMABLE.value,
                     "message": "Satorra-Bentler (2001) scaled difference of the MLR "
                     "chi-squares" if scaled_ok else f"{fits.name}: {sc['message']}; the "
                     "robust Wald test is the headline"})
    rows.append({**base, "test": _TEST["wald"] if robust else "Wald (paths equal across arms)",
                 "estimator": "MLR" if robust else "ML", "chisq": fits.wald["chisq"],
                 "df": fits.wald["df"], "pvalue": fits.wald["pvalue"],
                 "kind": headline.ROBUST_WALD if robust else "wald_ml", "status": Status.OK.value,
                 "message": "robust (sandwich) covariance of the free model" if robust else
                 "covariance of the free model"})
    marked = headline.mark_headline(rows, lambda r: r["kind"])
    return [{k: v for k, v in r.items() if k != "kind"} for r in marked]


def wald_table(est: pd.DataFrame, conf: float) -> pd.DataFrame:
    """``est`` with z, p and the Wald interval at level ``conf`` recomputed from est and se."""
    t = est.copy()
    q = norm_ppf(0.5 + conf / 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        t["z"] = t["est"] / t["se"]
    t["pvalue"] = 2 * norm_sf(np.abs(t["z"]))
    t["ci_lower"], t["ci_upper"] = t["est"] - q * t["se"], t["est"] + q * t["se"]
    return t


def defined_draws(fit: MultiGroupResult, draws: int, seed: int) -> dict[str, dict]:
    """Monte Carlo draws (Preacher & Selig 2012; ``semTools::monteCarloCI``) of every ``:=``
    parameter in each group: group -> name -> array of ``draws`` values, from one set of draws
    of the whole parameter vector (so differences between groups are drawn jointly)."""
    sims = draw_parameters(fit.theta, fit.vcov, draws, seed)
    defs = parse_model(fit.syntax, fit.name).definitions
    est = fit.estimates[fit.estimates["op"] != ":="]
    n_rows = len(est) // len(fit.groups)
    out = {}
    for g, group in enumerate(fit.groups):
        env = {}
        for r in range(g * n_rows, (g + 1) * n_rows):
            lab = est["label"].iloc[r]
            if lab and isinstance(lab, str) and lab not in env:
                k = int(fit.free_index[r])
                env[lab] = sims[:, k] if k >= 0 else np.full(draws, est["est"].iloc[r])
        out[group] = evaluate_definitions(defs, env, fit.name)
    return out
