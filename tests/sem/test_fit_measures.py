from __future__ import annotations

import numpy as np
import pytest
from conftest import load_reference

from pipeline.sem import fit_measures as fm


@pytest.mark.parametrize("name", ["clpm_2x3_fiml", "cfa_2f_fiml", "riclpm_3x4_complete"])
def test_index_formulas_reproduce_lavaan_from_its_own_chisq(name):
    f = load_reference(name)["fit"]
    x2, df, n = f["chisq"], f["df"], f["ntotal"]
    assert fm.rmsea(x2, df, n) == pytest.approx(f["rmsea"], abs=1e-8)
    lo, hi = fm.rmsea_ci(x2, df, n)
    assert lo == pytest.approx(f["rmsea.ci.lower"], abs=1e-6)
    assert hi == pytest.approx(f["rmsea.ci.upper"], abs=1e-6)
    assert fm.rmsea_pvalue(x2, df, n) == pytest.approx(f["rmsea.pvalue"], abs=1e-8)
    if f["cfi"] is not None:
        base = (f["baseline.chisq"], f["baseline.df"])
        assert fm.cfi(x2, df, *base) == pytest.approx(f["cfi"], abs=1e-10)
        assert fm.tli(x2, df, *base) == pytest.approx(f["tli"], abs=1e-10)


def test_edge_cases_of_indices():
    assert fm.cfi(1.0, 4, 100.0, 10) == 1.0          # chisq below df
    assert fm.tli(0.0, 0, 100.0, 10) == 1.0          # saturated model
    assert fm.rmsea(0.0, 0, 100) == 0.0
    assert np.isnan(fm.rmsea_pvalue(0.0, 0, 100))


def test_srmr_zero_when_model_reproduces_h1():
    s = np.array([[2.0, 0.3], [0.3, 1.0]])
    mu = np.array([1.0, 2.0])
    assert fm.srmr(s, mu, s, mu) == 0.0
    s2 = s.copy()
    s2[0, 1] = s2[1, 0] = 0.3 + np.sqrt(2.0)   # residual correlation 1 in one of 5 elements
    assert fm.srmr(s, mu, s2, mu) == pytest.approx(np.sqrt(1 / 5))


# x1, x2 with means 0, ML variances 1 and 1/2, covariance 1/2: r^2 = 1/2, |S_xx| = 1/4
X1 = np.array([-1.0, -1.0, 1.0, 1.0])
X2 = np.array([-1.0, 0.0, 0.0, 1.0])
Y = np.array([0.0, 2.0, -1.0, 3.0])        # mean 1, ML variance 14/4 - 1 = 5/2


def _univariate(n, var):
    return -0.5 * n * (np.log(2 * np.pi) + np.log(var) + 1.0)


def test_baseline_loglik_hand_computed_complete_data():
    from pipeline.sem.fiml import split_patterns

    pdat = split_patterns(np.column_stack([X1, X2, Y]))
    indep = _univariate(4, 1.0) + _univariate(4, 0.5) + _univariate(4, 2.5)
    assert fm.baseline_loglik(pdat) == pytest.approx(indep, abs=1e-12)
    # lavaan's baseline with ov.x = (x1, x2): bivariate normal for them, y independent
    ovx = -0.5 * 4 * (2 * np.log(2 * np.pi) + np.log(0.25) + 2) + _univariate(4, 2.5)
    assert fm.baseline_loglik(pdat, [0, 1]) == pytest.approx(ovx, abs=1e-12)
    # the difference is the LR statistic of the x1-x2 correlation: -n/2 log(1 - r^2) = 2 log 2
    assert fm.baseline_loglik(pdat, [0, 1]) - fm.baseline_loglik(pdat) == pytest.approx(
        2 * np.log(2), abs=1e-12)
    assert fm.baseline_loglik(pdat, [1]) == pytest.approx(indep, abs=1e-12)  # one ov.x: no cov
    assert fm.baseline_npar(3, 2) == 7 and fm.baseline_npar(3, 2, meanstructure=False) == 4
    assert fm.baseline_npar(3, 0) == 6 and fm.baseline_npar(12, 8) == 52


def test_baseline_loglik_fiml_monotone_closed_form():
    """x1 complete, x2 missing in some rows, one row with neither: the saturated FIML
    log-likelihood of (x1, x2) factorises (Anderson 1957) into x1's marginal over all rows that
    have it and the regression of x2 on x1 over the complete rows."""
    from pipeline.sem.fiml import split_patterns

    rng = np.random.default_rng(7)
    n = 60
    x1 = rng.normal(size=n)
    x2 = 0.6 * x1 + rng.normal(size=n)
    y = rng.normal(size=n)
    x2[40:] = np.nan
    x1[55:], x2[55:] = np.nan, np.nan   # no ov.x observed: no contribution to the x block
    pdat = split_patterns(np.column_stack([x1, x2, y]))
    o1 = ~np.isnan(x1)
    cc = ~np.isnan(x2)
    b = np.polyfit(x1[cc], x2[cc], 1)
    resvar = np.mean((x2[cc] - np.polyval(b, x1[cc])) ** 2)
    expected = (_univariate(o1.sum(), x1[o1].var()) + _univariate(cc.sum(), resvar)
                + _univariate(n, y.var()))
    assert fm.baseline_loglik(pdat, [0, 1]) == pytest.approx(expected, abs=1e-7)


def test_baseline_fit_measures_with_exogenous_covariates():
    """Saturated y ~ x1 + x2 (complete data): baseline.chisq = -n log(1 - R^2(y | x1, x2)) on
    9 - 7 = 2 df; writing out x1 ~~ x2 makes x1, x2 non-ov.x and adds -n log(1 - r12^2), 1 df."""
    import pandas as pd

    from pipeline.sem import fit_sem

    rng = np.random.default_rng(3)
    n = 200
    x1 = rng.normal(size=n)
    x2 = 0.5 * x1 + rng.normal(size=n)
    y = 0.4 * x1 - 0.3 * x2 + rng.normal(size=n)
    data = pd.DataFrame({"x1": x1, "x2": x2, "y": y})
    design = np.column_stack([np.ones(n), x1, x2])
    resid = y - design @ np.linalg.lstsq(design, y, rcond=None)[0]
    r2 = 1 - resid.var() / y.var()
    r12 = np.corrcoef(x1, x2)[0, 1]
    f = fit_sem("y ~ x1 + x2", data, missing="listwise").fit
    assert f["baseline.df"] == 2
    assert f["baseline.chisq"] == pytest.approx(-n * np.log(1 - r2), abs=1e-8)
    g = fit_sem("y ~ x1 + x2\nx1 ~~ x2", data, missing="listwise").fit
    assert g["baseline.df"] == 3
    assert g["baseline.chisq"] == pytest.approx(-n * np.log(1 - r2) - n * np.log(1 - r12 ** 2),
                                                abs=1e-8)
