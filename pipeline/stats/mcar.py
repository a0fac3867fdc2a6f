"""Little's (1988) test of missing completely at random (MCAR).

Definition (Little, 1988, JASA 83:1198-1202): with ``mu``, ``Sigma`` the maximum-likelihood
estimates of the mean and covariance of a multivariate normal under MAR (EM algorithm; Dempster,
Laird & Rubin, 1977), and for each missing-data pattern ``j`` (``n_j`` rows, observed variables
``o_j``, ``p_j = |o_j|``) the observed-variable means ``ybar_j``:

    d2 = sum_j n_j (ybar_j - mu[o_j])' Sigma[o_j, o_j]^{-1} (ybar_j - mu[o_j]),
    df = sum_j p_j - p,

and ``d2`` is referred to chi-square(df). ML (divide-by-n) ``Sigma`` is used, as in Little (1988)
and naniar::mcar_test. The EM steps are the SEM engine's (``pipeline.sem.em_saturated``): one EM
for the multivariate normal with missing data in the whole package.

In R: ``naniar::mcar_test(data)`` (or ``misty::na.test``).

Read it as **descriptive** only: the test is conservative in small samples and has little power
when few people are in some patterns; a non-significant result does not prove MCAR, and no test
on the observed data can rule out missing-not-at-random (MNAR).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from pipeline.errors import DataError
from pipeline.sem.em_saturated import em_step
from pipeline.sem.fiml import PatternData, available_case_moments, split_patterns
from pipeline.status import Status, status_row

__all__ = ["DESCRIPTIVE_NOTE", "little_mcar", "mcar_table"]

DESCRIPTIVE_NOTE = (
    "Little's test is descriptive: it is conservative in small samples, cannot prove that data "
    "are MCAR and cannot rule out data missing not at random."
)


def _em_moments(
    data: PatternData, tol: float = 1e-11, max_iter: int = 100_000
) -> tuple[np.ndarray, np.ndarray, int, bool]:
    """ML mean and covariance of a multivariate normal with missing values, by EM.

    Each iteration is the SEM engine's EM step (``pipeline.sem.em_saturated.em_step``: E-step =
    regression of the missing on the observed values plus the conditional covariance; M-step =
    completed moments), from the engine's available-case start (observed means, diagonal ML
    variances). Stops when the largest change in any mean or covariance element, relative to
    ``1 + |value|``, is below ``tol``. Returns ``(mu, sigma, iterations, converged)``.

    In R: ``norm::em.norm`` or lavaan's ``lav_mvnorm_missing_h1_estimate_moments``.
    """
    _, mu, var = available_case_moments(data)
    sigma = np.diag(var)
    for it in range(1, max_iter + 1):
        new_mu, new_sigma = em_step(mu, sigma, data)
        new_sigma = (new_sigma + new_sigma.T) / 2
        delta = max(
            np.max(np.abs(new_mu - mu) / (1 + np.abs(mu))),
            np.max(np.abs(new_sigma - sigma) / (1 + np.abs(sigma))),
        )
        mu, sigma = new_mu, new_sigma
        if delta < tol:
            return mu, sigma, it, True
    return mu, sigma, max_iter, False


def _numeric_frame(data: pd.DataFrame) -> pd.DataFrame:
    """Columns as float; non-numeric columns raise a DataError naming them."""
    bad = [
        c for c in data.columns
        if not (pd.api.types.is_numeric_dtype(data[c]) or pd.api.types.is_bool_dtype(data[c]))
    ]
    if bad:
        raise DataError(
            f"Little's MCAR test: column(s) {bad} are not numeric. The test assumes continuous "
            "(multivariate normal) variables; drop these columns or replace a categorical "
            "variable by numeric indicator columns before testing."
        )
    return data.astype(float)


def _usable(x: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, str], list[str]]:
    """Drop columns missing for everyone or constant, then rows with nothing observed."""
    notes: list[str] = []
    excluded: dict[str, str] = {}
    for c in x.columns:
        col = x[c].dropna()
        if col.empty:
            excluded[c] = "missing for everyone"
        elif col.nunique() < 2:
            excluded[c] = "constant (no variance)"
    if excluded:
        notes.append(
            "Excluded: " + "; ".join(f"{c} ({why})" for c, why in excluded.items()) + "."
        )
    x = x.drop(columns=list(excluded))
    empty = x.isna().all(axis=1) if x.shape[1] else pd.Series(True, index=x.index)
    if empty.any():
        notes.append(f"{int(empty.sum())} row(s) with no observed value were left out.")
    return x.loc[~empty], excluded, notes


def little_mcar(data: pd.DataFrame) -> dict[str, Any]:
    """Little's (1988) MCAR chi-square test on the numeric columns of ``data``.

    Returns ``dict(chi2, df, pvalue, n_patterns, n, status, message, variables, excluded,
    em_iterations)``; ``status`` is "ok" or "not_estimable" (then chi2/df/pvalue are NaN and
    ``message`` says why). Columns missing for everyone or constant are excluded (noted in
    ``excluded`` and ``message``); rows with no observed value carry no information and are
    dropped (counted in the message). See the module docstring for the definition and caveats.

    In R: ``naniar::mcar_test(data)`` (``statistic``, ``df``, ``p.value``, ``missing.patterns``).
    """
    x, excluded, notes = _usable(_numeric_frame(data))
    out: dict[str, Any] = {
        "chi2": float("nan"), "df": float("nan"), "pvalue": float("nan"),
        "n_patterns": 0, "n": len(x), "status": Status.NOT_ESTIMABLE.value, "message": "",
        "variables": list(x.columns), "excluded": excluded, "em_iterations": 0,
    }

    def fail(why: str) -> dict[str, Any]:
        out["message"] = " ".join([f"Little's MCAR test not estimable: {why}"] + notes)
        return out

    if x.shape[1] < 1:
        return fail("no usable variables.")
    arr = x.to_numpy()
    obs = ~np.isnan(arr)
    data = split_patterns(arr)
    out["n_patterns"] = data.n_patterns
    if data.n_patterns < 2:
        return fail("all rows share one missing-data pattern (nothing to compare).")
    if len(x) <= x.shape[1]:
        return fail(f"{len(x)} rows for {x.shape[1]} variables; need more rows than variables.")
    joint = obs.T.astype(int) @ obs.astype(int)
    never = [f"{x.columns[i]} & {x.columns[j]}" for i, j in zip(*np.triu_indices(len(joint), 1))
             if joint[i, j] == 0]
    if never:
        notes.append("Never answered together (their covariance is not identified and does not "
                     "enter the test): " + "; ".join(never) + ".")
    mu, sigma, iters, converged = _em_moments(data)
    out["em_iterations"] = iters
    if not converged:
        return fail(f"the EM algorithm did not converge in {iters} iterations.")
    if np.linalg.eigvalsh(sigma).min() <= 1e-10 * max(1.0, np.abs(np.diag(sigma)).max()):
        return fail(
            "the estimated covariance matrix is singular (a variable is a linear combination of "
            "others, or too few people answered some pairs of variables). Drop redundant variables."
        )
    d2 = 0.0
    df = -x.shape[1]
    for pat in data.patterns:
        diff = pat.ybar - mu[pat.obs]
        d2 += pat.n * float(diff @ np.linalg.solve(sigma[pat.ix_oo], diff))
        df += len(pat.obs)
    if df <= 0:
        return fail(f"degrees of freedom are {df}.")
    out.update(chi2=d2, df=df, pvalue=float(stats.chi2.sf(d2, df)), status=Status.OK.value)
    out["message"] = " ".join(
        [
            (f"Little's MCAR test: chi-square = {d2:.2f}, df = {df}, p = {out['pvalue']:.3g} "
             f"({data.n_patterns} missing-data patterns, n = {len(x)}).")
        ]
        + notes
        + [DESCRIPTIVE_NOTE]
    )
    return out


MCAR_COLUMNS = ["analysis", "method", "chi2", "df", "pvalue", "n_patterns", "n", "status",
                "message", "variables"]


def mcar_table(result: dict[str, Any], analysis: str = "little_mcar") -> pd.DataFrame:
    """One-row result table: ``analysis, method, chi2, df, pvalue, n_patterns, n, status,
    message, variables`` (a :func:`pipeline.status.status_row`; variables joined by ";")."""
    row = status_row(analysis, "em", result["status"], result["message"],
                     **{k: result[k] for k in ("chi2", "df", "pvalue", "n_patterns", "n")},
                     variables=";".join(result["variables"]))
    return pd.DataFrame([row], columns=MCAR_COLUMNS)
