"""Alt text for every figure, generated from the table the figure was drawn from.

Follows the W3C WAI images tutorial ("complex images": a short description naming the chart
type and the message, the data being in an adjacent table) and Diagram Center guidance: chart
type first, then the quantities in reading order with their units. No count below the
disclosure threshold is named (counts come from the public tables).
"""

from __future__ import annotations

import pandas as pd

from pipeline.report.numfmt import (
    digits_for,
    fmt_ci,
    fmt_count,
    fmt_num,
    fmt_pct,
    in_sentence,
)

__all__ = ["nice_variable", "change_alt", "flow_alt", "mediation_path_alt", "forest_alt",
           "crosslag_alt",
           "tipping_alt", "series"]


def series(parts: list[str]) -> str:
    """"a", "a and b", "a, b and c"."""
    parts = [p for p in parts if p]
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def change_alt(label: str, means: pd.DataFrame, wave_labels: dict[str, str], lo: float,
               hi: float) -> str:
    """Line chart of model-based means per wave: "... was 61.2 at Pathway entry, ..."."""
    d = digits_for(lo, hi)
    at = [f"{fmt_num(r.est, d)} at {in_sentence(wave_labels.get(r.wave, r.wave))}"
          for r in means.itertuples()]
    first, last = means["est"].iloc[0], means["est"].iloc[-1]
    trend = "rose" if last > first else "fell" if last < first else "stayed level"
    return (f"Line chart: the estimated mean of {label} {trend} from {fmt_num(first, d)} to "
            f"{fmt_num(last, d)} on the {fmt_num(lo, 0)} to {fmt_num(hi, 0)} scale: "
            f"{series(at)}. Bars show 95% confidence intervals.")


def flow_alt(flow: pd.DataFrame, min_cell: int) -> str:
    """Participant-flow diagram from the public flow table."""
    steps = [f"{fmt_count(r.responded, min_cell)} answered at {in_sentence(r.label)}"
             + ("" if i == 0 else f" ({fmt_pct(r.pct_baseline)} of those who joined)")
             for i, r in enumerate(flow.itertuples())]
    return ("Flow diagram of participants from entry to the last wave: " + series(steps)
            + ". Boxes beside each wave give the numbers excluded and why.")


def nice_variable(name: str, label_of: dict[str, str]) -> str:
    """"group_memberships_change_T0_T1" -> "change in Group memberships (T0 to T1)";
    "belonging_T1" -> "Community belonging (T1)"."""
    for key in sorted(label_of, key=len, reverse=True):
        if name.startswith(key + "_"):
            rest = name[len(key) + 1:].split("_")
            if rest[0] == "change":
                return f"change in {label_of[key]} ({' to '.join(rest[1:])})"
            return f"{label_of[key]} ({' '.join(rest)})"
    return name


def mediation_path_alt(label: str, est: pd.DataFrame, digits: int,
                       label_of: dict[str, str] | None = None) -> str:
    """Path diagram of a serial mediation model (primary method's a, d, b and c' paths)."""
    label_of = label_of or {}
    paths = est[est["effect_type"].isin(["a", "d", "b", "direct"])]
    named = [f"{nice_variable(r.rhs, label_of)} to {nice_variable(r.lhs, label_of)} "
             f"{fmt_num(r.est, digits)}" for r in paths.itertuples()]
    return (f"Path diagram of the mediation model {label}: arrows from the predictor through "
            f"each mediator to the outcome, labelled with their estimates: {series(named)}.")


def forest_alt(est: pd.DataFrame, digits: int) -> str:
    """Forest plot of total, direct and indirect effects (one row per effect and method)."""
    keep = est[est["effect_type"].isin(["total", "direct", "indirect_total"])]
    rows = [f"{r.effect_type.replace('_', ' ')} by {r.method.replace('_', ' ')} "
            f"{fmt_num(r.est, digits)} (95% CI {fmt_ci(r.ci_lower, r.ci_upper, digits)})"
            for r in keep.itertuples()]
    return ("Forest plot of effects with 95% confidence intervals, by method; specific "
            f"indirect effects are listed in the table below. {series(rows)}.")


def crosslag_alt(model: str, lagged: pd.DataFrame, label_of: dict[str, str]) -> str:
    """Grid chart of a cross-lagged panel model's lagged effects (predictor rows, outcome
    columns, one grid per lag; stability paths on the diagonal), read out as its standardised
    cross-lagged effects with their 95% CIs."""
    cross = lagged[lagged["type"] == "cross-lagged"].rename(columns={"from": "src"})
    stationary = "stationary" in cross.columns and bool(cross["stationary"].astype(str)
                                                          .eq("True").all())
    if stationary:  # equal over lags: one grid, one value per path
        cross = cross.drop_duplicates(["src", "to"])
    rows = [f"{label_of.get(r.src, r.src)} to {label_of.get(r.to, r.to)}"
            + ("" if stationary else f" ({r.from_wave} to {r.to_wave})")
            + f" {fmt_num(r.std_all, 2)}" for r in cross.itertuples()]
    name = "random-intercept cross-lagged panel model" if model == "riclpm" else \
        "cross-lagged panel model"
    return (f"Grid of the standardised lagged effects of the {name}, predictors in rows and "
            f"outcomes in columns, stability effects on the diagonal"
            + (", equal over lags" if stationary else ", one grid per lag")
            + f". Cross-lagged effects: {series(rows)}.")


def tipping_alt(tipping: pd.DataFrame, units: str) -> str:
    """Tipping-point plot: estimate and CI against the MNAR shift delta."""
    lo, hi = tipping["delta"].min(), tipping["delta"].max()
    at0 = tipping[tipping["delta"] == 0]
    mid = "" if at0.empty else (
        f" At no shift the estimate is {fmt_num(at0['estimate'].iloc[0], 1)} (95% CI "
        f"{fmt_ci(at0['ci_lower'].iloc[0], at0['ci_upper'].iloc[0], 1)}).")
    return (f"Line chart of the estimated change against the assumed shift in the scores of "
            f"people who left, from {fmt_num(lo, 0)} to {fmt_num(hi, 0)} {units}, with its 95% "
            f"confidence band; the shaded region marks shifts that change the conclusion.{mid}")
