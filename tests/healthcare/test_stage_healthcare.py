"""The healthcare rule in the workflow: a small generated study with a count column runs
through ingest, clean, change and healthcare (the workflow's own rules); the count is analysed
by the healthcare wing and skipped by the change wing, and the rule writes exactly its
declared outputs. A count that is not a whole number stops the stage with a plain message."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
TARGETS = ["tables/healthcare_change.csv", "tables/healthcare_mediation.csv",
           "tables/healthcare_sentences.csv", "figures/healthcare_gp.png",
           "figures/healthcare_gp.svg", "tables/change_status.csv"]


def _study(tmp: Path, fractional: bool = False, arm: bool = False) -> Path:
    rng = np.random.default_rng(11)
    n = 160
    ids = [f"P{i:03d}" for i in range(n)]
    age = rng.integers(30, 85, n)
    person = rng.normal(0, 0.5, n)
    gm0 = rng.integers(1, 8, (n, 2))
    waves = []
    for w, months, keep, rate in (("T0", 0, np.ones(n, bool), 1.0),
                                  ("T1", 4, rng.random(n) > 0.25, 0.8)):
        gm = np.clip(gm0 + (rng.integers(0, 3, (n, 2)) if months else 0), 1, 7)
        mu = np.exp(0.7 + person) * rate
        d = pd.DataFrame({"participant_id": ids, "completed_at": f"2024-0{1 + months}-01",
                          "age": age, "gm1": gm[:, 0], "gm2": gm[:, 1],
                          "cb1": np.clip(gm[:, 0] + rng.integers(-1, 2, n), 1, 7),
                          "lon1": rng.integers(1, 4, n), "lon2": rng.integers(1, 4, n),
                          "gp_visits": rng.negative_binomial(2, 2 / (2 + mu))})
        if arm:  # every other person in the programme; nobody's arm missing
            d["arm"] = np.where(np.arange(n) % 2 == 0, "Programme", "Usual care")
        if fractional and w == "T1":
            d["gp_visits"] = d["gp_visits"].astype(float)
            d.loc[[3, 5], "gp_visits"] = 1.5
        d[keep].to_csv(tmp / f"{w}.csv", index=False)
        waves.append({"id": w, "label": "Entry" if w == "T0" else "About 4 months",
                      "file": str(tmp / f"{w}.csv"), "months": months,
                      "date_column": "completed_at"})
    cfg = {"study": {"id": "hc"}, "seed": 3, "pseudonymisation": {"salt": "test"},
           "id_column": "participant_id", "waves": waves,
           "covariates": {"age": {"column": "age", "type": "numeric", "range": [16, 110]}},
           "scales": {"group_memberships": {"items": ["gm1", "gm2"], "range": [1, 7]},
                      "belonging": {"items": ["cb1"], "range": [1, 7]},
                      "loneliness": {"items": ["lon1", "lon2"], "range": [1, 3],
                                     "score": "sum"},
                      "gp_visits": {"items": ["gp_visits"], "range": [0, 60],
                                    "label": "GP visits"}},
           "crosslag": {"enabled": False}, "missing_data": {"enabled": False},
           "healthcare": {
               "outcomes": {"gp": {"construct": "gp_visits", "period_months": 3,
                                   "label": "GP visits in the last 3 months"}},
               "bootstrap_B": 200,
               "mediation": {"gp_chain": {
                   "x": {"construct": "group_memberships", "change": ["T0", "T1"]},
                   "mediators": [{"construct": "belonging", "wave": "T1"},
                                 {"construct": "loneliness", "wave": "T1"}],
                   "y": {"outcome": "gp", "wave": "T1"}, "covariates": ["age"]}}}}
    if arm:
        cfg["covariates"]["arm"] = {"column": "arm", "type": "categorical",
                                    "levels": ["Programme", "Usual care"]}
        cfg["comparison"] = {"group": "arm", "reference": "Usual care", "randomised": False,
                             "adjust_for": ["age"], "weighting": "none"}
    path = tmp / "study.yaml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    return path


def _run(tmp: Path, config: Path, *targets: str):
    return subprocess.run(
        [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), "-d",
         str(tmp / "work"), "--configfile", str(config), "--cores", "2", *targets],
        capture_output=True, text=True, timeout=1800)


def test_a_count_study_runs_through_the_healthcare_rule(tmp_path):
    config = _study(tmp_path)
    res = tmp_path / "work" / "results" / "hc"
    proc = _run(tmp_path, config, *[f"results/hc/{t}" for t in TARGETS])
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    change = pd.read_csv(res / "tables" / "healthcare_change.csv")
    ratio = change[(change["method"] == "glmm") & (change["quantity"] == "rate_ratio")]
    assert ratio["wave"].tolist() == ["T1"] and ratio["status"].eq("ok").all()
    assert 0.5 < ratio["estimate"].iloc[0] < 1.1
    med = pd.read_csv(res / "tables" / "healthcare_mediation.csv")
    assert {"direct", "ind_m1", "ind_m2", "ind_m1_m2", "total_indirect", "total"} == set(
        med["effect"])
    sent = pd.read_csv(res / "tables" / "healthcare_sentences.csv")
    assert sent["sentence"].iloc[0].startswith("GP visits in the last 3 months ")
    assert "P0" not in " ".join(sent["sentence"])  # no participant ids
    status = pd.read_csv(res / "tables" / "change_status.csv")
    gp = status[status["construct"] == "gp_visits"]
    assert gp["status"].tolist() == ["not_run"] and "healthcare" in gp["message"].iloc[0]
    assert not (res / "figures" / "change_gp_visits.png").exists()
    written = {p.name for p in (res / "figures").glob("healthcare_*")}
    assert written == {"healthcare_gp.png", "healthcare_gp.svg"}
    dry = _run(tmp_path, config, "-n", *[f"results/hc/{t}" for t in TARGETS])
    assert "Nothing to be done" in dry.stdout + dry.stderr


def test_a_fractional_count_stops_with_a_plain_message(tmp_path):
    config = _study(tmp_path, fractional=True)
    proc = _run(tmp_path, config, "results/hc/tables/healthcare_change.csv")
    assert proc.returncode != 0
    log = (tmp_path / "work" / "results" / "hc" / "logs" / "healthcare.log").read_text()
    text = proc.stdout + proc.stderr + log
    assert "column 'gp_visits_T1': 2 row(s)" in text and "whole number" in text


def test_with_a_comparison_group_the_rule_also_writes_the_change_by_arm(tmp_path):
    config = _study(tmp_path, arm=True)
    res = tmp_path / "work" / "results" / "hc"
    targets = [f"results/hc/{t}" for t in TARGETS[:5]] + [
        "results/hc/tables/healthcare_comparison.csv"]
    proc = _run(tmp_path, config, *targets)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    t = pd.read_csv(res / "tables" / "healthcare_comparison.csv")
    rrr = t[(t["quantity"] == "ratio_of_rate_ratios") & (t["method"] == "glmm")]
    assert rrr["wave"].tolist() == ["T1"] and rrr["status"].eq("ok").all()
    assert rrr["arm"].iloc[0] == "Programme vs Usual care"
    assert rrr["adjusted_for"].iloc[0] == "age"
    assert 0.5 < rrr["estimate"].iloc[0] < 2  # no arm effect planted
    sent = pd.read_csv(res / "tables" / "healthcare_sentences.csv")
    (s,) = sent.loc[sent["kind"] == "comparison", "sentence"]
    assert "accounting for measured differences only" in s and "P0" not in s
