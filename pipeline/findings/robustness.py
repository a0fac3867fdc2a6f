"""The tipping point (MNAR sensitivity) as a finding: how far from MAR the conclusion tips.

Source: the missing-data wing's ``sensitivity_tipping_point.csv`` (one row per delta, with
``conclusion``) and ``imputed/summary.json``. The tipping delta of each side is the smallest
shift (in the outcome's points) at which the conclusion changes (:func:`tipping_deltas`,
as ``pipeline.stats.tipping.tipping_delta``: read here from the table, not recomputed).

**Fragile rule.** delta in SD units = |delta| / SD of the outcome at baseline (the summary's
SD if it gives one, else the change table's ``baseline_sd``, else the baseline descriptives').
The conclusion is *fragile* when
the nearest tipping delta lies within ``findings.fragile_sd`` SD (default 0.2, Cohen's "small"
difference) of zero: departures from MAR that small are easily plausible, so the primary row
gets caveat ``fragile_to_mnar`` ("may"). Method: delta-adjusted multiple imputation (van
Buuren 2018, section 3.8; Cro et al. 2020). R equivalent: ``mice`` with ``post`` shifts.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import pandas as pd

from pipeline.findings.settings import FindingsSettings
from pipeline.findings.table import finding_row, missing_columns
from pipeline.status import Status

__all__ = ["Tipping", "tipping_result", "tipping_deltas"]


class Tipping(dict):
    """Result: ``negative``/``positive`` deltas (points or None), ``sd``, ``nearest_sd``,
    ``fragile``, ``conclusion`` (at delta 0), ``status``, ``message``."""


def tipping_deltas(table: pd.DataFrame) -> dict[str, float | None]:
    """Smallest |delta| on each side whose conclusion differs from the conclusion at delta 0."""
    ok = table[table["status"].astype(str) == Status.OK.value].sort_values("delta")
    base = ok.loc[ok["delta"] == 0, "conclusion"]
    out: dict[str, float | None] = {"negative": None, "positive": None}
    if base.empty:
        return out
    for side, part in (("negative", ok[ok["delta"] < 0].iloc[::-1]),
                       ("positive", ok[ok["delta"] > 0])):
        hit = part[part["conclusion"] != base.iloc[0]]
        out[side] = float(hit["delta"].iloc[0]) if not hit.empty else None
    return out


def _sd(summary: Mapping, sds: Mapping[str, float], s: FindingsSettings) -> float:
    for key in ("outcome_sd", "baseline_sd", "sd"):
        try:
            v = float(summary.get(key))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            continue
        if math.isfinite(v) and v > 0:
            return v
    v = sds.get(s.tipping_outcome, math.nan)
    return float(v) if math.isfinite(v) and v > 0 else math.nan


def tipping_result(table: pd.DataFrame | None, summary: Mapping | None,
                   sds: Mapping[str, float], s: FindingsSettings) -> Tipping:
    """The tipping point of the configured outcome and wave, with its SD units and fragility
    (``sds``: construct -> baseline SD, used when the summary gives no SD)."""
    summary = summary or {}
    if table is None or missing_columns(table, ["delta", "conclusion", "status"]):
        return Tipping(status=Status.NOT_ESTIMABLE.value, fragile=False, negative=None,
                       positive=None, sd=math.nan, nearest_sd=math.nan, conclusion="",
                       message="sensitivity_tipping_point.csv is missing or lacks "
                               "delta/conclusion/status")
    d = tipping_deltas(table)
    base = table.loc[table["delta"] == 0]
    if base.empty or str(base["status"].iloc[0]) != Status.OK.value:
        msg = next((str(m) for m in table.get("message", []) if isinstance(m, str) and m), "")
        return Tipping(status=Status.NOT_ESTIMABLE.value, fragile=False, sd=math.nan,
                       nearest_sd=math.nan, conclusion="", message=msg or "no delta-0 result",
                       **d)
    sd = _sd(summary, sds, s)
    sides = [abs(v) for v in d.values() if v is not None]
    nearest = min(sides) / sd if sides and math.isfinite(sd) else math.nan
    fragile = bool(math.isfinite(nearest) and nearest <= s.fragile_sd)
    if not math.isfinite(sd) and isinstance(summary.get("fragile"), bool):
        fragile = summary["fragile"]  # the wing's own verdict when no SD is known here
    return Tipping(status=Status.OK.value, fragile=fragile, sd=sd, nearest_sd=nearest,
                   conclusion=str(base["conclusion"].iloc[0]), message="", **d)


def tipping_row(t: Tipping, s: FindingsSettings) -> dict:
    """The sensitivity row ``change.<outcome>.<wave>@tipping_point``: estimate = the nearest
    tipping delta (points, signed), effect size = it in baseline SD units."""
    sc = s.scales.get(s.tipping_outcome)
    wave = s.tipping_wave or ""
    near = [v for v in (t.get("negative"), t.get("positive")) if v is not None]
    est = min(near, key=abs) if near else math.nan
    caveats = ["fragile_to_mnar"] if t.get("fragile") else []
    return finding_row(
        finding_id=f"change.{s.tipping_outcome}.{wave}@tipping_point", kind="change",
        role="sensitivity", analysis="missing_data", construct=s.tipping_outcome, wave=wave,
        question="How different would people who left have to be for the conclusion to change?",
        estimand=f"smallest shift delta of the imputed {s.tipping_outcome} scores of people who "
                 f"left (points) that changes the conclusion on the mean change {wave} \u2212 "
                 f"{s.baseline.id} (delta-adjusted multiple imputation, MNAR)",
        term="tipping_delta", method="mi_delta_adjusted", estimate=est,
        units=sc.units if sc else "", scale_min=sc.scale_min if sc else math.nan,
        scale_max=sc.scale_max if sc else math.nan,
        effect_size=(abs(est) / t["sd"]) if near and math.isfinite(t.get("sd", math.nan))
        else math.nan,
        effect_size_kind="|tipping delta| / baseline SD",
        evidence="not_estimable" if t.get("status") != Status.OK.value else "",
        caveats=";".join(caveats),
        agrees_with_primary=("" if t.get("status") != Status.OK.value
                             else "clarity_differs" if t.get("fragile") else "yes"),
        status=t.get("status", Status.OK.value), message=t.get("message", ""))
