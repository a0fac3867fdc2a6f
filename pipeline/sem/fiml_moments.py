"""FIML derivatives with respect to the moments, every missing-data pattern at once.

The per-pattern formulas are those of :mod:`pipeline.sem.fiml` (value, gradient, expected
information) and :mod:`pipeline.sem.em_saturated` (exact Hessian). Looping over patterns costs a
few small numpy calls per pattern and per step, which dominates with many patterns (a 5-wave
panel with auxiliaries has 100-200). Here every pattern is padded to the full ``p`` variables
(``Sigma_oo`` with an identity block for the missing ones, ``W = Sigma_oo^-1`` and ``d``
zero there), so the sums over patterns become matrix products over the pattern axis:
``T[ac, bd] = sum_g n_g Q_g[a, c] W_g[b, d]`` (a ``p^2 x p^2`` product), whatever the number
of patterns. The padding is built once per data set (:func:`stack_patterns`, cached on the
:class:`~pipeline.sem.fiml.PatternData`).

* :func:`moment_derivatives`: log-likelihood, gradient and minus the Hessian (or the expected
  information) of ``(mu, vech Sigma)``, the moment order of ``RAMModel.jacobian``;
* :func:`first_order_moments`: ``sum_i s_i s_i'`` of the casewise moment scores, accumulated
  pattern by pattern in row chunks (no ``n x n_moments`` matrix is held), optionally projected
  on the parameters first (cheaper when there are far fewer parameters than moments).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pipeline.sem.fiml import LOG2PI, PatternData

__all__ = ["StackedPatterns", "stack_patterns", "moment_derivatives", "first_order_moments"]

#: rows per chunk of :func:`first_order_moments` (memory: chunk x moments floats)
SCORE_CHUNK = 8192


@dataclass(frozen=True)
class StackedPatterns:
    """All patterns stacked in the full ``p``-variable space (missing rows/columns padded)."""

    obs: np.ndarray       # (G, p) observed mask
    block: np.ndarray     # (G, p, p) True where both variables are observed
    pad: np.ndarray       # (G, p, p) identity on the missing diagonal, else 0
    n: np.ndarray         # (G,) cases
    k_log2pi: float       # sum_g n_g k_g log(2 pi)
    ybar: np.ndarray      # (G, p) pattern means, 0 where missing
    scov: np.ndarray      # (G, p, p) pattern ML covariances, 0 where missing
    vech: tuple           # (vr, vc): vech rows / columns of Sigma (rows >= columns)
    half: np.ndarray      # 1/2 on the vech diagonal, 1 off it
    pairs: tuple          # flat p x p positions ac, bd, ad, bc of the vech x vech pairs


def stack_patterns(data: PatternData) -> StackedPatterns:
    """The padded pattern statistics of ``data`` (built once, then cached on ``data``)."""
    cached = getattr(data, "_stacked", None)
    if cached is not None and cached[0] is data.patterns:
        return cached[1]
    p, big = data.p, len(data.patterns)
    obs = np.zeros((big, p), bool)
    ybar, scov = np.zeros((big, p)), np.zeros((big, p, p))
    for g, pat in enumerate(data.patterns):
        obs[g, pat.obs] = True
        ybar[g, pat.obs] = pat.ybar
        scov[g][pat.ix_oo] = pat.scov
    n = np.array([pat.n for pat in data.patterns], float)
    block = obs[:, :, None] & obs[:, None, :]
    pad = np.where(~obs[:, :, None], np.eye(p), 0.0)
    cols, rows = np.triu_indices(p)
    vr, vc = rows, cols
    pairs = (vr[:, None] * p + vr[None, :], vc[:, None] * p + vc[None, :],
             vr[:, None] * p + vc[None, :], vc[:, None] * p + vr[None, :])
    st = StackedPatterns(obs, block, pad, n, float(n @ obs.sum(axis=1)) * LOG2PI, ybar, scov,
                         (vr, vc), np.where(vr == vc, 0.5, 1.0), pairs)
    data._stacked = (data.patterns, st)
    return st


def moment_derivatives(sigma: np.ndarray, mu: np.ndarray, st: StackedPatterns,
                       hessian: str | None = "observed"):
    """Log-likelihood, gradient with respect to ``(mu, vech Sigma)``, a curvature matrix and
    the smallest relative conditional variance of any pattern's ``Sigma_oo``.

    ``hessian``: "observed" gives minus the exact Hessian (formulas in
    :mod:`pipeline.sem.em_saturated`), "expected" the expected (Fisher) information
    (``n_g W`` for the means, ``n_g/2 D'(W x W)D`` for vech Sigma), None no matrix.
    ``(-inf, None, None, 0.0)`` when some ``Sigma_oo`` is not positive definite.
    """
    p, n = len(mu), st.n
    s_pad = np.where(st.block, sigma, st.pad)
    try:
        chol = np.linalg.cholesky(s_pad)
    except np.linalg.LinAlgError:
        return -np.inf, None, None, 0.0
    ldiag = np.diagonal(chol, axis1=1, axis2=2)
    cond = float(np.min(ldiag ** 2 / np.diagonal(s_pad, axis1=1, axis2=2)))
    inv_l = np.linalg.inv(chol)
    w = np.where(st.block, np.swapaxes(inv_l, 1, 2) @ inv_l, 0.0)
    d = np.where(st.obs, st.ybar - mu, 0.0)
    z = np.einsum("gij,gj->gi", w, d)
    q = w @ (st.scov + d[:, :, None] * d[:, None, :]) @ w
    ll = -0.5 * (st.k_log2pi + float(n @ (2.0 * np.log(ldiag).sum(axis=1)
                                            + np.einsum("gij,gij->g", w, st.scov)
                                            + np.einsum("gi,gi->g", d, z))))
    vr, vc = st.vech
    g_sig = -0.5 * np.einsum("g,gij->ij", n, w - q)
    grad = np.concatenate([n @ z, g_sig[vr, vc] * 2.0 * st.half])
    if hessian is None:
        return float(ll), grad, None, cond
    nw = np.einsum("g,gij->ij", n, w)
    wf = w.reshape(len(n), p * p)
    t_ww = (n[:, None] * wf).T @ wf
    ac, bd, ad, bc = st.pairs
    hh = np.outer(st.half, st.half)
    nm = p + len(vr)
    info = np.zeros((nm, nm))
    info[:p, :p] = nw
    if hessian == "expected":
        info[p:, p:] = (t_ww[ac, bd] + t_ww[ad, bc]) * hh
        return float(ll), grad, info, cond
    t_qw = (n[:, None] * q.reshape(len(n), p * p)).T @ wf
    info[p:, p:] = (t_qw[ac, bd] + t_qw[bd, ac] + t_qw[ad, bc] + t_qw[bc, ad]
                    - t_ww[ac, bd] - t_ww[ad, bc]) * hh
    wz = ((n[:, None] * wf).T @ z).reshape(p, p, p)           # sum_g n_g W_g[i, a] z_g[b]
    info[:p, p:] = (wz[:, vr, vc] + wz[:, vc, vr]) * st.half
    info[p:, :p] = info[:p, p:].T
    return float(ll), grad, info, cond


def first_order_moments(sigma: np.ndarray, mu: np.ndarray, data: PatternData,
                        delta: np.ndarray | None = None) -> np.ndarray:
    """``sum_i s_i s_i'`` of the casewise scores ``s_i`` (:func:`pipeline.sem.fiml.
    casewise_scores`), in moment coordinates, or with ``delta`` (moments x parameters) of the
    parameter scores ``delta' s_i`` (= ``delta' [sum_i s_i s_i'] delta``).

    Pattern by pattern, in chunks of :data:`SCORE_CHUNK` rows: a pattern observing ``q``
    variables has ``m_q = q + q(q+1)/2`` moments; the scores are projected on the ``k``
    parameters first when ``k < m_q / 2`` (then ``n (m_q k + k^2)`` operations instead of
    ``n m_q^2``).
    """
    p = data.p
    nm = p + p * (p + 1) // 2
    k = nm if delta is None else delta.shape[1]
    mom = np.zeros((nm, nm))       # patterns accumulated in moment coordinates
    par = np.zeros((k, k))         # patterns projected on the parameters first
    for pat in data.patterns:
        o = pat.obs
        w = np.linalg.inv(sigma[pat.ix_oo])
        wv = -0.5 * w[pat.vr, pat.vc] * pat.vmult
        pos = np.concatenate([pat.mom_mu, pat.mom_vech])
        project = delta is not None and 2 * k < len(pos)
        dl = delta[pos] if project else None
        acc = np.zeros((k, k)) if project else np.zeros((len(pos), len(pos)))
        for s in range(0, pat.n, SCORE_CHUNK):
            z = (pat.y[s:s + SCORE_CHUNK] - mu[o]) @ w
            sc = np.concatenate([z, wv + 0.5 * pat.vmult * z[:, pat.vr] * z[:, pat.vc]], axis=1)
            if project:
                sc = sc @ dl
            acc += sc.T @ sc
        if project:
            par += acc
        else:
            mom[np.ix_(pos, pos)] += acc
    if delta is None:
        return mom
    return par + delta.T @ mom @ delta
