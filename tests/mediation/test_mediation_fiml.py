"""FIML serial mediation: equals OLS on complete data (the chain is a saturated path model),
uses everyone under attrition, and its Monte Carlo intervals behave as the theory says."""

from __future__ import annotations

import numpy as np
import pytest
from mediation_helpers import reference_spec, wide_from_chain

from pipeline.mediation.analysis import run_mediation
from pipeline.mediation.fiml import definitions, fiml_mediation, monte_carlo_defined
from pipeline.sem import fit_sem


@pytest.fixture(scope="module")
def complete():
    wide = wide_from_chain()
    spec = reference_spec()
    fiml, status = fiml_mediation(wide, spec, seed=1, mc_draws=4000)
    ols = run_mediation(wide, spec, seed=1, B=200).table
    return fiml, status, ols


def test_complete_data_point_estimates_equal_ols(complete):
    fiml, status, ols = complete
    assert status["status"].iloc[0] == "ok"
    keep = ["a", "d", "b", "direct", "total", "indirect_specific", "indirect_total", "contrast"]
    f = fiml[fiml["effect_type"].isin(keep)].set_index("label")["est"]
    o = ols[ols["effect_type"].isin(keep)].set_index("label")["est"]
    assert len(f) == len(o) > 10
    np.testing.assert_allclose(f.loc[o.index], o, atol=1e-6)


def test_path_ses_are_ml_versions_of_ols_ses(complete):
    """ML divides the residual variance by n, OLS by n - p (p coefficients incl. intercept), and
    with complete data the likelihood factorises (y | x and x), so se_ml = se_ols sqrt((n-p)/n)."""
    fiml, _, ols = complete
    n = int(ols["n"].iloc[0])
    # equation sizes: M1 ~ 1 + x + age + gender_Man (4); Y ~ 1 + x + age + gender_Man + m1..m3 (7)
    for lab, p in (("a1", 4), ("b1", 7), ("cp", 7)):
        fo = fiml.set_index("label").loc[lab, "se"]
        oo = ols.set_index("label").loc[lab, "se"]
        assert np.isclose(fo, oo * np.sqrt((n - p) / n), rtol=1e-4), (lab, fo, oo)


def test_missing_outcomes_still_use_everyone():
    wide = wide_from_chain()
    rng = np.random.default_rng(5)
    lost = rng.random(len(wide)) < 0.7
    for c in ("belonging_T1", "support_T1", "loneliness_T1", "qol_T1", "group_memberships_T1"):
        wide.loc[lost, c] = np.nan
    table, status = fiml_mediation(wide, reference_spec(), seed=2, mc_draws=2000)
    assert status["status"].iloc[0] == "ok"
    assert int(table["n"].iloc[0]) == len(wide)
    ind = table[table["label"] == "ind_123"].iloc[0]
    assert ind["ci_method"] == "monte_carlo" and ind["ci_lower"] < ind["est"] < ind["ci_upper"]


def test_monte_carlo_of_linear_definition_matches_delta_method():
    theta = np.array([0.5, -0.2])
    vcov = np.array([[0.04, 0.01], [0.01, 0.09]])
    defs = definitions("f := 2*a + b\ng := f - a\n")
    assert defs == [("f", "2*a + b"), ("g", "f - a")]
    sims = monte_carlo_defined(theta, vcov, ["a", "b"], defs, 200_000, seed=3)
    np.testing.assert_allclose(sims.mean(axis=0), [0.8, 0.3], atol=0.005)
    var_f = 4 * 0.04 + 0.09 + 2 * 2 * 0.01
    var_g = 0.04 + 0.09 + 2 * 0.01
    np.testing.assert_allclose(sims.std(axis=0), np.sqrt([var_f, var_g]), rtol=0.01)
    again = monte_carlo_defined(theta, vcov, ["a", "b"], defs, 1000, seed=3)
    np.testing.assert_array_equal(again, monte_carlo_defined(theta, vcov, ["a", "b"], defs, 1000, seed=3))


def test_delta_ses_are_the_engines(complete):
    """The table carries the SEM engine's delta-method SEs (held to lavaan in tests/sem)."""
    fiml, _, _ = complete
    wide = wide_from_chain()
    from pipeline.mediation.fiml import chain_lavaan_syntax, covariate_names, derive_frame

    spec = reference_spec()
    dummies = {"gender": ["Man"]}
    frame = derive_frame(wide, spec, dummies)
    syntax = chain_lavaan_syntax(spec.x.column, [m.column for m in spec.mediators], spec.y.column,
                                 covariate_names(spec, dummies))
    res = fit_sem(syntax, frame, missing="ml")
    d = res.estimates[res.estimates["op"] == ":="].set_index("label")
    f = fiml.set_index("label")
    for lab in ("ind_123", "ind_total", "total"):
        assert np.isclose(f.loc[lab, "se"], d.loc[lab, "se"], rtol=1e-10)
