"""A small generated two-arm study (the column names of the demo_controlled contract): a
programme arm and a usual-care arm, three waves, loneliness (UCLA-3 sum 3-9) falling more in
the programme arm, group memberships rising more, dropout at random given the baseline.

``two_arm_wide`` gives the clean wide table the comparison wing reads; ``write_two_arm_study``
writes the raw wave CSVs and a study config for a Snakemake run.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

ARMS = ("Social prescribing", "Usual care")
WAVES = ("T0", "T1", "T2")


def _people(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    prog = rng.random(n) < 2 / 3
    age = np.clip(np.round(rng.normal(52 + 4 * prog, 12)), 18, 90)
    gender = np.where(rng.random(n) < 0.55, "Woman", "Man")
    lon0 = 5.5 + 0.5 * prog + rng.normal(0, 1.3, n)
    gm0 = 3.8 - 0.2 * prog + rng.normal(0, 1.0, n)
    out = {"pid": [f"P{i:04d}" for i in range(n)], "arm": np.where(prog, *ARMS), "age": age,
           "gender": gender}
    lon_drop = {"T0": 0.0, "T1": -0.3 - 0.6 * prog, "T2": -0.4 - 0.5 * prog}
    gm_rise = {"T0": 0.0, "T1": 0.1 + 0.5 * prog, "T2": 0.1 + 0.4 * prog}
    for w in WAVES:
        out[f"loneliness_{w}"] = np.clip(lon0 + lon_drop[w] + rng.normal(0, 0.8, n), 3, 9)
        out[f"group_memberships_{w}"] = np.clip(gm0 + gm_rise[w] + rng.normal(0, 0.6, n), 1, 7)
    d = pd.DataFrame(out)
    for k, w in enumerate(WAVES[1:], start=1):
        p_miss = 1 / (1 + np.exp(-(-1.2 + 0.3 * k + 0.4 * (d["loneliness_T0"] - 6))))
        gone = rng.random(n) < p_miss
        for s in ("loneliness", "group_memberships"):
            d.loc[gone, f"{s}_{w}"] = np.nan
    return d


def two_arm_wide(n: int = 300, seed: int = 7) -> pd.DataFrame:
    """The clean wide table: pid, arm, age, gender, <scale>_<wave>, responded_<wave>."""
    d = _people(n, seed)
    d["loneliness_T0"] = d["loneliness_T0"].round()
    for w in WAVES:
        d[f"responded_{w}"] = d[f"loneliness_{w}"].notna()
        d[f"loneliness_{w}"] = d[f"loneliness_{w}"].round()
    d.loc[d.index[::37], "age"] = np.nan
    return d


def write_two_arm_study(root: Path, n: int = 240, seed: int = 11) -> Path:
    """Raw wave CSVs under ``root/data/raw/`` and ``root/config/studies/twoarm.yaml`` (the
    files named by absolute path; MICE small: m = 5, 10 iterations; no mediation or
    cross-lags)."""
    rng = np.random.default_rng(seed + 1)
    d = _people(n, seed)
    raw = root / "data" / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    for k, w in enumerate(WAVES):
        here = d[d[f"loneliness_{w}"].notna()]
        lon = np.clip(np.round(here[f"loneliness_{w}"].to_numpy() / 3), 1, 3)
        f = pd.DataFrame({"participant_id": here["pid"],
                          "completed_at": pd.Timestamp("2024-01-10")
                          + pd.to_timedelta(k * 120 + rng.integers(0, 20, len(here)), "D")})
        if k == 0:
            f["age"], f["gender"], f["arm"] = here["age"], here["gender"], here["arm"]
        for j in range(3):
            f[f"lon{j + 1}"] = np.clip(lon + rng.integers(-1, 2, len(here)), 1, 3).astype(int)
        gm = here[f"group_memberships_{w}"].to_numpy()
        for j in range(4):
            f[f"gm{j + 1}"] = np.clip(np.round(gm + rng.normal(0, 0.7, len(here))), 1, 7
                                      ).astype(int)
        f.to_csv(raw / f"twoarm_{w}.csv", index=False, date_format="%Y-%m-%d")
    cfg = root / "config" / "studies"
    cfg.mkdir(parents=True, exist_ok=True)
    waves = "".join(f"  - {{id: {w}, label: 'Wave {w}', file: '{raw / f'twoarm_{w}.csv'}', "
                    f"months: {4 * k}, date_column: completed_at}}\n"
                    for k, w in enumerate(WAVES))
    (cfg / "twoarm.yaml").write_text(f"""study: {{id: twoarm, title: "Two-arm test study"}}
seed: 5
pseudonymisation: {{salt: "test-salt"}}
id_column: participant_id
waves:
{waves}scales:
  group_memberships: {{label: "Group memberships", items: [gm1, gm2, gm3, gm4], range: [1, 7],
                      score: mean, min_items: 3}}
  loneliness: {{label: "Loneliness (UCLA-3)", items: [lon1, lon2, lon3], range: [1, 3],
               score: sum, min_items: 3}}
covariates:
  age: {{column: age, type: numeric, range: [16, 110]}}
  gender: {{column: gender, type: categorical, levels: ["Woman", "Man"]}}
  arm: {{column: arm, type: categorical, levels: ["Social prescribing", "Usual care"]}}
comparison: {{group: arm, reference: "Usual care", randomised: false,
             adjust_for: [age, gender]}}
missing_data: {{m: 5, m_min: 5, m_max: 5, iterations: 10,
               sensitivity: {{outcome: loneliness, deltas: {{from: -1, to: 1, step: 1}}}}}}
mediation: {{analyses: {{}}}}
crosslag: {{enabled: false}}
""")
    return cfg / "twoarm.yaml"
