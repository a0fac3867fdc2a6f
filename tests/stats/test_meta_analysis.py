"""Random-effects meta-analysis (REML, Knapp-Hartung) against metafor 3.8.

Reference: ``tests/fixtures/meta_analysis/meta_reference.R`` (six cases: three and two schemes,
strong heterogeneity, tau^2 on the boundary, twenty studies, large units)::

    f <- metafor::rma(yi = y, vi = v, method = "REML", test = "knha",
                      control = list(threshold = 1e-12, maxiter = 10000))
    p <- predict(f, level = 95)   # pi.lb, pi.ub
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.errors import DataError
from pipeline.stats.meta_analysis import random_effects, reml_tau2

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "meta_analysis"
CASES = pd.read_csv(FIX / "meta_cases.csv")
REF = pd.read_csv(FIX / "meta_reference.csv", skipinitialspace=True).set_index("case")
COLUMNS = ["mu", "se", "tval", "pvalue", "ci_lower", "ci_upper", "tau2", "se_tau2", "I2",
           "H2", "Q", "Q_pvalue", "pi_lower", "pi_upper"]


@pytest.mark.parametrize("case", list(REF.index))
def test_matches_metafor_rma_reml_knha(case):
    d = CASES[CASES["case"] == case]
    got = random_effects(d["y"].to_numpy(), d["v"].to_numpy()).as_dict()
    ref = REF.loc[case]
    assert got["k"] == ref["k"] and got["df"] == ref["df"]
    for col in COLUMNS:
        np.testing.assert_allclose(got[col], ref[col], rtol=1e-7, atol=1e-10, err_msg=col)


def test_boundary_gives_zero_tau2_and_no_heterogeneity():
    d = CASES[CASES["case"] == "homogeneous"]
    r = random_effects(d["y"], d["v"])
    assert r.tau2 == 0.0 and r.I2 == 0.0 and r.H2 == 1.0


def test_refuses_fewer_than_two_or_bad_variances():
    with pytest.raises(DataError, match="at least two"):
        random_effects([0.1], [0.01])
    with pytest.raises(DataError, match="positive"):
        random_effects([0.1, 0.2], [0.01, 0.0])
    with pytest.raises(DataError, match="finite"):
        random_effects([0.1, np.nan], [0.01, 0.02])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.floats(-5, 5), st.floats(0.001, 2)), min_size=2, max_size=12))
def test_reml_score_is_zero_or_negative_at_the_boundary(pairs):
    y = np.array([p[0] for p in pairs])
    v = np.array([p[1] for p in pairs])
    tau2 = reml_tau2(y, v)
    w = 1 / (v + tau2)
    p = np.diag(w) - np.outer(w, w) / w.sum()
    score = (p @ y) @ (p @ y) - np.trace(p)
    assert tau2 >= 0
    if tau2 > 1e-10:
        assert abs(score) <= 1e-6 * max(1.0, np.trace(p))
    else:
        assert score <= 1e-8 * max(1.0, np.trace(p))
    r = random_effects(y, v)
    assert r.ci_lower <= r.mu <= r.ci_upper
    assert r.pi_lower <= r.ci_lower + 1e-12 and r.pi_upper >= r.ci_upper - 1e-12
