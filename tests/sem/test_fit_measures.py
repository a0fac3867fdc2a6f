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
        assert fm.cfi(x2, df, f["baseline.chisq"], f["baseline.df"]) == pytest.approx(f["cfi"], abs=1e-10)
        assert fm.tli(x2, df, f["baseline.chisq"], f["baseline.df"]) == pytest.approx(f["tli"], abs=1e-10)


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
