"""Standardised change per construct and follow-up: d and d_z (:mod:`pipeline.stats.effect_sizes`).

- ``d``: model-based mean difference (wave t minus entry, :mod:`pipeline.change.trajectory`)
  over the observed baseline SD (everyone with a baseline score); CI = contrast CI / SD_0.
- ``d_z``: on complete pairs, mean of the differences over their SD, noncentral-t CI.

Neither is reported for fewer than ``min_cell`` people (config ``disclosure.min_cell``): the
row's status is "not_estimable" with the reason, and its estimate and CI are blank.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from pipeline.change.messages import too_few_message
from pipeline.change.trajectory import Trajectory
from pipeline.stats.effect_sizes import paired_dz, standardised_change
from pipeline.status import Status

__all__ = ["EFFECT_COLUMNS", "dz_rows", "effect_sizes"]

EFFECT_COLUMNS = [
    "analysis", "construct", "contrast", "wave", "measure", "est", "ci_lower", "ci_upper", "n",
    "sd", "ci_method", "flag", "status", "message",
]
OK, NOT_ESTIMABLE = Status.OK.value, Status.NOT_ESTIMABLE.value


def dz_rows(
    long: pd.DataFrame, construct: str, wave_ids: Sequence[str], conf: float = 0.95
) -> pd.DataFrame:
    """d_z of ``construct`` per follow-up (each wave minus the first) on complete pairs."""
    wave_ids = list(wave_ids)
    x = long.loc[long["wave"].isin(wave_ids)].pivot_table(
        index="pid", columns="wave", values=construct, aggfunc="first"
    ).reindex(columns=wave_ids)
    rows = []
    for w in wave_ids[1:]:
        r = paired_dz((x[w] - x[wave_ids[0]]).dropna(), conf)
        ok = r["status"] == Status.OK
        rows.append({
            "construct": construct, "wave": w, "contrast": f"{w} - {wave_ids[0]}",
            "measure": "d_z", "est": r["est"], "ci_lower": r["ci_lower"],
            "ci_upper": r["ci_upper"], "n": r["n"], "sd": r["sd"],
            "ci_method": "noncentral_t", "status": Status(r["status"]).value,
            "message": "" if ok else (
                f"fewer than 3 people have '{construct}' at {wave_ids[0]} and {w}" if r["n"] < 3
                else "the differences have no spread"),
        })
    return pd.DataFrame(rows)


def effect_sizes(
    traj: Trajectory,
    long: pd.DataFrame,
    wave_ids: Sequence[str],
    min_cell: int = 10,
    conf: float = 0.95,
) -> pd.DataFrame:
    """Standardised change d (model contrast / baseline SD) and d_z per construct and follow-up.

    An effect size of fewer than ``min_cell`` people (d: people at the follow-up wave; d_z:
    people with both scores) is not reported: est and CI blank, status "not_estimable", flag
    "small_n", message "only N people answered at <wave> (fewer than <min_cell>); change is not
    estimated" (d_z: "... answered at both <baseline> and <wave> ...").
    """
    base = next(iter(wave_ids))
    sd0 = traj.means[(traj.means["method"] == "observed_all") & (traj.means["wave"] == base)]
    sd0 = sd0.set_index("construct")["sd"]
    c = traj.contrasts.copy()
    c["sd"] = c["construct"].map(sd0).astype(float)
    good_sd = c["sd"].gt(0)
    est, lo, hi = standardised_change(c["est"], c["ci_lower"], c["ci_upper"], c["sd"])
    d = pd.DataFrame({
        "construct": c["construct"], "wave": c["wave"], "contrast": c["contrast"],
        "measure": "d", "est": est, "ci_lower": lo, "ci_upper": hi, "n": c["n"], "sd": c["sd"],
        "ci_method": "contrast_ci_over_baseline_sd",
        "status": np.where(good_sd | (c["status"] != OK), c["status"], NOT_ESTIMABLE),
        "message": np.where(good_sd | (c["status"] != OK), c["message"],
                            "baseline SD is zero or missing"),
    })
    dz = [dz_rows(long, k, wave_ids, conf) for k in traj.contrasts["construct"].unique()]
    out = pd.concat([d] + dz, ignore_index=True)
    out["analysis"] = "change"
    n = pd.to_numeric(out["n"], errors="coerce")
    small = (n > 0) & (n < min_cell)
    out["flag"] = np.where(small, "small_n", "")
    # effect sizes of fewer than min_cell people are not reported (status not_estimable)
    withhold = small & out["status"].isin([OK, NOT_ESTIMABLE])
    out.loc[withhold, "status"] = NOT_ESTIMABLE
    out.loc[withhold, "message"] = [
        too_few_message(k, f"at {w}" if m == "d" else f"at both {base} and {w}", min_cell)
        for k, w, m in zip(n[withhold], out.loc[withhold, "wave"], out.loc[withhold, "measure"])
    ]
    bad = out["status"] != OK
    out.loc[bad, ["est", "ci_lower", "ci_upper"]] = np.nan
    return out[EFFECT_COLUMNS]
