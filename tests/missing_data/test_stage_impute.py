"""The missing-data stage: run(cfg, io) on small synthetic wide frames; no plausible numbers
from data that cannot support them (constant or all-missing outcome, a scale nobody answered, no
follow-up)."""

from __future__ import annotations

import copy
import json
import logging
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from pipeline.config import config_from_dict
from pipeline.errors import DataError
from pipeline.missing_data import stage
from pipeline.stage_io import StageIO

ROOT = Path(__file__).resolve().parents[2]
SCALES = ["group_memberships", "belonging", "support", "loneliness", "qol"]
FIGURES = ["imputation_chains", "imputation_observed_vs_imputed", "sensitivity_tipping_point"]


# --------------------------------------------------------------------------------------------
# run(cfg, io) on small synthetic wide frames
# --------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def raw_cfg():
    return yaml.safe_load((ROOT / "config" / "studies" / "demo.yaml").read_text())


def _cfg(raw, **missing_data):
    raw = copy.deepcopy(raw)
    md = dict(raw.get("missing_data") or {})
    md.update({"m": 3, "iterations": 2})
    md["sensitivity"] = {**(md.get("sensitivity") or {}), "outcome": "qol", "wave": "T1",
                         "deltas": [-10, 0, 10], "mode": "post"}
    md.update(missing_data)
    raw["missing_data"] = md
    return config_from_dict(raw, root=ROOT)


def _wide(n=80, seed=0):
    """Wide data like the clean stage writes: covariates, <scale>_<wave>, ~30% drop-out."""
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({
        "pid": [f"p{i:03d}" for i in range(n)],
        "age": rng.integers(18, 80, n).astype(float),
        "gender": pd.Categorical(rng.choice(["Woman", "Man"], n)),
    })
    latent = rng.normal(size=n)
    for w, shift in (("T0", 0.0), ("T1", 0.3), ("T2", 0.5)):
        for s in SCALES:
            hi = 100.0 if s == "qol" else 7.0
            x = hi / 2 + hi / 8 * (latent + shift + rng.normal(scale=0.7, size=n))
            df[f"{s}_{w}"] = np.clip(np.round(x, 1), 0 if s == "qol" else 1, hi)
    left = rng.random(n) < 0.3
    for w in ("T1", "T2"):
        for s in SCALES:
            df.loc[left, f"{s}_{w}"] = np.nan
    df.loc[rng.random(n) < 0.05, "qol_T0"] = np.nan
    return df


def _io(tmp_path: Path, weights_path: str | None) -> StageIO:
    t, f = tmp_path / "t", tmp_path / "f"
    inputs = {"wide": str(tmp_path / "wide.parquet")}
    if weights_path is not None:
        inputs["weights"] = weights_path
    outputs = {
        "imputations": str(tmp_path / "imp" / "i.parquet"),
        "log": str(t / "imputation_log.csv"),
        "settings": str(t / "imputation_settings.csv"),
        "primary": str(t / "missing_data_primary.csv"),
        "tipping": str(t / "sensitivity_tipping_point.csv"),
        "summary": str(tmp_path / "summary.json"),
        "figures": [str(f / f"{n}.{e}") for n in FIGURES for e in ("png", "svg")],
    }
    return StageIO(inputs=inputs, outputs=outputs)


def _run(cfg, wide, tmp_path, weights=None):
    tmp_path.mkdir(parents=True, exist_ok=True)
    wide.to_parquet(tmp_path / "wide.parquet")
    weights_path = None
    if weights is not None:
        weights_path = str(tmp_path / "ipw_weights.parquet")
        weights.to_parquet(weights_path)
    io = _io(tmp_path, weights_path)
    stage.run(cfg, io)
    t = tmp_path / "t"
    written = {p for p in tmp_path.rglob("*") if p.is_file()}
    declared = {Path(p) for v in io.outputs.values() for p in ([v] if isinstance(v, str) else v)}
    assert written - declared == {tmp_path / "wide.parquet", *(
        [Path(weights_path)] if weights_path else [])}, "the stage wrote an undeclared file"
    assert declared <= written, "a declared output was not written"
    return (pd.read_csv(t / "missing_data_primary.csv"),
            pd.read_csv(t / "sensitivity_tipping_point.csv"),
            pd.read_csv(t / "imputation_log.csv"),
            json.loads((tmp_path / "summary.json").read_text()))


_ESTIMATES = ["m", "estimate", "se", "df", "pvalue", "ci_lower", "ci_upper", "n", "fmi"]


