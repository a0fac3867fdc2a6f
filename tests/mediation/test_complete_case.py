"""``fit_chain`` (pipeline/mediation/complete_case.py): which rule fills which row.

Path rows (a, d, b, direct, covariates, total) carry the OLS t results of their equation;
every other row carries the bootstrap SE (SD of the draws) and the percentile interval with the
Monte Carlo SEs of its bounds from ``percentile_ci_mcse`` (the package's one rule: the same
numbers as ``percentile_ci`` and ``quantile_mc_se``), or the BCa interval.
"""

from __future__ import annotations

import numpy as np
import pytest
from mediation_helpers import DESIGN, chain_design
from scipy import stats

from pipeline.mediation.bootstrap import (
    ResamplePlan,
    bca_ci,
    jackknife_effects,
    percentile_ci,
    quantile_mc_se,
)
from pipeline.mediation.complete_case import PATH_TYPES, fit_chain
from pipeline.mediation.effects import effect_values
from pipeline.mediation.frame import ChainData
from pipeline.mediation.ols import Layout, chain_coefficients, gram, ols_equations, standardise

LAYOUT = Layout(2, 3)


def _data() -> ChainData:
    Z = chain_design()[:300]
    return ChainData(Z=Z, names=tuple(DESIGN), n_cov=2, k=3, n_total=300)


def _path_expectations(data: ChainData, conf: float) -> dict[str, tuple]:
    """label/path -> (est, se, t, p, lower, upper, df) computed equation by equation."""
    Zs, scaling = standardise(data.Z)
    eqs = ols_equations(Zs, LAYOUT, scaling)
    out = {}
    for eq in eqs[:-1]:
        for pos, c in enumerate(eq.regressors):
            crit = stats.t.ppf(0.5 + conf / 2, eq.df)
            out[(data.names[eq.outcome - 1], data.names[c - 1])] = (
                eq.est[pos], eq.se[pos], eq.t[pos], eq.pvalue[pos],
                eq.est[pos] - crit * eq.se[pos], eq.est[pos] + crit * eq.se[pos], eq.df)
    tot = eqs[-1]
    crit = stats.t.ppf(0.5 + conf / 2, tot.df)
    out["total"] = (tot.est[0], tot.se[0], tot.t[0], tot.pvalue[0],
                    tot.est[0] - crit * tot.se[0], tot.est[0] + crit * tot.se[0], tot.df)
    return out


@pytest.mark.parametrize("conf", [0.95, 0.9])
def test_rows_follow_their_rule(conf):
    data = _data()
    table, draws, n_failed = fit_chain(data, ResamplePlan(data.n, 400, 8), ci="percentile",
                                       conf=conf)
    assert n_failed == 0 and draws.shape == (400, len(table))
    paths = _path_expectations(data, conf)
    boot = ~table["effect_type"].isin(PATH_TYPES).to_numpy()
    cols = ["est", "se", "z_or_t", "pvalue", "ci_lower", "ci_upper", "df"]
    for _, row in table[~boot].iterrows():
        key = "total" if row["effect_type"] == "total" else (row["lhs"], row["rhs"])
        np.testing.assert_allclose(row[cols].to_numpy(dtype=float), paths[key], rtol=1e-12)
        assert row["ci_method"] == "ols_t"
        assert row["ci_lower_mcse"] == 0.0 and row["ci_upper_mcse"] == 0.0
    sel = draws[:, boot]
    b = table[boot]
    lo, hi = percentile_ci(sel, conf)
    np.testing.assert_array_equal(b["ci_lower"], lo)
    np.testing.assert_array_equal(b["ci_upper"], hi)
    np.testing.assert_array_equal(b["ci_lower_mcse"], quantile_mc_se(sel, (1 - conf) / 2))
    np.testing.assert_array_equal(b["ci_upper_mcse"], quantile_mc_se(sel, (1 + conf) / 2))
    np.testing.assert_array_equal(b["se"], sel.std(axis=0, ddof=1))
    assert b["df"].isna().all() and b["pvalue"].isna().all() and b["z_or_t"].isna().all()
    assert (b["ci_method"] == "percentile").all()
    Zs, scaling = standardise(data.Z)
    est = effect_values(chain_coefficients(gram(Zs), LAYOUT, scaling), LAYOUT)
    np.testing.assert_array_equal(b["est"], est[boot])
    assert (table["n"] == 300).all() and (table["B"] == 400).all()


def test_bca_rows_use_the_jackknife_acceleration():
    data = _data()
    table, draws, _ = fit_chain(data, ResamplePlan(data.n, 300, 2), ci="bca", conf=0.95)
    boot = ~table["effect_type"].isin(PATH_TYPES).to_numpy()
    Zs, scaling = standardise(data.Z)
    est = effect_values(chain_coefficients(gram(Zs), LAYOUT, scaling), LAYOUT)
    lo, hi = bca_ci(est, draws, jackknife_effects(Zs, LAYOUT, scaling), 0.95)
    np.testing.assert_allclose(table.loc[boot, "ci_lower"], lo[boot], rtol=1e-12)
    np.testing.assert_allclose(table.loc[boot, "ci_upper"], hi[boot], rtol=1e-12)
    assert table.loc[boot, "ci_lower_mcse"].isna().all()
    assert (table.loc[boot, "ci_method"] == "bca").all()
    assert (table.loc[~boot, "ci_method"] == "ols_t").all()
