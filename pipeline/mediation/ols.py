"""Closed-form OLS of the serial-mediation equations (PROCESS model 6; Hayes 2022, ch. 5).

Every equation regresses one design column on all columns before it, so all coefficients follow
from the cross-product (Gram) matrix ``G = Z' W Z`` of the design ``Z = [1, X, C, M1..Mk, Y]``
(``W`` = frequency weights; identity for the sample, bootstrap counts for a resample, leave-one-out
for the jackknife). :func:`chain_coefficients` accepts a stack ``(..., q, q)`` of Gram matrices, so
the sample, all bootstrap draws and all jackknife samples go through the same code, batched.
:func:`cholesky_chain` gives the same coefficients for thousands of draws at once from Gram
matrices packed batch-last (one Cholesky factor per draw, computed by vector operations across
the draws): the bootstrap's hot path; :func:`chain_coefficients` (one LU solve per equation)
stays the plain reference the tests compare it with.

Numerical conditioning: the columns are centred and scaled by the full-sample means and SDs
(:func:`standardise`) before forming ``G``; slopes are transformed back to raw units.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pipeline.stats.distributions import t_ppf, t_sf


@dataclass(frozen=True)
class Layout:
    """Positions in the design: 0 = constant, 1 = X, 2.. covariates, then mediators, then Y."""

    n_cov: int
    k: int

    @property
    def q(self) -> int:
        return 3 + self.n_cov + self.k

    def med(self, j: int) -> int:
        """Column of mediator j (0-based)."""
        return 2 + self.n_cov + j

    @property
    def y(self) -> int:
        return self.q - 1

    @property
    def n_params_y(self) -> int:
        """Coefficients of the outcome equation (the largest), intercept included."""
        return self.q - 1


@dataclass(frozen=True)
class Scaling:
    """Column centres and scales (constant column: centre 0, scale 1)."""

    center: np.ndarray
    scale: np.ndarray


@dataclass
class Coefs:
    """Raw-unit path coefficients; every array has the leading batch shape ``...``."""

    a: np.ndarray         # (..., k)       X -> M_j
    d: np.ndarray         # (..., k, k)    d[..., j, i]: M_i -> M_j (i < j), zero elsewhere
    b: np.ndarray         # (..., k)       M_j -> Y
    cp: np.ndarray        # (...)          direct effect c'
    c: np.ndarray         # (...)          total effect (Y on X and covariates)
    cov_m: np.ndarray     # (..., k, n_cov) covariates -> M_j
    cov_y: np.ndarray     # (..., n_cov)   covariates -> Y
    cov_c: np.ndarray     # (..., n_cov)   covariates in the total-effect model
    sd_x: np.ndarray      # (...)          SD of X (n - 1 divisor, weighted)
    sd_y: np.ndarray      # (...)          SD of Y


def standardise(Z: np.ndarray) -> tuple[np.ndarray, Scaling]:
    """Centre and scale every non-constant column by its sample mean and SD (ddof = 1)."""
    center = Z.mean(axis=0)
    scale = Z.std(axis=0, ddof=1)
    center[0], scale[0] = 0.0, 1.0
    scale = np.where(scale > 0, scale, 1.0)
    return (Z - center) / scale, Scaling(center, scale)


def gram(Zs: np.ndarray) -> np.ndarray:
    """``Z'Z`` of the (standardised) design."""
    return Zs.T @ Zs


def _regress(G: np.ndarray, p: int, t: int) -> np.ndarray:
    """Coefficients of column ``t`` on columns ``0..p-1`` from stacked Gram matrices."""
    return np.linalg.solve(G[..., :p, :p], G[..., :p, t:t + 1])[..., 0]


