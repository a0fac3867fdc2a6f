"""The batched, batch-last Cholesky solver of the chain (pipeline/mediation/ols.py:
``pack``, ``packed_index``, ``cholesky_chain``) against the plain LU path ``chain_coefficients``."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.mediation.effects import effect_values
from pipeline.mediation.ols import (
    Layout,
    chain_coefficients,
    cholesky_chain,
    gram,
    pack,
    packed_index,
    standardise,
)


def test_packed_layout_is_the_upper_triangle_row_by_row():
    q = 5
    G = np.arange(q * q, dtype=float).reshape(q, q)
    G = G + G.T
    Gp = pack(np.stack([G, 2 * G]))
    assert Gp.shape == (q * (q + 1) // 2, 2) and Gp.flags.c_contiguous
    start = packed_index(q)
    for j in range(q):   # column j of G from row j down is a contiguous run of the packed array
        np.testing.assert_array_equal(Gp[start[j]:start[j] + q - j, 0], G[j:, j])
        np.testing.assert_array_equal(Gp[start[j]:start[j] + q - j, 1], 2 * G[j:, j])


@settings(max_examples=40, deadline=None)
@given(n_cov=st.integers(0, 3), k=st.integers(1, 4), n=st.integers(30, 80),
       seed=st.integers(0, 10_000))
def test_cholesky_chain_equals_lu_chain(n_cov, k, n, seed):
    rng = np.random.default_rng(seed)
    layout = Layout(n_cov=n_cov, k=k)
    X = rng.normal(size=(n, layout.q - 1)) * rng.uniform(0.5, 20, layout.q - 1)
    X += rng.normal(size=(n, 1))                       # correlated columns
    Z = np.column_stack([np.ones(n), X])
    Zs, scaling = standardise(Z)
    W = rng.multinomial(n, np.full(n, 1 / n), size=6).astype(float)   # bootstrap weights
    G = np.stack([Zs.T @ (w[:, None] * Zs) for w in W] + [gram(Zs)])
    coefs, bad = cholesky_chain(pack(G), layout, scaling)
    assert not bad.any()
    want = effect_values(chain_coefficients(G, layout, scaling), layout)
    np.testing.assert_allclose(effect_values(coefs, layout), want, rtol=1e-9, atol=1e-12)


def test_cholesky_chain_flags_singular_and_keeps_the_rest_finite():
    rng = np.random.default_rng(1)
    layout = Layout(n_cov=1, k=2)
    n = 50
    Z = np.column_stack([np.ones(n), rng.normal(size=(n, layout.q - 1))])
    Zs, scaling = standardise(Z)
    ok = gram(Zs)
    const_cov = ok.copy()                                # covariate constant (zero column)
    const_cov[2, :] = const_cov[:, 2] = 0.0
    twin = Zs.copy()                                     # mediator 2 = covariate
    twin[:, 4] = twin[:, 2]
    perfect_y = Zs.copy()                                # Y exactly explained: still estimable
    perfect_y[:, -1] = Zs[:, 1] + Zs[:, 3]
    G = np.stack([ok, const_cov, gram(twin), gram(perfect_y)])
    coefs, bad = cholesky_chain(pack(G), layout, scaling)
    assert bad.tolist() == [False, True, True, False]
    eff = effect_values(coefs, layout)
    assert np.isfinite(eff).all()                        # placeholders, no NaN/inf warnings
    np.testing.assert_allclose(eff[[0, 3]],
                               effect_values(chain_coefficients(G[[0, 3]], layout, scaling),
                                             layout), rtol=1e-8, atol=1e-10)
