"""pipeline.demo.latent: implied moments of the RI-CLPM and recovery of the planted paths."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pipeline.demo.latent import (
    contemporaneous_paths,
    fill_disturbances,
    latent_moments,
    latent_scores,
)
from pipeline.demo.params import TRUE_PARAMS, DemoParams


def _ols(y: pd.Series, X: pd.DataFrame) -> pd.Series:
    A = np.column_stack([np.ones(len(X)), X.to_numpy(float)])
    beta = np.linalg.lstsq(A, y.to_numpy(float), rcond=None)[0]
    return pd.Series(beta[1:], index=X.columns)


def test_every_construct_has_unit_variance_split_by_ri_share():
    m = latent_moments()
    np.testing.assert_allclose(np.diag(m["between_cov"]), TRUE_PARAMS.ri_share, atol=1e-9)
    for cov in m["within_cov"]:
        np.testing.assert_allclose(np.diag(cov), 1 - TRUE_PARAMS.ri_share, atol=1e-9)


def test_means_propagate_the_gm_shift_through_the_chain():
    m = latent_moments()
    p = TRUE_PARAMS
    np.testing.assert_allclose(m["means"][0], 0.0)
    gm = p.gm_shift[1]
    cb = p.a1 * gm
    ss = p.d21 * cb + p.a2 * gm
    np.testing.assert_allclose(m["means"][1][:3], [gm, cb, ss])
    assert m["means"][1][3] == pytest.approx(p.d32 * ss + p.d31 * cb)


def test_paths_without_disturbance_variance_are_refused():
    b = contemporaneous_paths(DemoParams(a1=1.2))
    with pytest.raises(ValueError, match="no disturbance variance"):
        fill_disturbances(b, np.zeros((5, 5)), 0.5)


def test_latent_truth_recovers_contemporaneous_paths(study):
    lat = study.latent
    t0 = lat[(lat["wave"] == "T0") & lat["in_panel"]]
    b = _ols(t0["eta_ss"], t0[["eta_cb", "eta_gm"]])
    assert b["eta_cb"] == pytest.approx(TRUE_PARAMS.d21, abs=0.1)
    assert b["eta_gm"] == pytest.approx(TRUE_PARAMS.a2, abs=0.1)


def test_large_sample_variances_match_the_moments():
    eta, ri = latent_scores(np.random.default_rng(1), 40_000)
    assert eta.shape == (40_000, 3, 5) and ri.shape == (40_000, 5)
    np.testing.assert_allclose(eta.var(axis=0), 1.0, atol=0.05)
    np.testing.assert_allclose(ri.var(axis=0), TRUE_PARAMS.ri_share, atol=0.03)
