"""Trajectories under MAR: a linear mixed model per construct, model-based means and contrasts.

Model (per construct, everyone with at least one observed score)::

    score_it = b0 + wave_t (or b_m * months_it) + covariates_i + u_i + e_it,
    u_i ~ N(0, tau^2),  e_it ~ N(0, sigma^2)

fitted by REML (``reml=True``, lme4's default; Laird & Ware 1982) with statsmodels ``MixedLM``.
Under MAR the likelihood uses every observed wave, so people who drop out still inform the
baseline mean (Little & Rubin 2019, ch. 6).

Model-based means follow emmeans' definition (Searle, Speed & Milliken 1980, "least-squares
means"): the linear predictor at each wave with numeric covariates at their mean over the rows
of the model frame and categorical covariates averaged over their levels with weights set by
``covariate_weights``:

* ``"proportional"`` (default; ``emmeans(..., weights = "proportional")``): each level weighted
  by its observed proportion among the rows of the model data, so the mean describes the sample
  as it is ("everyone": a small group such as 23 non-binary participants gets its share of the
  weight, not a third of it). With numeric covariates at their mean this is the average
  predicted score of the model's rows at each wave.
* ``"equal"`` (emmeans' default ``weights = "equal"``): each level weighted equally, i.e. a
  population in which every category is equally common; SEs are larger when a level is rare.

Wave contrasts do not depend on the weighting (the model is additive: the covariate part
cancels). The covariance
of the fixed effects is lme4's ``vcov()``: ``(X' V^-1 X)^-1`` at the REML variance estimates
(statsmodels' ``cov_params()`` instead inverts the joint Hessian of fixed and variance
parameters, which gives SEs a few percent larger, so it is not used). Inference is
large-sample (z): it matches ``emmeans(..., lmer.df = "asymptotic")``; emmeans' default
Kenward-Roger df give slightly wider CIs (see tests/fixtures/change/ref_emmeans_kr.csv).

Contrasts are each wave minus the first wave; p-values are adjusted within a construct (Holm
1979 by default). Adjusted CIs (``ci_lower_adj``/``ci_upper_adj``) are Bonferroni intervals at
level 1 - alpha/m, as emmeans reports for ``adjust = "holm"`` (Holm has no CI counterpart);
``ci_lower``/``ci_upper`` are unadjusted 95% intervals.

A result the data cannot support is not reported: a wave answered by fewer than ``min_cell``
people (config ``disclosure.min_cell``, default 10) keeps its place in the fit, but its mean and
its change from baseline are blank with status "not_estimable" (see :func:`fit_trajectory`).
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from pipeline.errors import DataError

log = logging.getLogger(__name__)

MODEL_METHOD = "lmm_reml"  # "lmm_ml" when fitted by ML (reml=False)
P_ADJUST_METHODS = ("holm", "bonferroni", "none")
DEFAULT_OPTIMIZERS = ("lbfgs", "bfgs", "powell")
COVARIATE_WEIGHTS = ("proportional", "equal")  # emmeans' weights = "proportional" | "equal"

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


@dataclass(frozen=True)
class Trajectory:
    """Tidy results for one or more constructs: means, contrasts and one status row each."""

    means: pd.DataFrame
    contrasts: pd.DataFrame
    status: pd.DataFrame


# --------------------------------------------------------------------------------------------
# Multiplicity


def adjust_pvalues(p: Sequence[float] | np.ndarray, method: str = "holm") -> np.ndarray:
    """Adjust p-values: Holm (1979) step-down, Bonferroni, or none. NaNs are left out and kept."""
    if method not in P_ADJUST_METHODS:
        raise DataError(f"p-value adjustment '{method}' is unknown; use one of {P_ADJUST_METHODS}.")
    p = np.asarray(p, dtype=float)
    out = np.full_like(p, np.nan)
    ok = ~np.isnan(p)
    m = int(ok.sum())
    if m == 0 or method == "none":
        out[ok] = p[ok]
        return out
    pv = p[ok]
    if method == "bonferroni":
        out[ok] = np.minimum(pv * m, 1.0)
        return out
    order = np.argsort(pv, kind="stable")
    stepped = np.maximum.accumulate((m - np.arange(m)) * pv[order])
    adj = np.empty(m)
    adj[order] = np.minimum(stepped, 1.0)
    out[ok] = adj
    return out


def _ci_level_adjusted(conf: float, m: int, method: str) -> float:
    """Confidence level of the simultaneous (Bonferroni) interval for ``m`` contrasts."""
    return conf if method == "none" or m <= 1 else 1 - (1 - conf) / m


def too_few_message(n: int, where: str, min_cell: int,
                    what: str = "change is not estimated") -> str:
    """Status message for a result withheld because fewer than ``min_cell`` people gave it, e.g.
    "only 1 person answered at T2 (fewer than 10); change is not estimated"."""
    n = int(n)
    return f"only {n} {'person' if n == 1 else 'people'} answered {where} (fewer than {min_cell}); {what}"


# --------------------------------------------------------------------------------------------
# Input checks and observed means


def check_long(long: pd.DataFrame) -> None:
    """Raise DataError unless ``long`` has pid and wave and one row per participant-wave."""
    missing = [c for c in ("pid", "wave") if c not in long.columns]
    if missing:
        raise DataError(
            f"change: long.parquet has no column(s) {missing}; it must come from the clean stage."
        )
    dup = long.duplicated(["pid", "wave"], keep=False)
    if dup.any():
        first = long.loc[dup, ["pid", "wave"]].iloc[0]
        raise DataError(
            f"change: long.parquet has {int(dup.sum())} rows that repeat a participant-wave "
            f"(e.g. a pid at {first['wave']}); the clean stage keeps one row per participant and "
            "wave. Re-run the clean stage (cleaning.duplicate_rule) before this stage."
        )


def person_covariates(
    long: pd.DataFrame,
    covariates: Sequence[str],
    wave_ids: Sequence[str],
    covariate_waves: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """``long`` with each covariate replaced by the participant's value at its source wave.

    Covariates are person-level, read from the baseline (first) wave unless
    ``covariate_waves[key]`` names another wave, as in wide.parquet (config ``covariates.<key>.
    wave``). Follow-up rows therefore carry the baseline value even when a follow-up file had no
    (or a different) value; a participant without a value at the source wave has it missing.
    """
    out = long.copy()
    for cov in covariates:
        src = (covariate_waves or {}).get(cov) or wave_ids[0]
        vals = long.loc[long["wave"] == src, ["pid", cov]].drop_duplicates("pid").set_index("pid")
        out[cov] = out["pid"].map(vals[cov])
        if isinstance(long[cov].dtype, pd.CategoricalDtype):
            out[cov] = pd.Categorical(out[cov], categories=long[cov].cat.categories)
    return out


def _t_interval(mean: pd.Series, sd: pd.Series, n: pd.Series, conf: float) -> tuple:
    q = stats.t.ppf(0.5 + conf / 2, np.maximum(n - 1, 1))
    half = np.where(n >= 2, q * sd / np.sqrt(n), np.nan)
    return mean - half, mean + half


def observed_means(
    long: pd.DataFrame,
    construct: str,
    wave_ids: Sequence[str],
    min_cell: int = 10,
    conf: float = 0.95,
) -> pd.DataFrame:
    """Observed mean, SD, n and t-based CI per wave: all available scores and completers only.

    Completers are participants with a score at every wave in ``wave_ids``. A row with fewer
    than ``min_cell`` people (but at least one) is not reported: est, se, CI and SD are blank,
    status "not_estimable", flag "small_n", message "only N people answered at <wave> (fewer
    than <min_cell>); the mean is not reported".
    """
    d = long.loc[long["wave"].isin(wave_ids) & long[construct].notna(), ["pid", "wave", construct]]
    n_waves = d.groupby("pid")["wave"].nunique()
    completers = n_waves.index[n_waves == len(wave_ids)]
    parts = []
    for method, sub in (
        ("observed_all", d),
        ("observed_completers", d[d["pid"].isin(completers)]),
    ):
        g = sub.groupby("wave")[construct].agg(["mean", "std", "count"]).reindex(list(wave_ids))
        g["count"] = g["count"].fillna(0).astype(int)
        lo, hi = _t_interval(g["mean"], g["std"], g["count"], conf)
        parts.append(
            pd.DataFrame(
                {
                    "method": method,
                    "wave": list(wave_ids),
                    "est": g["mean"].to_numpy(),
                    "se": (g["std"] / np.sqrt(g["count"].where(g["count"] > 0))).to_numpy(),
                    "ci_lower": np.asarray(lo, dtype=float),
                    "ci_upper": np.asarray(hi, dtype=float),
                    "sd": g["std"].to_numpy(),
                    "n": g["count"].to_numpy(),
                }
            )
        )
    out = pd.concat(parts, ignore_index=True)
    out["status"] = np.where(out["n"] > 0, "ok", "not_estimable")
    out["message"] = np.where(out["n"] > 0, "", "no observed scores at this wave")
    small = (out["n"] > 0) & (out["n"] < min_cell)
    out["flag"] = np.where(small, "small_n", "")
    # a mean (or SD) of fewer than min_cell people is not reported: it can identify people
    out.loc[small, ["est", "se", "ci_lower", "ci_upper", "sd"]] = np.nan
    out.loc[small, "status"] = "not_estimable"
    out.loc[small, "message"] = [
        too_few_message(n, f"at {w}" if meth == "observed_all" else "at every wave",
                        min_cell, "the mean is not reported")
        for n, w, meth in zip(out.loc[small, "n"], out.loc[small, "wave"], out.loc[small, "method"])
    ]
    return out


# --------------------------------------------------------------------------------------------
# Design and fit


@dataclass(frozen=True)
class _Design:
    data: pd.DataFrame
    X: np.ndarray
    names: list[str]
    L: np.ndarray  # one row per modelled wave: reference-grid linear combination
    waves: list[str]
    covariates: list[str]
    notes: list[str]


def _design(
    d: pd.DataFrame,
    construct: str,
    waves: list[str],
    covariates: Mapping[str, str],
    time: str,
    covariate_weights: str = "proportional",
) -> _Design:
    """Design matrix (intercept, time, covariates) and the emmeans reference grid per wave.

    ``covariate_weights``: "proportional" (levels of a categorical covariate at their observed
    proportions in ``d``) or "equal" (1 / number of levels each); see the module docstring.
    """
    notes: list[str] = []
    cols: dict[str, np.ndarray] = {"(Intercept)": np.ones(len(d))}
    grid: dict[str, np.ndarray] = {"(Intercept)": np.ones(len(waves))}
    if time == "wave":
        for w in waves[1:]:
            cols[f"wave{w}"] = (d["wave"] == w).to_numpy(float)
            grid[f"wave{w}"] = (np.asarray(waves) == w).astype(float)
    else:
        months = d.groupby("wave")["months"].mean().reindex(waves).to_numpy(float)
        cols["months"] = d["months"].to_numpy(float)
        grid["months"] = months
    used = []
    for cov, kind in covariates.items():
        x = d[cov]
        if kind == "numeric":
            x = x.astype(float)
            if x.std() == 0 or len(x) < 2:
                notes.append(f"covariate '{cov}' is constant in the model data and was left out")
                continue
            cols[cov] = x.to_numpy()
            grid[cov] = np.full(len(waves), x.mean())  # emmeans: mean over model-frame rows
        else:
            cat = x if isinstance(x.dtype, pd.CategoricalDtype) else x.astype("category")
            levels = [lv for lv in cat.cat.categories if (cat == lv).any()]
            if len(levels) < 2:
                notes.append(f"covariate '{cov}' has one level in the model data and was left out")
                continue
            for lv in levels[1:]:
                dummy = (cat == lv).to_numpy(float)
                cols[f"{cov}[{lv}]"] = dummy
                share = dummy.mean() if covariate_weights == "proportional" else 1.0 / len(levels)
                grid[f"{cov}[{lv}]"] = np.full(len(waves), share)
        used.append(cov)
    names = list(cols)
    return _Design(
        data=d,
        X=np.column_stack([cols[k] for k in names]),
        names=names,
        L=np.column_stack([grid[k] for k in names]),
        waves=waves,
        covariates=used,
        notes=notes,
    )


def fixed_effects_vcov(
    X: np.ndarray, groups: np.ndarray, sigma2: float, tau2: float
) -> np.ndarray:
    """lme4's ``vcov()`` for a random-intercept model: ``(X' V^-1 X)^-1``.

    With ``V_i = sigma2 I + tau2 J``, ``V_i^-1 = (I - c_i J) / sigma2`` where
    ``c_i = tau2 / (sigma2 + n_i tau2)`` (Sherman-Morrison), so
    ``X'V^-1X = (X'X - sum_i c_i s_i s_i') / sigma2`` with ``s_i`` the column sums of group i.
    """
    codes, uniq = pd.factorize(groups)
    s = np.zeros((len(uniq), X.shape[1]))
    np.add.at(s, codes, X)
    n_i = np.bincount(codes)
    c = tau2 / (sigma2 + n_i * tau2)
    info = (X.T @ X - (s * c[:, None]).T @ s) / sigma2
    return np.linalg.inv(info)


def _fit_once(y: np.ndarray, X: np.ndarray, groups: np.ndarray, reml: bool, method: str):
    """One statsmodels MixedLM fit (random intercept per group); returns the results object."""
    import statsmodels.api as sm

    model = sm.MixedLM(y, X, groups=groups)
    return model.fit(reml=reml, method=method)


def fit_random_intercept(
    y: np.ndarray,
    X: np.ndarray,
    groups: np.ndarray,
    reml: bool = True,
    optimizers: Sequence[str] = DEFAULT_OPTIMIZERS,
    label: str = "model",
) -> dict:
    """Fit with each optimiser in turn until one converges to finite, valid estimates.

    Returns ``{"ok": bool, "beta", "vcov", "sigma2", "tau2", "loglik", "optimizer", "notes"}``.
    ``ok`` is False (with the attempts in ``notes``) when every optimiser failed; callers then
    report status "failed" and no estimates.
    """
    notes: list[str] = []
    for opt in optimizers:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                res = _fit_once(y, X, groups, reml, opt)
            except (np.linalg.LinAlgError, ValueError, RuntimeError, OverflowError) as exc:
                notes.append(f"optimiser {opt} failed ({type(exc).__name__}: {exc})")
                log.info("%s: optimiser %s raised %s; trying the next", label, opt, exc)
                continue
        beta = np.asarray(res.fe_params, dtype=float)
        sigma2 = float(res.scale)
        tau2 = float(np.asarray(res.cov_re)[0, 0])
        valid = (
            bool(getattr(res, "converged", False))
            and np.all(np.isfinite(beta))
            and np.isfinite(sigma2)
            and sigma2 > 0
            and np.isfinite(tau2)
            and tau2 >= 0
        )
        if not valid:
            notes.append(f"optimiser {opt} did not converge")
            log.info("%s: optimiser %s did not converge; trying the next", label, opt)
            continue
        try:
            vcov = fixed_effects_vcov(X, groups, sigma2, tau2)
        except np.linalg.LinAlgError as exc:
            notes.append(f"optimiser {opt}: fixed-effect information singular ({exc})")
            log.info("%s: optimiser %s gave a singular information matrix", label, opt)
            continue
        if not np.all(np.isfinite(np.diag(vcov))) or np.any(np.diag(vcov) < 0):
            notes.append(f"optimiser {opt}: invalid fixed-effect covariance")
            continue
        if tau2 < 1e-6 * sigma2:
            notes.append(
                "between-person variance estimated at (about) 0: a singular fit, as lme4 "
                "reports it; the estimates equal those of a model without the random intercept"
            )
        if opt != optimizers[0]:
            notes.append(f"fitted with fallback optimiser {opt}")
            log.info("%s: converged with fallback optimiser %s", label, opt)
        return {
            "ok": True,
            "beta": beta,
            "vcov": vcov,
            "sigma2": sigma2,
            "tau2": tau2,
            "loglik": float(res.llf),
            "optimizer": opt,
            "notes": notes,
            "warnings": [str(w.message) for w in caught],
        }
    return {"ok": False, "notes": notes, "optimizer": ""}


# --------------------------------------------------------------------------------------------
# One construct


def _empty(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})


def _finish(df: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    for c in columns:
        if c not in df:
            df[c] = np.nan
    return df[columns]


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

    Model-based means average categorical covariates with ``covariate_weights``:
    "proportional" (default: observed proportions in the model data, emmeans
    ``weights = "proportional"``) or "equal" (emmeans' default); contrasts are unaffected.

    ``covariates`` maps column -> "numeric" | "categorical". ``time`` is "wave" (categorical,
    default) or "months" (linear in months since entry). Covariates are person-level: each
    row gets the participant's baseline value (:func:`person_covariates`; ``covariate_waves``
    as config ``covariates.<key>.wave``). Rows with a missing covariate are left out (as lme4
    does; logged and stated in the status message). Status is "not_estimable" when the
    construct is observed at one wave only, at no baseline, or nobody has two waves;
    "failed" when no optimiser converges (no estimates are written).

    Small waves (``min_cell``, config ``disclosure.min_cell``): a wave answered by fewer than
    ``min_cell`` people (but at least one) stays in the fit, but its model-based mean and its
    contrast with baseline are not reported: estimates blank, status "not_estimable", flag
    "small_n", message "only N people answered at <wave> (fewer than <min_cell>); change is not
    estimated" (means: "...; the mean is not reported"). The same holds for every contrast
    when the baseline wave has fewer than ``min_cell`` people. The p-value adjustment and the
    Bonferroni CI level count the reported contrasts only. Observed means follow the same rule
    (:func:`observed_means`).
    """
    covariates = dict(covariates or {})
    method = MODEL_METHOD if reml else "lmm_ml"
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
    wave_ids = list(wave_ids)
    need = ["pid", "wave", construct] + (["months"] if time == "months" else []) + list(covariates)
    missing = [c for c in need if c not in long.columns]
    if missing:
        raise DataError(
            f"change model for '{construct}': column(s) {missing} are not in long.parquet. "
            "Check the scale and covariate names in config (scales, covariates)."
        )
    check_long(long)
    observed = observed_means(long, construct, wave_ids, min_cell, conf)
    observed.insert(0, "construct", construct)
    status_row = {"analysis": "change", "construct": construct, "method": method,
                  "time": time, "covariates": ",".join(covariates)}

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
    if n_rows_dropped:
        notes.append(
            f"{n_rows_dropped} observation(s) with a missing covariate left out "
            f"({dropped} participant(s) lost entirely)"
        )
        log.info("change/%s: %s", construct, notes[-1])
    waves_seen = [w for w in wave_ids if (d["wave"] == w).any()]
    n_by_wave = d.groupby("wave")["pid"].nunique().reindex(wave_ids).fillna(0).astype(int)

    def not_estimable(msg: str, status: str = "not_estimable", extra: dict | None = None):
        msg = "; ".join([msg, *notes])
        log.warning("change/%s: %s", construct, msg)
        m = pd.DataFrame({"wave": wave_ids, "n": n_by_wave.to_numpy()})
        m["method"], m["status"], m["message"], m["flag"] = method, status, msg, ""
        m["construct"] = construct
        c = pd.DataFrame({"wave": wave_ids[1:], "n": n_by_wave.to_numpy()[1:]})
        c["contrast"] = [f"{w} - {wave_ids[0]}" for w in wave_ids[1:]]
        c["method"], c["status"], c["message"], c["flag"] = method, status, msg, ""
        c["construct"] = construct
        c["p_adjust"] = p_adjust
        srow = {**status_row, "status": status, "message": msg, "n_obs": len(d),
                "n_participants": d["pid"].nunique(), **(extra or {})}
        return _assemble(m, c, pd.DataFrame([srow]), observed, long, construct, wave_ids)

    if len(waves_seen) < 2:
        return not_estimable(
            f"'{construct}' is observed at {len(waves_seen)} wave(s) only "
            f"({', '.join(waves_seen) or 'none'}); change over time cannot be estimated. "
            "Check that follow-up scores were scored and merged."
        )
    if waves_seen[0] != wave_ids[0]:
        return not_estimable(
            f"'{construct}' has no scores at the baseline wave {wave_ids[0]}; change from entry "
            "cannot be estimated."
        )
    if d["pid"].nunique() == len(d):
        return not_estimable(
            f"nobody has '{construct}' scores at two waves; within-person change cannot be "
            "separated from between-person differences."
        )
    for w in wave_ids:
        if w not in waves_seen:
            notes.append(f"no scores at {w}; that wave is left out of the model")

    design = _design(d, construct, waves_seen, covariates, time, covariate_weights)
    notes += design.notes
    fit = fit_random_intercept(
        d[construct].to_numpy(float), design.X, d["pid"].to_numpy(), reml, optimizers,
        label=f"change/{construct}",
    )
    if not fit["ok"]:
        return not_estimable(
            f"the mixed model for '{construct}' did not converge with any optimiser "
            f"({'; '.join(fit['notes'])}). No estimates are reported; check for extreme values "
            "or very few follow-up responses.",
            status="failed",
        )
    notes += fit["notes"]
    beta, V = fit["beta"], fit["vcov"]
    z = stats.norm.ppf(0.5 + conf / 2)
    # A wave answered by fewer than min_cell people stays in the fit (it does no harm to the
    # other waves) but its model-based mean and its change from baseline are not reported.
    n_seen = n_by_wave.reindex(waves_seen).to_numpy()
    small_seen = n_seen < min_cell
    withheld = [w for w, sm in zip(waves_seen, small_seen) if sm]
    for w in withheld:
        notes.append(too_few_message(n_by_wave[w], f"at {w}", min_cell,
                                     "its mean and change from baseline are not reported"))
    est = design.L @ beta
    se = np.sqrt(np.einsum("ij,jk,ik->i", design.L, V, design.L))
    est, se = np.where(small_seen, np.nan, est), np.where(small_seen, np.nan, se)
    means = pd.DataFrame({"wave": waves_seen, "est": est, "se": se,
                          "ci_lower": est - z * se, "ci_upper": est + z * se})
    means = pd.DataFrame({"wave": wave_ids}).merge(means, on="wave", how="left")
    means["n"] = n_by_wave.to_numpy()
    means["method"], means["construct"] = method, construct
    small = (means["n"] > 0) & (means["n"] < min_cell)
    means["status"] = np.where(means["est"].notna(), "ok", "not_estimable")
    means["message"] = [
        "" if pd.notna(e) else too_few_message(n, f"at {w}", min_cell, "the mean is not reported")
        if sm else "no scores at this wave"
        for e, n, w, sm in zip(means["est"], means["n"], means["wave"], small)
    ]
    means["flag"] = np.where(small, "small_n", "")

    # contrasts vs baseline: reported only when both waves have at least min_cell people; the
    # multiplicity adjustment covers the reported contrasts only
    report = ~small_seen[1:] & ~small_seen[0]
    Lc = design.L[1:] - design.L[0]
    c_est = np.where(report, Lc @ beta, np.nan)
    c_se = np.where(report, np.sqrt(np.einsum("ij,jk,ik->i", Lc, V, Lc)), np.nan)
    zval = c_est / c_se
    p = 2 * stats.norm.sf(np.abs(zval))
    m = int(report.sum())
    z_adj = stats.norm.ppf(0.5 + _ci_level_adjusted(conf, m, p_adjust) / 2)
    con = pd.DataFrame({
        "wave": waves_seen[1:], "est": c_est, "se": c_se, "z": zval, "pvalue": p,
        "pvalue_adj": adjust_pvalues(p, p_adjust),
        "ci_lower": c_est - z * c_se, "ci_upper": c_est + z * c_se,
        "ci_lower_adj": c_est - z_adj * c_se, "ci_upper_adj": c_est + z_adj * c_se,
    })
    con = pd.DataFrame({"wave": wave_ids[1:]}).merge(con, on="wave", how="left")
    con["contrast"] = [f"{w} - {wave_ids[0]}" for w in wave_ids[1:]]
    con["n"] = n_by_wave.to_numpy()[1:]
    con["p_adjust"] = p_adjust
    con["method"], con["construct"] = method, construct
    con["status"] = np.where(con["est"].notna(), "ok", "not_estimable")
    n_base = int(n_by_wave[wave_ids[0]])

    def _con_message(e, n, w) -> str:
        if pd.notna(e):
            return ""
        if 0 < n < min_cell:
            return too_few_message(n, f"at {w}", min_cell)
        if n > 0 and n_base < min_cell:
            return too_few_message(n_base, f"at {wave_ids[0]}", min_cell)
        return "no scores at this wave"

    con["message"] = [_con_message(e, n, w) for e, n, w in zip(con["est"], con["n"], con["wave"])]
    con["flag"] = np.where((con["n"] > 0) & (con["n"] < min_cell), "small_n", "")
    srow = {
        **status_row, "status": "ok", "message": "; ".join(notes), "n_obs": len(d),
        "n_participants": d["pid"].nunique(), "covariates": ",".join(design.covariates),
        "optimizer": fit["optimizer"], "sd_participant": np.sqrt(fit["tau2"]),
        "sd_residual": np.sqrt(fit["sigma2"]), "loglik": fit["loglik"],
    }
    return _assemble(means, con, pd.DataFrame([srow]), observed, long, construct, wave_ids)


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
    con["observed_completer_diff"] = (con["wave"].map(comp) - comp.get(wave_ids[0], np.nan)).astype(float)
    status = status.copy()
    return Trajectory(
        means=_finish(allm, MEANS_COLUMNS),
        contrasts=_finish(con, CONTRAST_COLUMNS),
        status=_finish(status, STATUS_COLUMNS),
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
