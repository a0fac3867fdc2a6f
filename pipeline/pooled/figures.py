"""Forest figure of one construct's pooled change (PNG + SVG, :mod:`pipeline.plotting`).

Per follow-up wave: each scheme's change from entry with its confidence interval (a square
sized by its random-effects weight), the pooled change as a diamond and its prediction
interval as a thin line. A scheme without an estimate is listed with "no estimate" and no
number. No count of people is printed (the scheme table has them, protected).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.plotting import PALETTE, apply_style, save_figure
from pipeline.wording import lower_first

__all__ = ["plot_forest"]

#: a method standing in, as the scheme's label names it ("north (IPW)")
_METHOD_SHORT = {"ipw": "IPW", "lmm": "LMM", "fiml": "FIML", "mi": "MI",
                 "complete_case": "complete cases"}


def _lines(schemes: pd.DataFrame, pooled: pd.DataFrame, wave_labels: dict) -> list[dict]:
    lines = []
    for wave in list(dict.fromkeys(schemes["wave"])):
        if wave == "":
            continue
        lines.append({"kind": "head",
                      "label": f"Entry to {lower_first(wave_labels.get(wave, wave))}"})
        for r in schemes[schemes["wave"] == wave].itertuples():
            stand = r.method != r.primary_method and r.status == "ok"
            label = str(r.scheme) + (
                f" ({_METHOD_SHORT.get(str(r.method), str(r.method))})" if stand else "")
            lines.append({"kind": "scheme" if r.status == "ok" else "none", "label": label,
                          "est": r.est, "lo": r.ci_lower, "hi": r.ci_upper,
                          "w": r.weight_pct})
        p = pooled[pooled["wave"] == wave]
        if len(p) and p["status"].iloc[0] == "ok":
            q = p.iloc[0]
            lines.append({"kind": "pooled", "label": f"Pooled ({int(q['k'])} schemes)",
                          "est": q["est"], "lo": q["ci_lower"], "hi": q["ci_upper"],
                          "pi": (q["pi_lower"], q["pi_upper"])})
    return lines


def plot_forest(schemes: pd.DataFrame, pooled: pd.DataFrame, title: str, units: str,
                wave_labels: dict, path: str | Path) -> list[Path]:
    """Draw the forest plot of one construct (``schemes``: its rows of
    ``pooled_change_schemes.csv``; ``pooled``: its rows of ``pooled_change.csv``)."""
    import matplotlib.pyplot as plt

    apply_style()
    lines = _lines(schemes, pooled, wave_labels)
    fig, ax = plt.subplots(figsize=(7.0, 0.9 + 0.32 * max(len(lines), 1)))
    ys = np.arange(len(lines))[::-1]
    for y, ln in zip(ys, lines):
        if ln["kind"] == "head":
            ax.text(0.0, y, ln["label"], transform=ax.get_yaxis_transform(), ha="right",
                    va="center", fontweight="bold", fontsize=9)
            continue
        if ln["kind"] == "none":
            ax.text(0.02, y, "no estimate", transform=ax.get_yaxis_transform(),
                    va="center", fontsize=8, color="#555555")
            continue
        if ln["kind"] == "pooled":
            lo_pi, hi_pi = ln["pi"]
            ax.plot([lo_pi, hi_pi], [y, y], color=PALETTE[3], lw=1)
            ax.fill([ln["lo"], ln["est"], ln["hi"], ln["est"]], [y, y + 0.3, y, y - 0.3],
                    color=PALETTE[3], zorder=3)
            continue
        size = 4 + 0.25 * (float(ln["w"]) if np.isfinite(ln["w"]) else 0)
        ax.plot([ln["lo"], ln["hi"]], [y, y], color=PALETTE[0], lw=1.2)
        ax.plot([ln["est"]], [y], marker="s", ms=size, color=PALETTE[0], zorder=3)
    ax.axvline(0, color="#444444", lw=0.8, ls="--")
    ax.set_yticks(ys, [ln["label"] if ln["kind"] != "head" else "" for ln in lines])
    ax.set_ylim(-0.8, len(lines) - 0.2)
    ax.set_xlabel(f"Change from entry ({units})")
    ax.set_title(title)
    # below the axis label (offset in points, whatever the figure's height)
    ax.annotate("Squares: each scheme (size: weight); diamond: pooled change (random effects, "
                "Knapp-Hartung CI); thin line: prediction interval.", xy=(0, 0),
                xycoords="axes fraction", xytext=(0, -44), textcoords="offset points",
                va="top", fontsize=7, color="#444444")
    return save_figure(fig, path)
