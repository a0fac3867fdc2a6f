"""Full-information ML (casewise normal likelihood) computed by missing-data pattern.

For pattern ``g`` with ``n_g`` cases observing variables ``o``, sample mean ``ybar`` and ML
cross-product matrix ``S_g`` (Arbuckle 1996; lavaan ``lav_mvnorm_missing``):

    logL_g = -n_g/2 [ k log(2 pi) + log|Sigma_oo| + tr(Sigma_oo^{-1} (S_g + d d')) ],
    d = ybar - mu_o.

Derivatives with respect to the moments (symmetric ``Sigma`` parameterised by its vech):

    dlogL/dmu_o = n_g W d,   dlogL/dSigma_oo = -n_g/2 (W - W (S_g + d d') W),   W = Sigma_oo^{-1}

(off-diagonal vech elements count twice). The expected (Fisher) information of the moments is
``n_g W`` for the means and ``n_g/2 D'(W x W)D`` for vech Sigma. Complete data is one pattern.

The functions here loop over the patterns: they are the definitions. The engine's information
matrices use :mod:`pipeline.sem.fiml_moments` (every pattern at once, and no ``n x moments``
score matrix), which the tests check against these.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

LOG2PI = np.log(2.0 * np.pi)


@dataclass
class Pattern:
    obs: np.ndarray          # indices of observed variables
    rows: np.ndarray         # row indices into the (non-empty) data
    n: int
    ybar: np.ndarray
    scov: np.ndarray         # ML covariance (divide by n)
    y: np.ndarray            # the data of the pattern (n x k)
    mom_mu: np.ndarray       # positions of mu_o in the moment vector
    mom_vech: np.ndarray     # positions of vech(Sigma_oo) in the moment vector
    vr: np.ndarray           # local vech rows / cols
    vc: np.ndarray
    mis: np.ndarray = None   # indices of missing variables
    ix_oo: tuple = ()        # precomputed np.ix_ index tuples
    ix_om: tuple = ()
    ix_mo: tuple = ()
    ix_mm: tuple = ()
    ix_mu: tuple = ()
    ix_vech: tuple = ()
    vmult: np.ndarray = None  # 1 on the vech diagonal, 2 off it


@dataclass
class PatternData:
    """Data split by missing-data pattern; rows missing on every variable are dropped."""

    patterns: list[Pattern]
    n_obs: int
    n_dropped: int
    p: int
    kept_rows: np.ndarray    # indices of the used rows in the input array

    @property
    def n_patterns(self) -> int:
        return len(self.patterns)


def moment_positions(p: int) -> np.ndarray:
    """Matrix P with P[r, c] = position of Sigma[r, c] in the moment vector (symmetric)."""
    pos = np.zeros((p, p), dtype=int)
    cols, rows = np.triu_indices(p)
    k = p + np.arange(len(rows))
    pos[rows, cols] = k
    pos[cols, rows] = k
    return pos


def split_patterns(x: np.ndarray) -> PatternData:
    """Group the rows of ``x`` (n x p, NaN = missing) by missingness pattern."""
    x = np.asarray(x, dtype=float)
    observed = ~np.isnan(x)
    keep = observed.any(axis=1)
    kept_rows = np.flatnonzero(keep)
    x, observed = x[keep], observed[keep]
    p = x.shape[1]
    uniq, inverse = np.unique(observed, axis=0, return_inverse=True)
    inverse = inverse.ravel()
    pos = moment_positions(p)
    patterns = []
    for g in range(len(uniq)):
        obs = np.flatnonzero(uniq[g])
        rows = np.flatnonzero(inverse == g)
        y = x[np.ix_(rows, obs)]
        ybar = y.mean(axis=0)
        dev = y - ybar
        cols_l, rows_l = np.triu_indices(len(obs))
        mis = np.setdiff1d(np.arange(p), obs)
        mom_vech = pos[obs[rows_l], obs[cols_l]]
        patterns.append(Pattern(
            obs, rows, len(rows), ybar, dev.T @ dev / len(rows), y, obs.copy(), mom_vech,
            rows_l, cols_l, mis, np.ix_(obs, obs), np.ix_(obs, mis), np.ix_(mis, obs),
            np.ix_(mis, mis),
            np.ix_(obs, obs), np.ix_(mom_vech, mom_vech), np.where(rows_l == cols_l, 1.0, 2.0)))
    return PatternData(patterns, int(keep.sum()), int((~keep).sum()), p, kept_rows)


def available_case_moments(data: PatternData) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per variable: number of observed values, their mean and ML variance (divisor n)."""
    p = data.p
    s1, s2, n = np.zeros(p), np.zeros(p), np.zeros(p)
    for pat in data.patterns:
        s1[pat.obs] += pat.y.sum(axis=0)
        s2[pat.obs] += (pat.y ** 2).sum(axis=0)
        n[pat.obs] += pat.n
    safe = np.maximum(n, 1)
    mean = s1 / safe
    return n, mean, s2 / safe - mean ** 2


