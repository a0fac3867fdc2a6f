"""FIML serial mediation: equals OLS on complete data (the chain is a saturated path model),
uses everyone under attrition, and its Monte Carlo intervals behave as the theory says."""

from __future__ import annotations

import numpy as np
import pytest
from mediation_helpers import complete_case, fiml, reference_spec, wide_from_chain

from pipeline.sem import fit_sem


@pytest.fixture(scope="module")
def complete():
    wide = wide_from_chain()
    spec = reference_spec()
    res = fiml(seed=1, mc_draws=4000, se="standard").fit(wide, spec)
    ols = complete_case(seed=1, B=200).fit(wide, spec).table
    return res.table, res.status, ols


def test_complete_data_point_estimates_equal_ols(complete):
    table, status, ols = complete
    assert status["status"].iloc[0] == "ok"
    keep = ["a", "d", "b", "direct", "total", "indirect_specific", "indirect_total", "contrast"]
    f = table[table["effect_type"].isin(keep)].set_index("label")["est"]
    o = ols[ols["effect_type"].isin(keep)].set_index("label")["est"]
    assert len(f) == len(o) > 10
    np.testing.assert_allclose(f.loc[o.index], o, atol=1e-6)


def test_path_ses_are_ml_versions_of_ols_ses(complete):
    """ML divides the residual variance by n, OLS by n - p (p coefficients incl. intercept), and
    with complete data the likelihood factorises (y | x and x), so se_ml = se_ols sqrt((n-p)/n)."""
    table, _, ols = complete
    n = int(ols["n"].iloc[0])
    # equation sizes: M1 ~ 1 + x + age + gender_Man (4); Y ~ 1 + x + age + gender_Man + m1..m3 (7)
    for lab, p in (("a1", 4), ("b1", 7), ("cp", 7)):
        fo = table.set_index("label").loc[lab, "se"]
        oo = ols.set_index("label").loc[lab, "se"]
        assert np.isclose(fo, oo * np.sqrt((n - p) / n), rtol=1e-4), (lab, fo, oo)


def test_missing_outcomes_still_use_everyone():
    wide = wide_from_chain()
    rng = np.random.default_rng(5)
    lost = rng.random(len(wide)) < 0.7
    for c in ("belonging_T1", "support_T1", "loneliness_T1", "qol_T1", "group_memberships_T1"):
        wide.loc[lost, c] = np.nan
    res = fiml(seed=2, mc_draws=2000).fit(wide, reference_spec())
    table = res.table
    assert res.ok
    assert int(table["n"].iloc[0]) == len(wide)
    ind = table[table["label"] == "ind_123"].iloc[0]
    assert ind["ci_method"] == "monte_carlo" and ind["ci_lower"] < ind["est"] < ind["ci_upper"]


def test_monte_carlo_intervals_are_the_engines_percentiles_of_the_seeded_draws(complete):
    """The defined effects' intervals are sem.montecarlo's, drawn with the analysis's seed key."""
    from pipeline.mediation.estimator import job_key
    from pipeline.mediation.frame import covariate_names, derive_frame
    from pipeline.mediation.lavaan import chain_lavaan_syntax
    from pipeline.seeds import seed_for
    from pipeline.sem.montecarlo import monte_carlo_defined, percentile_interval
    from pipeline.sem.syntax import parse_model

    table, _, _ = complete
    spec = reference_spec()
    dummies = {"gender": ["Man"]}
    syntax = chain_lavaan_syntax(spec.x.column, [m.column for m in spec.mediators], spec.y.column,
                                 covariate_names(spec, dummies))
    res = fit_sem(syntax, derive_frame(wide_from_chain(), spec, dummies), missing="ml")
    defs = parse_model(syntax).definitions
    mc = monte_carlo_defined(res.theta, res.vcov, res.free_names, defs, 4000,
                             seed_for(1, job_key("chain", "fiml_mc")))
    lo, hi = percentile_interval(mc, 0.95)
    t = table.set_index("label")
    for j, d in enumerate(defs):
        assert t.loc[d.name, "ci_method"] == "monte_carlo"
        assert (t.loc[d.name, "ci_lower"], t.loc[d.name, "ci_upper"]) == (lo[j], hi[j])


def test_delta_ses_are_the_engines(complete):
    """The table carries the SEM engine's delta-method SEs (held to lavaan in tests/sem)."""
    table, _, _ = complete
    wide = wide_from_chain()
    from pipeline.mediation.frame import covariate_names, derive_frame
    from pipeline.mediation.lavaan import chain_lavaan_syntax

    spec = reference_spec()
    dummies = {"gender": ["Man"]}
    frame = derive_frame(wide, spec, dummies)
    syntax = chain_lavaan_syntax(spec.x.column, [m.column for m in spec.mediators], spec.y.column,
                                 covariate_names(spec, dummies))
    res = fit_sem(syntax, frame, missing="ml")
    d = res.estimates[res.estimates["op"] == ":="].set_index("label")
    f = table.set_index("label")
    for lab in ("ind_123", "ind_total", "total"):
        assert np.isclose(f.loc[lab, "se"], d.loc[lab, "se"], rtol=1e-10)
