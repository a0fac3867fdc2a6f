"""Serial mediation by full-information ML (FIML) with the project's SEM engine.

Everyone with data on any model variable contributes (lavaan ``missing = "ml"`` with
``fixed.x = FALSE``: covariates are modelled, so people missing a covariate are kept). The chain
is fitted as a saturated path model (PROCESS model 6 as a SEM), so with complete data its
estimates equal the OLS ones. Paths get Wald intervals; indirect effects, contrasts and the
total effect get delta-method standard errors (as lavaan's ``:=``) and Monte Carlo confidence
intervals (Preacher & Selig 2012; :mod:`pipeline.sem.montecarlo`); completely standardised
indirect effects get lavaan's ``std.all`` with its delta-method SE.

Standard errors (``se``): ``robust`` (default) is lavaan's MLR with FIML, the Huber-White
sandwich ``A^-1 B A^-1`` of the observed information ``A`` and the casewise score
cross-products ``B`` (Yuan & Bentler 2000), which stays valid for non-normal observed scale
scores (heaped EQ VAS, skewed UCLA sums); ``standard`` is the model-based ``A^-1``. Every SE,
Wald / delta interval and the Monte Carlo draws use that covariance matrix. ``bootstrap``
fits by ML, then resamples the people analysed ``bootstrap_B`` times and refits each resample
by FIML (:func:`pipeline.sem.bootstrap.bootstrap_sem`, seeded with
``seed_for(seed, "mediation/<name>/fiml_bootstrap")``): paths and defined effects get the
bootstrap SE and lavaan's percentile interval (no Monte Carlo draws), standardised indirect
effects the delta method with the bootstrap covariance (lavaan ``standardizedSolution``); the
table's ``ci_lower_mcse``/``ci_upper_mcse`` are the Monte Carlo SEs of the bootstrap bounds.
More than half of the resamples failing makes the analysis ``not_estimable``. FIML is valid
under missing at random given the model's variables: rows carry the ``mar_assumption`` caveat.

In R: ``lavaan::sem(model, data, estimator = "MLR", missing = "ml", fixed.x = FALSE)`` (or
without ``estimator`` for ``se: standard``) then ``semTools::monteCarloCI(fit, nRep = mc_draws)``;
for ``se: bootstrap``: ``sem(..., se = "bootstrap", bootstrap = B)`` then
``parameterEstimates(fit, boot.ci.type = "perc")``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.errors import DataError, ModelError
from pipeline.mediation.bootstrap import quantile_mc_se
from pipeline.mediation.effects import EffectDef, effect_definitions
from pipeline.mediation.estimator import MediationEstimator, MediationResult, job_key
from pipeline.mediation.frame import (
    covariate_names,
    derive_frame,
    model_columns,
    varying_levels,
)
from pipeline.mediation.lavaan import chain_lavaan_syntax
from pipeline.mediation.ols import Layout
from pipeline.mediation.sentences import bootstrap_se_text
from pipeline.mediation.spec import MediationSpec
from pipeline.mediation.table import build_table
from pipeline.seeds import seed_for
from pipeline.sem import SEMResult, fit_sem
from pipeline.sem.bootstrap import SEMBootstrap, bootstrap_sem
from pipeline.sem.montecarlo import monte_carlo_defined, percentile_interval
from pipeline.sem.syntax import parse_model
from pipeline.stats.distributions import norm_ppf, norm_sf

__all__ = ["FIMLMonteCarlo", "fiml_frame"]

STAT_KEYS = ("est", "se", "stat", "p", "lo", "hi")
SE_KINDS = ("robust", "standard", "bootstrap")


def fiml_frame(wide: pd.DataFrame, spec: MediationSpec
               ) -> tuple[pd.DataFrame, dict[str, list[str]], list[str]]:
    """Everyone with any model variable, in design order; the dummies kept per categorical
    covariate (levels nobody - or everybody - has are dropped) and notes saying so."""
    raw = wide[model_columns(spec)].reset_index(drop=True)
    frame = derive_frame(raw, spec)
    frame = frame[frame.notna().any(axis=1)]
    dummies, dropped = varying_levels(frame, spec)
    notes = [f"covariate '{key}': level(s) {levels} absent; their indicator(s) dropped"
             for key, levels in dropped.items() if levels]
    if dummies:
        frame = derive_frame(raw, spec, dummies)
        frame = frame[frame.notna().any(axis=1)]
    constant = [c for c in frame.columns if frame[c].nunique(dropna=True) < 2]
    if constant:
        raise DataError(
            f"mediation analysis '{spec.name}' (FIML): variable(s) {constant} do not vary; drop "
            "them from the analysis or check the data."
        )
    return frame, dummies, notes


class FIMLMonteCarlo(MediationEstimator):
    """FIML with delta-method SEs and Monte Carlo intervals from ``mc_draws`` parameter draws,
    seeded with ``seed_for(seed, "mediation/<name>/fiml_mc")``; with ``se="bootstrap"``,
    bootstrap SEs and percentile intervals from ``bootstrap_B`` case resamples instead, refitted
    in ``processes`` worker processes (the results do not depend on it)."""

    method = "fiml"

    def __init__(self, *, mc_draws: int, se: str = "robust", bootstrap_B: int = 2000,
                 processes: int = 1, **common) -> None:
        super().__init__(**common)
        if se not in SE_KINDS:
            raise ValueError(f"se must be one of {SE_KINDS}, got {se!r}")
        self.mc_draws, self.se = mc_draws, se
        self.bootstrap_B, self.processes = bootstrap_B, max(1, int(processes))

    def _fit(self, wide: pd.DataFrame, spec: MediationSpec) -> MediationResult:
        frame, dummies, notes = fiml_frame(wide, spec)
        names = tuple(frame.columns)
        layout = Layout(n_cov=len(names) - 2 - spec.k, k=spec.k)
        n_y = int(frame[names[-1]].notna().sum())
        message = self.check_estimable(spec, n_y, layout.n_params_y, "people with the outcome")
        syntax = chain_lavaan_syntax(spec.x.column, [m.column for m in spec.mediators],
                                     spec.y.column, covariate_names(spec, dummies or None))
        boot = self.se == "bootstrap"
        res = fit_sem(syntax, frame, missing="ml", se="standard" if boot else self.se,
                      name=f"mediation[{spec.name}]")
        if not res.ok:
            raise ModelError(res.message)
        defs = effect_definitions(names, layout)
        head = (f"FIML on {res.n_obs} people with any data ({n_y} with the outcome), valid if "
                "data are missing at random given the model's variables; ")
        if boot:
            b = self._bootstrap(syntax, frame, res, spec)
            table = self._boot_table(b, defs, spec, res.n_obs)
            how = (f"{bootstrap_se_text(b.B)} SEs and CIs (case resamples refitted by FIML)"
                   + (f"; {b.message.split(': ', 1)[-1].rstrip('.')}" if b.message else ""))
            return self.finish(spec, table, [message, *notes, head + how])
        table = self._table(res, syntax, defs, spec)
        notes = [message, *notes, head
                 + ("robust (MLR, Yuan-Bentler) SEs; " if self.se == "robust" else "")
                 + f"delta-method SEs, Monte Carlo CIs from {self.mc_draws} draws for indirect "
                 "effects (Preacher & Selig 2012)"]
        return self.finish(spec, table, notes)

    def _bootstrap(self, syntax: str, frame: pd.DataFrame, res: SEMResult,
                   spec: MediationSpec) -> SEMBootstrap:
        """The case-resampling bootstrap of the fit; a bootstrap the data cannot support (more
        than half of the resamples failing) is a DataError (status ``not_estimable``)."""
        try:
            return bootstrap_sem(syntax, frame, res, B=self.bootstrap_B, conf=self.conf,
                                 seed=seed_for(self.seed, job_key(spec.name, "fiml_bootstrap")),
                                 processes=self.processes)
        except ModelError as exc:
            raise DataError(f"analysis '{spec.name}' (FIML, {bootstrap_se_text(self.bootstrap_B)}"
                            f"): {str(exc).rstrip('.')} (config key mediation.fiml.se).") from None

    def _boot_table(self, b: SEMBootstrap, defs: list[EffectDef], spec: MediationSpec,
                    n_obs: int) -> pd.DataFrame:
        """One row per effect from the bootstrap: paths and defined effects with bootstrap SE
        and percentile interval (and the Monte Carlo SE of each bound), standardised indirect
        effects with the delta method on the bootstrap covariance."""
        est = b.estimates
        lab = est["label"].fillna("").astype(str)
        key = lab.where(lab != "", est["lhs"] + " ~ " + est["rhs"])
        est = est.assign(_key=key)
        reg = est[est["op"] == "~"].set_index(["lhs", "rhs"])
        dfd = est[est["op"] == ":="].set_index("label")
        probs = ((1 - self.conf) / 2, (1 + self.conf) / 2)
        draws = {"~": (b.draws, {k: j for j, k in enumerate(b.free_names)}),
                 ":=": (b.defined, {k: j for j, k in enumerate(b.defined_names)})}
        mcse = {op: [quantile_mc_se(d, p) for p in probs] for op, (d, _) in draws.items()}
        q = norm_ppf(probs[1])
        out = {c: np.full(len(defs), np.nan) for c in (*STAT_KEYS, "mc_lo", "mc_hi")}
        ci_method = np.empty(len(defs), dtype=object)
        for r, d in enumerate(defs):
            if d.effect_type == "std_indirect":
                vals, ci_method[r] = _std_indirect(dfd, d.label, q), "delta"
            else:
                op = "~" if d.op == "~" else ":="
                row = reg.loc[(d.lhs, d.rhs)] if op == "~" else dfd.loc[d.label]
                j = draws[op][1][row["_key"] if op == "~" else d.label]
                vals = (row["est"], row["se"], row["z"], row["pvalue"], row["ci_lower"],
                        row["ci_upper"], mcse[op][0][j], mcse[op][1][j])
                ci_method[r] = "percentile"
            for k, v in zip((*STAT_KEYS, "mc_lo", "mc_hi"), vals):
                out[k][r] = float(v)
        return build_table(defs, out["est"], out["se"], out["stat"], out["p"], out["lo"],
                           out["hi"], ci_method, spec.name, self.method, n_obs, b.B,
                           conf=self.conf, mcse_lower=out["mc_lo"], mcse_upper=out["mc_hi"])

    def _table(self, res: SEMResult, syntax: str, defs: list[EffectDef],
               spec: MediationSpec) -> pd.DataFrame:
        """One row per effect: paths (Wald), defined effects (delta SE, Monte Carlo CI),
        standardised indirect effects (lavaan std.all, delta SE and interval)."""
        est = res.estimates
        reg = est[est["op"] == "~"].set_index(["lhs", "rhs"])
        dfd = est[est["op"] == ":="].set_index("label")
        syn_defs = parse_model(syntax, f"mediation[{spec.name}]").definitions
        mc = monte_carlo_defined(res.theta, res.vcov, res.free_names, syn_defs, self.mc_draws,
                                 seed_for(self.seed, job_key(spec.name, "fiml_mc")))
        mc_lo, mc_hi = percentile_interval(mc, self.conf)
        mcse = [quantile_mc_se(mc, p) for p in ((1 - self.conf) / 2, (1 + self.conf) / 2)]
        mc_col = {d.name: j for j, d in enumerate(syn_defs)}
        q = norm_ppf(1 - (1 - self.conf) / 2)
        out = {c: np.full(len(defs), np.nan) for c in (*STAT_KEYS, "mc_lo", "mc_hi")}
        ci_method = np.empty(len(defs), dtype=object)
        for r, d in enumerate(defs):
            if d.op == "~":
                row = reg.loc[(d.lhs, d.rhs)]
                vals = (row["est"], row["se"], row["z"], row["pvalue"], row["ci_lower"],
                        row["ci_upper"], 0.0, 0.0)
                ci_method[r] = "wald"
            elif d.effect_type == "std_indirect":
                vals, ci_method[r] = _std_indirect(dfd, d.label, q), "delta"
            else:
                row = dfd.loc[d.label]
                j = mc_col[d.label]
                vals = (row["est"], row["se"], row["z"], row["pvalue"], mc_lo[j], mc_hi[j],
                        mcse[0][j], mcse[1][j])
                ci_method[r] = "monte_carlo"
            for key, v in zip((*STAT_KEYS, "mc_lo", "mc_hi"), vals):
                out[key][r] = float(v)
        return build_table(defs, out["est"], out["se"], out["stat"], out["p"], out["lo"],
                           out["hi"], ci_method, spec.name, self.method, res.n_obs, self.mc_draws,
                           conf=self.conf, mcse_lower=out["mc_lo"], mcse_upper=out["mc_hi"])


def _std_indirect(dfd: pd.DataFrame, label: str, q: float) -> tuple:
    """Row values of a standardised indirect effect: lavaan's std.all of the defined effect
    (``std_ind_12`` -> ``ind_12``) with its delta-method SE, z, p and Wald interval."""
    row = dfd.loc[label[4:]]
    est_, se_ = row["std_all"], row["std_all_se"]
    z = est_ / se_ if se_ > 0 else np.nan
    return (est_, se_, z, 2 * norm_sf(abs(z)), est_ - q * se_, est_ + q * se_, 0.0, 0.0)
