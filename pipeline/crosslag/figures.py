"""Lagged effects of a CLPM / RI-CLPM as small multiples of predictor x outcome grids (plain
tables in; readable for 5 constructs, no stacked labels), or a placeholder saying why a model
was not estimable."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.patches import Rectangle

from pipeline.plotting import apply_style, save_figure
from pipeline.wording import bound_decimals, fmt_num

#: a figure wider than this (inches) at its own type size stacks its lags one under the other:
#: the report's text width (16.6 cm), so the figure is printed at (nearly) its own type size
MAX_WIDTH_IN = 6.6
#: a cell's width and height in inches: three lines of 9 and 7.5 pt type (a funder-eyed read
#: of the report: cells of 1.05 x 0.78 in, shrunk to the page, printed the numbers at 4-6 pt)
CELL_W, CELL_H = 1.0, 0.44
#: room above each grid (its title and column labels), in inches
HEAD_IN = 1.0


def _fmt(x: float) -> str:
    """Two decimals, a true minus sign, never "−0.00" (``wording.fmt_num``)."""
    return fmt_num(x, 2)


def _fmt_p(p: float) -> str:
    return "<0.001" if p < 0.001 else f"{p:.3f}"


POS_FILL, NEG_FILL, AR_FILL = "#cfe3f3", "#f7d9c4", "#eeeeee"


def _panels(lagged: pd.DataFrame, waves: list[str]) -> list[tuple[str, str, pd.DataFrame]]:
    """One panel per lag ``(from_wave, to_wave, rows)`` (a stationary model too: its
    unstandardised effects are equal over lags, its standardised ones need not be)."""
    return [(a, b, lagged[(lagged["from_wave"] == a) & (lagged["to_wave"] == b)])
            for a, b in zip(waves, waves[1:])]


def _cell(ax, x: float, y: float, r: pd.Series, highlight: bool) -> None:
    """One cell: std_all, its 95% CI and (cross-lagged) the Holm-adjusted p-value."""
    cross = r["type"] == "cross-lagged"
    finding = bool(highlight and cross and r.get("finding", False))
    fill = AR_FILL if not cross else (POS_FILL if r["std_all"] > 0 else NEG_FILL) if finding \
        else "white"
    ax.add_patch(Rectangle((x, y), 1, 1, fc=fill, ec="#bbbbbb", lw=0.6))
    color = "#222222" if cross else "#666666"
    ax.text(x + 0.5, y + 0.71, _fmt(r["std_all"]), ha="center", va="center", fontsize=9,
            color=color, fontweight="bold" if finding else "normal")
    se = r.get("std_all_se", np.nan)
    if pd.notna(se):
        lo, hi = r["std_all"] - 1.96 * se, r["std_all"] + 1.96 * se
        dlo, dhi = bound_decimals(lo, hi, 2)  # a bound near zero keeps its sign: "−0.004"
        ax.text(x + 0.5, y + 0.44, f"{fmt_num(lo, dlo)} to {fmt_num(hi, dhi)}", ha="center",
                va="center", fontsize=7.5, color=color)
    if cross and pd.notna(r.get("pvalue_holm", np.nan)):
        ax.text(x + 0.5, y + 0.18, f"p Holm {_fmt_p(r['pvalue_holm'])}", ha="center",
                va="center", fontsize=7.5, color=color)
    elif not cross:
        ax.text(x + 0.5, y + 0.18, "stability", ha="center", va="center", fontsize=7.5,
                color=color, style="italic")


def plain_note(note: str) -> str:
    """A model's note as a funder reads it under the figure: without the analyst's pointers to
    table columns ("(column pvalue_holm)")."""
    return re.sub(r"\s*\(column [A-Za-z_.]+\)", "", str(note or ""))


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
    highlight: bool = False,
) -> list[Path]:
    """Lagged effects as small multiples: one predictor x outcome grid per lag (one grid for a
    stationary model). Each cell: the standardised estimate (std.all), its 95% CI and, for
    cross-lagged paths, the Holm-adjusted p-value; the diagonal holds the autoregressive
    (stability) paths in grey. Cells are coloured only when ``highlight`` (the headline model)
    and the path is a finding (Holm-adjusted p below alpha): blue positive, orange negative."""
    apply_style()
    labels = labels or {}
    wave_labels = wave_labels or {}
    k = len(constructs)
    panels = _panels(lagged, waves)
    left, gap = 1.25, 0.3  # row labels; between grids side by side
    wide = left + len(panels) * (CELL_W * k + gap)
    # side by side while the figure fits a page's width at its own type size; else one grid
    # under the other (a funder-eyed read: 5 constructs x 2 lags side by side, shrunk to the
    # page, printed its numbers at 2-4 pt)
    stacked = wide > MAX_WIDTH_IN and len(panels) > 1
    if stacked:
        fig, axes = plt.subplots(len(panels), 1, figsize=(left + 0.1 + CELL_W * k,
                                                          len(panels) * (HEAD_IN + CELL_H * k)),
                                 squeeze=False)
        axes = axes[:, 0][None, :]
    else:
        fig, axes = plt.subplots(1, len(panels), figsize=(wide, HEAD_IN + 0.1 + CELL_H * k),
                                 squeeze=False)
    for j, (ax, (fw, tw, rows)) in enumerate(zip(axes[0], panels)):
        ax.set_xlim(0, k)
        ax.set_ylim(0, k)
        ax.set_aspect("auto")
        ax.axis("off")
        idx = {c: i for i, c in enumerate(constructs)}
        for r in rows.to_dict("records"):
            if r["from"] in idx and r["to"] in idx:
                _cell(ax, idx[r["to"]], k - 1 - idx[r["from"]], pd.Series(r), highlight)
        for c, i in idx.items():
            ax.text(i + 0.5, k + 0.08, textwrap.fill(labels.get(c, c), 13), ha="center",
                    va="bottom", fontsize=7.5)
            if j == 0 or stacked:
                ax.text(-0.08, k - 0.5 - i, textwrap.fill(labels.get(c, c), 16), ha="right",
                        va="center", fontsize=7.5)
        span = f"{wave_labels.get(fw, fw)} \u2192 {wave_labels.get(tw, tw)}"
        ax.set_title(f"{span}\npredictor (rows) \u2192 outcome (columns)", fontsize=8.5,
                     pad=30)
    width, height = fig.get_size_inches()
    fig.subplots_adjust(top=1 - HEAD_IN / height, bottom=0.05 / height, left=left / width,
                        right=1 - (0.1 if stacked else gap) / width,
                        wspace=gap / (CELL_W * k),
                        hspace=(HEAD_IN / (CELL_H * k)) if stacked else None)
    if title:
        fig.text(0.01, 1.0, textwrap.fill(title, int(width * 11)), fontsize=10, ha="left",
                 va="bottom")
    stationary = "stationary" in lagged and bool(lagged["stationary"].all())
    n_found = int(lagged.get("finding", pd.Series(dtype=bool)).fillna(False).astype(bool).sum())
    foot = ("Standardised lagged effects with 95% CI; cross-lagged p-values Holm-adjusted "
            "within the model. "
            + ("Stationary model: unstandardised effects are equal over lags, so the p-values "
               "repeat; standardised values may differ. " if stationary else "")
            + (("Coloured: cross-lagged finding (Holm-adjusted p below the significance "
                "level; blue positive, orange negative)." if n_found else "No cross-lagged "
                "path is a finding (no Holm-adjusted p below the significance level), so no "
                "cell is coloured.") if highlight
               else "No cell is coloured: this model is not the headline."))
    wrap = int(width * 15.5)
    note = plain_note(note)
    text = textwrap.fill(foot, wrap) + ("\n" + textwrap.fill(note, wrap) if note else "")
    fig.text(0.01, 0.0, text, fontsize=7.5, color="#444444", ha="left", va="top")
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
