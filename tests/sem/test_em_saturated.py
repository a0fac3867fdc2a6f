from __future__ import annotations

import numpy as np
import pytest
from conftest import LAVAAN_DIR, case_inputs, load_cases, load_reference

from pipeline.sem.em_saturated import MAX_ITER, NEAR_SINGULAR, em_step, fit_saturated
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


# ------------------------------------------------ the Newton solver (issue 14: a cheap h1 model)

FIML_CASES = [name for name, cs in load_cases().items() if cs["missing"] == "ml"]


def _mar_panel(seed: int, n: int = 400, p: int = 5, drop: float = 0.25) -> np.ndarray:
    """Correlated scores with monotone dropout driven by the previous column (MAR) and some
    intermittent gaps: many missing-data patterns."""
    rng = np.random.default_rng(seed)
    cov = 0.5 * np.ones((p, p)) + 0.5 * np.eye(p)
    x = rng.multivariate_normal(np.arange(p, dtype=float), cov, size=n)
    gone = np.zeros(n, bool)
    for j in range(1, p):
        gone |= rng.random(n) < drop * (1 + np.tanh(x[:, j - 1] - (j - 1)))
        x[gone, j] = np.nan
    x[rng.random((n, p)) < 0.05] = np.nan
    x[np.isnan(x).all(axis=1), 0] = 0.0
    return x


def _numeric_hessian(sigma, mu, pdat, h=1e-6):
    """Central differences of the engine's analytic FIML gradient (pipeline.sem.fiml)."""
    p = pdat.p
    cols, rows = np.triu_indices(p)
    theta = np.concatenate([mu, sigma[rows, cols]])

    def grad(th):
        sig = np.zeros((p, p))
        sig[rows, cols] = th[p:]
        sig[cols, rows] = th[p:]
        return loglik_and_gradient(sig, th[:p], pdat)[1]

    out = np.empty((len(theta), len(theta)))
    for k in range(len(theta)):
        e = np.zeros(len(theta))
        e[k] = h
        out[:, k] = (grad(theta + e) - grad(theta - e)) / (2 * h)
    return out


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_analytic_hessian_matches_numerical_derivative_of_the_gradient(seed):
    from pipeline.sem.em_saturated import pairwise_start
    from pipeline.sem.fiml_moments import moment_derivatives, stack_patterns

    pdat = split_patterns(_mar_panel(seed, n=150, p=4))
    mu, sigma, _ = pairwise_start(pdat)
    ll, grad, neg_h, _ = moment_derivatives(sigma, mu, stack_patterns(pdat))
    ll_ref, grad_ref = loglik_and_gradient(sigma, mu, pdat)
    assert ll == pytest.approx(ll_ref, rel=1e-12)
    np.testing.assert_allclose(grad, grad_ref, rtol=1e-10, atol=1e-10)
    num = _numeric_hessian(sigma, mu, pdat)
    np.testing.assert_allclose(-neg_h, num, rtol=1e-5, atol=1e-5 * np.abs(num).max())


def test_expected_information_matches_the_fiml_module():
    from pipeline.sem.em_saturated import pairwise_start
    from pipeline.sem.fiml import expected_information
    from pipeline.sem.fiml_moments import moment_derivatives, stack_patterns

    pdat = split_patterns(_mar_panel(3, n=200, p=4))
    mu, sigma, _ = pairwise_start(pdat)
    info = moment_derivatives(sigma, mu, stack_patterns(pdat), "expected")[2]
    np.testing.assert_allclose(info, expected_information(sigma, mu, pdat), rtol=1e-10,
                               atol=1e-10)


@pytest.mark.parametrize("seed", [0, 4, 5])
def test_newton_solution_is_the_em_fixed_point(seed):
    """Numbers unchanged: the Newton optimum is where EM stops (one more EM step moves
    nothing), a stationary point of the FIML likelihood, reached in a handful of steps."""
    pdat = split_patterns(_mar_panel(seed))
    sat = fit_saturated(pdat)
    assert sat.converged and not sat.singular and sat.iterations <= 12
    mu, sigma = em_step(sat.mu, sat.sigma, pdat)
    np.testing.assert_allclose(mu, sat.mu, atol=1e-10)
    np.testing.assert_allclose(sigma, sat.sigma, atol=1e-10)
    _, grad = loglik_and_gradient(sat.sigma, sat.mu, pdat)
    assert np.abs(grad).max() < 1e-8


@pytest.mark.parametrize("name", FIML_CASES)
def test_h1_loglik_of_every_fiml_reference_case_matches_lavaan(name):
    from pipeline.sem.estimate import prepare_data

    _, data, _ = case_inputs(name)
    ref = load_reference(name)["fit"]
    pdat = prepare_data(data, _ov_names(name), "ml", name)
    sat = fit_saturated(pdat)
    assert sat.converged and sat.iterations <= 12
    assert sat.loglik == pytest.approx(ref["unrestricted.logl"], abs=1e-4)


def _ov_names(name: str) -> list[str]:
    from pipeline.sem.partable import build_partable
    from pipeline.sem.syntax import parse_model

    syntax, _, kw = case_inputs(name)
    return build_partable(parse_model(syntax, name), mode=kw["mode"], meanstructure=True,
                          int_ov_free=True, model=name).ov_names


def test_singular_data_stop_quickly_with_a_nearly_singular_sigma():
    rng = np.random.default_rng(4)
    x = rng.normal(size=(200, 3))
    x[rng.random(200) < .3, 1] = np.nan
    x = np.column_stack([x, x.sum(axis=1)])  # a total observed with its parts
    sat = fit_saturated(split_patterns(x))
    assert sat.singular and not sat.converged and sat.iterations <= 60
    assert "singular" in sat.message
    sd = np.sqrt(np.diag(sat.sigma))
    # nearly singular: where the steps stop depends on the CPU's BLAS kernels (below 1e-10 on
    # one machine, 4e-9 on an AMD EPYC with OpenBLAS 0.3.31); the solver's verdict is the
    # conditional variance below NEAR_SINGULAR
    assert np.linalg.eigvalsh(sat.sigma / np.outer(sd, sd))[0] < NEAR_SINGULAR


def test_iteration_cap_is_reported():
    pdat = split_patterns(_mar_panel(0))
    sat = fit_saturated(pdat, max_iter=1)
    assert not sat.converged and sat.iterations == 1 and "no convergence in 1 steps" in sat.message
    assert MAX_ITER == 200


def test_pair_never_observed_together_gets_the_conditional_independence_completion():
    rng = np.random.default_rng(5)
    x = rng.multivariate_normal([0, 0, 0], [[1, .5, .4], [.5, 1, .3], [.4, .3, 1]], size=300)
    x[:150, 1] = np.nan
    x[150:, 2] = np.nan  # columns 1 and 2 never observed together
    sat = fit_saturated(split_patterns(x))
    assert sat.converged
    assert np.linalg.eigvalsh(sat.sigma)[0] > 0
    assert abs(np.linalg.inv(sat.sigma)[1, 2]) < 1e-9
    mu, sigma = em_step(sat.mu, sat.sigma, split_patterns(x))
    np.testing.assert_allclose(sigma, sat.sigma, atol=1e-9)
