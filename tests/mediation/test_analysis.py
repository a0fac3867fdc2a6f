"""End-to-end complete-case analysis from a wide frame and config (pipeline/mediation/analysis.py)."""

from __future__ import annotations

import numpy as np
import pytest
from mediation_helpers import COVARIATES, SCALES, WAVES, load_json, reference_spec, wide_from_chain

from pipeline.mediation.analysis import run_analyses, run_mediation
from pipeline.mediation.spec import build_specs
from pipeline.mediation.table import TABLE_COLUMNS


def test_reference_chain_from_wide_equals_lavaan_and_table_contract():
    res = run_mediation(wide_from_chain(), reference_spec(), seed=1, B=200)
    assert list(res.table.columns) == TABLE_COLUMNS
    assert res.ok and "complete cases n = 630 of 630" in res.status["message"].iloc[0]
    ml = {r["label"]: r["est"] for r in load_json("lavaan_reference.json")["ml"] if r["label"]}
    est = res.table.set_index("label")["est"]
    for lab in ("a1", "d32", "b3", "cp", "ind_123", "ind_total", "total"):
        assert est[lab] == pytest.approx(ml[lab], rel=1e-6)
    assert set(res.table["effect_type"]) == {"a", "d", "b", "direct", "total", "covariate",
                                             "indirect_specific", "indirect_total", "contrast",
                                             "std_indirect"}
    row = res.table.set_index("label").loc["ind_123"]
    assert row["path"] == ("group_memberships_change_T0_T1 -> belonging_T1 -> support_T1 -> "
                           "loneliness_T1 -> qol_T1")
    assert row["ci_method"] == "percentile" and row["B"] == 200 and np.isnan(row["pvalue"])


def test_single_mediator_residualised_change_and_run_analyses():
    section = {"analyses": {
        "one": {"x": {"construct": "group_memberships", "change": ["T0", "T1"]},
                "mediators": [{"construct": "belonging", "wave": "T1"}],
                "y": {"construct": "qol", "wave": "T2"}, "covariates": ["age"], "adjust_baseline": True},
        "half": {"design": "half_longitudinal", "x": "group_memberships", "mediators": ["belonging", "support"],
                 "y": "qol"},
    }}
    specs = build_specs(section, SCALES, WAVES, COVARIATES)
    table, status = run_analyses(wide_from_chain(), specs, {"B": 200, "ci": "bca"}, seed=3)
    assert list(status["status"]) == ["ok", "ok"]
    one = table[table["analysis"] == "one"]
    assert {"group_memberships_T0", "belonging_T0", "qol_T0"} <= set(one["rhs"])
    assert (one["effect_type"] == "indirect_specific").sum() == 1
    assert (table[table["analysis"] == "half"]["effect_type"] == "indirect_specific").sum() == 3
    assert set(table.loc[table["effect_type"] == "indirect_total", "ci_method"]) == {"bca"}


def test_outputs_and_specs_from_the_project_config(tmp_path):
    from pathlib import Path

    from pipeline.config import load_config
    from pipeline.mediation.outputs import write_mediation_outputs
    from pipeline.mediation.spec import specs_from_config

    cfg = load_config(Path(__file__).parents[2] / "config" / "config.yaml")
    specs = specs_from_config(cfg)
    if not cfg.section("mediation").get("analyses"):
        assert [s.name for s in specs] == ["social_cure_chain"]
    res = run_mediation(wide_from_chain(), specs[0], seed=cfg.seed, B=200)
    paths = write_mediation_outputs({"complete_case": res.table}, {"complete_case": res.status}, specs,
                                    tmp_path)
    sentences = (tmp_path / "mediation_sentences.csv").read_text()
    assert "was associated with higher quality of life" in sentences
    assert (tmp_path / f"mediation_{specs[0].name}_path.png").exists() and len(paths) == 7


def test_failed_model_writes_a_failed_status_and_no_numbers(monkeypatch):
    import pipeline.mediation.bootstrap as bs

    monkeypatch.setattr(bs, "SINGULAR_TOL", 1.0)   # every resample now counts as singular
    table, status = run_analyses(wide_from_chain(), [reference_spec()], {"B": 200}, seed=1)
    assert status["status"].iloc[0] == "failed" and "could not be estimated" in status["message"].iloc[0]
    assert table.empty
