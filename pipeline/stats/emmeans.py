"""Estimated marginal means and contrasts of a linear (mixed) model, as R's emmeans defines them.

**Reference grid and means** (Searle, Speed & Milliken 1980, "least-squares means"). A mean at
wave t is the linear predictor ``L_t' beta`` on the reference grid: numeric covariates at their
mean over the rows of the model frame, categorical covariates averaged over their levels with
weights set by ``covariate_weights``:

* ``"proportional"`` (``emmeans(..., weights = "proportional")``): each level weighted by its
  observed proportion among the rows of the model data, so the mean describes the sample as it
  is (a small group such as 23 non-binary participants gets its share of the weight, not a
  third of it). With numeric covariates at their mean this is the average predicted score of
  the model's rows at each wave.
* ``"equal"`` (emmeans' default ``weights = "equal"``): each level weighted equally, i.e. a
  population in which every category is equally common; SEs are larger when a level is rare.

``SE_t = sqrt(L_t' V L_t)`` with V the covariance of the fixed effects. Inference is
large-sample (z): it matches ``emmeans(..., lmer.df = "asymptotic")``; emmeans' default
Kenward-Roger df give slightly wider CIs (see tests/fixtures/change/ref_emmeans_kr.csv).

**Contrasts** are each wave minus the first (``L_t - L_0``); they do not depend on the
weighting (the model is additive: the covariate part cancels). p-values are adjusted within the
family (Holm 1979 by default). Adjusted CIs are Bonferroni intervals at level 1 - alpha/m, as
emmeans reports them for ``adjust = "holm"`` (Holm has no CI counterpart).

In R::

    emm <- emmeans::emmeans(fit, ~ wave, weights = "proportional", lmer.df = "asymptotic")
    confint(contrast(emm, "trt.vs.ctrl", ref = 1, adjust = "none"))
    summary(contrast(emm, "trt.vs.ctrl", ref = 1), adjust = "holm", infer = TRUE)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipeline.errors import DataError
from pipeline.stats.distributions import norm_ppf, norm_sf

__all__ = [
    "P_ADJUST_METHODS",
    "COVARIATE_WEIGHTS",
    "Design",
    "trajectory_design",
    "adjust_pvalues",
    "ci_level_adjusted",
    "marginal_means",
    "contrasts_vs_first",
]

P_ADJUST_METHODS = ("holm", "bonferroni", "none")
COVARIATE_WEIGHTS = ("proportional", "equal")  # emmeans' weights = "proportional" | "equal"


@dataclass(frozen=True)
class Design:
    """Fixed-effects design matrix ``X`` (columns ``names``) and its reference grid ``L``."""

    data: pd.DataFrame
    X: np.ndarray
    names: list[str]
    L: np.ndarray  # one row per modelled wave: reference-grid linear combination
    waves: list[str]
    covariates: list[str]
    notes: list[str]


def _covariate_columns(
    d: pd.DataFrame, covariates: Mapping[str, str], n_waves: int, covariate_weights: str
) -> tuple[dict, dict, list[str], list[str]]:
    """Design columns and reference-grid values of the covariates (constant ones left out)."""
    cols: dict[str, np.ndarray] = {}
    grid: dict[str, np.ndarray] = {}
    used: list[str] = []
    notes: list[str] = []
    for cov, kind in covariates.items():
        x = d[cov]
        if kind == "numeric":
            x = x.astype(float)
            if x.std() == 0 or len(x) < 2:
                notes.append(f"covariate '{cov}' is constant in the model data and was left out")
                continue
            cols[cov] = x.to_numpy()
            grid[cov] = np.full(n_waves, x.mean())  # emmeans: mean over model-frame rows
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
                grid[f"{cov}[{lv}]"] = np.full(n_waves, share)
        used.append(cov)
    return cols, grid, used, notes


def trajectory_design(
    d: pd.DataFrame,
    waves: list[str],
    covariates: Mapping[str, str],
    time: str,
    covariate_weights: str = "proportional",
) -> Design:
    """Design matrix (intercept, time, covariates) and the emmeans reference grid per wave.

    ``time`` "wave": treatment-coded wave dummies (first wave the reference); "months": linear
    in ``d["months"]``, the grid at each wave's mean months. ``covariates`` maps column ->
    "numeric" | "categorical" (treatment-coded, first observed level the reference). A covariate
    constant in ``d`` is left out (noted). ``covariate_weights``: "proportional" or "equal"
    (module docstring).

    In R: ``model.matrix(~ wave + age + gender, d)`` and ``emmeans::ref_grid(fit)``.
    """
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
    ccols, cgrid, used, notes = _covariate_columns(d, covariates, len(waves), covariate_weights)
    cols.update(ccols)
    grid.update(cgrid)
    names = list(cols)
    return Design(
        data=d,
        X=np.column_stack([cols[k] for k in names]),
        names=names,
        L=np.column_stack([grid[k] for k in names]),
        waves=waves,
        covariates=used,
        notes=notes,
    )


def adjust_pvalues(p: Sequence[float] | np.ndarray, method: str = "holm") -> np.ndarray:
    """Adjust p-values for multiplicity; NaNs are left out of the family and kept.

    Holm (1979) step-down: with the m p-values sorted, ``p_(i)^adj = max_{j <= i} min(1,
    (m - j + 1) p_(j))``; Bonferroni: ``min(1, m p)``; "none": unchanged.

    In R: ``p.adjust(p, method = "holm")``.
    """
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


def ci_level_adjusted(conf: float, m: int, method: str) -> float:
    """Confidence level of the simultaneous (Bonferroni) interval for ``m`` contrasts:
    ``1 - (1 - conf) / m`` (``conf`` when ``method`` is "none" or m <= 1)."""
    return conf if method == "none" or m <= 1 else 1 - (1 - conf) / m


def marginal_means(
    L: np.ndarray,
    beta: np.ndarray,
    V: np.ndarray,
    conf: float = 0.95,
    withhold: np.ndarray | None = None,
) -> pd.DataFrame:
    """Means ``L beta`` with ``se = sqrt(diag(L V L'))`` and z-based CIs (one row per grid row).

    Rows where ``withhold`` is True are NaN (e.g. a wave too small to report).

    In R: ``confint(emmeans(fit, ~ wave, lmer.df = "asymptotic"))``.
    """
    z = norm_ppf(0.5 + conf / 2)
    est = L @ beta
    se = np.sqrt(np.einsum("ij,jk,ik->i", L, V, L))
    if withhold is not None:
        est, se = np.where(withhold, np.nan, est), np.where(withhold, np.nan, se)
    return pd.DataFrame({"est": est, "se": se, "ci_lower": est - z * se,
                         "ci_upper": est + z * se})


def contrasts_vs_first(
    L: np.ndarray,
    beta: np.ndarray,
    V: np.ndarray,
    conf: float = 0.95,
    p_adjust: str = "holm",
    report: np.ndarray | None = None,
) -> pd.DataFrame:
    """Each grid row minus the first: est, se, z, two-sided p, adjusted p and CIs.

    Only contrasts with ``report`` True (default all) are estimated and form the multiplicity
    family (adjusted p-values and the Bonferroni level of ``ci_lower_adj``/``ci_upper_adj``);
    the others are NaN. ``ci_lower``/``ci_upper`` are unadjusted.

    In R: ``contrast(emm, "trt.vs.ctrl", ref = 1, adjust = p_adjust)``.
    """
    Lc = L[1:] - L[0]
    report = np.ones(len(Lc), dtype=bool) if report is None else np.asarray(report, dtype=bool)
    z = norm_ppf(0.5 + conf / 2)
    c_est = np.where(report, Lc @ beta, np.nan)
    c_se = np.where(report, np.sqrt(np.einsum("ij,jk,ik->i", Lc, V, Lc)), np.nan)
    zval = c_est / c_se
    p = 2 * norm_sf(np.abs(zval))
    m = int(report.sum())
    z_adj = norm_ppf(0.5 + ci_level_adjusted(conf, m, p_adjust) / 2)
    return pd.DataFrame({
        "est": c_est, "se": c_se, "z": zval, "pvalue": p,
        "pvalue_adj": adjust_pvalues(p, p_adjust),
        "ci_lower": c_est - z * c_se, "ci_upper": c_est + z * c_se,
        "ci_lower_adj": c_est - z_adj * c_se, "ci_upper_adj": c_est + z_adj * c_se,
    })
