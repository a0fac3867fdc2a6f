"""Bootstrap-then-impute ("boot MI") pooling: the von Hippel & Bartlett (2021) ANOVA estimator.

B bootstrap samples of the incomplete data are each imputed M times and the analysis is run on
all B x M completed data sets, giving a ``(B, M)`` matrix of estimates per parameter. A one-way
random-effects ANOVA with the bootstrap sample as the group separates the between-bootstrap
variance (what we want: the sampling variance of the estimator) from the within-sample
(between-imputation) noise that the per-sample mean of only M imputations still carries:

    theta_hat = mean of all B x M estimates
    SSW = sum_b sum_m (theta_bm - theta_b.)^2,    MSW = SSW / (B (M - 1))
    SSB = M sum_b (theta_b. - theta_hat)^2,       MSB = SSB / (B - 1)
    sigma2_b = (MSB - MSW) / M        (between-bootstrap variance component)
    sigma2_w = MSW                    (within-bootstrap / between-imputation component)
    Var(theta_hat) = (1 + 1/B) sigma2_b + sigma2_w / (B M)
    df = Var^2 / [ ((B + 1) / (B M))^2 MSB^2 / (B - 1) + MSW^2 / (B M^2 (M - 1)) ]
         (Satterthwaite), floored at 3
    CI = theta_hat -/+ t_{df, 1 - alpha/2} sqrt(Var);  p = 2 P(T_df > |theta_hat| / sqrt(Var))

If ``MSB <= MSW`` the between component is set to 0 and sigma2_w to the total mean square
``(SSW + SSB) / (B M - 1)``, as ``bootImputeAnalyse`` does (flag ``boundary``: rerun with more
bootstrap samples). The paper recommends M = 2 and B of about 200 or more for this estimator;
percentile intervals of the B per-sample means would need far more draws in the tails (and
keep the within-sample noise), so the t interval is the primary boot-MI interval.

Monte Carlo error of the interval bounds: the jackknife over bootstrap samples (leave one of the
B samples, with its M imputations, out; Efron 1992 "jackknife-after-bootstrap", Koehler, Brown &
Haneuse 2009): ``mcse = sqrt((B - 1)/B sum_i (bound_(i) - mean bound_(.))^2)``, computed in
closed form from the leave-one-out sums (no loop over samples).

Reference: von Hippel PT, Bartlett JW (2021). Maximum likelihood multiple imputation: faster
imputations and consistent standard errors without posterior draws. Statistical Science 36(3),
400-420. R equivalent: ``bootImpute::bootImputeAnalyse(imps, fun)`` (bootImpute 1.2); the
variance components are those of ``aov(est ~ factor(boot))`` / ``lme4::lmer(est ~ 1 + (1|boot))``
(balanced ANOVA estimator). Tested in ``tests/stats/test_bootmi.py`` against
``tests/fixtures/bootmi/bootmi_reference.R``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pipeline.stats.distributions import t_ppf, t_sf

__all__ = ["BootMIPooled", "bootmi_pool", "bootmi_mcse"]

MIN_DF = 3.0


@dataclass(frozen=True)
class BootMIPooled:
    """Pooled boot-MI result, one entry per parameter (arrays of shape ``(P,)``)."""

    est: np.ndarray
    se: np.ndarray
    df: np.ndarray
    ci_lower: np.ndarray
    ci_upper: np.ndarray
    pvalue: np.ndarray
    var_between: np.ndarray   # sigma2_b, between-bootstrap variance component
    var_within: np.ndarray    # sigma2_w, between-imputation variance within a sample
    boundary: np.ndarray      # True where MSB <= MSW (between component set to 0)
    mcse_lower: np.ndarray    # jackknife Monte Carlo SE of each bound
    mcse_upper: np.ndarray
    B: int
    M: int


def _pool_sums(ssw: np.ndarray, ssb: np.ndarray, est: np.ndarray, B: int, M: int,
               conf: float, min_df: float) -> tuple[np.ndarray, ...]:
    """Variance, df, bounds, between/within components and boundary flag from the sums of
    squares (any array shape; used for the full data and for the jackknife replicates)."""
    msw = ssw / (B * (M - 1))
    msb = ssb / (B - 1)
    between = (msb - msw) / M
    boundary = between <= 0
    between = np.where(boundary, 0.0, between)
    within = np.where(boundary, (ssw + ssb) / (B * M - 1), msw)
    var = (1 + 1 / B) * between + within / (B * M)
    with np.errstate(divide="ignore", invalid="ignore"):
        den = ((B + 1) / (B * M)) ** 2 * msb**2 / (B - 1) + msw**2 / (B * M**2 * (M - 1))
        df = np.where(den > 0, var**2 / den, np.inf)
    df = np.maximum(min_df, df)
    half = t_ppf(1 - (1 - conf) / 2, df) * np.sqrt(var)
    return var, df, est - half, est + half, between, within, boundary


def _check(ests: np.ndarray) -> np.ndarray:
    e = np.asarray(ests, dtype=float)
    if e.ndim == 2:
        e = e[:, :, None]
    if e.ndim != 3:
        raise ValueError(f"estimates must be (B, M) or (B, M, P), got shape {e.shape}")
    B, M = e.shape[:2]
    if B < 3 or M < 2:
        raise ValueError(f"the ANOVA estimator needs B >= 3 and M >= 2 (got B = {B}, M = {M})")
    if not np.isfinite(e).all():
        raise ValueError("estimates contain NaN/inf; drop failed bootstrap samples first")
    return e


def bootmi_pool(ests: np.ndarray, conf: float = 0.95, min_df: float = MIN_DF) -> BootMIPooled:
    """Pool a ``(B, M)`` or ``(B, M, P)`` array of boot-MI estimates (module docstring).

    ``bootImputeAnalyse`` hard-codes a 95% interval; ``conf`` generalises it.
    """
    e = _check(ests)
    B, M = e.shape[:2]
    row = e.mean(axis=1)                       # (B, P)
    est = row.mean(axis=0)                     # (P,)
    ssw = ((e - row[:, None, :]) ** 2).sum(axis=(0, 1))
    ssb = M * ((row - est) ** 2).sum(axis=0)
    var, df, lo, hi, between, within, boundary = _pool_sums(ssw, ssb, est, B, M, conf, min_df)
    se = np.sqrt(var)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = 2 * t_sf(np.abs(est / se), df)
    mc_lo, mc_hi = bootmi_mcse(e, conf, min_df)
    return BootMIPooled(est, se, df, lo, hi, p, between, within, boundary, mc_lo, mc_hi, B, M)


def bootmi_mcse(ests: np.ndarray, conf: float = 0.95,
                min_df: float = MIN_DF) -> tuple[np.ndarray, np.ndarray]:
    """Jackknife-after-bootstrap Monte Carlo SEs of the lower and upper bound, ``(P,)`` each.

    Leave-one-sample-out sums in closed form: with ``d_i = theta_i. - theta_hat``,
    ``SSB_(i) = M (sum_j d_j^2 - d_i^2 B / (B - 1))``, ``SSW_(i) = SSW - SSW_i`` and
    ``theta_hat_(i) = (B theta_hat - theta_i.) / (B - 1)``.
    """
    e = _check(ests)
    B, M = e.shape[:2]
    row = e.mean(axis=1)
    est = row.mean(axis=0)
    sw_i = ((e - row[:, None, :]) ** 2).sum(axis=1)      # (B, P)
    d = row - est
    ssw_i = sw_i.sum(axis=0) - sw_i
    ssb_i = M * ((d**2).sum(axis=0) - d**2 * B / (B - 1))
    est_i = (B * est - row) / (B - 1)
    _, _, lo, hi, *_ = _pool_sums(ssw_i, ssb_i, est_i, B - 1, M, conf, min_df)

    def jk(x: np.ndarray) -> np.ndarray:
        return np.sqrt((B - 1) / B * ((x - x.mean(axis=0)) ** 2).sum(axis=0))

    return jk(lo), jk(hi)