def test_ordinary_data_give_mi_and_tipping_point(raw_cfg, tmp_path):
    wide = _wide()
    weights = pd.DataFrame({"pid": wide["pid"], "ipw_T1": 1.0})
    primary, tip, _, summary = _run(_cfg(raw_cfg), wide, tmp_path, weights=weights)
    assert primary["method"].tolist() == ["fiml", "mi", "ipw", "complete_case"]
    assert (primary["status"] == "ok").all()
    p = primary.set_index("method")
    # the config says fiml: the FIML row is the primary one, no stand-in (issue 11)
    assert p.loc["fiml", "primary"] and p.loc["fiml", "role"] == "primary"
    assert p.loc["fiml", "n"] == 80 and p.loc["fiml", "n_auxiliaries"] > 10
    assert primary["stands_in_for"].isna().all()
    mi = p.loc["mi"]
    assert not mi["primary"] and mi["n"] == 80 and mi["m"] == 3
    assert (tip["status"] == "ok").all() and len(tip) == 3
    assert tip["estimate"].nunique() == 3  # the shift moves the estimate
    assert (tip["stands_in_for"] == "fiml").all()  # a delta adjustment needs imputations
    assert tip["baseline_sd"].iloc[0] == pytest.approx(wide["qol_T0"].std(ddof=1))
    assert np.allclose(tip["delta_sd"], tip["delta"] / tip["baseline_sd"])
    assert summary["primary_status"] == "ok" and summary["sensitivity_status"] == "ok"
    assert summary["primary_method"] == "fiml" and summary["primary_stand_in"] is None
    assert summary["tipping_stands_in_for"] == "fiml" and isinstance(summary["fragile"], bool)
    assert "multiple imputation, standing in for the main analysis (full-information" in \
        summary["tipping_sentence"]
    assert summary["baseline_sd"] == pytest.approx(wide["qol_T0"].std(ddof=1))
    # the imputation model holds the FIML auxiliaries: other constructs at every wave and the
    # retention predictors (covariates + baseline scores), stated per variable and in words
    roles = pd.read_csv(tmp_path / "t" / "imputation_settings.csv").set_index("variable")["role"]
    assert roles["qol_T0"] == roles["qol_T1"] == "estimand"
    assert roles["age"] == roles["belonging_T0"] == "auxiliary: retention predictor"
    assert roles["belonging_T2"] == "auxiliary: other construct"
    assert roles["qol_T2"] == "auxiliary: same construct, other wave"
    assert "FIML estimate uses the same variables" in summary["imputation_model"]
    ilog = pd.read_csv(tmp_path / "t" / "imputation_log.csv")
    assert set(ilog.loc[ilog["event"] == "convergence", "variable"]) >= {"qol_T1", "qol_T0"}


def test_constant_outcome_is_not_estimable_under_mi(raw_cfg, tmp_path, caplog):
    """Audit c09a: every observed qol_T1 = 50. MICE cannot impute it, so the MI row and the
    tipping point are not estimable; the complete-case row keeps its own n."""
    wide = _wide()
    wide.loc[wide["qol_T1"].notna(), "qol_T1"] = 50.0
    n_cc = int(wide[["qol_T0", "qol_T1"]].notna().all(axis=1).sum())
    with caplog.at_level(logging.WARNING, logger="pipeline.stats.mice"):
        primary, tip, ilog, summary = _run(_cfg(raw_cfg), wide, tmp_path)
    assert ("qol_T1", "constant") in set(zip(ilog["variable"], ilog["event"], strict=True))
    p = primary.set_index("method")
    assert p.loc["complete_case", "status"] == "ok" and p.loc["complete_case", "n"] == n_cc
    mi = p.loc["mi"]
    assert mi["status"] == "not_estimable" and not mi["primary"]
    assert "qol_T1 could not be imputed: it does not vary" in mi["message"]
    fiml = p.loc["fiml"]
    assert fiml["primary"] and fiml["status"] == "not_estimable" and "constant" in fiml["message"]
    assert "complete case stands in for fiml" in fiml["message"]
    assert p.loc["complete_case", "stands_in_for"] == "fiml"
    assert mi[_ESTIMATES].isna().all(), "a not-estimable row must carry no numbers"
    assert len(tip) == 1 and tip["status"].iloc[0] == "not_estimable"
    assert "does not vary" in tip["message"].iloc[0]
    assert tip[["delta", "estimate", "se", "ci_lower", "ci_upper"]].isna().all(axis=None)
    s = summary["tipping_sentence"]
    assert "could not be done" in s and "does not vary" in s and "did not change" not in s
    assert summary["primary_status"] == "not_estimable"
    assert summary["tipping_delta_negative"] is None
    assert (tmp_path / "f" / "sensitivity_tipping_point.png").exists()
    assert "not estimable" in caplog.text