def _inv_logdet(sig: np.ndarray) -> tuple[np.ndarray, float] | None:
    try:
        chol = np.linalg.cholesky(sig)
    except np.linalg.LinAlgError:
        return None
    inv_l = np.linalg.inv(chol)
    return inv_l.T @ inv_l, 2.0 * np.log(np.diag(chol)).sum()


def loglik(sigma: np.ndarray, mu: np.ndarray, data: PatternData) -> float:
    """FIML log-likelihood; ``-inf`` when a pattern's implied covariance is not positive
    definite."""
    total = 0.0
    for pat in data.patterns:
        o = pat.obs
        res = _inv_logdet(sigma[pat.ix_oo])
        if res is None:
            return -np.inf
        w, logdet = res
        d = pat.ybar - mu[o]
        total += -0.5 * pat.n * (len(o) * LOG2PI + logdet + np.sum(w * pat.scov) + d @ w @ d)
    return float(total)


def loglik_and_gradient(sigma: np.ndarray, mu: np.ndarray, data: PatternData
                        ) -> tuple[float, np.ndarray | None]:
    """FIML log-likelihood and its gradient with respect to the moments [mu, vech Sigma]."""
    p = data.p
    grad = np.zeros(p + p * (p + 1) // 2)
    total = 0.0
    for pat in data.patterns:
        o = pat.obs
        res = _inv_logdet(sigma[pat.ix_oo])
        if res is None:
            return -np.inf, None
        w, logdet = res
        d = pat.ybar - mu[o]
        wd = w @ d
        m = pat.scov + np.outer(d, d)
        total += -0.5 * pat.n * (len(o) * LOG2PI + logdet + np.sum(w * m))
        g = -0.5 * pat.n * (w - w @ m @ w)
        gv = g[pat.vr, pat.vc] * pat.vmult
        grad[pat.mom_mu] += pat.n * wd
        grad[pat.mom_vech] += gv
    return float(total), grad


def _vech_information(w: np.ndarray, vr: np.ndarray, vc: np.ndarray) -> np.ndarray:
    """Unit Fisher information of vech(Sigma): 1/2 D'(W x W)D in vech coordinates."""
    half = np.where(vr == vc, 0.5, 1.0)
    info = w[vr][:, vr] * w[vc][:, vc] + w[vr][:, vc] * w[vc][:, vr]
    return info * np.outer(half, half)


def expected_information(sigma: np.ndarray, mu: np.ndarray, data: PatternData) -> np.ndarray:
    """Expected information of the moments summed over patterns (total, not per case)."""
    p = data.p
    nm = p + p * (p + 1) // 2
    info = np.zeros((nm, nm))
    for pat in data.patterns:
        w = np.linalg.inv(sigma[pat.ix_oo])
        info[pat.ix_mu] += pat.n * w
        info[pat.ix_vech] += pat.n * _vech_information(w, pat.vr, pat.vc)
    return info


def casewise_scores(sigma: np.ndarray, mu: np.ndarray, data: PatternData) -> np.ndarray:
    """Per-case gradients of the log-likelihood w.r.t. the moments, shape (n_obs, n_moments)."""
    p = data.p
    out = np.zeros((data.n_obs, p + p * (p + 1) // 2))
    for pat in data.patterns:
        o = pat.obs
        w = np.linalg.inv(sigma[pat.ix_oo])
        z = (pat.y - mu[o]) @ w
        mult = pat.vmult
        gs = (-0.5 * w[pat.vr, pat.vc] + 0.5 * z[:, pat.vr] * z[:, pat.vc]) * mult
        out[np.ix_(pat.rows, pat.mom_mu)] = z
        out[np.ix_(pat.rows, pat.mom_vech)] = gs
    return out
