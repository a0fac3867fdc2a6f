"""Figures of one moderation analysis (plain tables in; PNG + SVG twins, the project's look).

- **Simple slopes**: the expected difference in the outcome's later score (same earlier score)
  against the change in the predictor, one line with its confidence band per probe point of
  the moderator (mean - 1 SD, mean, mean + 1 SD; or its anchors, values or percentiles,
  labelled by the anchor's words): line = slope x change, band = +/- c x SE x |change|.
- **Johnson-Neyman**: the slope of the predictor's change across the observed range of the
  moderator with its confidence band; where the band excludes 0 is shaded, J-N boundaries
  within the range are marked.

No counts of people are drawn. A method that could not be estimated gets a placeholder saying
so in words (the workflow declares both figures before the data are seen).
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from pipeline.plotting import PALETTE, apply_style, save_figure

__all__ = ["plot_simple_slopes", "plot_jn", "plot_placeholder"]

LEVEL_COLOURS = {"mean - 1 SD": PALETTE[1], "mean": PALETTE[7], "mean + 1 SD": PALETTE[0]}


def _label(at: str, w: float) -> str:
    minus = "\u2212"
    value = f"{w:g}" if float(w).is_integer() and at not in LEVEL_COLOURS else f"{w:.2f}"
    return f"{at.replace(' - ', f' {minus} ')} ({value})"


def _colour(at: str, i: int, position: object) -> str:
    """The sd levels' colours; else low / high as mean - 1 SD / + 1 SD, others in turn."""
    if at in LEVEL_COLOURS:
        return LEVEL_COLOURS[at]
    return {"low": PALETTE[1], "high": PALETTE[0]}.get(str(position), PALETTE[(2 + i) % 8])


def plot_simple_slopes(slopes: pd.DataFrame, dx_range: tuple[float, float], path: str | Path, *,
                       x_label: str, y_label: str, w_label: str, title: str = "") -> list[Path]:
    """``slopes``: rows ``at, w, est, se, ci_lower, ci_upper`` (one method)."""
    apply_style()
    fig, ax = plt.subplots(figsize=(6.2, 4.2))
    lo, hi = dx_range
    dx = np.linspace(min(lo, 0.0), max(hi, 0.0), 50)
    for i, (_, r) in enumerate(slopes.iterrows()):
        colour = _colour(r["at"], i, r.get("position", ""))
        half_lo, half_hi = r["est"] - r["ci_lower"], r["ci_upper"] - r["est"]
        line = r["est"] * dx
        ax.fill_between(dx, line - half_lo * np.abs(dx), line + half_hi * np.abs(dx),
                        color=colour, alpha=0.15, lw=0)
        ax.plot(dx, line, color=colour, lw=2, label=_label(r["at"], r["w"]))
    ax.axhline(0, color="#888888", lw=0.8)
    ax.axvline(0, color="#bbbbbb", lw=0.6, ls=":")
    ax.set_xlabel(x_label)
    ax.set_ylabel(textwrap.fill(y_label, 45))
    ax.legend(title=textwrap.fill(w_label, 40), loc="best", fontsize=8, title_fontsize=8)
    if title:
        ax.set_title(textwrap.fill(title, 70), loc="left")
    return save_figure(fig, path)


def plot_jn(curve: pd.DataFrame, jn: pd.Series, path: str | Path, *, w_label: str,
            slope_label: str, title: str = "") -> list[Path]:
    """``curve``: ``w, est, ci_lower, ci_upper`` over the observed range; ``jn``: the J-N row
    (``lower, upper, w_min, w_max, regions, ci_level``)."""
    apply_style()
    fig, ax = plt.subplots(figsize=(6.2, 4.0))
    w = curve["w"].to_numpy()
    sig = (curve["ci_lower"] > 0) | (curve["ci_upper"] < 0)
    ax.fill_between(w, curve["ci_lower"], curve["ci_upper"], color=PALETTE[0], alpha=0.15, lw=0,
                    label=f"{100 * float(jn['ci_level']):.10g}% CI")
    ax.plot(w, curve["est"], color=PALETTE[0], lw=2, label="slope")
    ymin, ymax = ax.get_ylim()
    ax.fill_between(w, ymin, ymax, where=sig.to_numpy(), color=PALETTE[2], alpha=0.08, lw=0,
                    label="CI excludes 0")
    ax.set_ylim(ymin, ymax)
    for b in (jn["lower"], jn["upper"]):
        if pd.notna(b) and float(jn["w_min"]) < float(b) < float(jn["w_max"]):
            ax.axvline(float(b), color=PALETTE[3], lw=1, ls="--")
            ax.annotate(f"J\u2013N {float(b):.2f}", (float(b), ymin), xytext=(3, 4),
                        textcoords="offset points", fontsize=8, color=PALETTE[3])
    ax.axhline(0, color="#888888", lw=0.8)
    ax.set_xlabel(w_label)
    ax.set_ylabel(textwrap.fill(slope_label, 45))
    ax.legend(loc="best", fontsize=8)
    if str(jn["regions"]) == "none" or not (jn["w_min"] < jn["lower"] < jn["w_max"]
                                             or jn["w_min"] < jn["upper"] < jn["w_max"]):
        ax.text(0.01, 0.02, "No Johnson\u2013Neyman boundary within the observed range",
                transform=ax.transAxes, fontsize=8, color="#444444")
    if title:
        ax.set_title(textwrap.fill(title, 70), loc="left")
    return save_figure(fig, path)


def plot_placeholder(path: str | Path, *, title: str, message: str) -> list[Path]:
    """A figure that says in words why there is nothing to draw (no numbers)."""
    apply_style()
    fig, ax = plt.subplots(figsize=(6.2, 1.8))
    ax.axis("off")
    ax.set_title(textwrap.fill(title, 70), loc="left", fontsize=10)
    ax.text(0.0, 0.7, textwrap.fill(message, 90), ha="left", va="top", fontsize=9,
            transform=ax.transAxes)
    return save_figure(fig, path)
