"""One small Snakemake run of the moderation rule on a generated two-wave study with the
columns of the demo_controlled contract (participant_id, completed_at, age, gender, arm at T0,
gm1-gm4, lon1-lon3, sisi, compat_1-compat_3), an interaction of the change in group memberships
with identification planted. Only the moderation outputs are requested (ingest, clean and
moderation run); the planted interaction is found, with the right sign, by the primary FIML
model, and the compatibility analysis (no predictor) runs too."""

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
STUDY = "modtest"


def _waves(tmp: Path, n: int = 400, seed: int = 7) -> tuple[Path, Path]:
    rng = np.random.default_rng(seed)
    ids = [f"SP{i:04d}" for i in range(n)]
    arm = np.where(rng.random(n) < 2 / 3, "Social prescribing", "Usual care")
    ident = np.clip(np.round(rng.normal(4.5, 1.4, n)), 1, 7)
    gm0 = np.clip(rng.normal(3.5, 1.0, n), 1, 7)
    gm1 = np.clip(gm0 + rng.normal(0.5, 0.9, n) + 0.3 * (arm == "Social prescribing"), 1, 7)
    lon0 = rng.normal(6.0, 1.4, n)
    # the fall in loneliness with rising group memberships is stronger for high identifiers
    lon1 = 2.0 + 0.6 * lon0 - 0.25 * (gm1 - gm0) * (ident - 4.5) + rng.normal(0, 0.9, n)

    def items(score, k, lo, hi):
        return np.clip(np.round(score[:, None] + rng.normal(0, 0.4, (n, k))), lo, hi).astype(int)

    def frame(wave, gm, lon, keep):
        d = {"participant_id": ids, "completed_at": wave}
        if wave == "2026-01-10":
            d |= {"age": rng.integers(18, 90, n), "gender": rng.choice(["Woman", "Man"], n),
                  "arm": arm}
        d |= {f"gm{i + 1}": items(gm, 4, 1, 7)[:, i] for i in range(4)}
        d |= {f"lon{i + 1}": items(lon / 3, 3, 1, 3)[:, i] for i in range(3)}
        d["sisi"] = ident.astype(int)
        d |= {f"compat_{i + 1}": items(np.full(n, 5.0), 3, 1, 7)[:, i] for i in range(3)}
        return pd.DataFrame(d)[keep]

    keep1 = rng.random(n) < 0.75  # attrition at T1
    t0, t1 = tmp / "ctl_T0.csv", tmp / "ctl_T1.csv"
    frame("2026-01-10", gm0, lon0, slice(None)).to_csv(t0, index=False)
    frame("2026-05-10", gm1, lon1, slice(None))[keep1].to_csv(t1, index=False)
    return t0, t1


def _config(tmp: Path, t0: Path, t1: Path) -> Path:
    cfg = {
        "study": {"id": STUDY, "title": "Generated controlled study"},
        "seed": 11,
        "pseudonymisation": {"salt": "test-salt"},
        "id_column": "participant_id",
        "waves": [{"id": "T0", "file": str(t0), "months": 0, "date_column": "completed_at"},
                  {"id": "T1", "file": str(t1), "months": 4, "date_column": "completed_at"}],
        "scales": {
            "group_memberships": {"label": "Group memberships", "items": ["gm1", "gm2", "gm3",
                                                                          "gm4"],
                                  "range": [1, 7], "score": "mean"},
            "loneliness": {"instrument": "ucla3", "label": "Loneliness (UCLA-3)",
                           "items": ["lon1", "lon2", "lon3"]},
            "identification": {"instrument": "social_identification"},
            "compatibility": {"instrument": "identity_compatibility"},
        },
        "covariates": {"age": {"column": "age", "type": "numeric", "range": [16, 110]},
                       "arm": {"column": "arm", "type": "categorical",
                               "levels": ["Social prescribing", "Usual care"]}},
        "moderation": {"analyses": {
            "identification_buffers": {"outcome": "loneliness", "predictor": "group_memberships",
                                       "moderator": "identification", "waves": ["T0", "T1"],
                                       "covariates": ["age", "arm"]},
            "compatibility_alone": {"outcome": "loneliness", "moderator": "compatibility",
                                    "waves": ["T0", "T1"]}}},
    }
    path = tmp / f"{STUDY}.yaml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    return path


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("moderation_workflow")
    config = _config(tmp, *_waves(tmp))
    work = tmp / "work"
    targets = [f"results/{STUDY}/tables/moderation_{k}.csv"
               for k in ("estimates", "simple_slopes", "jn", "status", "sentences")]
    cmd = [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), "-d", str(work),
           "--configfile", str(config), "--cores", "1", *targets]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return work / "results" / STUDY, proc.stdout + proc.stderr


def test_the_rule_runs_and_finds_the_planted_interaction(run):
    out, log = run
    assert f"moderation_{STUDY}" in log
    st = pd.read_csv(out / "tables" / "moderation_status.csv")
    assert (st["status"] == "ok").all(), st
    est = pd.read_csv(out / "tables" / "moderation_estimates.csv")
    dxw = est[(est["analysis"] == "identification_buffers") & (est["term"] == "dxw")
              & est["primary"]].iloc[0]
    assert dxw["method"] == "fiml" and dxw["ci_upper"] < 0
    assert "c_arm_Usual_care" in set(est["term"])
    slopes = pd.read_csv(out / "tables" / "moderation_simple_slopes.csv")
    fiml = slopes[slopes["primary"]].set_index("at")
    assert fiml.loc["mean + 1 SD", "est"] < fiml.loc["mean - 1 SD", "est"]
    for stem in ("slopes", "jn"):
        for ext in ("png", "svg"):
            assert (out / "figures" / f"moderation_identification_buffers_{stem}.{ext}").exists()
    sent = pd.read_csv(out / "tables" / "moderation_sentences.csv")
    assert sent.loc[sent["analysis"] == "identification_buffers", "sentence"].str.contains(
        "depended on identification").any()
