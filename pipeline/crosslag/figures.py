"""Path diagram of standardised lagged effects from a CLPM / RI-CLPM (plain tables in), or a
placeholder saying why a model was not estimable."""

from __future__ import annotations

import textwrap
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from pipeline.plotting import PALETTE, apply_style, save_figure


def _fmt(x: float) -> str:
    return f"{x:.2f}".replace("-", "\u2212")


def plot_lagged_paths(
    lagged: pd.DataFrame,
    constructs: list[str],
    waves: list[str],
    path: str | Path,
    *,
    labels: dict[str, str] | None = None,
    wave_labels: dict[str, str] | None = None,
    title: str = "",
    note: str = "",
) -> list[Path]:
    """Constructs as rows, waves as columns; arrows for every lagged effect with its
    standardised estimate (std.all). Cross-lagged effects whose 95% CI excludes zero are drawn
    solid in colour, the others dashed grey; autoregressive paths are thin and grey."""
    apply_style()
    labels = labels or {}
    wave_labels = wave_labels or {}
    nc, nw = len(constructs), len(waves)
    fig, ax = plt.subplots(figsize=(2.8 + 2.9 * (nw - 1), 1.0 + 1.15 * nc))
    ax.set_xlim(-0.7, (nw - 1) * 3 + 0.7)
    ax.set_ylim(-0.8, nc - 0.2)
    ax.axis("off")
    pos = {(c, w): (j * 3.0, nc - 1 - i) for i, c in enumerate(constructs)
           for j, w in enumerate(waves)}
    bw, bh = 1.35, 0.56
    for (c, w), (x, y) in pos.items():
        ax.add_patch(FancyBboxPatch((x - bw / 2, y - bh / 2), bw, bh,
                                    boxstyle="round,pad=0.02", fc="white", ec="#333333", lw=1))
        ax.text(x, y, textwrap.fill(labels.get(c, c), 18), ha="center", va="center", fontsize=7.5)
    for j, w in enumerate(waves):
        ax.text(j * 3.0, nc - 0.45, wave_labels.get(w, w), ha="center", va="bottom",
                fontsize=9, fontweight="bold")
    for rec in lagged.to_dict("records"):
        r = pd.Series(rec)
        src, dst = pos.get((rec["from"], r.from_wave)), pos.get((r.to, r.to_wave))
        if src is None or dst is None:
            continue
        sig = (r.ci_lower > 0) or (r.ci_upper < 0)
        cross = r.type == "cross-lagged"
        color = (PALETTE[0] if r.std_all > 0 else PALETTE[3]) if (cross and sig) else "#999999"
        style = "-" if (sig or not cross) else (0, (4, 3))
        lw = 1.8 if (cross and sig) else 0.8
        start = (src[0] + bw / 2, src[1])
        end = (dst[0] - bw / 2, dst[1])
        ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=9, color=color,
                                     lw=lw, linestyle=style, shrinkA=2, shrinkB=2))
        frac = 0.3 if cross else 0.5
        lx = start[0] + frac * (end[0] - start[0])
        ly = start[1] + frac * (end[1] - start[1])
        if cross and not sig and len(constructs) > 3:
            continue  # keep crowded diagrams readable: unlabeled dashed arrows
        ax.text(lx, ly + 0.07, _fmt(r.std_all), fontsize=7, color=color if cross else "#555555",
                ha="center", va="bottom",
                bbox=dict(fc="white", ec="none", alpha=0.8, pad=0.5))
    if title:
        ax.set_title(title, fontsize=10, loc="left")
    foot = ("Standardised estimates (std.all). Solid coloured: cross-lagged effect whose 95% CI "
            "excludes zero (blue positive, red negative); dashed grey: CI includes zero.")
    fig.text(0.01, 0.01, foot + ("\n" + note if note else ""), fontsize=7, color="#444444",
             ha="left", va="bottom", wrap=True)
    return save_figure(fig, path)


def plot_not_estimable(path: str | Path, *, title: str = "", message: str = "") -> list[Path]:
    """Placeholder for a path diagram whose free model was not estimable: the title and the
    reason in words, no numbers (the workflow declares one diagram per fitted model)."""
    apply_style()
    fig, ax = plt.subplots(figsize=(6.5, 2.2))
    ax.axis("off")
    if title:
        ax.set_title(title, fontsize=10, loc="left")
    ax.text(0.0, 0.9, textwrap.fill(message.split("\n")[0], 95), ha="left", va="top",
            fontsize=9, fontweight="bold", transform=ax.transAxes)
    detail = "\n".join(message.split("\n")[1:])
    ax.text(0.0, 0.62, textwrap.fill(detail, 110), ha="left", va="top", fontsize=7,
            color="#444444", transform=ax.transAxes)
    return save_figure(fig, path)
