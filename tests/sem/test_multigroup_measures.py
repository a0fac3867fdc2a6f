"""Multi-group fit measures (pipeline.sem.multigroup_measures): the lavaan rules that make them
differ from the single-group ones. The full set is checked against lavaan in test_multigroup."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pipeline.sem import fit_sem
from pipeline.sem.estimate import prepare_data
from pipeline.sem.fit import _check_h1
from pipeline.sem.fit_measures import rmsea, rmsea_ci, rmsea_pvalue
from pipeline.sem.multigroup_measures import group_measures, multigroup_fit_measures

PART = {"n": 100.0, "logl": -500.0, "unrestricted.logl": -490.0, "baseline.logl": -560.0,
        "chisq": 20.0, "srmr": 0.05}


def test_one_group_gives_the_single_group_measures():
    rng = np.random.default_rng(3)
    x = rng.normal(size=200)
    m = 0.4 * x + rng.normal(size=200)
    y = 0.3 * m + rng.normal(size=200)
    df = pd.DataFrame({"x": x, "m": m, "y": y})
    df.loc[rng.random(200) < 0.2, "y"] = np.nan
    single = fit_sem("m ~ x\ny ~ m", df)
    pdat = prepare_data(df, ["m", "y", "x"], "ml", "t")
    sig = single.implied["cov"].loc[["m", "y", "x"], ["m", "y", "x"]].to_numpy()
    mu = single.implied["mean"][["m", "y", "x"]].to_numpy()
    part = group_measures(pdat, _check_h1(pdat, ["m", "y", "x"], "t"), sig, mu, [2])
    ours = multigroup_fit_measures([part], npar=int(single.fit["npar"]), p=3, n_x=1)
    for key in ("chisq", "df", "baseline.chisq", "baseline.df", "cfi", "tli", "rmsea",
                "rmsea.ci.upper", "rmsea.pvalue", "srmr", "aic", "bic"):
        np.testing.assert_allclose(ours[key], single.fit[key], rtol=1e-6, atol=1e-9,
                                   err_msg=key)


def test_chisq_and_df_add_up_and_rmsea_takes_sqrt_g():
    parts = [PART, {**PART, "n": 300.0, "logl": -1000.0, "unrestricted.logl": -985.0,
                    "baseline.logl": -1100.0, "srmr": 0.09}]
    out = multigroup_fit_measures(parts, npar=14, p=3, n_x=0)
    assert out["chisq"] == pytest.approx(2 * (10 + 15))
    assert out["df"] == 2 * 9 - 14
    assert out["baseline.df"] == 2 * 9 - 2 * 6
    assert out["ntotal"] == 400
    assert out["rmsea"] == pytest.approx(rmsea(50, 4, 400) * np.sqrt(2))
    assert out["rmsea.ci.upper"] == pytest.approx(rmsea_ci(50, 4, 400)[1] * np.sqrt(2))
    assert out["rmsea.pvalue"] == pytest.approx(rmsea_pvalue(50, 4, 400, h0=0.05 / np.sqrt(2)))
    assert out["srmr"] == pytest.approx(0.25 * 0.05 + 0.75 * 0.09)
