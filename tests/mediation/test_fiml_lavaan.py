"""The FIML serial mediation the pipeline runs, held to lavaan 0.6-14.

Reference case ``mediation_chain_baseline_fiml`` (tests/fixtures/lavaan/make_reference.R,
cases.json): the default chain (change in group memberships T0 -> T1 -> belonging -> support ->
loneliness -> quality of life at T1) with covariates age and gender and ``adjust_baseline: true``
(T0 level of every chain construct), on n = 630 with MAR drop-out at T1 to ~175 and sporadic
missing values. lavaan: ``sem(model, data, missing = "ml", fixed.x = FALSE)`` with the syntax
``chain_lavaan_syntax`` generates (models/mediation_chain_baseline.lav).

Checked: the stored syntax and analysis frame are what the pipeline builds from the wide data;
``fit_sem`` on that syntax and the ``FIMLMonteCarlo`` results table agree with lavaan
(estimates 1e-3 absolute, delta-method SEs 1% relative) for every path, covariate slope and
``:=`` effect (specific indirect effects, ind_total, total, contrasts), and the completely
standardised indirect effects with lavaan's std.all (1e-3, SE 1%).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from mediation_helpers import fiml, reference_spec

from pipeline.mediation.frame import covariate_names, derive_frame
from pipeline.mediation.lavaan import chain_lavaan_syntax
from pipeline.sem import fit_sem

LAVAAN_DIR = Path(__file__).resolve().parents[1] / "fixtures" / "lavaan"
CASE = "mediation_chain_baseline_fiml"
DUMMIES = {"gender": ["Man"]}  # 'Non-binary / other' is absent in the data: fiml drops its dummy


def _case() -> dict:
    cases = json.loads((LAVAAN_DIR / "cases.json").read_text())["cases"]
    return next(c for c in cases if c["name"] == CASE)


def _reference() -> pd.DataFrame:
    ref = json.loads((LAVAAN_DIR / "reference" / f"{CASE}.json").read_text())
    assert ref["converged"] and ref["lavaan_version"] == "0.6.14"
    return pd.DataFrame(ref["estimates"])


@pytest.fixture(scope="module")
def spec():
    return reference_spec(adjust_baseline=True)


@pytest.fixture(scope="module")
def wide():
    return pd.read_csv(LAVAAN_DIR / "mediation_chain_wide.csv")


@pytest.fixture(scope="module")
def ref():
    return _reference()


@pytest.fixture(scope="module")
def engine_fit():
    syntax = (LAVAAN_DIR / "models" / _case()["syntax"]).read_text()
    data = pd.read_csv(LAVAAN_DIR / _case()["data"])
    return fit_sem(syntax, data, missing="ml", name=CASE)


@pytest.fixture(scope="module")
def table(wide, spec):
    res = fiml(seed=1, mc_draws=2000, se="standard").fit(wide, spec)
    assert res.ok, res.status["message"].iloc[0]
    return res.table


def test_reference_syntax_is_the_pipelines(spec):
    syntax = chain_lavaan_syntax(spec.x.column, [m.column for m in spec.mediators], spec.y.column,
                                 covariate_names(spec, DUMMIES))
    assert syntax == (LAVAAN_DIR / "models" / _case()["syntax"]).read_text()
    # adjust_baseline adds the T0 level of all five chain constructs (X is a change score, so
    # group_memberships_T0 is not X itself)
    assert covariate_names(spec, DUMMIES) == [
        "age", "gender_Man", "group_memberships_T0", "belonging_T0", "support_T0",
        "loneliness_T0", "qol_T0"]


def test_reference_data_is_the_pipelines_analysis_frame(wide, spec):
    frame = derive_frame(wide, spec, DUMMIES)
    stored = pd.read_csv(LAVAAN_DIR / _case()["data"])
    assert list(frame.columns) == list(stored.columns)
    pd.testing.assert_frame_equal(frame.reset_index(drop=True), stored.astype(float),
                                  check_exact=False, rtol=0, atol=1e-9)
    # the attrition the pipeline meets: 630 at entry, ~175 at follow-up, X missing with T1
    assert len(frame) == 630
    assert 150 <= frame["qol_T1"].notna().sum() <= 200
    assert frame["group_memberships_change_T0_T1"].isna().sum() >= 630 - 200


def _merge(ours: pd.DataFrame, ref: pd.DataFrame) -> pd.DataFrame:
    m = ref.merge(ours, on=["lhs", "op", "rhs"], suffixes=("_ref", "_ours"), how="outer",
                  indicator=True)
    assert (m["_merge"] == "both").all(), m.loc[m["_merge"] != "both", ["lhs", "op", "rhs"]]
    return m


def test_fit_sem_matches_lavaan(engine_fit, ref):
    assert engine_fit.status == "ok" and engine_fit.converged
    assert engine_fit.n_obs == 630
    m = _merge(engine_fit.estimates, ref)
    np.testing.assert_allclose(m["est_ours"], m["est_ref"], atol=1e-3, rtol=0)
    free = m["se_ref"] > 0
    np.testing.assert_allclose(m.loc[free, "se_ours"], m.loc[free, "se_ref"], rtol=0.01)
    d = m[m["op"] == ":="]
    assert len(d) == 7 + 2 + 21  # specific indirect, ind_total + total, pairwise contrasts
    assert (d["label_ours"] == d["lhs"]).all()
    sel = m["std_all_ref"].notna()
    np.testing.assert_allclose(m.loc[sel, "std_all_ours"], m.loc[sel, "std_all_ref"], atol=1e-3)


def test_fiml_mediation_table_matches_lavaan(table, ref):
    assert (table["n"] == 630).all()
    reg = ref[ref["op"] == "~"].set_index(["lhs", "rhs"])
    dfd = ref[ref["op"] == ":="].set_index("lhs")
    paths = table[table["op"] == "~"]
    defined = table[(table["op"] == ":=") & (table["effect_type"] != "std_indirect")]
    # every lavaan regression and := row appears in the table, and nothing else
    assert sorted(zip(paths["lhs"], paths["rhs"])) == sorted(reg.index)
    assert sorted(defined["label"]) == sorted(dfd.index)
    r = reg.loc[list(zip(paths["lhs"], paths["rhs"]))]
    np.testing.assert_allclose(paths["est"], r["est"], atol=1e-3, rtol=0)
    np.testing.assert_allclose(paths["se"], r["se"], rtol=0.01)
    # the labelled paths (a, d, b, cp) carry lavaan's labels; covariate slopes are unlabelled
    assert (paths["label"].fillna("").to_numpy() == r["label"].fillna("").to_numpy()).all()
    d = dfd.loc[defined["label"]]
    np.testing.assert_allclose(defined["est"], d["est"], atol=1e-3, rtol=0)
    np.testing.assert_allclose(defined["se"], d["se"], rtol=0.01)
    # Monte Carlo intervals bracket the estimate
    ind = defined[defined["effect_type"] == "indirect_specific"]
    assert (ind["ci_method"] == "monte_carlo").all()
    assert ((ind["ci_lower"] < ind["est"]) & (ind["est"] < ind["ci_upper"])).all()


def test_standardised_indirect_effects_match_lavaan_std_all(table, ref):
    std = table[table["effect_type"] == "std_indirect"]
    assert len(std) == 8
    d = ref[ref["op"] == ":="].set_index("lhs").loc[[lab[4:] for lab in std["label"]]]
    np.testing.assert_allclose(std["est"], d["std_all"], atol=1e-3, rtol=0)
    np.testing.assert_allclose(std["se"], d["std_all_se"], rtol=0.01)
