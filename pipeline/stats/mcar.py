"""Little's (1988) test of missing completely at random (MCAR).

Definition (Little, 1988, JASA 83:1198-1202): with ``mu``, ``Sigma`` the maximum-likelihood
estimates of the mean and covariance of a multivariate normal under MAR (EM algorithm; Dempster,
Laird & Rubin, 1977), and for each missing-data pattern ``j`` (``n_j`` rows, observed variables
``o_j``, ``p_j = |o_j|``) the observed-variable means ``ybar_j``:

    d2 = sum_j n_j (ybar_j - mu[o_j])' Sigma[o_j, o_j]^{-1} (ybar_j - mu[o_j]),
    df = sum_j p_j - p,

and ``d2`` is referred to chi-square(df). ML (divide-by-n) ``Sigma`` is used, as in Little (1988)
and naniar::mcar_test. ``mu`` and ``Sigma`` come from the SEM engine's saturated-model solver
(``pipeline.sem.em_saturated.fit_saturated``, Newton-Raphson from the pairwise-available moments,
at most 200 steps): one solver for the multivariate normal with missing data in the whole
package, bounded where a plain EM can run for 10^5 iterations.

In R: ``naniar::mcar_test(data)`` (or ``misty::na.test``).

Read it as **descriptive** only: the test is conservative in small samples and has little power
when few people are in some patterns; a non-significant result does not prove MCAR, and no test
on the observed data can rule out missing-not-at-random (MNAR).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from pipeline.errors import DataError
from pipeline.sem.em_saturated import MAX_ITER, fit_saturated
from pipeline.sem.fiml import PatternData, split_patterns
from pipeline.stats.distributions import chi2_sf
from pipeline.status import Status, status_row

__all__ = ["DESCRIPTIVE_NOTE", "little_mcar", "mcar_table"]

DESCRIPTIVE_NOTE = (
    "Little's test is descriptive: it is conservative in small samples, cannot prove that data "
    "are MCAR and cannot rule out data missing not at random."
)


def _em_moments(
    data: PatternData, max_iter: int = MAX_ITER
) -> tuple[np.ndarray, np.ndarray, int, bool, bool]:
    """ML mean and covariance of a multivariate normal with missing values.

    The SEM engine's saturated-model solver (``pipeline.sem.em_saturated.fit_saturated``, the
    h1 model of ``fit_sem``): Newton-Raphson on the FIML log-likelihood from the
    pairwise-available moments, exact to rounding in 3-10 steps where EM needs hundreds to
    100,000 iterations when much information is missing. Returns ``(mu, sigma, iterations,
    converged, singular)``. Bounded: at most ``max_iter`` steps (``MAX_ITER`` = 200), then
    ``converged = False``. On singular data (collinear variables) it stops when some
    pattern's covariance matrix is singular to 1e-10 and returns that nearly singular
    ``sigma`` with ``converged = False``, so that the caller can name the culprits.

    In R: ``norm::em.norm`` or lavaan's ``lav_mvnorm_missing_h1_estimate_moments``.
    """
    sat = fit_saturated(data, max_iter=max_iter)
    return sat.mu, sat.sigma, sat.iterations, sat.converged, sat.singular


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


def _extreme_columns(x: pd.DataFrame, limit: float = 1e100) -> list[str]:
    """Columns holding infinite values or values so large (over ``limit``) that their squares
    overflow: ``inf`` from a huge number or an ``inf`` text left in the data."""
    with np.errstate(invalid="ignore"):
        return [str(c) for c in x.columns if (np.abs(x[c].to_numpy()) > limit).any()]


def _identical_pairs(x: pd.DataFrame) -> list[tuple[str, str, int]]:
    """Pairs of columns that are perfectly collinear where both are observed (a duplicated
    column, a scale total and its only item, a variable and its rescaling).

    Such a pair makes the ML covariance matrix singular (the likelihood has no maximum), so the
    EM and the test are undefined. Pairs observed together on at least 2 rows with variation in
    both are judged; returns ``(x, y, rows answered together)``.
    """
    arr = x.to_numpy()
    pairs = []
    for i, j in zip(*np.triu_indices(arr.shape[1], 1)):
        both = ~np.isnan(arr[:, i]) & ~np.isnan(arr[:, j])
        a, b = arr[both, i], arr[both, j]
        if len(a) < 2 or np.ptp(a) == 0 or np.ptp(b) == 0:
            continue
        a, b = a - a.mean(), b - b.mean()
        r = float(a @ b) / float(np.sqrt((a @ a) * (b @ b)))
        if abs(r) >= 1 - 1e-10:
            pairs.append((str(x.columns[i]), str(x.columns[j]), int(both.sum())))
    return pairs


def _dependent_variables(sigma: np.ndarray, names: list[str], rel_tol: float = 1e-8) -> list[str]:
    """Words for the variables that are linear combinations of earlier ones in ``sigma``.

    Variables are taken in order; one whose residual variance given the variables kept so far
    is below ``rel_tol`` of its variance is reported with the kept variables it depends on.
    """
    kept: list[int] = []
    found: list[str] = []
    for j in range(len(names)):
        resid, coef = sigma[j, j], np.zeros(0)
        if kept:
            coef = np.linalg.lstsq(sigma[np.ix_(kept, kept)], sigma[kept, j], rcond=None)[0]
            resid = sigma[j, j] - sigma[kept, j] @ coef
        if resid > rel_tol * max(sigma[j, j], 1e-300):
            kept.append(j)
            continue
        scale = np.sqrt(np.abs(np.diag(sigma)[kept]) / max(sigma[j, j], 1e-300))
        on = [names[k] for k, c in zip(kept, np.abs(coef) * scale) if c > 1e-6]
        found.append(f"{names[j]} (from {', '.join(on)})" if on else names[j])
    return found


def _singular_reason(sigma: np.ndarray, names: list[str], where: str) -> str:
    """Why a singular covariance matrix: the variables that are linear combinations."""
    culprits = _dependent_variables(sigma, names)
    named = ("; ".join(culprits) + " " + ("is" if len(culprits) == 1 else "are")
             + " a linear combination of other variables" if culprits else
             "a variable is a linear combination of others")
    return (f"the estimated covariance matrix is singular ({named}, or too few people answered "
            f"some pairs of variables). Drop redundant variables {where}.")


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


def little_mcar(data: pd.DataFrame, variables_key: str | None = None) -> dict[str, Any]:
    """Little's (1988) MCAR chi-square test on the numeric columns of ``data``.

    Returns ``dict(chi2, df, pvalue, n_patterns, n, status, message, variables, excluded,
    em_iterations)``; ``status`` is "ok" or "not_estimable" (then chi2/df/pvalue are NaN and
    ``message`` says why). Columns missing for everyone or constant are excluded (noted in
    ``excluded`` and ``message``); rows with no observed value carry no information and are
    dropped (counted in the message). Collinear variables (two identical columns, a total and
    its only item, any exact linear combination) make the covariance matrix singular: the result
    is not estimable, naming the variables; ``variables_key`` (e.g. the config key listing the
    tested variables) is named in that advice. Infinite or huge values (over 1e100) make it not
    estimable, naming the columns. See the module docstring for the definition and caveats.

    In R: ``naniar::mcar_test(data)`` (``statistic``, ``df``, ``p.value``, ``missing.patterns``).
    """
    numeric = _numeric_frame(data)
    extreme = _extreme_columns(numeric)
    x, excluded, notes = _usable(numeric.drop(columns=extreme))
    where = f"from {variables_key}" if variables_key else "from the variables tested"
    out: dict[str, Any] = {
        "chi2": float("nan"), "df": float("nan"), "pvalue": float("nan"),
        "n_patterns": 0, "n": len(x), "status": Status.NOT_ESTIMABLE.value, "message": "",
        "variables": list(x.columns), "excluded": excluded, "em_iterations": 0,
    }

    def fail(why: str) -> dict[str, Any]:
        out["message"] = " ".join([f"Little's MCAR test not estimable: {why}"] + notes)
        return out

    if extreme:
        return fail(f"column(s) {extreme} hold infinite or huge values (over 1e100); correct "
                    "them at the source or set them missing.")
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
    same = _identical_pairs(x)
    if same:
        return fail("; ".join(f"variables {a} and {b} are identical (or perfectly collinear) "
                              f"on the {k} rows where both are answered" for a, b, k in same)
                    + f"; drop one of each pair {where}.")
    mu, sigma, iters, converged, singular = _em_moments(data)
    out["em_iterations"] = iters
    if not (np.isfinite(mu).all() and np.isfinite(sigma).all()):
        return fail("the EM algorithm overflowed (values too large to square); check the "
                    "variables' values and units.")
    # the solver's verdict first: the eigenvalue it stops at depends on the CPU (4e-9, 1e-11)
    if singular or np.linalg.eigvalsh(sigma).min() <= 1e-10 * max(1.0, np.abs(sigma).max()):
        return fail(_singular_reason(sigma, [str(c) for c in x.columns], where))
    if not converged:
        return fail(f"the maximum-likelihood means and covariances did not converge in "
                    f"{iters} Newton steps (the cap is {MAX_ITER}); too few people share some "
                    "missing-data patterns or variables are nearly collinear. Test fewer "
                    f"variables {where}.")
    d2 = 0.0
    df = -x.shape[1]
    for pat in data.patterns:
        diff = pat.ybar - mu[pat.obs]
        d2 += pat.n * float(diff @ np.linalg.solve(sigma[pat.ix_oo], diff))
        df += len(pat.obs)
    if df <= 0:
        return fail(f"degrees of freedom are {df}.")
    out.update(chi2=d2, df=df, pvalue=float(chi2_sf(d2, df)), status=Status.OK.value)
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
