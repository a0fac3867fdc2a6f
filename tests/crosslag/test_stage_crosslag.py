"""The cross-lagged stage: declared outputs only, every declared output written, no estimates
from failed fits."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import yaml

from pipeline.cli import main
from pipeline.config import config_from_dict
from pipeline.crosslag import stage
from pipeline.crosslag.settings import from_config
from pipeline.stage_io import StageIO

ROOT = Path(__file__).resolve().parents[2]
PANEL = ROOT / "tests" / "fixtures" / "lavaan" / "panel_complete.csv"
TABLES = {"estimates": "crosslag_estimates.csv", "fit": "crosslag_fit.csv",
          "lagged": "crosslag_lagged_effects.csv", "status": "crosslag_status.csv",
          "comparison": "crosslag_comparison.csv", "spacing": "crosslag_wave_spacing.csv"}


@pytest.fixture
def raw_cfg():
    raw = yaml.safe_load((ROOT / "config" / "studies" / "demo.yaml").read_text())
    raw["crosslag"] = {"analyses": {
        "ok_pair": {"constructs": ["belonging", "qol"]},
        "collinear": {"constructs": ["support", "loneliness"], "models": ["clpm"]},
    }}
    return raw


@pytest.fixture
def wide_path(tmp_path):
    wide = pd.read_csv(PANEL)
    wide = wide.drop(columns=[c for c in wide.columns if c.endswith("_T3")])
    # a copy of loneliness as "support" makes the second analysis fail
    for w in ("T0", "T1", "T2"):
        wide[f"support_{w}"] = wide[f"loneliness_{w}"]
    path = tmp_path / "wide.parquet"
    wide.to_parquet(path)
    return path


def _io(cfg, wide_path: Path, out: Path) -> dict:
    """The rule's declarations (as rules/crosslag.smk builds them from the settings)."""
    s = from_config(cfg)
    output = {k: str(out / "tables" / v) for k, v in TABLES.items()}
    output["figures"] = [str(out / "figures" / f"{stem}.{ext}")
                         for stem in s.figure_stems for ext in ("png", "svg")]
    output["models"] = [str(out / "models" / f"{stem}.lav") for stem in s.syntax_stems]
    return {"input": {"wide": str(wide_path)}, "output": output, "wildcards": {}}


def test_run_writes_every_declared_output_and_nothing_else(raw_cfg, wide_path, tmp_path):
    cfg = config_from_dict(raw_cfg, root=ROOT)
    io = _io(cfg, wide_path, tmp_path / "out")
    stage.run(cfg, StageIO.from_json(json.dumps(io)))
    written = sorted(str(p) for p in (tmp_path / "out").rglob("*") if p.is_file())
    declared = sorted([*[v for k, v in io["output"].items() if isinstance(v, str)],
                       *io["output"]["figures"], *io["output"]["models"]])
    assert written == declared
    # the failed analysis still has its (placeholder) figure
    assert "crosslag_collinear_clpm.svg" in {Path(p).name for p in written}


