"""Trajectories under MAR: per construct, a mixed model, its model-based means and contrasts.

Model (per construct, everyone with at least one observed score)::

    score_it = b0 + wave_t (or b_m * months_it) + covariates_i + u_i + e_it,
    u_i ~ N(0, tau^2),  e_it ~ N(0, sigma^2)

fitted by REML (:func:`pipeline.stats.mixed.fit_random_intercept`, lme4's ``lmer``); means and
contrasts (each wave minus the first, Holm-adjusted within a construct, Bonferroni CIs) as
emmeans defines them (:mod:`pipeline.stats.emmeans`, including the ``covariate_weights``
choice). Observed means (all available scores and completers) are given alongside.

A result the data cannot support is not reported: a wave answered by fewer than ``min_cell``
people (config ``disclosure.min_cell``) keeps its place in the fit, but its mean and its change
from baseline are blank with status "not_estimable" (see :func:`fit_trajectory`).

In R::

    fit <- lme4::lmer(score ~ wave + age + gender + (1 | pid), data = long)
    emm <- emmeans::emmeans(fit, ~ wave, weights = "proportional", lmer.df = "asymptotic")
    contrast(emm, "trt.vs.ctrl", ref = 1, adjust = "holm")
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipeline.change.messages import too_few_message
from pipeline.change.observed import check_long, observed_means, person_covariates
from pipeline.errors import DataError
from pipeline.stats.emmeans import (
    COVARIATE_WEIGHTS,
    P_ADJUST_METHODS,
    contrasts_vs_first,
    marginal_means,
    trajectory_design,
)
from pipeline.stats.mixed import DEFAULT_OPTIMIZERS, RandomInterceptFit, fit_random_intercept
from pipeline.status import Status, status_row

__all__ = [
    "Trajectory", "MEANS_COLUMNS", "CONTRAST_COLUMNS", "STATUS_COLUMNS", "fit_trajectory",
    "trajectories",
]

log = logging.getLogger(__name__)

MODEL_METHOD = "lmm_reml"  # "lmm_ml" when fitted by ML (reml=False)

MEANS_COLUMNS = [
    "analysis", "construct", "method", "wave", "wave_index", "months", "est", "se", "ci_lower",
    "ci_upper", "sd", "n", "flag", "status", "message",
]
CONTRAST_COLUMNS = [
    "analysis", "construct", "method", "contrast", "wave", "months", "est", "se", "z", "pvalue",
    "pvalue_adj", "p_adjust", "ci_lower", "ci_upper", "ci_lower_adj", "ci_upper_adj",
    "observed_completer_diff", "n", "flag", "status", "message",
]
STATUS_COLUMNS = [
    "analysis", "construct", "method", "status", "message", "n_obs", "n_participants", "time",
    "covariates", "optimizer", "sd_participant", "sd_residual", "loglik",
]
OK, NOT_ESTIMABLE = Status.OK.value, Status.NOT_ESTIMABLE.value


@dataclass(frozen=True)
class Trajectory:
    """Tidy results for one or more constructs: means, contrasts and one status row each."""

    means: pd.DataFrame
    contrasts: pd.DataFrame
    status: pd.DataFrame


@dataclass
class _Frame:
    """The model frame of one construct and what is known about it before fitting."""

    construct: str
    wave_ids: list[str]
    method: str
    p_adjust: str
    long: pd.DataFrame  # with person-level covariates
    d: pd.DataFrame  # rows in the model
    observed: pd.DataFrame  # observed means
    n_by_wave: pd.Series
    notes: list[str]
    base: dict  # status-row fields common to every outcome

    def assemble(self, means: pd.DataFrame, con: pd.DataFrame, srow: dict) -> Trajectory:
        return _assemble(means, con, pd.DataFrame([srow]), self.observed, self.long,
                         self.construct, self.wave_ids)


def _empty(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})


def _finish(df: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    for c in columns:
        if c not in df:
            df[c] = np.nan
    return df[columns]


def _check_options(time: str, p_adjust: str, covariate_weights: str) -> None:
    if time not in ("wave", "months"):
        raise DataError(f"change: time '{time}' is unknown; use 'wave' or 'months'.")
    if p_adjust not in P_ADJUST_METHODS:
        raise DataError(
            f"change: p_adjust '{p_adjust}' is unknown; use one of {list(P_ADJUST_METHODS)}."
        )
    if covariate_weights not in COVARIATE_WEIGHTS:
        raise DataError(
            f"change: covariate_weights '{covariate_weights}' is unknown; use one of "
            f"{list(COVARIATE_WEIGHTS)}."
        )


def _check_columns(long: pd.DataFrame, construct: str, covariates: Mapping[str, str],
                   time: str) -> None:
    need = ["pid", "wave", construct] + (["months"] if time == "months" else []) + list(covariates)
    missing = [c for c in need if c not in long.columns]
    if missing:
        raise DataError(
            f"change model for '{construct}': column(s) {missing} are not in long.parquet. "
            "Check the scale and covariate names in config (scales, covariates)."
        )
    check_long(long)


def _model_frame(long, construct, wave_ids, covariates, time, covariate_waves, observed,
                 method, p_adjust) -> _Frame:
    """Rows with the construct observed, person-level covariates, rows with a missing
    covariate (or months) left out as lme4 does (noted)."""
    need = ["pid", "wave", construct] + (["months"] if time == "months" else []) + list(covariates)
    if covariates:
        long = person_covariates(long, list(covariates), wave_ids, covariate_waves)
    d = long.loc[long["wave"].isin(wave_ids) & long[construct].notna(), need].copy()
    n_before = d["pid"].nunique()
    d = d.dropna(subset=list(covariates) + (["months"] if time == "months" else []))
    notes: list[str] = []
    dropped = n_before - d["pid"].nunique()
    n_rows_dropped = int(
        (long["wave"].isin(wave_ids) & long[construct].notna()).sum() - len(d)
    )
    if n_rows_dropped:  # the counts go to the analyst's log only: the note reaches the report
        notes.append("observations with a missing covariate left out"
                     + (" (some participants lost entirely)" if dropped else ""))
        log.info("change/%s: %d observation(s) with a missing covariate left out (%d "
                 "participant(s) lost entirely)", construct, n_rows_dropped, dropped)
    n_by_wave = d.groupby("wave")["pid"].nunique().reindex(wave_ids).fillna(0).astype(int)
    base = {"construct": construct, "time": time, "covariates": ",".join(covariates)}
    return _Frame(construct, wave_ids, method, p_adjust, long, d, observed, n_by_wave, notes,
                  base)


def _not_estimable(fr: _Frame, msg: str, status: str = NOT_ESTIMABLE) -> Trajectory:
    """Every mean and contrast of the model blank with ``status`` and the reason."""
    msg = "; ".join([msg, *fr.notes])
    log.warning("change/%s: %s", fr.construct, msg)
    wave_ids, n = fr.wave_ids, fr.n_by_wave.to_numpy()
    m = pd.DataFrame({"wave": wave_ids, "n": n})
    m["method"], m["status"], m["message"], m["flag"] = fr.method, status, msg, ""
    m["construct"] = fr.construct
    c = pd.DataFrame({"wave": wave_ids[1:], "n": n[1:]})
    c["contrast"] = [f"{w} - {wave_ids[0]}" for w in wave_ids[1:]]
    c["method"], c["status"], c["message"], c["flag"] = fr.method, status, msg, ""
    c["construct"] = fr.construct
    c["p_adjust"] = fr.p_adjust
    srow = status_row("change", fr.method, status, msg, **fr.base, n_obs=len(fr.d),
                      n_participants=fr.d["pid"].nunique())
    return fr.assemble(m, c, srow)


def _unsupported(fr: _Frame, waves_seen: list[str]) -> str | None:
    """Why the data cannot support a model of change (None when they can)."""
    k, d, wave_ids = fr.construct, fr.d, fr.wave_ids
    if len(waves_seen) < 2:
        return (f"'{k}' is observed at {len(waves_seen)} wave(s) only "
                f"({', '.join(waves_seen) or 'none'}); change over time cannot be estimated. "
                "Check that follow-up scores were scored and merged.")
    if waves_seen[0] != wave_ids[0]:
        return (f"'{k}' has no scores at the baseline wave {wave_ids[0]}; change from entry "
                "cannot be estimated.")
    if d["pid"].nunique() == len(d):
        return (f"nobody has '{k}' scores at two waves; within-person change cannot be "
                "separated from between-person differences.")
    return None


def _too_few_for_model(construct: str, n_obs: int, n_people: int, n_fixed: int) -> str | None:
    """Why a random-intercept model cannot be estimated from so few scores (None when it can):
    it needs more observations than fixed effects plus its two variances, from >= 2 people."""
    if n_obs > n_fixed + 2 and n_people >= 2:
        return None
    return (f"too few '{construct}' scores for the mixed model of change: it needs more scores "
            f"than its {n_fixed} fixed effects (baseline, the waves and the covariates) plus 2 "
            "variances, from at least 2 people; it cannot be estimated.")


def _model_means(fr: _Frame, design, fit: RandomInterceptFit, small_seen: np.ndarray,
                 min_cell: int, conf: float) -> pd.DataFrame:
    """Model-based means per configured wave (blank for small or unobserved waves)."""
    means = marginal_means(design.L, fit.beta, fit.vcov, conf, withhold=small_seen)
    means.insert(0, "wave", design.waves)
    means = pd.DataFrame({"wave": fr.wave_ids}).merge(means, on="wave", how="left")
    means["n"] = fr.n_by_wave.to_numpy()
    means["method"], means["construct"] = fr.method, fr.construct
    small = (means["n"] > 0) & (means["n"] < min_cell)
    means["status"] = np.where(means["est"].notna(), OK, NOT_ESTIMABLE)
    means["message"] = [
        "" if pd.notna(e) else too_few_message(n, f"at {w}", min_cell, "the mean is not reported")
        if sm else "no scores at this wave"
        for e, n, w, sm in zip(means["est"], means["n"], means["wave"], small)
    ]
    means["flag"] = np.where(small, "small_n", "")
    return means


def _model_contrasts(fr: _Frame, design, fit: RandomInterceptFit, small_seen: np.ndarray,
                     min_cell: int, conf: float) -> pd.DataFrame:
    """Each wave minus baseline, reported only when both waves have at least ``min_cell``
    people; the multiplicity adjustment covers the reported contrasts only."""
    wave_ids = fr.wave_ids
    report = ~small_seen[1:] & ~small_seen[0]
    con = contrasts_vs_first(design.L, fit.beta, fit.vcov, conf, fr.p_adjust, report)
    con.insert(0, "wave", design.waves[1:])
    con = pd.DataFrame({"wave": wave_ids[1:]}).merge(con, on="wave", how="left")
    con["contrast"] = [f"{w} - {wave_ids[0]}" for w in wave_ids[1:]]
    con["n"] = fr.n_by_wave.to_numpy()[1:]
    con["p_adjust"] = fr.p_adjust
    con["method"], con["construct"] = fr.method, fr.construct
    con["status"] = np.where(con["est"].notna(), OK, NOT_ESTIMABLE)
    n_base = int(fr.n_by_wave[wave_ids[0]])

    def message(e, n, w) -> str:
        if pd.notna(e):
            return ""
        if 0 < n < min_cell:
            return too_few_message(n, f"at {w}", min_cell)
        if n > 0 and n_base < min_cell:
            return too_few_message(n_base, f"at {wave_ids[0]}", min_cell)
        return "no scores at this wave"

    con["message"] = [message(e, n, w) for e, n, w in zip(con["est"], con["n"], con["wave"])]
    con["flag"] = np.where((con["n"] > 0) & (con["n"] < min_cell), "small_n", "")
    return con


def fit_trajectory(
    long: pd.DataFrame,
    construct: str,
    wave_ids: Sequence[str],
    covariates: Mapping[str, str] | None = None,
    time: str = "wave",
    p_adjust: str = "holm",
    reml: bool = True,
    optimizers: Sequence[str] = DEFAULT_OPTIMIZERS,
    min_cell: int = 10,
    conf: float = 0.95,
    covariate_waves: Mapping[str, str] | None = None,
    covariate_weights: str = "proportional",
) -> Trajectory:
    """Mixed-model trajectory of one construct (see module docstring for the definitions).

    ``covariates`` maps column -> "numeric" | "categorical". ``time`` is "wave" (categorical)
    or "months" (linear in months since entry). Covariates are person-level: each row gets the
    participant's baseline value (:func:`~pipeline.change.observed.person_covariates`;
    ``covariate_waves`` as config ``covariates.<key>.wave``). Rows with a missing covariate are
    left out (as lme4 does; logged and stated in the status message). Model-based means average
    categorical covariates with ``covariate_weights`` ("proportional" | "equal"); contrasts are
    unaffected. Status is "not_estimable" when the construct is observed at one wave only, at
    no baseline, or nobody has two waves; "failed" when no optimiser converges (no estimates).

    Small waves: a wave answered by fewer than ``min_cell`` people (but at least one) stays in
    the fit, but its model-based mean and its contrast with baseline are not reported:
    estimates blank, status "not_estimable", flag "small_n", message "only N people answered at
    <wave> (fewer than <min_cell>); change is not estimated" (means: "...; the mean is not
    reported"). The same holds for every contrast when the baseline wave has fewer than
    ``min_cell`` people. The p-value adjustment and the Bonferroni CI level count the reported
    contrasts only. Observed means follow the same rule (:func:`observed_means`).
    """
    covariates = dict(covariates or {})
    method = MODEL_METHOD if reml else "lmm_ml"
    _check_options(time, p_adjust, covariate_weights)
    wave_ids = list(wave_ids)
    _check_columns(long, construct, covariates, time)
    observed = observed_means(long, construct, wave_ids, min_cell, conf)
    observed.insert(0, "construct", construct)
    fr = _model_frame(long, construct, wave_ids, covariates, time, covariate_waves, observed,
                      method, p_adjust)
    d = fr.d
    waves_seen = [w for w in wave_ids if (d["wave"] == w).any()]
    reason = _unsupported(fr, waves_seen)
    if reason:
        return _not_estimable(fr, reason)
    fr.notes += [f"no scores at {w}; that wave is left out of the model"
                 for w in wave_ids if w not in waves_seen]
    design = trajectory_design(d, waves_seen, covariates, time, covariate_weights)
    fr.notes += design.notes
    too_small = _too_few_for_model(construct, len(d), d["pid"].nunique(), design.X.shape[1])
    if too_small:
        return _not_estimable(fr, too_small)
    fit = fit_random_intercept(d[construct].to_numpy(float), design.X, d["pid"].to_numpy(),
                               reml, optimizers, label=f"change/{construct}")
    if not fit.ok:
        log.warning("change/%s: every optimiser failed: %s", construct, "; ".join(fit.notes))
        return _not_estimable(
            fr, f"the mixed model for '{construct}' did not converge with any optimiser (details "
            "in the change rule's log). No estimates are reported; check for extreme values "
            "or very few follow-up responses.", status=Status.FAILED.value)
    fr.notes += fit.notes
    # A wave answered by fewer than min_cell people stays in the fit (it does no harm to the
    # other waves) but its model-based mean and its change from baseline are not reported.
    small_seen = fr.n_by_wave.reindex(waves_seen).to_numpy() < min_cell
    fr.notes += [too_few_message(fr.n_by_wave[w], f"at {w}", min_cell,
                                 "its mean and change from baseline are not reported")
                 for w, sm in zip(waves_seen, small_seen) if sm]
    means = _model_means(fr, design, fit, small_seen, min_cell, conf)
    con = _model_contrasts(fr, design, fit, small_seen, min_cell, conf)
    srow = status_row(
        "change", method, OK, "; ".join(fr.notes), **fr.base, n_obs=len(d),
        n_participants=d["pid"].nunique(), optimizer=fit.optimizer,
        sd_participant=np.sqrt(fit.tau2), sd_residual=np.sqrt(fit.sigma2), loglik=fit.loglik,
    )
    srow["covariates"] = ",".join(design.covariates)
    return fr.assemble(means, con, srow)


def _assemble(means, con, status, observed, long, construct, wave_ids) -> Trajectory:
    """Add months, wave_index and observed completer differences; order columns."""
    months = long.groupby("wave")["months"].first() if "months" in long else pd.Series(dtype=float)
    order = {w: i for i, w in enumerate(wave_ids)}
    allm = pd.concat([means, observed], ignore_index=True)
    allm["analysis"] = "change"
    allm["wave_index"] = allm["wave"].map(order)
    allm["months"] = allm["wave"].map(months).astype(float)
    comp = observed[observed["method"] == "observed_completers"].set_index("wave")["est"]
    con = con.copy()
    con["analysis"] = "change"
    con["months"] = con["wave"].map(months).astype(float)
    base = comp.get(wave_ids[0], np.nan)
    con["observed_completer_diff"] = (con["wave"].map(comp) - base).astype(float)
    return Trajectory(
        means=_finish(allm, MEANS_COLUMNS),
        contrasts=_finish(con, CONTRAST_COLUMNS),
        status=_finish(status.copy(), STATUS_COLUMNS),
    )


def trajectories(
    long: pd.DataFrame,
    constructs: Sequence[str],
    wave_ids: Sequence[str],
    covariates: Mapping[str, str] | None = None,
    **kwargs,
) -> Trajectory:
    """:func:`fit_trajectory` for each construct, stacked into one set of tidy tables."""
    parts = [fit_trajectory(long, c, wave_ids, covariates, **kwargs) for c in constructs]
    if not parts:
        return Trajectory(_empty(MEANS_COLUMNS), _empty(CONTRAST_COLUMNS), _empty(STATUS_COLUMNS))
    return Trajectory(
        means=pd.concat([p.means for p in parts], ignore_index=True),
        contrasts=pd.concat([p.contrasts for p in parts], ignore_index=True),
        status=pd.concat([p.status for p in parts], ignore_index=True),
    )
