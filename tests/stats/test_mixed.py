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
