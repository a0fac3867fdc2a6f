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


def _imputations_file(tmp_path: Path, wide: pd.DataFrame, m: int) -> Path:
    """An impute-stage imputations file for ``wide`` (every missing numeric cell drawn from its
    column's observed values; the stage only reads the file)."""
    from pipeline.stage_io import CELL_KEYS, imp_column, write_imputed_cells

    rng = np.random.default_rng(3)
    cols = [c for c in wide.columns if c != "pid" and wide[c].dtype.kind == "f"]
    cells = []
    for c in cols:
        miss = wide[c].isna().to_numpy()
        if miss.any():
            part = pd.DataFrame({"variable": c, "pid": wide.loc[miss, "pid"].to_numpy()})
            for i in range(m):
                part[imp_column(i)] = rng.choice(wide[c].dropna().to_numpy(), miss.sum())
            cells.append(part)
    path = tmp_path / "imputations.parquet"
    write_imputed_cells(pd.concat(cells, ignore_index=True)[[*CELL_KEYS,
                                                            *map(imp_column, range(m))]],
                        m, cols, {}, path)
    return path


def test_stage_with_mi_by_rubins_rules(tmp_path):
    """mediation.mi.method: rubin through the stage: the mi rows pool the impute stage's
    imputations (input ``imputations``) by Rubin's rules, labelled as such, every declared
    output written; without the input the mi rows fail saying to run impute."""
    raw = yaml.safe_load((ROOT / "config" / "studies" / "demo.yaml").read_text())
    raw["mediation"].update(mi={"method": "rubin"}, fiml={"mc_draws": 1000},
                            methods=["mi", "complete_case"], bootstrap={"B": 200})
    raw["missing_data"]["primary"] = "mi"
    cfg = config_from_dict(raw, root=ROOT)
    wide = wide_from_chain()
    wide.loc[wide.index[::4], "qol_T1"] = np.nan
    wide.loc[wide.index[1::5], "support_T1"] = np.nan
    io = _io(tmp_path, wide)
    inputs = dict(io.inputs) | {"imputations": [str(_imputations_file(tmp_path, wide, 4))]}
    run(cfg, StageIO(inputs=inputs, outputs=io.outputs))
    assert len(_written(tmp_path)) == 7
    est = pd.read_csv(tmp_path / "tables" / "mediation_estimates.csv")
    mi = est[est["method"] == "mi"]
    assert set(mi["ci_method"]) == {"rubin_t", "rubin_monte_carlo"}
    assert set(mi.loc[mi["effect_type"] == "indirect_specific", "ci_method"]) == {
        "rubin_monte_carlo"}
    assert set(mi["n"]) == {len(wide)} and set(mi["B"]) == {1000}
    status = pd.read_csv(tmp_path / "tables" / "mediation_status.csv").set_index("method")
    assert status.loc["mi", "status"] == "ok" and bool(status.loc["mi", "primary"]) is True
    assert "Rubin's rules" in status.loc["mi", "message"] and "m = 4" in status.loc["mi",
                                                                                   "message"]
    sentences = pd.read_csv(tmp_path / "tables" / "mediation_sentences.csv")
    assert "multiply imputed" in sentences.set_index("method").loc["mi", "sentence"]
    # the findings read the rubin rows as they read boot-MI rows: method mi, in words
    from pipeline.findings.analysis import build_findings
    from pipeline.findings.settings import from_config as findings_settings

    f = build_findings({"mediation": est, "mediation_status": status.reset_index()}, {},
                       findings_settings(cfg)).set_index("finding_id")
    row = f.loc["mediation.social_cure_chain.total"]
    assert row["method"] == "mi" and row["status"] == "ok" and row["role"] == "primary"
    assert row["estimate"] == mi.loc[mi["effect_type"] == "total", "est"].iloc[0]
    assert "Estimated by multiple imputation" in row["sentence"]
    run(cfg, io)  # no imputations input
    status = pd.read_csv(tmp_path / "tables" / "mediation_status.csv").set_index("method")
    assert status.loc["mi", "status"] == "failed"
    assert "run the impute rule" in status.loc["mi", "message"]
