"""The mediation stage writes exactly its rule's declared outputs (StageIO), and says why when
no method could estimate an analysis."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from mediation_helpers import wide_from_chain

from pipeline.config import config_from_dict
from pipeline.mediation.stage import run
from pipeline.stage_io import StageIO

ROOT = Path(__file__).resolve().parents[2]


def _cfg():
    raw = yaml.safe_load((ROOT / "config" / "studies" / "demo.yaml").read_text())
    raw["mediation"].update(bootstrap={"B": 200}, mi={"B": 100, "M": 2, "iterations": 2},
                            fiml={"mc_draws": 1000}, methods=["complete_case", "fiml"])
    return config_from_dict(raw, root=ROOT)


def _io(tmp_path: Path, wide: pd.DataFrame) -> StageIO:
    wide_path = tmp_path / "wide.parquet"
    wide.to_parquet(wide_path)
    figs = [str(tmp_path / "figures" / f"mediation_social_cure_chain_{k}.{e}")
            for k in ("path", "forest") for e in ("png", "svg")]
    return StageIO.from_json(json.dumps({
        "input": {"wide": str(wide_path)},
        "output": {name: str(tmp_path / "tables" / f"mediation_{name}.csv")
                   for name in ("estimates", "status", "sentences")} | {"figures": figs},
    }))


def _written(tmp_path: Path) -> set[str]:
    return {p.name for p in (tmp_path / "tables").iterdir()} | {
        p.name for p in (tmp_path / "figures").iterdir()}


def test_stage_writes_its_declared_outputs(tmp_path):
    run(_cfg(), _io(tmp_path, wide_from_chain()))
    assert _written(tmp_path) == {
        "mediation_estimates.csv", "mediation_status.csv", "mediation_sentences.csv",
        "mediation_social_cure_chain_path.png", "mediation_social_cure_chain_path.svg",
        "mediation_social_cure_chain_forest.png", "mediation_social_cure_chain_forest.svg"}
    status = pd.read_csv(tmp_path / "tables" / "mediation_status.csv")
    assert list(status.columns) == ["analysis", "method", "status", "message", "n_contributing",
                                    "n_outcome", "mar_assumption", "caveats", "primary"]
    assert list(status["method"]) == ["complete_case", "fiml"]
    assert list(status["primary"]) == [False, True]        # missing_data.primary: fiml
    est = pd.read_csv(tmp_path / "tables" / "mediation_estimates.csv")
    assert set(est["method"]) == {"complete_case", "fiml"}


def test_no_estimates_still_gives_every_declared_figure(tmp_path):
    wide = wide_from_chain()
    wide.loc[wide.index[12:], "qol_T1"] = np.nan              # 12 people with the outcome
    run(_cfg(), _io(tmp_path, wide))
    status = pd.read_csv(tmp_path / "tables" / "mediation_status.csv")
    assert set(status["status"]) == {"not_estimable"}
    assert pd.read_csv(tmp_path / "tables" / "mediation_estimates.csv").empty
    assert len(_written(tmp_path)) == 7
    svg = (tmp_path / "figures" / "mediation_social_cure_chain_path.svg").read_text()
    assert "No estimates" in svg



def test_waiting_chain_gets_status_rows_only():
    from types import SimpleNamespace

    from pipeline.mediation.outputs import waiting_rows

    s = SimpleNamespace(primary="fiml", methods=("fiml", "mi"),
                        waiting=(("half", "half", "waits for a third wave (x)"),))
    rows = waiting_rows(s)
    assert rows[["analysis", "method", "status"]].values.tolist() == [
        ["half", "fiml", "waits_for_data"], ["half", "mi", "waits_for_data"]]
    assert rows["primary"].tolist() == [True, False]


def test_stage_with_the_fiml_bootstrap(tmp_path):
    """fiml.se: bootstrap through the stage: every declared output, FIML rows with percentile
    intervals from fiml.bootstrap_B resamples, and the status naming the bootstrap."""
    raw = yaml.safe_load((ROOT / "config" / "studies" / "demo.yaml").read_text())
    raw["mediation"].update(fiml={"se": "bootstrap", "bootstrap_B": 100}, methods=["fiml"])
    run(config_from_dict(raw, root=ROOT), _io(tmp_path, wide_from_chain()))
    assert len(_written(tmp_path)) == 7
    est = pd.read_csv(tmp_path / "tables" / "mediation_estimates.csv")
    ind = est[est["effect_type"].isin(["indirect_specific", "total", "a", "b"])]
    assert set(ind["ci_method"]) == {"percentile"} and set(est["B"]) == {100}
    status = pd.read_csv(tmp_path / "tables" / "mediation_status.csv")
    assert "bootstrap (B = 100, percentile)" in status["message"].iloc[0]
