"""End-to-end analyses from a wide frame and config (mediation/analysis.py, complete_case.py)."""

from __future__ import annotations

import numpy as np
import pytest
from mediation_helpers import complete_case, load_json, reference_spec, specs, wide_from_chain

from pipeline.mediation.table import CONTEXT_COLUMNS, TABLE_COLUMNS


def test_reference_chain_from_wide_equals_lavaan_and_table_contract():
    res = complete_case(seed=1, B=200).fit(wide_from_chain(), reference_spec())
    assert list(res.table.columns) == TABLE_COLUMNS + CONTEXT_COLUMNS
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


def test_single_mediator_residualised_change_and_fit_all():
    analyses = {
        "one": {"x": {"construct": "group_memberships", "change": ["T0", "T1"]},
                "mediators": [{"construct": "belonging", "wave": "T1"}],
                "y": {"construct": "qol", "wave": "T2"}, "covariates": ["age"],
                "adjust_baseline": True},
        "half": {"design": "half_longitudinal", "x": "group_memberships",
                 "mediators": ["belonging", "support"],
                 "y": "qol"},
    }
    estimator = complete_case(seed=3, B=200, ci="bca")
    table, status = estimator.fit_all(wide_from_chain(), specs(analyses))
    assert list(status["status"]) == ["ok", "ok"]
    one = table[table["analysis"] == "one"]
    assert {"group_memberships_T0", "belonging_T0", "qol_T0"} <= set(one["rhs"])
    assert (one["effect_type"] == "indirect_specific").sum() == 1
    assert (table[table["analysis"] == "half"]["effect_type"] == "indirect_specific").sum() == 3
    assert set(table.loc[table["effect_type"] == "indirect_total", "ci_method"]) == {"bca"}


def test_all_methods_from_the_project_config_side_by_side():
    from dataclasses import replace
    from pathlib import Path

    from pipeline.config import load_config
    from pipeline.mediation.analysis import run_analyses
    from pipeline.mediation.outputs import figure_tables, sentences_table, stack
    from pipeline.mediation.settings import BootMISettings, from_config

    cfg = load_config(Path(__file__).parents[2] / "config" / "studies" / "demo.yaml")
    settings = from_config(cfg)
    settings = replace(settings, bootstrap=replace(settings.bootstrap, B=200), mc_draws=2000,
                       mi=BootMISettings(B=100, M=2, iterations=10, method="pmm", donors=5,
                                         ridge=1e-5))
    tables, statuses = run_analyses(wide_from_chain(), settings, cfg.seed,
                                    impute_fn=lambda d, m, seed: [d.copy() for _ in range(m)])
    assert list(tables) == list(settings.methods)
    status = stack(statuses)
    assert list(status.columns) == ["analysis", "method", "status", "message", "n_contributing",
                                    "n_outcome", "mar_assumption", "caveats", "primary"]
    assert list(status["status"]) == ["ok"] * 3
    assert dict(zip(status["method"], status["primary"])) == {
        m: m == settings.primary for m in settings.methods}
    sentences = sentences_table(tables, statuses, settings.analyses, conf=0.95, warn_n=30)
    assert len(sentences) == 3
    assert sentences["sentence"].str.contains("quality of life").all()
    clear = sentences[sentences["method"] != "mi"]   # boot MI (B = 100): t interval touches 0
    assert clear["sentence"].str.contains("associated with higher quality of life").all()
    spec = settings.analyses[0]
    assert list(figure_tables(tables, spec)) == ["fiml", "mi", "complete_case"]


def test_failed_model_writes_a_failed_status_and_no_numbers(monkeypatch):
    import pipeline.mediation.bootstrap as bs

    monkeypatch.setattr(bs, "SINGULAR_TOL", 1.0)   # every resample now counts as singular
    table, status = complete_case(seed=1, B=200).fit_all(wide_from_chain(), [reference_spec()])
    assert status["status"].iloc[0] == "failed"
    assert "could not be estimated" in status["message"].iloc[0]
    assert table.empty
