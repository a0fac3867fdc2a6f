from __future__ import annotations

import numpy as np
import pytest
from conftest import case_inputs
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.sem import estimate
from pipeline.sem.estimate import fisher_scoring, prepare_data, start_values
from pipeline.sem.fiml import loglik
from pipeline.sem.partable import build_partable
from pipeline.sem.ram import build_ram
from pipeline.sem.syntax import parse_model


@pytest.fixture(scope="module")
def clpm():
    syntax, data, _ = case_inputs("clpm_2x3_fiml")
    pt = build_partable(parse_model(syntax))
    ram = build_ram(pt)
    pdat = prepare_data(data, pt.ov_names, "ml", "clpm")
    return pt, ram, pdat


def test_start_values_are_admissible_and_use_observed_means(clpm):
    pt, ram, pdat = clpm
    theta0 = start_values(pt, ram, pdat)
    assert np.isfinite(loglik(*ram.implied(theta0), pdat))
    t = pt.table
    row = t[(t.lhs == "belonging_T0") & (t.op == "~1")].iloc[0]
    col = pdat.patterns  # available-case mean of belonging_T0
    k = pt.ov_names.index("belonging_T0")
    vals = np.concatenate([p.y[:, list(p.obs).index(k)] for p in col if k in p.obs])
    assert theta0[row.free - 1] == pytest.approx(vals.mean())


@settings(max_examples=5, deadline=None)
@given(st.integers(min_value=0, max_value=2**31 - 1))
def test_same_optimum_from_perturbed_starts(clpm, seed):
    pt, ram, pdat = clpm
    ref = fisher_scoring(ram, pdat, start_values(pt, ram, pdat))
    rng = np.random.default_rng(seed)
    theta0 = start_values(pt, ram, pdat) * rng.uniform(0.8, 1.2, pt.n_free)
    opt = fisher_scoring(ram, pdat, theta0)
    assert opt.converged
    assert opt.loglik == pytest.approx(ref.loglik, abs=1e-7)
    np.testing.assert_allclose(opt.theta, ref.theta, atol=1e-4)


def test_bfgs_fallback_reaches_the_same_optimum(clpm):
    pt, ram, pdat = clpm
    ref = fisher_scoring(ram, pdat, start_values(pt, ram, pdat))
    opt = estimate._bfgs(ram, pdat, start_values(pt, ram, pdat), 0)
    assert opt.converged
    assert opt.loglik == pytest.approx(ref.loglik, abs=1e-6)
