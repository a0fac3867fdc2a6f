from __future__ import annotations

import numpy as np
import pytest
from conftest import LAVAAN_DIR, load_reference

from pipeline.sem.em_saturated import fit_saturated
from pipeline.sem.fiml import loglik_and_gradient, split_patterns


def test_complete_data_gives_sample_moments():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(80, 3))
    sat = fit_saturated(split_patterns(x))
    np.testing.assert_allclose(sat.mu, x.mean(axis=0), atol=1e-10)
    np.testing.assert_allclose(sat.sigma, np.cov(x.T, bias=True), atol=1e-10)


def test_incomplete_data_is_a_stationary_point_and_matches_lavaan_h1():
    import pandas as pd
    d = pd.read_csv(LAVAAN_DIR / "panel_attrition.csv")
    cols = ["belonging_T1", "loneliness_T1", "belonging_T2", "loneliness_T2", "belonging_T0",
            "loneliness_T0"]
    pdat = split_patterns(d[cols].to_numpy())
    sat = fit_saturated(pdat)
    assert sat.converged
    _, grad = loglik_and_gradient(sat.sigma, sat.mu, pdat)
    assert np.abs(grad).max() / pdat.n_obs < 1e-6
    ref = load_reference("clpm_2x3_fiml")["fit"]["unrestricted.logl"]
    assert sat.loglik == pytest.approx(ref, abs=1e-4)
