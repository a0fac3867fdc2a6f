"""Tests for pipeline/attrition/stage.py: the stage writes exactly its declared outputs."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pandas as pd
import pytest
import yaml

from pipeline.attrition import stage
from pipeline.config import config_from_dict
from pipeline.stage_io import StageIO

ROOT = Path(__file__).resolve().parents[2]
FIX = ROOT / "tests" / "fixtures" / "attrition"
TABLES = dict(flow="attrition_flow.csv", flow_public="attrition_flow_public.csv",
              missingness="attrition_missingness.csv", patterns="attrition_patterns.csv",
              patterns_public="attrition_patterns_public.csv",
              compare="attrition_retained_vs_lost.csv",
              compare_public="attrition_retained_vs_lost_public.csv",
              model="attrition_retention_model.csv", status="attrition_retention_status.csv",
              ipw="attrition_ipw.csv", mcar="attrition_mcar.csv")


def _config(**attrition):
    raw = yaml.safe_load((ROOT / "config" / "studies" / "demo.yaml").read_text())
    raw = copy.deepcopy(raw)
    raw["scales"] = {k: v for k, v in raw["scales"].items() if k in ("belonging", "qol")}
    raw["attrition"] = {**raw["attrition"], **attrition}
    return config_from_dict(raw, root=ROOT)


def _io(tmp: Path) -> StageIO:
    wide = pd.read_csv(FIX / "wide_attrition.csv")
    wide.to_parquet(tmp / "wide.parquet")
    long = pd.concat([wide.loc[wide[f"responded_{w}"], ["pid"]].assign(wave=w)
                      for w in ("T0", "T1", "T2")])
    long.to_parquet(tmp / "long.parquet")
    pd.DataFrame(columns=["wave", "issue", "action"]).to_csv(tmp / "qc.csv", index=False)
    out = tmp / "results"
    outputs = {k: str(out / "tables" / v) for k, v in TABLES.items()}
    outputs |= {
        "ipw_balance": [str(out / "tables" / f"attrition_ipw_balance_{w}.csv")
                        for w in ("T1", "T2")],
        "weights": str(out / "ipw_weights.parquet"), "summary": str(out / "summary.json"),
        "figures": [str(out / "figures" / f"{n}.{e}")
                    for n in ("attrition_flow", "missing_patterns") for e in ("png", "svg")],
    }
    return StageIO(inputs={"wide": str(tmp / "wide.parquet"), "long": str(tmp / "long.parquet"),
                           "qc": str(tmp / "qc.csv")}, outputs=outputs)


def _declared(io: StageIO) -> set[Path]:
    return {Path(p) for spec in io.outputs.values()
            for p in ([spec] if isinstance(spec, str) else spec)}


@pytest.mark.slow
def test_stage_writes_exactly_the_declared_outputs(tmp_path):
    io = _io(tmp_path)
    stage.run(_config(), io)
    written = {p for p in (tmp_path / "results").rglob("*") if p.is_file()}
    assert written == _declared(io)
    summary = json.loads(Path(io.outputs["summary"]).read_text())
    assert summary["sentence"].startswith("Of 630 people who joined")
    assert summary["comparison"].startswith("Compared with those who did not")
    assert summary["sentence"].endswith(summary["comparison"])
    ipw = pd.read_csv(io.outputs["ipw"])
    status = pd.read_csv(io.outputs["status"])
    assert ipw["status"].tolist() == ["ok", "ok"] and (status["status"] == "ok").all()
    # sequential IPW (issue 11): T2's weights come from the chain T1 (everyone) x T2 among the
    # T1 responders with their T1 answers; each step is a retention model with a status row
    assert status["analysis"].tolist() == ["retention_T1", "retention_T2",
                                           "retention_T2_given_T1"]
    assert ipw["model"].tolist() == ["baseline", "sequential"]
    assert ipw["method"].iloc[0] == "logit" and ipw["method"].iloc[1].startswith("logit+")


def test_stage_refuses_an_undeclared_figure(tmp_path):
    io = _io(tmp_path)
    outputs = dict(io.outputs)
    outputs["figures"] = [p for p in outputs["figures"] if not p.endswith("missing_patterns.svg")]
    with pytest.raises(KeyError, match="missing_patterns.svg"):
        stage.run(_config(), StageIO(inputs=io.inputs, outputs=outputs))
