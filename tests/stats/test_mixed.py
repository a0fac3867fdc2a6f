"""Tests for pipeline.stats.mixed against lme4 (tests/fixtures/change/make_reference.R).

Agreement required: variance components within 1e-4 (relative), REML log-likelihood within
1e-4, fixed-effect SEs (``vcov()``) within 1e-4 (relative).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import pipeline.stats.mixed as mx
from pipeline.stats.emmeans import trajectory_design
from pipeline.status import Status

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "change"
WAVES = ["T0", "T1", "T2"]
MODELS = {
    "wave_age": ({"age": "numeric"}, "wave"),
    "wave_age_gender": ({"age": "numeric", "gender": "categorical"}, "wave"),
    "months_age": ({"age": "numeric"}, "months"),
}


def model_data(model: str, path: str = "sim_long.csv") -> tuple[pd.DataFrame, object]:
    """The model frame of an lme4 reference model and its design (complete rows, as lme4)."""
    d = pd.read_csv(FIX / path, dtype={"pid": str, "wave": str})
    if "gender" in d:
        d["gender"] = pd.Categorical(d["gender"], ["Woman", "Man", "Non-binary / other"])
    cov, time = MODELS[model]
    d = d.dropna(subset=["score", *cov]).reset_index(drop=True)
    return d, trajectory_design(d, WAVES, cov, time)


@pytest.fixture(scope="module")
def fits() -> dict[str, tuple]:
    out = {}
    for m in MODELS:
        d, design = model_data(m)
        out[m] = (d, design, mx.fit_random_intercept(d["score"].to_numpy(float), design.X,
                                                     d["pid"].to_numpy()))
    return out


@pytest.mark.parametrize("model", list(MODELS))
@pytest.mark.slow
def test_variance_components_and_loglik_match_lme4(fits, model):
    ref = pd.read_csv(FIX / "ref_varcomp.csv").set_index("model").loc[model]
    d, _, fit = fits[model]
    assert fit.status == Status.OK and fit.ok and fit.optimizer == "lbfgs"
    assert np.sqrt(fit.tau2) == pytest.approx(ref["sd_pid"], rel=1e-4)
    assert np.sqrt(fit.sigma2) == pytest.approx(ref["sd_resid"], rel=1e-4)
    assert fit.loglik == pytest.approx(ref["reml_loglik"], abs=1e-4)
    assert len(d) == ref["n_obs"] and d["pid"].nunique() == ref["n_pid"]


@pytest.mark.parametrize("model", list(MODELS))
@pytest.mark.slow
def test_fixed_effects_and_ses_match_lme4(fits, model):
    ref = pd.read_csv(FIX / "ref_fixef.csv").query("model == @model")
    _, _, fit = fits[model]
    np.testing.assert_allclose(fit.beta, ref["est"], atol=1e-4, rtol=0)
    np.testing.assert_allclose(np.sqrt(np.diag(fit.vcov)), ref["se"], rtol=1e-4)


@pytest.mark.slow
def test_fixed_effects_vcov_matches_lme4(fits):
    ref = pd.read_csv(FIX / "ref_fixef.csv").query("model == 'wave_age'")
    d, _, fit = fits["wave_age"]
    X = np.column_stack([np.ones(len(d)), d["wave"].eq("T1"), d["wave"].eq("T2"), d["age"]])
    V = mx.fixed_effects_vcov(X.astype(float), d["pid"].to_numpy(), fit.sigma2, fit.tau2)
    np.testing.assert_allclose(np.sqrt(np.diag(V)), ref["se"], rtol=1e-4)


def test_fixed_effects_vcov_equals_dense_gls():
    rng = np.random.default_rng(0)
    groups = np.repeat(np.arange(6), [1, 2, 3, 2, 3, 1])
    X = np.column_stack([np.ones(len(groups)), rng.normal(size=len(groups))])
    sigma2, tau2 = 1.5, 0.7
    Vy = sigma2 * np.eye(len(groups)) + tau2 * (groups[:, None] == groups[None, :])
    dense = np.linalg.inv(X.T @ np.linalg.solve(Vy, X))
    np.testing.assert_allclose(mx.fixed_effects_vcov(X, groups, sigma2, tau2), dense, rtol=1e-12)


@pytest.mark.slow
def test_singular_fit_is_noted_like_lme4():
    d = pd.read_csv(FIX / "sim_singular.csv", dtype={"pid": str})
    d = d.dropna(subset=["score"])
    design = trajectory_design(d, WAVES, {}, "wave")
    fit = mx.fit_random_intercept(d["score"].to_numpy(float), design.X, d["pid"].to_numpy())
    assert fit.ok and np.sqrt(fit.tau2) < 1e-2
    assert any("singular fit" in n for n in fit.notes)


def _panel(n=60, seed=1):
    rng = np.random.default_rng(seed)
    g = np.repeat(np.arange(n), 2)
    X = np.column_stack([np.ones(2 * n), np.tile([0.0, 1.0], n)])
    y = 3 + 0.5 * X[:, 1] + rng.normal(0, 1, n)[g] + rng.normal(0, 0.7, 2 * n)
    return y, X, g


def test_optimizer_fallback(monkeypatch):
    real = mx._fit_once
    calls = []

    def flaky(y, X, groups, reml, method):
        calls.append(method)
        if method == "lbfgs":
            raise np.linalg.LinAlgError("Singular matrix")
        return real(y, X, groups, reml, method)

    monkeypatch.setattr(mx, "_fit_once", flaky)
    fit = mx.fit_random_intercept(*_panel())
    assert calls[:2] == ["lbfgs", "bfgs"] and fit.optimizer == "bfgs" and fit.ok
    assert any("optimiser lbfgs failed" in n for n in fit.notes)
    assert any("fallback optimiser bfgs" in n for n in fit.notes)


def test_all_optimizers_fail_gives_failed_without_estimates(monkeypatch):
    class NotConverged:
        converged = False
        fe_params = np.array([1.0, 2.0])
        scale, cov_re, llf = 1.0, np.array([[1.0]]), -1.0

    monkeypatch.setattr(mx, "_fit_once", lambda *a: NotConverged())
    fit = mx.fit_random_intercept(*_panel())
    assert fit.status == Status.FAILED and not fit.ok and fit.beta is None
    assert [n.split()[1] for n in fit.notes] == ["lbfgs", "bfgs", "powell"]
    assert all("did not converge" in n for n in fit.notes)


def test_ml_and_reml_differ_as_expected():
    y, X, g = _panel()
    reml, ml = mx.fit_random_intercept(y, X, g), mx.fit_random_intercept(y, X, g, reml=False)
    np.testing.assert_allclose(reml.beta, ml.beta, atol=1e-3)  # balanced: same fixed effects
    assert ml.sigma2 + ml.tau2 < reml.sigma2 + reml.tau2  # ML variances are biased downward


# --- the profiled, vectorised fit (issue 14) ---

def _dense_deviance(y, X, g, lam, reml):
    """-2 log-likelihood of the random-intercept model at lam = tau^2 / sigma^2, profiled over
    beta and sigma^2, from the dense n x n covariance (the textbook formula, for small n)."""
    n, p = X.shape
    V = np.eye(n) + lam * (g[:, None] == g[None, :])
    Vi = np.linalg.inv(V)
    A = X.T @ Vi @ X
    beta = np.linalg.solve(A, X.T @ Vi @ y)
    e = y - X @ beta
    df = n - p if reml else n
    dev = df * (1 + np.log(2 * np.pi * (e @ Vi @ e) / df)) + np.linalg.slogdet(V)[1]
    return dev + (np.linalg.slogdet(A)[1] if reml else 0.0)


def _unbalanced(seed=4, n=25):
    rng = np.random.default_rng(seed)
    sizes = rng.integers(1, 5, n)
    g = np.repeat(np.arange(n), sizes)
    X = np.column_stack([np.ones(g.size), rng.normal(size=g.size), rng.integers(0, 2, g.size)])
    y = X @ [50.0, 2.0, -1.0] + rng.normal(0, 3, n)[g] + rng.normal(0, 2, g.size)
    return y, X, g


@pytest.mark.parametrize("reml", [True, False])
def test_profiled_deviance_and_gradient_match_the_dense_formula(reml):
    y, X, g = _unbalanced()
    prof = mx._Profile(y, X, g, reml)
    for lam in [0.0, 0.3, 1.0, 4.0, 25.0]:
        dev, grad = prof.deviance(lam, grad=True)
        assert dev == pytest.approx(_dense_deviance(y, X, g, lam, reml), abs=1e-8)
        h = 1e-6 * max(lam, 1e-3)
        numeric = (prof.deviance(lam + h) - prof.deviance(max(lam - h, 0.0))) / (
            lam + h - max(lam - h, 0.0))
        assert grad == pytest.approx(numeric, rel=1e-5, abs=1e-6)


@pytest.mark.parametrize("reml", [True, False])
def test_fit_is_the_minimum_of_the_dense_likelihood(reml):
    from scipy.optimize import minimize_scalar

    y, X, g = _unbalanced()
    fit = mx.fit_random_intercept(y, X, g, reml=reml)
    best = minimize_scalar(lambda t: _dense_deviance(y, X, g, t * t, reml), bounds=(0, 20),
                           method="bounded", options={"xatol": 1e-10})
    assert np.sqrt(fit.tau2 / fit.sigma2) == pytest.approx(best.x, rel=1e-5)
    assert -2 * fit.loglik == pytest.approx(best.fun, abs=1e-8)


@pytest.mark.parametrize("opt", ["lbfgs", "bfgs", "powell", "cg", "ncg", "newton", "nm",
                                 "basinhopping"])
def test_every_configurable_optimiser_reaches_the_lme4_fit(opt):
    ref = pd.read_csv(FIX / "ref_varcomp.csv").set_index("model").loc["wave_age"]
    fixef = pd.read_csv(FIX / "ref_fixef.csv").query("model == 'wave_age'")
    d, design = model_data("wave_age")
    fit = mx.fit_random_intercept(d["score"].to_numpy(float), design.X, d["pid"].to_numpy(),
                                  optimizers=(opt,))
    assert fit.ok and fit.optimizer == opt and not fit.notes
    assert np.sqrt(fit.tau2) == pytest.approx(ref["sd_pid"], rel=1e-6)
    assert fit.loglik == pytest.approx(ref["reml_loglik"], abs=1e-6)
    np.testing.assert_allclose(np.sqrt(np.diag(fit.vcov)), fixef["se"], rtol=1e-6)


def test_boundary_fit_is_exactly_zero_and_equals_ols():
    """No between-person variance: theta = 0 as lme4 reports it; beta and SEs are OLS's."""
    rng = np.random.default_rng(2)
    g = np.repeat(np.arange(40), 3)
    X = np.column_stack([np.ones(120), np.tile([0.0, 1.0, 2.0], 40)])
    e = rng.normal(size=120)
    y = 1 + 0.5 * X[:, 1] + e - np.bincount(g, e)[g] / 3  # centred within person: tau^2 < 0
    fit = mx.fit_random_intercept(y, X, g)
    assert fit.ok and fit.tau2 == 0.0 and any("singular fit" in n for n in fit.notes)
    b, *_ = np.linalg.lstsq(X, y, rcond=None)
    s2 = np.sum((y - X @ b) ** 2) / (120 - 2)
    np.testing.assert_allclose(fit.beta, b, rtol=1e-12)
    np.testing.assert_allclose(fit.vcov, s2 * np.linalg.inv(X.T @ X), rtol=1e-10)


def test_fit_is_reproducible_to_the_bit():
    y, X, g = _unbalanced(seed=9, n=200)
    a, b = mx.fit_random_intercept(y, X, g), mx.fit_random_intercept(y, X, g.astype(str))
    np.testing.assert_array_equal(a.beta, b.beta)
    np.testing.assert_array_equal(a.vcov, b.vcov)
    assert (a.sigma2, a.tau2, a.loglik) == (b.sigma2, b.tau2, b.loglik)


def test_unknown_optimiser_is_a_failed_attempt_not_a_crash():
    fit = mx.fit_random_intercept(*_panel(), optimizers=("simplex", "lbfgs"))
    assert fit.ok and fit.optimizer == "lbfgs"
    assert any("optimiser simplex failed" in n and "unknown optimiser" in n for n in fit.notes)