def chain_coefficients(G: np.ndarray, layout: Layout, scaling: Scaling) -> Coefs:
    """Model-6 coefficients for a stack of Gram matrices of the standardised design.

    M_j ~ 1 + X + C + M_1..M_{j-1};  Y ~ 1 + X + C + M_1..M_k;  Y ~ 1 + X + C (total effect).
    Raises numpy.linalg.LinAlgError if any system is exactly singular (callers screen draws first).
    """
    s = scaling.scale
    k, nc = layout.k, layout.n_cov
    cov = slice(2, 2 + nc)
    batch = G.shape[:-2]
    a = np.empty(batch + (k,))
    d = np.zeros(batch + (k, k))
    cov_m = np.empty(batch + (k, nc))
    for j in range(k):
        t = layout.med(j)
        beta = _regress(G, t, t) * (s[t] / s[:t])
        a[..., j] = beta[..., 1]
        cov_m[..., j, :] = beta[..., cov]
        d[..., j, :j] = beta[..., 2 + nc:t]
    t = layout.y
    beta = _regress(G, t, t) * (s[t] / s[:t])
    b = beta[..., 2 + nc:t]
    cp = beta[..., 1]
    cov_y = beta[..., cov]
    beta_c = _regress(G, 2 + nc, t) * (s[t] / s[:2 + nc])
    w = G[..., 0, 0]

    def sd(col: int) -> np.ndarray:
        mean = G[..., 0, col] / w
        return np.sqrt((G[..., col, col] - w * mean**2) / (w - 1)) * s[col]

    return Coefs(a=a, d=d, b=b, cp=cp, c=beta_c[..., 1], cov_m=cov_m, cov_y=cov_y,
                 cov_c=beta_c[..., cov], sd_x=sd(1), sd_y=sd(t))


def packed_index(q: int) -> np.ndarray:
    """Start of row j of the packed upper triangle (``np.triu_indices(q)`` order) for every j:
    entries ``(j, j), (j, j + 1), ..., (j, q - 1)``, i.e. column j of G from row j down."""
    return np.concatenate([[0], np.cumsum(np.arange(q, 1, -1))])


def pack(G: np.ndarray) -> np.ndarray:
    """``(q(q+1)/2, N)`` packed batch-last copy of a stack ``(..., q, q)`` of Gram matrices."""
    q = G.shape[-1]
    iu, ju = np.triu_indices(q)
    return np.ascontiguousarray(G.reshape(-1, q, q)[:, iu, ju].T)


def _cholesky_packed(Gp: np.ndarray, q: int, tol: float) -> tuple[np.ndarray, np.ndarray]:
    """Batch-last Cholesky factor ``L[r, c, b]`` of packed Gram matrices, column by column, and
    the mask of draws whose regressor block (all columns but the last) is singular."""
    B = Gp.shape[1]
    start = packed_index(q)
    L = np.zeros((q, q, B))
    bad = np.zeros(B, dtype=bool)
    det = np.ones(B)            # det of the regressor block scaled to unit diagonal, in (0, 1]
    with np.errstate(divide="ignore", invalid="ignore", under="ignore"):
        for j in range(q - 1):
            col = Gp[start[j]:start[j] + q - j]                      # G[j:, j]
            if j:
                col = col - np.einsum("ikb,kb->ib", L[j:, :j], L[j, :j])
            ok = col[0] > 0                                          # pivot (a residual SS)
            bad |= ~ok
            det *= col[0] / Gp[start[j]]
            d = np.sqrt(np.where(ok, col[0], 1.0))
            L[j, j] = d
            L[j + 1:, j] = col[1:] / d
    return L, bad | ~(det >= tol)