def test_constant_baseline_with_missing_values_is_not_estimable(raw_cfg, tmp_path):
    wide = _wide()
    wide.loc[wide["qol_T0"].notna(), "qol_T0"] = 60.0
    primary, tip, _, _ = _run(_cfg(raw_cfg), wide, tmp_path)
    mi = primary.set_index("method").loc["mi"]
    assert mi["status"] == "not_estimable" and "qol_T0 could not be imputed" in mi["message"]
    assert tip["status"].tolist() == ["not_estimable"]


def test_all_missing_scale_is_left_out_of_the_default_model(raw_cfg, tmp_path, caplog):
    """Audit c09b: belonging items all missing at T1. With the default column list the column
    is left out (log row + warning) and the stage carries on."""
    wide = _wide()
    wide["belonging_T1"] = np.nan
    with caplog.at_level(logging.WARNING, logger="pipeline.stats.mice"):
        primary, tip, ilog, summary = _run(_cfg(raw_cfg, columns=None), wide, tmp_path)
    row = ilog[ilog["variable"] == "belonging_T1"]
    assert row["event"].tolist() == ["all_missing"]
    assert "missing for all 80 participants" in row["message"].iloc[0]
    assert "belonging_T1" in caplog.text and "missing for all 80" in caplog.text
    settings = pd.read_csv(tmp_path / "t" / "imputation_settings.csv").set_index("variable")
    assert settings.loc["belonging_T1", "method"] == "excluded"
    assert (primary["status"] == "ok").all()
    assert (tip["status"] == "ok").all()
    assert "belonging_T1" in summary["excluded_from_imputation"]


def test_all_missing_column_listed_by_the_user_keeps_the_error(raw_cfg, tmp_path):
    wide = _wide()
    wide["belonging_T1"] = np.nan
    cols = ["age", "qol_T0", "qol_T1", "belonging_T0", "belonging_T1"]
    with pytest.raises(DataError, match="'belonging_T1' missing for all 80.*missing_data.columns"):
        _run(_cfg(raw_cfg, columns=cols), wide, tmp_path)


def test_no_follow_up_data_is_not_estimable_without_crashing(raw_cfg, tmp_path):
    """Audit c10c: no follow-up data at all; the primary outcome is missing for everyone."""
    wide = _wide()
    for w in ("T1", "T2"):
        for s in SCALES:
            wide[f"{s}_{w}"] = np.nan
    # the attrition stage writes all-NaN weights when nobody was retained
    weights = pd.DataFrame({"pid": wide["pid"], "ipw_T1": np.nan, "ipw_T2": np.nan})
    primary, tip, ilog, summary = _run(_cfg(raw_cfg), wide, tmp_path, weights=weights)
    assert set(ilog.loc[ilog["event"] == "all_missing", "variable"]) == {
        f"{s}_{w}" for w in ("T1", "T2") for s in SCALES}
    assert (primary["status"] == "not_estimable").all()
    assert primary[_ESTIMATES].isna().all(axis=None)
    p = primary.set_index("method")
    assert "qol_T1 is missing for all 80 participants" in p.loc["mi", "message"]
    assert "n = 0" in p.loc["complete_case", "message"]
    assert "inverse-probability weight (ipw_T1)" in p.loc["ipw", "message"]
    assert tip["status"].tolist() == ["not_estimable"]
    assert "missing for all 80" in summary["tipping_sentence"]
    assert summary["sensitivity_status"] == "not_estimable"


def test_outcome_not_in_user_columns_is_not_estimable_under_mi(raw_cfg, tmp_path):
    """MI needs the outcome in the imputation model; otherwise its missing values stay missing."""
    cols = ["age", "qol_T0", "belonging_T0", "belonging_T1"]
    primary, tip, _, _ = _run(_cfg(raw_cfg, columns=cols), _wide(), tmp_path)
    mi = primary.set_index("method").loc["mi"]
    assert mi["status"] == "not_estimable"
    assert "qol_T1" in mi["message"] and "missing_data.columns" in mi["message"]
    assert tip["status"].tolist() == ["not_estimable"]


def test_outcome_without_missing_values_needs_no_tipping_point(raw_cfg, tmp_path):
    wide = _wide()
    rng = np.random.default_rng(5)
    gone = wide["qol_T1"].isna()
    wide.loc[gone, "qol_T1"] = rng.uniform(20, 80, int(gone.sum())).round(1)
    wide.loc[wide["qol_T0"].isna(), "qol_T0"] = 50.0
    primary, tip, _, summary = _run(_cfg(raw_cfg), wide, tmp_path)
    assert (primary["status"] == "ok").all()
    assert tip["status"].tolist() == ["not_estimable"]
    assert "no missing values" in tip["message"].iloc[0]
    assert "no missing values" in summary["tipping_sentence"]


