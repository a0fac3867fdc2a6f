"""The findings stage end to end on crafted files: declared outputs only, contract columns,
a public copy, missing inputs named (rows not_estimable, no crash)."""

from __future__ import annotations

import json

import pandas as pd
from findings_helpers import change_row, change_table, mediation_table

from pipeline.findings import stage
from pipeline.findings.table import COLUMNS
from pipeline.stage_io import StageIO


def test_stage_writes_exactly_its_outputs(tmp_path, cfg):
    change_table(change_row(), change_row(method="mi", est=2.0, lo=-0.2, hi=4.2)).to_csv(
        tmp_path / "change_primary.csv", index=False)
    mediation_table().to_csv(tmp_path / "mediation_estimates.csv", index=False)
    (tmp_path / "summary.json").write_text(json.dumps({"tipping_delta_positive": 1.0}))
    out = tmp_path / "out"
    io = StageIO(inputs={"change": str(tmp_path / "change_primary.csv"),
                         "mediation": str(tmp_path / "mediation_estimates.csv"),
                         "summary": str(tmp_path / "summary.json")},
                 outputs={"table": str(out / "findings.csv"),
                          "public": str(out / "findings_public.csv")})
    stage.run(cfg, io)
    assert sorted(p.name for p in out.iterdir()) == ["findings.csv", "findings_public.csv"]
    t = pd.read_csv(out / "findings.csv")
    assert list(t.columns) == COLUMNS
    assert t["finding_id"].is_unique
    assert set(t["role"]) == {"primary", "sensitivity"}
    assert (t.loc[t["kind"] == "participation", "status"] == "not_estimable").all()
    assert "attrition_flow.csv" in t.loc[t["kind"] == "participation", "message"].iloc[0]
    prim = t[(t["role"] == "primary") & (t["status"] == "ok")]
    assert prim["sentence"].str.len().gt(0).all()
    pub = pd.read_csv(out / "findings_public.csv")
    assert list(pub.columns) == COLUMNS
