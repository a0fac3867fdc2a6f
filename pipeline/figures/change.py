"""Presenting change over time: trajectory figure and plain-language sentences for the report.

Wording follows the evidence: a difference is described as higher/lower only when its
multiplicity-adjusted 95% CI (``ci_lower_adj``/``ci_upper_adj``, Bonferroni, see
:mod:`pipeline.change_mixed`) excludes 0; never causal ("higher than at entry", not "the
programme improved").
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.errors import DataError
from pipeline.figures.style import PALETTE, apply_style, save_figure

MINUS = "\u2212"

_MODEL_LABEL = {
    "proportional": "Model-based mean (95% CI), everyone who took part\n"
                    "(adjusted to the sample's own mix of characteristics)",
    "equal": "Model-based mean (95% CI), everyone who took part\n"
             "(each category of a characteristic weighted equally)",
}


def _count_label(n: float, min_cell: int) -> str:
    if not np.isfinite(n) or n <= 0:
        return "n = 0"
    return f"n < {min_cell}" if n < min_cell else f"n = {int(n)}"


def plot_trajectory(
    means_table: pd.DataFrame,
    construct: str,
    path: str | Path,
    label: str | None = None,
    min_cell: int = 10,
    wave_labels: Mapping[str, str] | None = None,
    higher_is_better: bool = True,
    scale_range: tuple[float, float] | None = None,
    covariate_weights: str = "proportional",
) -> list[Path]:
    """Model-based means with 95% CIs per wave (x = months since entry), observed completer
    means as a dashed second line, n per wave annotated (counts below ``min_cell`` as "n < 10").

    Waves flagged small_n are drawn with hollow markers. The y label states the scale's range
    (``scale_range``, e.g. "Mean score (scale 0–100)", since the axis shows only part of it)
    and the direction for every construct ("higher is better" / "lower is better").
    ``covariate_weights`` (as in :func:`pipeline.change_mixed.fit_trajectory`) is stated in the
    legend: "proportional" means describe everyone in the sample as it is (categorical
    covariates at their observed mix); "equal" weights every category equally.
    Returns the written PNG and SVG paths.
    """
    import matplotlib.pyplot as plt

    m = means_table[means_table["construct"] == construct]
    if m.empty:
        raise DataError(
            f"trajectory figure: construct '{construct}' is not in the means table; run the "
            "change stage for it or remove it from the figure list."
        )
    apply_style()
    fig, ax = plt.subplots(figsize=(5.5, 3.6))
    is_model = m["method"].str.startswith("lmm")  # lmm_reml or lmm_ml
    model = m[is_model & (m["status"] == "ok")].sort_values("months")
    comp = m[(m["method"] == "observed_completers") & (m["status"] == "ok")].sort_values("months")
    waves = m[is_model].sort_values("months")
    span = max(float(waves["months"].max() - waves["months"].min()), 1.0)
    dx = 0.012 * span
    if not model.empty:
        ax.plot(model["months"], model["est"], color=PALETTE[0], lw=1.6, zorder=2,
                label=_MODEL_LABEL.get(covariate_weights, _MODEL_LABEL["proportional"]))
        ax.errorbar(model["months"], model["est"],
                    yerr=[model["est"] - model["ci_lower"], model["ci_upper"] - model["est"]],
                    fmt="none", ecolor=PALETTE[0], capsize=3, lw=1.2, zorder=2)
        small = model["flag"].eq("small_n").to_numpy()
        ax.scatter(model["months"][~small], model["est"][~small], color=PALETTE[0], zorder=3, s=28)
        if small.any():
            ax.scatter(model["months"][small], model["est"][small], facecolor="white",
                       edgecolor=PALETTE[0], zorder=3, s=28,
                       label=f"Fewer than {min_cell} people at this wave")
    else:
        msg = waves["message"].iloc[0] if len(waves) else ""
        ax.text(0.5, 0.98, "Model-based means not available\n" + str(msg)[:80], ha="center",
                va="top", transform=ax.transAxes, fontsize=8, zorder=5,
                bbox={"facecolor": "white", "edgecolor": "#999999", "boxstyle": "round"})
    if not comp.empty:
        n_comp = int(comp["n"].iloc[0])
        ax.plot(comp["months"] + dx, comp["est"], color=PALETTE[1], ls="--", marker="s", ms=4,
                lw=1.2, zorder=1,
                label=f"Observed mean, people at every wave ({_count_label(n_comp, min_cell)})")
    # n per wave (model sample) along the bottom of the plot area
    trans = ax.get_xaxis_transform()
    for _, r in waves.iterrows():
        ax.text(r["months"], 0.03, _count_label(r["n"], min_cell), transform=trans,
                ha="center", va="bottom", fontsize=8, color="#444444")
    lo, hi = ax.get_ylim()
    ax.set_ylim(lo - 0.12 * (hi - lo), hi + (0.3 * (hi - lo) if model.empty else 0))
    ticks = waves["months"].to_numpy()
    names = [
        (wave_labels or {}).get(w, w) + f"\n{mo:g} mo" for w, mo in zip(waves["wave"], ticks)
    ]
    ax.set_xticks(ticks, names)
    ax.set_xlim(ticks.min() - 0.08 * span, ticks.max() + 0.08 * span)
    ax.set_xlabel("Months since entry")
    rng = ""
    if scale_range is not None:
        rng = f"scale {scale_range[0]:g}\u2013{scale_range[1]:g}; "
    better = "higher is better" if higher_is_better else "lower is better"
    ax.set_ylabel(f"Mean score\n({rng}{better})")
    ax.set_title(label or construct, loc="left")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.3), fontsize=8, ncol=1)
    return save_figure(fig, path)


# --------------------------------------------------------------------------------------------
# Sentences


def _lower_first(text: str) -> str:
    """'Quality of life (EQ VAS)' -> 'quality of life (EQ VAS)'; leaves acronyms ('EQ VAS')."""
    if len(text) > 1 and text[0].isupper() and text[1].islower():
        return text[0].lower() + text[1:]
    return text


def _num(x: float, decimals: int) -> str:
    s = f"{x:.{decimals}f}"
    if float(s) == 0:
        s = f"{0:.{decimals}f}"
    return s.replace("-", MINUS)


def change_sentence(
    contrasts: pd.DataFrame,
    construct: str,
    label: str | None = None,
    wave_phrases: Mapping[str, str] | None = None,
    baseline_phrase: str = "entry",
    unit: str = "points",
    decimals: int | None = None,
    scale_range: tuple[float, float] | None = None,
) -> str:
    """Plain-language sentences (one per follow-up) on model-based change in ``construct``.

    Branches, per follow-up contrast row:
    - status not ok: "Change in X from entry to <wave> could not be estimated from these data."
      (failed: "... because the statistical model did not converge.")
    - flag small_n: "Too few people answered at <wave> to describe change in X."
    - adjusted CI excludes 0: "X was higher|lower at <wave> than at entry (by d unit, 95% CI a
      to b)."
    - otherwise: "There was no clear change in X between entry and <wave> (difference d unit,
      95% CI a to b)."
    ``wave_phrases`` maps wave id -> phrase ("at about 4 months"); default "at <months> months".
    ``decimals`` defaults to 2 for short scales (``scale_range`` spanning under 20 points, e.g.
    1-7 or 3-9) and 1 otherwise (e.g. the 0-100 EQ VAS, or no range given).
    """
    rows = contrasts[contrasts["construct"] == construct]
    if rows.empty:
        raise DataError(
            f"change sentence: construct '{construct}' is not in the contrasts table; run the "
            "change stage for it."
        )
    if decimals is None:
        short = scale_range is not None and (scale_range[1] - scale_range[0]) < 20
        decimals = 2 if short else 1
    dec = decimals
    name = label or construct
    lname = _lower_first(name)
    out = []
    for _, r in rows.iterrows():
        phrase = (wave_phrases or {}).get(r["wave"])
        if phrase is None:
            phrase = f"at {r['months']:g} months" if np.isfinite(r["months"]) else f"at {r['wave']}"
        if r["status"] != "ok":
            why = (" because the statistical model did not converge" if r["status"] == "failed"
                   else " from these data")
            out.append(f"Change in {lname} from {baseline_phrase} to {phrase.removeprefix('at ')} "
                       f"could not be estimated{why}.")
            continue
        if r["flag"] == "small_n":
            out.append(f"Too few people answered {phrase} to describe change in {lname}.")
            continue
        est, lo, hi = r["est"], r["ci_lower_adj"], r["ci_upper_adj"]
        if lo > 0 or hi < 0:
            direction = "higher" if est > 0 else "lower"
            mag, a, b = (est, lo, hi) if est > 0 else (-est, -hi, -lo)
            out.append(
                f"{name[0].upper() + name[1:]} was {direction} {phrase} than at {baseline_phrase} "
                f"(by {_num(mag, dec)} {unit}, 95% CI {_num(a, dec)} to {_num(b, dec)})."
            )
        else:
            out.append(
                f"There was no clear change in {lname} between {baseline_phrase} and "
                f"{phrase.removeprefix('at ')} (difference {_num(est, dec)} {unit}, 95% CI "
                f"{_num(lo, dec)} to {_num(hi, dec)})."
            )
    return " ".join(out)