def test_chain_mode_reimputes_with_the_same_model(raw_cfg, tmp_path):
    """mode: chain re-runs MICE per delta with the configured m and iterations, and leaves the
    all-missing column out there too (no crash half-way through the stage)."""
    wide = _wide()
    wide["belonging_T1"] = np.nan
    cfg = _cfg(raw_cfg, sensitivity={"outcome": "qol", "wave": "T1", "deltas": [-10, 0, 10],
                                     "mode": "chain"})
    primary, tip, _, _ = _run(cfg, wide, tmp_path)
    assert (primary["status"] == "ok").all()
    assert (tip["status"] == "ok").all() and (tip["mode"] == "chain").all()
    assert (tip["m"] == 3).all()


def test_single_wave_study_waits_for_the_second_wave(raw_cfg, tmp_path):
    # issue 13: the impute rule is not in a one-wave workflow (pipeline.plan); run anyway, the
    # stage says why in every declared output instead of refusing
    from pipeline.missing_data.settings import inactive

    raw = copy.deepcopy(raw_cfg)
    raw["waves"] = raw["waves"][:1]
    raw["missing_data"] = {"m": 3, "iterations": 2}
    cfg = config_from_dict(raw, root=ROOT)
    assert inactive(cfg)[0] == "waits_for_data"
    wide = _wide()[["pid", "age", "gender", *[f"{s}_T0" for s in SCALES]]]
    primary, tip, _, summary = _run(cfg, wide, tmp_path)
    assert primary["status"].tolist() == ["not_run"] and tip["status"].tolist() == ["not_run"]
    assert "waits for a second wave" in primary["message"].iloc[0]
    assert summary["sensitivity_status"] == "not_run"


def test_no_primary_outcome_skips_estimand_and_tipping_point(raw_cfg, tmp_path):
    # no outcome configured and no mediation chain to take it from: nothing is guessed; the
    # imputations are still made (the change wing's MI rows use them)
    raw = copy.deepcopy(raw_cfg)
    raw["mediation"]["analyses"] = {}
    raw["missing_data"] = {"m": 3, "iterations": 2, "sensitivity": {"wave": "T1"}}
    cfg = config_from_dict(raw, root=ROOT)
    primary, tip, log_table, summary = _run(cfg, _wide(), tmp_path)
    assert primary["status"].tolist() == ["not_run"] and tip["status"].tolist() == ["not_run"]
    assert "missing_data.sensitivity.outcome" in tip["message"].iloc[0]
    assert summary["primary_estimand"] is None and summary["m"] == 3
    assert len(pd.read_parquet(tmp_path / "imp" / "i.parquet")) > 0
    roles = pd.read_csv(tmp_path / "t" / "imputation_settings.csv")["role"]
    assert "estimand" not in set(roles)


def test_chain_jobs_then_gathering_write_the_same_files_as_one_run(raw_cfg, tmp_path):
    """Issue 15: with the chains run as impute_chains jobs (rule wildcard ``block``, one part
    each) and gathered by the impute job, every output is byte-identical to the stage running
    all chains itself; a chain job writes its part only."""
    import hashlib

    cfg = _cfg(raw_cfg, chain_blocks=2)
    wide = _wide()
    _run(cfg, wide, tmp_path / "one")
    io = _io(tmp_path / "split", None)
    (tmp_path / "split").mkdir()
    wide.to_parquet(tmp_path / "split" / "wide.parquet")
    parts = [str(tmp_path / "split" / "parts" / f"chains_{k}.parquet") for k in range(2)]
    for k, part in enumerate(parts):
        stage.run(cfg, StageIO(inputs=io.inputs, outputs={"part": part},
                               wildcards={"block": str(k)}))
    assert sorted(p.name for p in (tmp_path / "split").rglob("*") if p.is_file()) == [
        "chains_0.parquet", "chains_1.parquet", "wide.parquet"]
    stage.run(cfg, StageIO(inputs={**io.inputs, "chains": parts}, outputs=io.outputs))
    for name, spec in io.outputs.items():
        for p in [spec] if isinstance(spec, str) else spec:
            mine = Path(p.replace(str(tmp_path / "split"), str(tmp_path / "one")))
            assert hashlib.sha256(Path(p).read_bytes()).digest() == \
                hashlib.sha256(mine.read_bytes()).digest(), name
