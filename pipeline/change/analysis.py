"""Change over time: settings, standardised effect sizes and the stage's tidy tables.

- Trajectories (mixed model, model-based means, contrasts): :mod:`pipeline.stats.mixed`.
- Individual reliable change: :mod:`pipeline.change.rci`.
- Sample description: :mod:`pipeline.change.descriptives`.

Effect sizes (``effect_sizes``):

- ``d``: standardised change = model-based mean difference (wave t minus entry) divided by the
  observed baseline SD (ddof=1, everyone with a baseline score). Its CI is the unadjusted 95%
  contrast CI divided by SD_0, treating SD_0 as fixed (so it is slightly too narrow; the
  uncertainty in SD_0 is ignored, a common simplification, e.g. Feingold 2009).
- ``d_z``: on complete pairs, mean of the differences over their SD (Cohen 1988). CI from the
  noncentral t distribution (Algina & Keselman 2003; Cumming & Finch 2001): find the
  noncentrality parameters whose t distribution (df = n - 1) puts the observed t = d_z sqrt(n)
  at its 97.5th and 2.5th percentiles, divide by sqrt(n).

Neither is reported for fewer than ``min_cell`` people (config ``disclosure.min_cell``): the
row's status is "not_estimable" with the reason, and its estimate and CI are blank.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize, stats

from pipeline.stats.mixed import (
    COVARIATE_WEIGHTS,
    DEFAULT_OPTIMIZERS,
    P_ADJUST_METHODS,
    Trajectory,
    too_few_message,
    trajectories,
)
from pipeline.change.rci import rci_shares, reliable_change
from pipeline.errors import ConfigError, closest_names
from pipeline.tables import write_table

log = logging.getLogger(__name__)

EFFECT_COLUMNS = [
    "analysis", "construct", "contrast", "wave", "measure", "est", "ci_lower", "ci_upper", "n",
    "sd", "ci_method", "flag", "status", "message",
]

ALLOWED_KEYS = {
    "time", "p_adjust", "reml", "optimizers", "conf_level", "reliability", "higher_is_better",
    "rci_criterion", "covariate_weights",
}


@dataclass(frozen=True)
class ChangeSettings:
    """Validated ``change:`` config section (defaults in brackets in :func:`change_settings`)."""

    time: str = "wave"
    p_adjust: str = "holm"
    reml: bool = True
    optimizers: tuple[str, ...] = DEFAULT_OPTIMIZERS
    conf_level: float = 0.95
    reliability: dict[str, float] = field(default_factory=dict)
    higher_is_better: dict[str, bool] = field(default_factory=dict)
    rci_criterion: float = 1.96
    covariate_weights: str = "proportional"


def change_settings(section: Mapping[str, Any] | None, scales: Sequence[str]) -> ChangeSettings:
    """Validate the ``change:`` section; raise ConfigError naming the key, problem and fix.

    Keys: time [wave] | months; p_adjust [holm] | bonferroni | none; reml [true];
    optimizers [lbfgs, bfgs, powell]; conf_level [0.95]; reliability {scale: r} (test-retest,
    overrides alpha); higher_is_better {scale: bool} [true]; rci_criterion [1.96];
    covariate_weights [proportional] | equal: how model-based means average over the levels of
    categorical covariates (observed proportions, emmeans ``weights = "proportional"``, so the
    means describe the sample; or equally, emmeans' default).
    """
    sec = dict(section or {})
    problems = []
    for k in sec:
        if k not in ALLOWED_KEYS:
            close = closest_names(k, sorted(ALLOWED_KEYS))
            problems.append(f"change.{k}: unknown key" + (f" (did you mean '{close[0]}'?)" if close
                            else "") + f"; allowed: {', '.join(sorted(ALLOWED_KEYS))}")
    if sec.get("time", "wave") not in ("wave", "months"):
        problems.append(f"change.time: '{sec['time']}' is not 'wave' or 'months'")
    if sec.get("p_adjust", "holm") not in P_ADJUST_METHODS:
        problems.append(f"change.p_adjust: '{sec['p_adjust']}' is not one of {list(P_ADJUST_METHODS)}")
    if sec.get("covariate_weights", "proportional") not in COVARIATE_WEIGHTS:
        problems.append(f"change.covariate_weights: '{sec['covariate_weights']}' is not one of "
                        f"{list(COVARIATE_WEIGHTS)}")
    if not isinstance(sec.get("reml", True), bool):
        problems.append("change.reml: must be true or false")
    opts = sec.get("optimizers", list(DEFAULT_OPTIMIZERS))
    if not (isinstance(opts, list) and opts and all(isinstance(o, str) for o in opts)):
        problems.append("change.optimizers: give a non-empty list such as [lbfgs, bfgs, powell]")
    conf = sec.get("conf_level", 0.95)
    if not (isinstance(conf, (int, float)) and 0.5 < conf < 1):
        problems.append(f"change.conf_level: {conf!r} must be a number between 0.5 and 1")
    crit = sec.get("rci_criterion", 1.96)
    if not (isinstance(crit, (int, float)) and crit > 0):
        problems.append(f"change.rci_criterion: {crit!r} must be a positive number")
    for key in ("reliability", "higher_is_better"):
        m = sec.get(key) or {}
        if not isinstance(m, dict):
            problems.append(f"change.{key}: give a mapping scale -> value")
            continue
        for s, v in m.items():
            if s not in scales:
                close = closest_names(s, list(scales))
                problems.append(f"change.{key}.{s}: '{s}' is not a configured scale"
                                + (f" (did you mean '{close[0]}'?)" if close else ""))
            elif key == "reliability" and not (isinstance(v, (int, float)) and 0 < v < 1):
                problems.append(f"change.reliability.{s}: {v!r} must be a number between 0 and 1")
            elif key == "higher_is_better" and not isinstance(v, bool):
                problems.append(f"change.higher_is_better.{s}: {v!r} must be true or false")
    if problems:
        raise ConfigError("the 'change' section has problem(s):\n  - " + "\n  - ".join(problems))
    return ChangeSettings(
        time=sec.get("time", "wave"),
        p_adjust=sec.get("p_adjust", "holm"),
        reml=sec.get("reml", True),
        optimizers=tuple(opts),
        conf_level=float(conf),
        reliability={k: float(v) for k, v in (sec.get("reliability") or {}).items()},
        higher_is_better=dict(sec.get("higher_is_better") or {}),
        rci_criterion=float(crit),
        covariate_weights=sec.get("covariate_weights", "proportional"),
    )


# --------------------------------------------------------------------------------------------
# Effect sizes


def dz_interval(dz: float, n: int, conf: float = 0.95) -> tuple[float, float]:
    """Noncentral-t CI for d_z (Algina & Keselman 2003): ncp bounds of t = d_z sqrt(n), / sqrt(n)."""
    if not (np.isfinite(dz) and n >= 3):
        return np.nan, np.nan
    if dz < 0:  # symmetry: CI(-d) = -CI(d); scipy's nct is better behaved for t >= 0
        lo, hi = dz_interval(-dz, n, conf)
        return -hi, -lo
    t_obs, df = dz * np.sqrt(n), n - 1
    z = stats.norm.ppf(0.5 + conf / 2)

    def f(ncp: float, p: float) -> float:
        v = stats.nct.cdf(t_obs, df, ncp)  # decreasing in ncp
        if not np.isfinite(v):  # far tails: the sign is known
            v = 1.0 if ncp < t_obs else 0.0
        return v - p

    def bound(p: float) -> float:
        # bracket around the normal approximation, widened until the root is inside
        w = z * np.sqrt(1 + t_obs**2 / (2 * df)) + 1.0
        for _ in range(30):
            lo, hi = t_obs - w, t_obs + w
            if f(lo, p) > 0 > f(hi, p):
                return optimize.brentq(f, lo, hi, args=(p,), xtol=1e-12)
            w *= 2
        raise ValueError(f"no noncentral-t bound found for d_z = {dz}, n = {n}")

    a = (1 - conf) / 2
    return bound(1 - a) / np.sqrt(n), bound(a) / np.sqrt(n)


def paired_dz(
    long: pd.DataFrame, construct: str, wave_ids: Sequence[str], conf: float = 0.95
) -> pd.DataFrame:
    """d_z = mean(x_t - x_0) / SD(x_t - x_0) on complete pairs per follow-up, with its CI."""
    wave_ids = list(wave_ids)
    x = long.loc[long["wave"].isin(wave_ids)].pivot_table(
        index="pid", columns="wave", values=construct, aggfunc="first"
    ).reindex(columns=wave_ids)
    rows = []
    for w in wave_ids[1:]:
        diff = (x[w] - x[wave_ids[0]]).dropna()
        n, sd = len(diff), diff.std(ddof=1) if len(diff) >= 2 else np.nan
        ok = n >= 3 and np.isfinite(sd) and sd > 0
        dz = diff.mean() / sd if ok else np.nan
        lo, hi = dz_interval(dz, n, conf) if ok else (np.nan, np.nan)
        rows.append({
            "construct": construct, "wave": w, "contrast": f"{w} - {wave_ids[0]}",
            "measure": "d_z", "est": dz, "ci_lower": lo, "ci_upper": hi, "n": n, "sd": sd,
            "ci_method": "noncentral_t", "status": "ok" if ok else "not_estimable",
            "message": "" if ok else (
                f"fewer than 3 people have '{construct}' at {wave_ids[0]} and {w}" if n < 3
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
    d = pd.DataFrame({
        "construct": c["construct"], "wave": c["wave"], "contrast": c["contrast"],
        "measure": "d", "est": c["est"] / c["sd"], "ci_lower": c["ci_lower"] / c["sd"],
        "ci_upper": c["ci_upper"] / c["sd"], "n": c["n"], "sd": c["sd"],
        "ci_method": "contrast_ci_over_baseline_sd",
        "status": np.where(good_sd | (c["status"] != "ok"), c["status"], "not_estimable"),
        "message": np.where(good_sd | (c["status"] != "ok"), c["message"],
                            "baseline SD is zero or missing"),
    })
    dz = [paired_dz(long, k, wave_ids, conf) for k in traj.contrasts["construct"].unique()]
    out = pd.concat([d] + dz, ignore_index=True)
    out["analysis"] = "change"
    n = pd.to_numeric(out["n"], errors="coerce")
    small = (n > 0) & (n < min_cell)
    out["flag"] = np.where(small, "small_n", "")
    # effect sizes of fewer than min_cell people are not reported (status not_estimable)
    withhold = small & out["status"].isin(["ok", "not_estimable"])
    out.loc[withhold, "status"] = "not_estimable"
    out.loc[withhold, "message"] = [
        too_few_message(k, f"at {w}" if m == "d" else f"at both {base} and {w}", min_cell)
        for k, w, m in zip(n[withhold], out.loc[withhold, "wave"], out.loc[withhold, "measure"])
    ]
    bad = out["status"] != "ok"
    out.loc[bad, ["est", "ci_lower", "ci_upper"]] = np.nan
    return out[EFFECT_COLUMNS]


# --------------------------------------------------------------------------------------------
# Stage


def change_tables(
    long: pd.DataFrame,
    scales: Mapping[str, float | None],
    wave_ids: Sequence[str],
    covariates: Mapping[str, str],
    settings: ChangeSettings,
    reliability: Mapping[str, float | None] | None = None,
    min_cell: int = 10,
    covariate_waves: Mapping[str, str] | None = None,
) -> dict[str, pd.DataFrame]:
    """All change tables: means, contrasts, effect_sizes, rci_shares, rci_individual, status.

    ``scales`` maps scale key -> configured MID (or None). ``reliability`` maps scale -> alpha
    from the reliability table (:func:`pipeline.change.rci.reliability_from_table`).
    ``covariate_waves`` maps covariate -> source wave (config ``covariates.<key>.wave``).
    Counts are plain; the report applies disclosure control.
    """
    keys = list(scales)
    traj = trajectories(
        long, keys, wave_ids, covariates, time=settings.time, p_adjust=settings.p_adjust,
        reml=settings.reml, optimizers=settings.optimizers, min_cell=min_cell,
        conf=settings.conf_level, covariate_waves=covariate_waves,
        covariate_weights=settings.covariate_weights,
    )
    individual, info = reliable_change(
        long, keys, wave_ids, reliability, settings.higher_is_better, dict(scales),
        settings.reliability, settings.rci_criterion,
    )
    return {
        "means": traj.means,
        "contrasts": traj.contrasts,
        "effect_sizes": effect_sizes(traj, long, wave_ids, min_cell, settings.conf_level),
        "rci_shares": rci_shares(individual, info, wave_ids, settings.rci_criterion, min_cell,
                                 settings.conf_level),
        "rci_individual": individual,
        "status": traj.status,
    }


def write_change_tables(tables: Mapping[str, pd.DataFrame], outdir: str | Path) -> list[Path]:
    """Write each table as ``<outdir>/change_<name>.csv`` via write_table; return the paths."""
    paths = []
    for name, df in tables.items():
        p = Path(outdir) / f"change_{name}.csv"
        write_table(df, p)
        paths.append(p)
    return paths
