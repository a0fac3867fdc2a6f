"""FIML mediation with robust (MLR) standard errors, held to lavaan 0.6-14.

Reference: tests/fixtures/mediation/lavaan_mlr_reference.R, i.e.
``sem(model, data, estimator = "MLR", missing = "ml", fixed.x = FALSE)`` on the pipeline's
FIML fixture (tests/fixtures/lavaan: the default chain with baseline adjustment, n = 630 with
MAR drop-out to ~175 at T1). lavaan's MLR with FIML is the Huber-White sandwich of the observed
information (Yuan & Bentler 2000). Checked: every path and ``:=`` effect (estimates 1e-5,
robust SEs 1e-4 relative; observed agreement ~1e-6), the completely standardised indirect
effects' robust SEs, that the robust SEs differ from the model-based ones (so the test can
fail: by more than 5%), the MAR caveat, and that ``robust`` is the default of the schema.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from mediation_helpers import DEFAULTS, fiml, reference_spec

FIX = Path(__file__).resolve().parents[1] / "fixtures"
REF = json.loads((FIX / "mediation" / "lavaan_mlr_reference.json").read_text())


@pytest.fixture(scope="module")
def ref() -> pd.DataFrame:
    assert REF["meta"]["se"] == "robust.huber.white" and REF["meta"]["nobs"] == 630
    return pd.DataFrame(REF["estimates"]).fillna({"label": ""})


@pytest.fixture(scope="module")
def result():
    wide = pd.read_csv(FIX / "lavaan" / "mediation_chain_wide.csv")
    res = fiml(seed=1, mc_draws=2000).fit(wide, reference_spec(adjust_baseline=True))
    assert res.ok, res.status["message"].iloc[0]
    return res


def test_robust_is_the_default():
    assert DEFAULTS["fiml"]["se"] == "robust"


def test_paths_and_effects_match_lavaan_mlr(result, ref):
    t = result.table
    reg = ref[ref["op"] == "~"].set_index(["lhs", "rhs"])
    paths = t[t["op"] == "~"]
    r = reg.loc[list(zip(paths["lhs"], paths["rhs"]))]
    np.testing.assert_allclose(paths["est"], r["est"], atol=1e-5, rtol=0)
    np.testing.assert_allclose(paths["se"], r["se"], rtol=1e-4)
    dfd = ref[ref["op"] == ":="].set_index("lhs")
    defined = t[(t["op"] == ":=") & (t["effect_type"] != "std_indirect")]
    d = dfd.loc[defined["label"]]
    assert len(defined) == 30
    np.testing.assert_allclose(defined["est"], d["est"], atol=1e-5, rtol=0)
    np.testing.assert_allclose(defined["se"], d["se"], rtol=1e-4)
    std = t[t["effect_type"] == "std_indirect"]
    s = dfd.loc[[lab[4:] for lab in std["label"]]]
    np.testing.assert_allclose(std["est"], s["std_all"], atol=1e-5, rtol=0)
    np.testing.assert_allclose(std["se"], s["std_all_se"], rtol=1e-4)


def test_robust_differs_from_model_based(ref):
    std = pd.DataFrame(REF["standard_se"]).set_index(["lhs", "op", "rhs"])["se"]
    rob = ref.set_index(["lhs", "op", "rhs"])["se"]
    ratio = (rob / std.loc[rob.index]).to_numpy()
    assert np.nanmax(np.abs(ratio - 1)) > 0.05   # the 1e-4 tolerance would catch the wrong one


def test_mar_caveat_and_counts(result):
    t, st = result.table, result.status
    assert (t["caveats"].str.split(";").apply(lambda c: "mar_assumption" in c)).all()
    assert bool(st["mar_assumption"].iloc[0])
    assert "missing at random" in st["message"].iloc[0]
    assert "robust (MLR" in st["message"].iloc[0]
    assert (t["n_contributing"] == 630).all()
    assert 150 <= t["n_outcome"].iloc[0] <= 200
    ind = t[t["effect_type"] == "indirect_specific"]
    assert ((ind["ci_method"] == "monte_carlo") & (ind["ci_lower_mcse"] > 0)).all()
