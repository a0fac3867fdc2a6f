"""One predictive-mean-matching update of MICE, as pure functions on arrays.

The pieces of ``mice::mice.impute.pmm`` (van Buuren 2018, *Flexible Imputation of Missing Data*,
2nd ed., §3.4 and Algorithm 3.3): drop constant or collinear predictors
(:func:`remove_lindep`, ``mice:::remove.lindep``), draw the regression parameters from their
posterior (:func:`norm_draw`, ``mice:::.norm.draw``), match each recipient to one of the d donors
closest in predicted mean (:func:`match_donors`, ``mice:::matchindex``), and optimal scores for a
categorical target (:func:`quantify`, ``mice``'s ``quantify``). :func:`pmm_update` strings them
together sharing one X'X (:func:`lindep_from_gram` reads the screen's covariances from it); the
sampler is :func:`pipeline.stats.mice.mice` (chains in :mod:`pipeline.stats.mice_chains`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipeline.stats.pmm_match import match_rows

__all__ = ["DONORS", "RIDGE", "LINDEP_EPS", "MAXCOR", "WHOLE_MIN_RECIPIENTS", "Var", "Whole",
           "encode", "decode", "design", "pmm_update", "remove_lindep", "lindep_from_gram",
           "norm_draw", "norm_draw_from", "match_donors", "quantify", "whole_design"]

#: mice's defaults.
DONORS = 5
RIDGE = 1e-5
LINDEP_EPS = 1e-4
MAXCOR = 0.99
#: the recipients' predicted means come from the whole design (:class:`Whole`) when there are at
#: least this many recipients and they are at least a quarter of the rows
WHOLE_MIN_RECIPIENTS = 10_000


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
    return _screen(cov[:k, :k], cov[:k, k], cov[k, k], eps, maxcor)


def lindep_from_gram(xtx: np.ndarray, xty: np.ndarray, yty: float,
                     xtx_inv: np.ndarray | None = None, eps: float = LINDEP_EPS,
                     maxcor: float = MAXCOR) -> np.ndarray:
    """:func:`remove_lindep` of the predictors ``X[:, 1:]`` from the cross-products of an update.

    ``xtx = X'X``, ``xty = X'y``, ``yty = y'y`` for a design X whose column 0 is the intercept
    (so ``xtx[0] `` holds n and the column sums): the covariances are
    ``(X'X - s s' / n) / (n - 1)``, the same matrix as ``np.cov``, without another pass over the
    data. With ``xtx_inv = (X'X)^-1`` the eigenvalue test is skipped when a bound already passes
    it: ``lambda_max <= k`` and ``lambda_min >= 1 / trace(R^-1)`` for the correlation matrix R,
    and ``diag(R^-1)_j = var_j (n - 1) [(X'X)^-1]_jj`` (Schur complement of the intercept).
    """
    k = xtx.shape[0] - 1
    if k == 0:
        return np.zeros(0, dtype=bool)
    n = xtx[0, 0]
    s, sy = xtx[0, 1:], xty[0]
    cov_xx = (xtx[1:, 1:] - np.outer(s, s) / n) / (n - 1)
    cov_xy = (xty[1:] - s * (sy / n)) / (n - 1)
    vy = (yty - sy * sy / n) / (n - 1)
    return _screen(cov_xx, cov_xy, vy, eps, maxcor, xtx_inv, n)


def _screen(cov_xx: np.ndarray, cov_xy: np.ndarray, vy: float, eps: float, maxcor: float,
            xtx_inv: np.ndarray | None = None, n: float = 0.0) -> np.ndarray:
    """The three steps of ``remove.lindep`` on the covariances (see :func:`remove_lindep`)."""
    k = cov_xy.size
    if vy < eps:
        return np.zeros(k, dtype=bool)
    var = np.diagonal(cov_xx)
    keep = var > eps
    with np.errstate(divide="ignore", invalid="ignore"):
        cor = cov_xy / np.sqrt(var * vy)
    keep &= ~(cor >= maxcor)
    if xtx_inv is not None and keep.all():
        d = np.diagonal(xtx_inv)[1:]
        if (d > 0).all() and k * float(var @ d) * (n - 1) * eps <= 1.0:
            return keep
    idx = np.flatnonzero(keep)
    if idx.size <= 1:
        return keep
    sd = np.sqrt(var[idx])
    cx = cov_xx[np.ix_(idx, idx)] / np.outer(sd, sd)
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
              ridge: float = RIDGE, xtx: np.ndarray | None = None,
              xty: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, bool]:
    """Least squares coefficients and one Bayesian posterior draw (``mice:::.norm.draw``).

    Returns (coef, beta_star, ridged). sigma* = sqrt(RSS / chi2(df)), df = max(n - p, 1);
    beta* = coef + chol((X'X)^-1) z sigma*; a ridge penalty ``ridge`` x diag(X'X) is added to X'X
    when it is not invertible to working precision (smallest / largest eigenvalue <= 1e-13; van
    Buuren 2018, Algorithm 3.1). ``xtx`` / ``xty``: X'X and X'y when the caller has them.
    """
    xtx = xobs.T @ xobs if xtx is None else xtx
    xty = xobs.T @ yobs if xty is None else xty
    coef, v, ridged = _ls(xtx, xty, ridge)
    return norm_draw_from(xobs, yobs, rng, ridge, coef, v, ridged)


def _ls(xtx: np.ndarray, xty: np.ndarray, ridge: float,
        v: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, bool]:
    """(X'X)^-1 X'y and (X'X)^-1, ridged when X'X is not invertible to working precision.

    With ``v = (X'X)^-1`` given, the eigenvalues are computed only when the bound
    ``lambda_min / lambda_max >= 1 / (trace(X'X) trace(v))`` does not already show the ratio
    above 1e-13 (the decision is the same; the eigenvalues cost more than the inverse).
    """
    ridged = False
    try:
        if v is None or not float(np.trace(xtx)) * float(np.trace(v)) * 1e-13 < 1.0:
            ev = np.linalg.eigvalsh(xtx)
            if not ev[0] > 1e-13 * ev[-1]:  # not invertible to working precision
                raise np.linalg.LinAlgError
            v = np.linalg.inv(xtx) if v is None else v
    except np.linalg.LinAlgError:
        ridged = True
        v = np.linalg.inv(xtx + np.diag(ridge * np.diag(xtx)))
    return v @ xty, v, ridged


def norm_draw_from(xobs: np.ndarray, yobs: np.ndarray, rng: np.random.Generator, ridge: float,
                   coef: np.ndarray, v: np.ndarray, ridged: bool
                   ) -> tuple[np.ndarray, np.ndarray, bool]:
    """The draw of :func:`norm_draw` given the least squares fit ``coef`` and ``v = (X'X)^-1``."""
    n, p = xobs.shape
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
    found by walking outwards from its place among the (shuffled, then stably sorted) donors,
    and one is drawn at random: :func:`pipeline.stats.pmm_match.match_rows` for one chain.
    R: ``mice::matchindex(yhat_obs, yhat_mis, k = donors)``.
    """
    return match_rows(np.asarray(yhat_obs, dtype=float)[None, :],
                      np.asarray(yhat_mis, dtype=float)[None, :], donors, [rng])[0]


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


def whole_design(n_mis: int, n: int) -> bool:
    """Whether an update with ``n_mis`` recipients among ``n`` rows predicts the recipients'
    means from the whole design (:class:`Whole`): at least :data:`WHOLE_MIN_RECIPIENTS`
    recipients, and at least a quarter of the rows. One product over every row, read in order,
    then the recipients' rows taken, costs less than gathering their design rows first (issue
    15's profile at 100,000 x 5 waves: the gather was a fifth of the sampler)."""
    return n_mis >= WHOLE_MIN_RECIPIENTS and 4 * n_mis >= n


@dataclass(frozen=True)
class Whole:
    """The recipients of an update as rows of the whole design: ``X`` (chains x design columns x
    rows, each chain's slice C-contiguous), the update's columns ``cols`` (the intercept first,
    in the order of its coefficients) and the recipients' rows ``mis`` (one array for every
    chain, or chains x recipients).

    :meth:`means` is ``X_mis beta``, computed as ``(beta placed in the design's columns, zeros
    elsewhere) @ X[i]``, then the recipients' rows taken: a chain's predicted means are the same
    numbers whichever block of chains it is updated in, and whether it is updated with the block
    or on its own (:func:`pmm_update`). They can differ from the gathered rows' product
    ``X_mis @ beta`` in the last bit (BLAS sums in another order), so which of the two an update
    uses is fixed by its shape alone (:func:`whole_design`)."""

    X: np.ndarray
    cols: np.ndarray
    mis: np.ndarray

    def chain(self, i: int) -> Whole:
        """Chain ``i`` alone."""
        return Whole(self.X[i:i + 1], self.cols, self.mis if self.mis.ndim == 1
                     else self.mis[i:i + 1])

    def means(self, beta: np.ndarray, keep: np.ndarray | None = None) -> np.ndarray:
        """Predicted means of the recipients, chains x recipients, for coefficients ``beta``
        (chains x columns kept); ``keep``: the columns of ``cols`` kept (boolean; all when
        None)."""
        cols = self.cols if keep is None else self.cols[keep]
        out = np.empty((beta.shape[0], self.mis.shape[-1]))
        full = np.zeros(self.X.shape[1])
        for i in range(beta.shape[0]):  # chains: a few, each one product over every row
            full[:] = 0.0
            full[cols] = beta[i]
            (full @ self.X[i]).take(self.mis if self.mis.ndim == 1 else self.mis[i], out=out[i])
        return out


def pmm_update(xo: np.ndarray, xm: np.ndarray | Whole, y: np.ndarray,
               rng: np.random.Generator, ridge: float = RIDGE, donors: int = DONORS
               ) -> tuple[np.ndarray, np.ndarray, bool]:
    """One PMM update from the design rows of the donors (``xo``, column 0 the intercept) and of
    the recipients (``xm``, or one chain's :class:`Whole`) and the donors' (numeric) y: (donor
    index of each recipient, predictor columns kept, ridged).

    The steps of :func:`remove_lindep`, :func:`norm_draw` and :func:`match_donors` with the same
    random draws, sharing one X'X and its inverse: the collinearity screen reads its
    covariances from X'X (:func:`lindep_from_gram`), and the eigenvalue tests run only when the
    bounds from the inverse do not already decide them. The products are formed on
    column-major copies, the layout ``x[:, keep]`` gives (BLAS rounds a product differently for
    the two layouts, and a last-digit difference can swap two equally close donors).
    """
    whole = isinstance(xm, Whole)
    xo = np.asfortranarray(xo)  # the layout x[:, keep] has
    xm = xm if whole else np.asfortranarray(xm)
    cols = None
    xtx = xo.T @ xo
    xty = xo.T @ y
    try:
        v = np.linalg.inv(xtx)
    except np.linalg.LinAlgError:
        v = None
    keep = lindep_from_gram(xtx, xty, float(y @ y), v)
    if keep.all():
        coef, v, ridged = _ls(xtx, xty, ridge, v)
    else:
        cols = np.concatenate([[True], keep])
        xo = np.asfortranarray(xo[:, cols])
        xm = xm if whole else np.asfortranarray(xm[:, cols])
        coef, v, ridged = _ls(xo.T @ xo, xo.T @ y, ridge)
    coef, beta, ridged = norm_draw_from(xo, y, rng, ridge, coef, v, ridged)
    yhat_mis = xm.means(beta[None, :], cols)[0] if whole else xm @ beta
    return match_donors(xo @ coef, yhat_mis, donors, rng), keep, ridged


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

