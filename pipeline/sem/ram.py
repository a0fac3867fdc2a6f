"""RAM model matrices, model-implied moments and their Jacobian.

Reticular Action Model (McArdle & McDonald 1984): with all variables ``v = A v + u``,
``Cov(u) = S``, ``E(u) = m``, ``B = (I - A)^{-1}``:

    Omega = B S B',   mu_all = B m,   Sigma = F Omega F',   mu = F mu_all

where ``F`` selects the observed variables (the first ``p`` of ``ov_names + lv_names``).
Moments are stacked as ``[mu (p), vech(Sigma) (p(p+1)/2, lower triangle row pairs r >= c)]``.
The Jacobian ``Delta = d moments / d theta`` is analytic:

* ``A[i, j]``: dOmega = b_i w_j' + w_j b_i' with b_i = B[:, i], w_j = Omega[j, :];
  dmu = b_i mu_all[j]
* ``S[i, j]``: dOmega = b_i b_j' + b_j b_i' (i != j), b_i b_i' (i == j)
* ``m[i]``: dmu = b_i
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pipeline.sem.partable import ParTable


def vech_indices(p: int) -> tuple[np.ndarray, np.ndarray]:
    """Row and column indices of the lower triangle (incl. diagonal), column-major like R."""
    cols, rows = np.triu_indices(p)
    return rows, cols


@dataclass
class RAMModel:
    """Mapping from the free-parameter vector to RAM matrices."""

    names: list[str]
    p: int                       # number of observed variables
    a0: np.ndarray               # fixed parts
    s0: np.ndarray
    m0: np.ndarray
    kind: np.ndarray             # per free-row: 0 = A, 1 = S, 2 = m
    row_i: np.ndarray
    row_j: np.ndarray
    row_par: np.ndarray          # 0-based free parameter index of each free row
    n_free: int
    vech_r: np.ndarray
    vech_c: np.ndarray

    @property
    def n_moments(self) -> int:
        return self.p + self.p * (self.p + 1) // 2

    def matrices(self, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        a, s, m = self.a0.copy(), self.s0.copy(), self.m0.copy()
        vals = theta[self.row_par]
        ka, ks, km = self.kind == 0, self.kind == 1, self.kind == 2
        a[self.row_i[ka], self.row_j[ka]] = vals[ka]
        s[self.row_i[ks], self.row_j[ks]] = vals[ks]
        s[self.row_j[ks], self.row_i[ks]] = vals[ks]
        m[self.row_i[km]] = vals[km]
        return a, s, m

    def implied_all(self, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(B, Omega, mu_all) for all variables."""
        a, s, m = self.matrices(theta)
        b = np.linalg.inv(np.eye(len(self.names)) - a)
        omega = b @ s @ b.T
        return b, omega, b @ m

    def implied(self, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Model-implied (Sigma, mu) of the observed variables."""
        _, omega, mu_all = self.implied_all(theta)
        p = self.p
        return omega[:p, :p], mu_all[:p]

    def jacobian(self, theta: np.ndarray) -> np.ndarray:
        """Delta = d [mu, vech Sigma] / d theta, shape (n_moments, n_free)."""
        b, omega, mu_all = self.implied_all(theta)
        p, r, c = self.p, self.vech_r, self.vech_c
        bo = b[:p, :]
        ncol = len(self.kind)
        dmu = np.zeros((p, ncol))
        dsig = np.zeros((len(r), ncol))
        i, j = self.row_i, self.row_j
        ka, ks, km = self.kind == 0, self.kind == 1, self.kind == 2
        if ka.any():
            u, w = bo[:, i[ka]], omega[j[ka], :p].T
            dsig[:, ka] = u[r] * w[c] + w[r] * u[c]
            dmu[:, ka] = u * mu_all[j[ka]]
        if ks.any():
            u, w = bo[:, i[ks]], bo[:, j[ks]]
            val = u[r] * w[c] + w[r] * u[c]
            diag = i[ks] == j[ks]
            val[:, diag] *= 0.5
            dsig[:, ks] = val
        if km.any():
            dmu[:, km] = bo[:, i[km]]
        rows = np.vstack([dmu, dsig])
        delta = np.zeros((rows.shape[0], self.n_free))
        np.add.at(delta.T, self.row_par, rows.T)
        return delta


def build_ram(pt: ParTable) -> RAMModel:
    """Translate a parameter table into RAM matrices (fixed values) and free-row positions."""
    names = pt.ov_names + pt.lv_names
    pos = {v: k for k, v in enumerate(names)}
    n = len(names)
    a0, s0, m0 = np.zeros((n, n)), np.zeros((n, n)), np.zeros(n)
    kind, ri, rj, par = [], [], [], []
    for row in pt.table.itertuples(index=False):
        if row.op == "=~":
            k, i, j = 0, pos[row.rhs], pos[row.lhs]
        elif row.op == "~":
            k, i, j = 0, pos[row.lhs], pos[row.rhs]
        elif row.op == "~~":
            k, i, j = 1, pos[row.lhs], pos[row.rhs]
        elif row.op == "~1":
            k, i, j = 2, pos[row.lhs], 0
        else:
            continue
        if row.free > 0:
            kind.append(k), ri.append(i), rj.append(j), par.append(row.free - 1)
        else:
            val = 0.0 if np.isnan(row.ustart) else float(row.ustart)
            if k == 0:
                a0[i, j] = val
            elif k == 1:
                s0[i, j] = s0[j, i] = val
            else:
                m0[i] = val
    p = len(pt.ov_names)
    vr, vc = vech_indices(p)
    return RAMModel(names, p, a0, s0, m0, np.array(kind, dtype=int), np.array(ri, dtype=int),
                    np.array(rj, dtype=int), np.array(par, dtype=int), pt.n_free, vr, vc)
