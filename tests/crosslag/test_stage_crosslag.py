"""The cross-lagged stage: config handling, outputs, and no estimates from failed fits."""

from __future__ import annotations

import argparse
import copy
from pathlib import Path

import pandas as pd
import pytest
import yaml

from pipeline.config import config_from_dict
from pipeline.errors import ConfigError
from pipeline.crosslag import stage

ROOT = Path(__file__).resolve().parents[2]
PANEL = ROOT / "tests" / "fixtures" / "lavaan" / "panel_complete.csv"


@pytest.fixture
def raw_cfg():
    return yaml.safe_load((ROOT / "config" / "config.yaml").read_text())


def _cfg(raw, crosslag):
    raw = copy.deepcopy(raw)
    raw["crosslag"] = crosslag
    return config_from_dict(raw, root=ROOT)


def test_defaults_use_all_scales_and_waves(raw_cfg):
    s, analyses = stage.crosslag_settings(_cfg(raw_cfg, {}))
    assert s["waves"] == ["T0", "T1", "T2"]
    assert analyses == {"all_constructs": {"constructs": list(raw_cfg["scales"]),
                                           "models": ["clpm", "riclpm"], "covariates": []}}


@pytest.mark.parametrize("bad, match", [
    ({"analyses": {"x": {"constructs": ["wellbeing"]}}}, "crosslag.analyses.x.constructs"),
    ({"waves": ["T0", "T9"]}, "crosslag.waves"),
    ({"modles": ["clpm"]}, "unknown key"),
    ({"analyses": {"x": {"constructs": ["qol"], "models": ["lgcm"]}}}, "models"),
    ({"analyses": {"x": {"constructs": ["qol"], "covariates": ["income"]}}}, "covariates"),
])
def test_bad_config_is_named(raw_cfg, bad, match):
    with pytest.raises(ConfigError, match=match):
        stage.crosslag_settings(_cfg(raw_cfg, bad))


def test_run_writes_tables_and_hides_failed_fits(raw_cfg, tmp_path):
    wide = pd.read_csv(PANEL)
    wide = wide.drop(columns=[c for c in wide.columns if c.endswith("_T3")])
    # a constant-ish twin makes the second analysis fail: loneliness copied into "support"
    wide["support_T0"] = wide["loneliness_T0"]
    wide["support_T1"] = wide["loneliness_T1"]
    wide["support_T2"] = wide["loneliness_T2"]
    wide_path = tmp_path / "wide.parquet"
    wide.to_parquet(wide_path)
    cfg = _cfg(raw_cfg, {"analyses": {
        "ok_pair": {"constructs": ["belonging", "qol"]},
        "collinear": {"constructs": ["support", "loneliness"], "models": ["clpm"]},
    }})
    args = argparse.Namespace(wide=str(wide_path), outdir=str(tmp_path / "t"),
                              figdir=str(tmp_path / "f"), modeldir=str(tmp_path / "m"))
    stage.run(cfg, args)
    status = pd.read_csv(tmp_path / "t" / "crosslag_status.csv")
    est = pd.read_csv(tmp_path / "t" / "crosslag_estimates.csv")
    ok = status[status["status"] == "ok"]
    assert set(ok["analysis"]) == {"ok_pair"}
    failed = status[status["analysis"] == "collinear"]
    assert len(failed) and (failed["status"] != "ok").all()
    assert failed["message"].str.len().min() > 20
    assert set(est["analysis"]) == {"ok_pair"}, "a failed fit must not report estimates"
    lag = pd.read_csv(tmp_path / "t" / "crosslag_lagged_effects.csv")
    assert set(lag["lag_months"]) == {4.0, 3.0}  # unequal spacing recorded
    comp = pd.read_csv(tmp_path / "t" / "crosslag_comparison.csv")
    assert {"chisq_diff", "df_diff", "pvalue", "status"} <= set(comp.columns)
    ri = comp[(comp["analysis"] == "ok_pair") & (comp["model"] == "clpm vs riclpm")].iloc[0]
    fit = pd.read_csv(tmp_path / "t" / "crosslag_fit.csv").set_index(["analysis", "model",
                                                                      "constraint"])
    expected = (fit.loc[("ok_pair", "clpm", "free"), "chisq"]
                - fit.loc[("ok_pair", "riclpm", "free"), "chisq"])
    assert ri["status"] == "ok" and ri["df_diff"] == 3  # 2 RI variances + 1 covariance
    assert abs(ri["chisq_diff"] - expected) < 1e-6 and "conservative" in ri["message"]
    assert (tmp_path / "f" / "crosslag_ok_pair_riclpm.png").exists()
    syntax = (tmp_path / "m" / "crosslag_ok_pair_riclpm_free.lav").read_text()
    assert "=~ 1*belonging_T0" in syntax
