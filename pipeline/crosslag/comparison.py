"""Likelihood-ratio comparisons of nested cross-lagged models, on fits already made.

Both statistics are lavaan's ``lavTestLRT(restricted, free)`` (:func:`pipeline.sem.lr_test`, the
one implementation): the chi-square difference ``chisq_restricted - chisq_free`` of the ML
log-likelihoods. Stationarity is referred to chi2(``df_restricted - df_free``); CLPM vs RI-CLPM,
which tests random-intercept variances on the boundary, to the chi-bar-square mixture
(:mod:`pipeline.stats.chibar`; Stoel, Garre, Dolan & van den Wittenboer 2006). Every row has
``pvalue`` (the test's), ``pvalue_chi2`` (plain chi2, conservative for the boundary test) and
``reference`` (the distribution used, in words).
"""

from __future__ import annotations

from typing import Any

from pipeline.crosslag.sentences import FIT_MISSING, clpm_vs_riclpm_message
from pipeline.errors import ModelError
from pipeline.sem import SEMResult, lr_test
from pipeline.stats.chibar import describe_psd_mixture, psd_cone_sf
from pipeline.status import Status

__all__ = ["compare_stationarity", "clpm_vs_riclpm"]


def _lr_row(restricted: SEMResult | None, free: SEMResult | None, missing: str,
            *, free_first: bool = False) -> dict[str, Any]:
    """``chisq_diff, df_diff, pvalue, status, message`` of ``lr_test(restricted, free)``; not
    estimable unless both fits are ok, with the message of the first failed fit (``free_first``:
    look at the free model first), else ``missing`` (a model that was not fitted at all)."""
    fits = (free, restricted) if free_first else (restricted, free)
    if all(f is not None and f.ok for f in fits):
        try:
            lr = lr_test(restricted, free)
        except ModelError as exc:  # e.g. the two fits used different cases
            return dict(chisq_diff=None, df_diff=None, pvalue=None, pvalue_chi2=None,
                        reference="", status=Status.NOT_ESTIMABLE.value, message=str(exc))
        return dict(lr, pvalue_chi2=lr["pvalue"],
                    reference=f"chi2({lr['df_diff']:g}) of the ML LR statistic (not MLR-scaled)",
                    status=Status.OK.value, message="")
    bad = next((f for f in fits if f is not None and not f.ok), None)
    return dict(chisq_diff=None, df_diff=None, pvalue=None, pvalue_chi2=None, reference="",
                status=Status.NOT_ESTIMABLE.value,
                message=bad.message if bad is not None else missing)


def compare_stationarity(free: SEMResult | None, stationary: SEMResult | None) -> dict[str, Any]:
    """LR test of stationary (time-invariant) lagged effects against free ones.

    ``stationary`` constrains each autoregressive and cross-lagged effect to one value over all
    lags; a non-significant test supports equal lagged effects. In R:
    ``lavTestLRT(fit_stationary, fit_free)``. ``None`` stands for a model that could not be
    fitted. Returns ``chisq_diff, df_diff, pvalue, status, message``.
    """
    return _lr_row(stationary, free, FIT_MISSING["stationarity"], free_first=True)


def clpm_vs_riclpm(clpm: SEMResult | None, riclpm: SEMResult | None, k: int) -> dict[str, Any]:
    """LR comparison of the CLPM with the RI-CLPM (Hamaker et al. 2015) for ``k`` constructs.

    The CLPM is the RI-CLPM with the k x k random-intercept covariance matrix (k variances, k(k-1)/2
    covariances) fixed at zero: the boundary of its space (positive semidefinite matrices). The
    statistic ``T = chisq_CLPM - chisq_RICLPM`` is therefore referred to the chi-bar-square
    mixture (Stoel et al. 2006; :func:`pipeline.stats.chibar.psd_cone_sf`): for k = 2,
    ``0.146 chi2_0 + 0.354 chi2_1 + 0.354 chi2_2 + 0.146 chi2_3``. The plain chi2(df) p-value
    (conservative) is kept in ``pvalue_chi2``; AIC and BIC are in the message. In R, for k = 2:
    ``T <- lavTestLRT(fit_clpm, fit_riclpm)$"Chisq diff"[2]; w <- c(2 - sqrt(2), sqrt(2),
    sqrt(2), 2 - sqrt(2)) / 4; sum(w * pchisq(T, 0:3, lower.tail = FALSE))``.
    Returns ``chisq_diff, df_diff, pvalue, pvalue_chi2, reference, status, message``.
    """
    row = _lr_row(clpm, riclpm, FIT_MISSING["random_intercepts"])
    if row["status"] == Status.OK.value:
        row["pvalue"] = psd_cone_sf(row["chisq_diff"], k)
        row["reference"] = describe_psd_mixture(k)
        row["message"] = clpm_vs_riclpm_message(
            (clpm.fit["aic"], riclpm.fit["aic"]), (clpm.fit["bic"], riclpm.fit["bic"]),
            row["df_diff"], k * (k + 1) // 2, row["reference"], row["pvalue_chi2"])
    return row