def cholesky_chain(Gp: np.ndarray, layout: Layout, scaling: Scaling,
                   tol: float = 1e-12) -> tuple[Coefs, np.ndarray]:
    """:func:`chain_coefficients` for a stack of Gram matrices packed batch-last (:func:`pack`:
    ``Gp[i, b]`` = i-th entry of the upper triangle of Gram matrix b, row by row) and the mask
    of singular draws.

    Why batch-last: every step below is one NumPy operation on contiguous length-B vectors, so
    thousands of small (q x q) systems cost a few dozen vector operations instead of a LAPACK
    call per matrix; packed, because the bootstrap's GEMM yields exactly this layout. One
    Cholesky factor ``G = L L'`` per draw (column by column), then the inverse ``Linv`` of its
    regressor block by forward substitution. The regression of design column t on the columns
    before it has the standardised slopes ``L[t, :t] Linv[:t, :t]`` (``Z L^-T`` is the
    Gram-Schmidt basis of the design), and the total-effect model (Y on the first ``2 + n_cov``
    columns) ``L[y, :p] Linv[:p, :p]``.

    Singular: the regressor block (all columns but Y) scaled to unit diagonal has determinant
    ``prod_j pivot_j / G[j, j]`` (pivot_j = residual sum of squares of column j given the columns
    before it) below ``tol``, or a pivot that is not positive (e.g. a dummy covariate constant
    in the resample). Such draws get NaN-free placeholder values; callers discard them.
    """
    q, B = layout.q, Gp.shape[1]
    L, bad = _cholesky_packed(Gp, q, tol)
    y, p, k = layout.y, 2 + layout.n_cov, layout.k
    Linv = np.zeros((y, y, B))
    slopes = {}
    for t in range(y + 1):
        r = np.einsum("mb,mcb->cb", L[t, :t], Linv[:t, :t])      # (t, B) standardised slopes
        slopes[t] = r
        if t < y:
            Linv[t, :t] = -r / L[t, t]
            Linv[t, t] = 1.0 / L[t, t]
    slopes["c"] = np.einsum("mb,mcb->cb", L[y, :p], Linv[:p, :p])
    s = scaling.scale

    def raw(t: int | str, cols: slice | int) -> np.ndarray:
        """Raw-unit slopes of equation t on design columns ``cols``, batch first."""
        factor = (s[y] if t == "c" else s[t]) / s[cols]
        return (slopes[t][cols] * (factor[:, None] if isinstance(cols, slice) else factor)).T

    meds = [layout.med(j) for j in range(k)]
    d = np.zeros((B, k, k))
    for j, t in enumerate(meds):
        d[:, j, :j] = raw(t, slice(p, t))
    w, diag = Gp[0], Gp[packed_index(q)]

    def sd(c: int) -> np.ndarray:
        mean = Gp[c] / w
        return np.sqrt((diag[c] - w * mean**2) / (w - 1)) * s[c]

    coefs = Coefs(a=np.stack([raw(t, 1) for t in meds], axis=-1), d=d,
                  b=raw(y, slice(p, y)), cp=raw(y, 1), c=raw("c", 1),
                  cov_m=np.stack([raw(t, slice(2, p)) for t in meds], axis=1),
                  cov_y=raw(y, slice(2, p)), cov_c=raw("c", slice(2, p)), sd_x=sd(1), sd_y=sd(y))
    return coefs, bad


@dataclass(frozen=True)
class OLSEquation:
    """One fitted equation: raw-unit slopes (intercept excluded), homoskedastic OLS SEs."""

    outcome: int                # design column of the outcome
    regressors: tuple[int, ...]  # design columns of the slopes
    est: np.ndarray
    se: np.ndarray
    df: int

    @property
    def t(self) -> np.ndarray:
        return self.est / self.se

    @property
    def pvalue(self) -> np.ndarray:
        return 2 * t_sf(np.abs(self.t), self.df)

    def ci(self, conf: float) -> tuple[np.ndarray, np.ndarray]:
        crit = t_ppf(0.5 + conf / 2, self.df)
        return self.est - crit * self.se, self.est + crit * self.se


def ols_equations(Zs: np.ndarray, layout: Layout, scaling: Scaling) -> list[OLSEquation]:
    """Fit M_1..M_k, Y and the total-effect model by OLS with the usual homoskedastic SEs
    ``sigma^2 (X'X)^-1``, ``sigma^2 = SSE / (n - p)`` (PROCESS default; Hayes 2022)."""
    n = Zs.shape[0]
    s = scaling.scale
    specs = [(layout.med(j), layout.med(j)) for j in range(layout.k)]
    specs += [(layout.y, layout.y), (layout.y, 2 + layout.n_cov)]
    out = []
    for t, p in specs:
        X = Zs[:, :p]
        xtx_inv = np.linalg.inv(X.T @ X)
        beta = xtx_inv @ (X.T @ Zs[:, t])
        resid = Zs[:, t] - X @ beta
        sigma2 = resid @ resid / (n - p)
        se = np.sqrt(np.diag(xtx_inv) * sigma2)
        conv = s[t] / s[:p]
        out.append(OLSEquation(outcome=t, regressors=tuple(range(1, p)), est=(beta * conv)[1:],
                               se=(se * conv)[1:], df=n - p))
    return out
