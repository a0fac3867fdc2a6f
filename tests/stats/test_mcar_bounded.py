"""Little's MCAR test is bounded (issue 14): on 5 waves with many missing-data patterns, where
the old plain EM (tolerance 1e-11) ran 100,000 iterations (344 s) and then gave up, the
engine's saturated-model solver converges in a handful of Newton steps; a documented cap
(``MAX_ITER``) stops it otherwise, with a ``not_estimable`` reason.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

import pipeline.stats.mcar as mcar
from pipeline.sem.em_saturated import MAX_ITER, em_step
from pipeline.sem.fiml import loglik_and_gradient, split_patterns
from pipeline.stats.mcar import little_mcar


def five_waves(seed: int = 11, n: int = 630, thin: str = "bel_T0") -> pd.DataFrame:
    """Age and two scores at 5 waves (an RI-CLPM-like panel), MAR dropout driven by the
    previous wave, 8% intermittent gaps (~85 missing-data patterns), and one pair (bel_T0,
    qol_T4) answered together by only 3 people: ``thin`` loses its values on the other rows
    of the pair. With ``thin="bel_T0"`` (both variables otherwise well observed) the plain
    EM crawled: it had not converged after 2,250 iterations (120 s on a loaded machine)."""
    rng = np.random.default_rng(seed)
    ri = rng.multivariate_normal([0, 0], [[1.0, .4], [.4, 1.0]], n)
    wx, wy = rng.normal(size=n), rng.normal(size=n)
    cols = {"age": rng.normal(45, 12, n)}
    for t in range(5):
        if t:
            wx, wy = (.4 * wx + .15 * wy + rng.normal(scale=.8, size=n),
                      .3 * wy + .1 * wx + rng.normal(scale=.8, size=n))
        cols[f"bel_T{t}"], cols[f"qol_T{t}"] = 3 + ri[:, 0] + wx, 2 + ri[:, 1] + wy
    df = pd.DataFrame(cols)
    stay = np.ones(n, bool)
    for t in range(1, 5):
        prev = df[f"bel_T{t - 1}"].to_numpy()
        stay &= rng.random(n) > 1 / (1 + np.exp(-(-2.2 + 0.8 * (prev - 3))))
        df.loc[~stay, [f"bel_T{t}", f"qol_T{t}"]] = np.nan
    for c in df.columns[1:]:
        df.loc[rng.random(n) < .08, c] = np.nan
    df.loc[rng.random(n) < .05, "age"] = np.nan
    both = np.flatnonzero((df["qol_T4"].notna() & df["bel_T0"].notna()).to_numpy())
    df.loc[df.index[both[3:]], thin] = np.nan
    return df


def test_five_waves_many_patterns_converges_in_seconds():
    df = five_waves()
    t0 = time.perf_counter()
    res = little_mcar(df)
    elapsed = time.perf_counter() - t0
    assert res["status"] == "ok", res["message"]
    assert res["n"] == 630 and res["n_patterns"] >= 60
    assert res["em_iterations"] <= 25
    assert elapsed < 20  # ~1 s on the loaded 2-core box; the plain EM ran for minutes
    assert np.isfinite(res["chi2"]) and res["df"] > 0


def test_five_waves_moments_are_the_em_fixed_point():
    """Same numbers as EM run to the end: one more EM step moves nothing, and the FIML
    gradient vanishes."""
    data = split_patterns(five_waves().to_numpy(float))
    mu, sigma, iters, ok, _ = mcar._em_moments(data)
    assert ok and iters <= 25
    new_mu, new_sigma = em_step(mu, sigma, data)
    np.testing.assert_allclose(new_mu, mu, atol=1e-9)
    np.testing.assert_allclose(new_sigma, sigma, atol=1e-9)
    _, grad = loglik_and_gradient(sigma, mu, data)
    assert np.abs(grad).max() < 1e-7


def test_the_cap_gives_not_estimable_with_a_reason(monkeypatch):
    real = mcar._em_moments
    monkeypatch.setattr(mcar, "_em_moments", lambda data: real(data, max_iter=2))
    res = little_mcar(five_waves(), variables_key="attrition.mcar_variables")
    assert res["status"] == "not_estimable" and np.isnan(res["chi2"])
    assert res["em_iterations"] == 2
    assert f"did not converge in 2 Newton steps (the cap is {MAX_ITER})" in res["message"]
    assert "from attrition.mcar_variables" in res["message"]


def test_a_variable_answered_by_few_is_not_estimable_quickly():
    """qol_T4 kept by 19 people, 3 of them with bel_T0: the likelihood has no maximum (the
    covariance matrix runs to singular); the test says so in a bounded number of steps."""
    df = five_waves(thin="qol_T4")
    assert df["qol_T4"].notna().sum() == 19
    t0 = time.perf_counter()
    res = little_mcar(df)
    assert time.perf_counter() - t0 < 20
    assert res["status"] == "not_estimable" and res["em_iterations"] <= MAX_ITER
    assert "singular" in res["message"] and "qol_T4" in res["message"]
