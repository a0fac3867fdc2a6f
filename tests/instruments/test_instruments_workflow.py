"""A study whose scales are all presets runs through ingest and clean (the workflow's own
rules): UCLA-3 prorated sum, SWEMWBS metric score, EQ-5D-5L England index, ONS4 as four
scales, each checked against hand computation on a few rows."""

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
EQ = ["mo", "sc", "ua", "pd", "ad"]
DEC = {"mo": (0, .058, .076, .207, .274), "sc": (0, .050, .080, .164, .203),
       "ua": (0, .050, .063, .162, .184), "pd": (0, .063, .084, .276, .335),
       "ad": (0, .078, .104, .285, .289)}


def _study(tmp: Path) -> Path:
    rng = np.random.default_rng(7)
    n = 30
    waves = []
    for w, months in (("T0", 0), ("T1", 4)):
        d = {"participant_id": [f"P{i:03d}" for i in range(n)],
             "completed_at": [f"2024-0{1 + months // 4}-01"] * n}
        d |= {f"lon{i}": rng.integers(1, 4, n) for i in (1, 2, 3)}
        d |= {f"sw{i}": rng.integers(1, 6, n) for i in range(1, 8)}
        d |= {c: rng.integers(1, 6, n) for c in EQ}
        d |= {c: rng.integers(0, 11, n) for c in ("sat", "wor", "hap", "anx")}
        df = pd.DataFrame(d).astype({"lon2": float, "sw1": float})
        df.loc[0, "sw1"] = np.nan
        df.loc[1, "lon2"] = np.nan
        df.to_csv(tmp / f"{w}.csv", index=False)
        waves.append({"id": w, "file": str(tmp / f"{w}.csv"), "months": months,
                      "date_column": "completed_at"})
    cfg = {"study": {"id": "presets"}, "seed": 1, "pseudonymisation": {"salt": "test"},
           "id_column": "participant_id", "waves": waves,
           "scales": {
               "loneliness": {"instrument": "ucla3", "items": ["lon1", "lon2", "lon3"],
                              "min_items": 2},
               "wellbeing": {"instrument": "swemwbs", "items": [f"sw{i}" for i in range(1, 8)]},
               "eq": {"instrument": "eq5d5l", "items": EQ},
               "ons": {"instrument": "ons4", "items": ["sat", "wor", "hap", "anx"]}}}
    path = tmp / "study.yaml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    return path


def test_a_preset_study_is_cleaned_and_scored(tmp_path):
    config = _study(tmp_path)
    proc = subprocess.run(
        [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), "-d",
         str(tmp_path / "work"), "--configfile", str(config), "--cores", "2",
         "results/presets/clean/long.parquet"], capture_output=True, text=True, timeout=1800)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    long = pd.read_parquet(tmp_path / "work" / "results" / "presets" / "clean" / "long.parquet")
    assert {"ons_life_satisfaction", "ons_worthwhile", "ons_happiness",
            "ons_anxiety"} <= set(long.columns)
    t0 = long[long["wave"] == "T0"].reset_index(drop=True)
    raw = pd.read_csv(tmp_path / "T0.csv")
    # rows follow the raw file after pseudonymisation: match them by the items themselves
    merged = t0.merge(raw, on=["lon1", "lon3", *EQ, "sat", "wor", "hap", "anx"],
                      suffixes=("", "_raw"))
    assert len(merged) == len(raw)
    lon = merged[["lon1", "lon2_raw", "lon3"]]
    assert np.allclose(merged["loneliness"], lon.mean(axis=1) * 3)
    sw = merged[[f"sw{i}_raw" if i == 1 else f"sw{i}" for i in range(1, 8)]]
    complete = sw.notna().all(axis=1)
    table = dict(zip(range(7, 36), [7.00, 9.51, 11.25, 12.40, 13.33, 14.08, 14.75, 15.32,
                                    15.84, 16.36, 16.88, 17.43, 17.98, 18.59, 19.25, 19.98,
                                    20.73, 21.54, 22.35, 23.21, 24.11, 25.03, 26.02, 27.03,
                                    28.13, 29.31, 30.70, 32.55, 35.00]))
    expected = sw[complete].sum(axis=1).astype(int).map(table)
    assert np.allclose(merged.loc[complete, "wellbeing"], expected)
    assert merged.loc[~complete, "wellbeing"].isna().all() and (~complete).sum() == 1
    index = 1 - sum(merged[c].map(lambda lv, c=c: DEC[c][int(lv) - 1]) for c in EQ)
    assert np.allclose(merged["eq"], index)
    assert (merged["ons_anxiety"] == merged["anx"]).all()
