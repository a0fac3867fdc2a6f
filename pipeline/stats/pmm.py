"""One predictive-mean-matching update of MICE, as pure functions on arrays.

The pieces of ``mice::mice.impute.pmm`` (van Buuren 2018, *Flexible Imputation of Missing Data*,
2nd ed., §3.4 and Algorithm 3.3): drop constant or collinear predictors
(:func:`remove_lindep`, ``mice:::remove.lindep``), draw the regression parameters from their
posterior (:func:`norm_draw`, ``mice:::.norm.draw``), match each recipient to one of the d donors
closest in predicted mean (:func:`match_donors`, ``mice:::matchindex``), and optimal scores for a
categorical target (:func:`quantify`, ``mice``'s ``quantify``). The sampler that loops over
them is :func:`pipeline.stats.mice.mice`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["DONORS", "RIDGE", "LINDEP_EPS", "MAXCOR", "Var", "encode", "decode", "design",
           "remove_lindep", "norm_draw", "match_donors", "quantify"]

#: mice's defaults.
DONORS = 5
RIDGE = 1e-5
LINDEP_EPS = 1e-4
MAXCOR = 0.99



def remove_lindep(x: np.ndarray, y: np.ndarray, eps: float = LINDEP_EPS,
                  maxcor: float = MAXCOR) -> np.ndarray:
    """Boolean mask of predictor columns to keep (``mice:::remove.lindep``, van Buuren 2018 §6.2).

    Drops columns with variance <= ``eps``, columns whose correlation with y is >= ``maxcor``, and
    then, while the smallest / largest eigenvalue of the predictors' correlation matrix is below
    ``eps``, the column loading most on the smallest eigenvector. All are dropped if y is constant.
    """
    k = x.shape[1]
    if k == 0:
        return np.zeros(0, dtype=bool)
    cov = np.cov(np.column_stack([x, y]), rowvar=False)
    var, vy = np.diag(cov)[:k], cov[k, k]
    if vy < eps:
        return np.zeros(k, dtype=bool)
    keep = var > eps
    with np.errstate(divide="ignore", invalid="ignore"):
        cor = cov[:k, k] / np.sqrt(var * vy)
    keep &= ~(cor >= maxcor)
    idx = np.flatnonzero(keep)
    if idx.size <= 1:
        return keep
    sd = np.sqrt(var[idx])
    cx = cov[np.ix_(idx, idx)] / np.outer(sd, sd)
    while idx.size > 1:
        vals, vecs = np.linalg.eigh(cx)  # ascending
        if vals[0] / vals[-1] >= eps:
            break
        j = int(np.argmax(np.abs(vecs[:, 0])))
        keep[idx[j]] = False
        idx = np.delete(idx, j)
        cx = np.delete(np.delete(cx, j, axis=0), j, axis=1)
    return keep


def norm_draw(xobs: np.ndarray, yobs: np.ndarray, rng: np.random.Generator,
              ridge: float = RIDGE) -> tuple[np.ndarray, np.ndarray, bool]:
    """Least squares coefficients and one Bayesian posterior draw (``mice:::.norm.draw``).

    Returns (coef, beta_star, ridged). sigma* = sqrt(RSS / chi2(df)), df = max(n - p, 1);
    beta* = coef + chol((X'X)^-1) z sigma*; a ridge penalty ``ridge`` x diag(X'X) is added to X'X
    when it is not invertible to working precision (van Buuren 2018, Algorithm 3.1).
    """
    n, p = xobs.shape
    xtx = xobs.T @ xobs
    xty = xobs.T @ yobs
    ridged = False
    try:
        ev = np.linalg.eigvalsh(xtx)
        if not ev[0] > 1e-13 * ev[-1]:  # not invertible to working precision
            raise np.linalg.LinAlgError
        v = np.linalg.inv(xtx)
        coef = v @ xty
    except np.linalg.LinAlgError:
        ridged = True
        v = np.linalg.inv(xtx + np.diag(ridge * np.diag(xtx)))
        coef = v @ xty
    resid = yobs - xobs @ coef
    df = max(n - p, 1)
    sigma = math.sqrt(float(resid @ resid) / rng.chisquare(df))
    v = (v + v.T) / 2.0
    try:
        chol = np.linalg.cholesky(v)
    except np.linalg.LinAlgError:
        ridged = True
        chol = np.linalg.cholesky(v + np.diag(ridge * np.abs(np.diag(v)) + 1e-12))
    beta = coef + (chol @ rng.standard_normal(p)) * sigma
    return coef, beta, ridged


def match_donors(yhat_obs: np.ndarray, yhat_mis: np.ndarray, donors: int,
                 rng: np.random.Generator) -> np.ndarray:
    """Index (into the observed rows) of the donor for each recipient (``mice:::matchindex``).

    For each recipient, the ``donors`` observed rows with predicted means closest to its own are
    found and one is drawn at random; ties are broken at random by shuffling before sorting.
    Vectorised: sort once, locate each recipient by binary search, search a window of 2d
    neighbours (which always contains the d nearest) with ``argpartition``.
    """
    n_obs = yhat_obs.size
    d = int(min(donors, n_obs))
    perm = rng.permutation(n_obs)
    order = perm[np.argsort(yhat_obs[perm], kind="stable")]
    s = yhat_obs[order]
    w = min(2 * d, n_obs)
    pos = np.searchsorted(s, yhat_mis)
    start = np.clip(pos - d, 0, n_obs - w)
    window = start[:, None] + np.arange(w)[None, :]
    dist = np.abs(s[window] - yhat_mis[:, None])
    if d < w:
        nearest = np.argpartition(dist, d - 1, axis=1)[:, :d]
    else:
        nearest = np.broadcast_to(np.arange(w), (yhat_mis.size, w))
    pick = nearest[np.arange(yhat_mis.size), rng.integers(0, d, size=yhat_mis.size)]
    return order[window[np.arange(yhat_mis.size), pick]]


def quantify(codes_obs: np.ndarray, n_levels: int, xobs: np.ndarray) -> np.ndarray:
    """Optimal scores for a categorical target (``mice``'s ``quantify``, canonical correlation).

    Returns one standardised score per observed row: the first canonical variate of the category
    dummies against the predictors (without intercept). Two levels: the 0/1 code. Falls back to
    the integer codes when the canonical analysis is degenerate.
    """
    codes_obs = codes_obs.astype(int)
    if n_levels <= 2 or xobs.shape[1] <= 1:
        return codes_obs.astype(float)
    yd = (codes_obs[:, None] == np.arange(1, n_levels)[None, :]).astype(float)
    yd -= yd.mean(axis=0)
    xc = xobs[:, 1:] - xobs[:, 1:].mean(axis=0)
    uy, sy, _ = np.linalg.svd(yd, full_matrices=False)
    ux, sx, _ = np.linalg.svd(xc, full_matrices=False)
    qy = uy[:, sy > 1e-8 * max(sy.max(initial=0), 1e-300)]
    qx = ux[:, sx > 1e-8 * max(sx.max(initial=0), 1e-300)]
    if qy.shape[1] == 0 or qx.shape[1] == 0:
        return codes_obs.astype(float)
    u, _, _ = np.linalg.svd(qy.T @ qx, full_matrices=False)
    score = qy @ u[:, 0]
    sd = score.std(ddof=1)
    return (score - score.mean()) / sd if sd > 0 else codes_obs.astype(float)


# Encoding of the variables and the design matrix of one update

@dataclass
class Var:
    """One imputation column as floats (category codes for a categorical; NaN = missing)."""

    name: str
    categorical: bool
    values: np.ndarray  # float; category codes for categoricals; NaN = missing
    levels: list | None
    dtype: object


def encode(wide: pd.DataFrame, name: str) -> Var:
    """Column ``name`` as floats: numbers as they are, anything else as category codes."""
    s = wide[name]
    if isinstance(s.dtype, pd.CategoricalDtype) or not (
        pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)
    ):
        cat = s.astype("category")
        codes = cat.cat.codes.to_numpy().astype(float)
        codes[codes < 0] = np.nan
        return Var(name, True, codes, list(cat.cat.categories), s.dtype)
    return Var(name, False, pd.to_numeric(s).to_numpy(dtype=float, na_value=np.nan), None,
               s.dtype)


def decode(var: Var, values: np.ndarray, index: pd.Index) -> pd.Series:
    """Values (codes for a categorical) back as a Series of the column's own dtype."""
    if not var.categorical:
        return pd.Series(values, index=index, name=var.name)
    codes = values.astype(int)
    if isinstance(var.dtype, pd.CategoricalDtype):
        return pd.Series(pd.Categorical.from_codes(codes, dtype=var.dtype), index=index,
                         name=var.name)
    out = pd.Series(np.asarray(var.levels, dtype=object)[codes], index=index, name=var.name)
    try:
        return out.astype(var.dtype)
    except (TypeError, ValueError):
        return out


def design(vars_: dict[str, Var], current: dict[str, np.ndarray], preds: list[str]
           ) -> tuple[np.ndarray, list[str]]:
    """Intercept + numeric predictors + treatment dummies of categorical predictors."""
    cols = [np.ones(next(iter(current.values())).shape[0])]
    names = ["(Intercept)"]
    for p in preds:
        v = vars_[p]
        if v.categorical:
            for lev in range(1, len(v.levels)):
                cols.append((current[p] == lev).astype(float))
                names.append(f"{p}{v.levels[lev]}")
        else:
            cols.append(current[p])
            names.append(p)
    return np.column_stack(cols), names
