"""Pooled change: each scheme's primary estimate (or the method standing in), then the
random-effects meta-analysis, matched to metafor on the committed fixture
(``tests/fixtures/meta_analysis/meta_reference.R``: ``rma(method = "REML", test = "knha")``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipeline.errors import DataError
from pipeline.pooled.change import pool_change, scheme_estimates
from pipeline.pooled.settings import Construct

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "meta_analysis"
CASES = pd.read_csv(FIX / "meta_cases.csv")
REF = pd.read_csv(FIX / "meta_reference.csv", skipinitialspace=True).set_index("case")
LONELINESS = Construct("loneliness", "Loneliness (UCLA-3)", 3.0, 9.0, "sum")


def _table(est: float, se: float, status: str = "ok", wave: str = "T1",
           stands_in: str = "", alt: dict | None = None) -> pd.DataFrame:
    rows = [{"construct": "loneliness", "wave": wave, "method": "fiml", "role": "primary",
             "est": est if status == "ok" else np.nan, "se": se if status == "ok" else np.nan,
             "ci_lower": est - 2 * se, "ci_upper": est + 2 * se, "n_observed": 120,
             "status": status, "message": "" if status == "ok" else "FIML did not converge",
             "stands_in": stands_in}]
    if alt:
        rows.append({"construct": "loneliness", "wave": wave, "method": "ipw",
                     "role": "sensitivity", "status": "ok", "n_observed": 120, **alt})
    return pd.DataFrame(rows)


def test_three_schemes_match_metafor():
    case = CASES[CASES["case"] == "three_schemes"]
    tables = {f"s{i}": _table(y, np.sqrt(v)) for i, (y, v) in enumerate(zip(case["y"],
                                                                             case["v"]))}
    rows = scheme_estimates(tables, [LONELINESS])
    pooled, rows = pool_change(rows, 2, 0.95)
    ref = REF.loc["three_schemes"]
    got = pooled.iloc[0]
    for col, rcol in [("est", "mu"), ("se", "se"), ("ci_lower", "ci_lower"),
                      ("ci_upper", "ci_upper"), ("tau2", "tau2"), ("I2", "I2"), ("Q", "Q"),
                      ("Q_pvalue", "Q_pvalue"), ("pi_lower", "pi_lower"),
                      ("pi_upper", "pi_upper"), ("pvalue", "pvalue")]:
        np.testing.assert_allclose(got[col], ref[rcol], rtol=1e-7, err_msg=col)
    assert got["k"] == 3 and got["status"] == "ok" and got["schemes"] == "s0;s1;s2"
    np.testing.assert_allclose(rows["weight_pct"].sum(), 100.0)


def test_the_method_standing_in_is_used_and_named():
    tables = {"a": _table(0.0, 0.0, status="not_estimable", stands_in="ipw",
                          alt=dict(est=-0.5, se=0.1, ci_lower=-0.7, ci_upper=-0.3)),
              "b": _table(-0.4, 0.1), "c": None}
    rows = scheme_estimates(tables, [LONELINESS])
    a = rows[rows["scheme"] == "a"].iloc[0]
    assert (a["method"], a["primary_method"], a["est"]) == ("ipw", "fiml", -0.5)
    assert a["message"].startswith("ipw stands in for fiml: FIML did not converge")
    c = rows[rows["scheme"] == "c"].iloc[0]
    assert c["status"] == "not_run" and "did not run" in c["message"]
    pooled, _ = pool_change(rows, 2, 0.95)
    assert pooled.iloc[0]["k"] == 2 and pooled.iloc[0]["methods"] == "fiml;ipw"


def test_too_few_schemes_is_not_estimable_with_the_reason():
    tables = {"a": _table(0.0, 0.0, status="not_estimable"), "b": _table(-0.4, 0.1)}
    rows = scheme_estimates(tables, [LONELINESS])
    assert rows.set_index("scheme").loc["a", "status"] == "not_estimable"
    pooled, _ = pool_change(rows, 2, 0.95)
    assert pooled.iloc[0]["status"] == "not_estimable"
    assert "1 scheme has an estimate" in pooled.iloc[0]["message"]


def test_a_change_table_without_its_columns_is_refused():
    with pytest.raises(DataError, match="change_primary.csv of scheme 'a' lacks columns"):
        scheme_estimates({"a": pd.DataFrame({"construct": ["loneliness"]})}, [LONELINESS])