def test_failed_fits_report_no_estimates(raw_cfg, wide_path, tmp_path):
    cfg = config_from_dict(raw_cfg, root=ROOT)
    stage.run(cfg, StageIO.from_json(json.dumps(_io(cfg, wide_path, tmp_path))))
    t = tmp_path / "tables"
    status = pd.read_csv(t / "crosslag_status.csv")
    assert list(status.columns) == ["analysis", "model", "constraint", "method", "status",
                                    "exploratory", "message", "note", "role"]
    assert set(status.loc[status["status"] == "ok", "analysis"]) == {"ok_pair"}
    failed = status[status["analysis"] == "collinear"]
    assert len(failed) and (failed["status"] != "ok").all()
    assert failed["message"].str.len().min() > 20
    est = pd.read_csv(t / "crosslag_estimates.csv")
    assert set(est["analysis"]) == {"ok_pair"}, "a failed fit must not report estimates"
    lag = pd.read_csv(t / "crosslag_lagged_effects.csv")
    assert set(lag["lag_months"]) == {4.0, 3.0}  # unequal spacing recorded
    # the findings contract: role, model, stationary flag, Holm p-values
    assert {"role", "model", "stationary", "pvalue_holm", "holm_m", "finding", "method",
            "se_type", "n"} <= set(lag.columns)
    assert set(lag["se_type"]) == {"robust"} and set(lag["method"]) == {"fiml"}  # MLR default
    head = lag[lag["role"] == "headline"]
    assert set(head["model"]) == {"riclpm"} and head["constraint"].nunique() == 1
    assert (lag.loc[lag["model"] == "clpm", "role"] == "comparison").all()
    assert not lag.loc[lag["role"] == "comparison", "finding"].any()
    cross = lag["type"] == "cross-lagged"
    assert lag.loc[cross, "pvalue_holm"].ge(lag.loc[cross, "pvalue"] - 1e-12).all()
    assert lag.loc[~cross, "pvalue_holm"].isna().all()
    clpm_rows = status[status["model"] == "clpm"]
    assert clpm_rows["note"].str.contains("for comparison only: mixes stable differences",
                                          case=False).all()
    ok_head = status[(status["analysis"] == "ok_pair") & (status["role"] == "headline")]
    assert len(ok_head) == 1 and "Holm-adjusted" in ok_head["note"].iloc[0]
    comp = pd.read_csv(t / "crosslag_comparison.csv")
    assert {"chisq_diff", "df_diff", "pvalue", "status"} <= set(comp.columns)
    ri = comp[(comp["analysis"] == "ok_pair") & (comp["model"] == "clpm vs riclpm")].iloc[0]
    fit = pd.read_csv(t / "crosslag_fit.csv").set_index(["analysis", "model", "constraint"])
    expected = (fit.loc[("ok_pair", "clpm", "free"), "chisq"]
                - fit.loc[("ok_pair", "riclpm", "free"), "chisq"])
    assert ri["status"] == "ok" and ri["df_diff"] == 3  # 2 RI variances + 1 covariance
    assert abs(ri["chisq_diff"] - expected) < 1e-6 and "conservative" in ri["message"]
    assert ri["reference"].startswith("chi-bar-square 0.146 chi2_0")
    assert ri["pvalue"] < ri["pvalue_chi2"]  # the boundary mixture, not the plain chi2(3)
    syntax = (tmp_path / "models" / "crosslag_ok_pair_riclpm_free.lav").read_text()
    assert syntax.startswith("# RICLPM 'ok_pair' (free lagged effects)")
    assert "=~ 1*belonging_T0" in syntax


def test_cli_refuses_an_undeclared_figure(raw_cfg, wide_path, tmp_path, capsys):
    cfg = config_from_dict(raw_cfg, root=ROOT)
    io = _io(cfg, wide_path, tmp_path)
    io["output"]["figures"] = [p for p in io["output"]["figures"] if "collinear" not in p]
    (tmp_path / "cfg.json").write_text(json.dumps(raw_cfg))
    log = tmp_path / "crosslag.log"
    rc = main(["crosslag", "--config", str(tmp_path / "cfg.json"), "--root", str(ROOT),
               "--io", json.dumps(io), "--log", str(log)])
    assert rc == 3  # a bug in the wiring, not the user's data: exit 3, traceback in the log
    assert "crosslag_collinear_clpm.png" in capsys.readouterr().err
    assert "KeyError" in log.read_text() and "Traceback" in log.read_text()


def test_no_comparison_still_writes_the_header():
    # two waves: no stationarity test and no RI-CLPM to compare with; readers (findings,
    # report) must still find the columns (issue 13: a two-wave study broke the report)
    from pipeline.crosslag.analysis import COMPARISON_COLUMNS, CrosslagResults

    table = CrosslagResults().tables()["comparison"]
    assert table.empty and list(table.columns) == COMPARISON_COLUMNS
