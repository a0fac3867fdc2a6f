"""Attrition figures: a STROBE/CONSORT-style participant flow and a response-pattern chart.

Both apply the disclosure rule (``pipeline.disclosure``): counts 1..min_cell-1 are written as
"<10", counts that would let one be recovered are written "[c]", and no bar is drawn for a hidden
count (its length would give it away).
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from pipeline.attrition.public import suppress_flow, suppress_patterns
from pipeline.plotting import PALETTE, apply_style, save_figure

REASON_TEXT = {"excluded_duplicate": "duplicate", "excluded_missing_id": "missing id",
               "excluded_not_in_baseline": "not in baseline", "excluded_other": "other"}


def _box(ax, x, y, w, h, text, colour, weight="normal"):
    ax.add_patch(FancyBboxPatch((x - w / 2, y - h / 2), w, h, boxstyle="round,pad=0.02",
                                fc=colour, ec="#333333", lw=1))
    ax.text(x, y, text, ha="center", va="center", fontsize=9, weight=weight, wrap=True)


def _arrow(ax, start, end):
    ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=12, lw=1.2,
                                 color="#333333"))


def _n(v) -> str:
    return "NA" if v is None or (not isinstance(v, str) and pd.isna(v)) else str(v)


def plot_flow(flow_table: pd.DataFrame, path: str | Path, min_cell: int) -> list[Path]:
    """Flow diagram from ``participant_flow`` output: one box per wave (n answered, % of
    baseline), side boxes with people lost / back since the previous wave and raw rows excluded
    by cleaning (by reason). Counts are suppressed with ``suppress_flow``. Writes PNG + SVG.
    """
    apply_style()
    t = suppress_flow(flow_table.reset_index(drop=True), min_cell)
    k = len(t)
    fig, ax = plt.subplots(figsize=(7.5, 1.9 * k + 0.4))
    ax.set_xlim(0, 10)
    ax.set_ylim(-0.2, 1.9 * k)
    ax.axis("off")
    excl_cols = [c for c in t.columns if c in REASON_TEXT]
    ys = [1.9 * k - 0.9 - 1.9 * i for i in range(k)]
    for i, r in t.iterrows():
        pct = r["pct_baseline"]
        pct_txt = f" ({pct:.0f}% of baseline)" if i > 0 and not isinstance(pct, str) else ""
        head = f"{r['label']} ({r['wave']})" if r["label"] != r["wave"] else f"Wave {r['wave']}"
        verb = "joined" if i == 0 else "answered"
        _box(ax, 3.0, ys[i], 4.6, 0.9, f"{head}\n{_n(r['retained'])} {verb}{pct_txt}",
             "#DCEAF7" if i == 0 else "#EEF5FB", weight="bold")
        if i > 0:
            _arrow(ax, (3.0, ys[i - 1] - 0.47), (3.0, ys[i] + 0.47))
            side = f"Lost since previous wave: {_n(r['lost_since_previous'])}"
            if i > 1:
                side += f"\nBack after missing a wave: {_n(r['rejoined'])}"
            ymid = (ys[i - 1] + ys[i]) / 2
            _box(ax, 7.5, ymid, 4.4, 0.62, side, "#FBEFE0")
            _arrow(ax, (3.0, ymid), (5.28, ymid))
        shown = [f"{REASON_TEXT[c]}: {_n(r[c])}" for c in excl_cols
                 if isinstance(r[c], str) or r[c] > 0]
        if shown:
            ax.text(5.45, ys[i], "Rows removed in cleaning:\n" + ", ".join(shown),
                    fontsize=8, color="#555555", va="center")
    ax.set_title("Participant flow", loc="left")
    ax.text(0, -0.15, f"Counts 1-{min_cell - 1} are shown as <{min_cell}; [c] = hidden so that a "
            "small count cannot be worked out from the others.", fontsize=8, color="#555555")
    return save_figure(fig, path)


def plot_missingness(pattern_table: pd.DataFrame, path: str | Path,
                     min_cell: int) -> list[Path]:
    """Response patterns from ``pattern_summary``: a dot matrix of the waves answered (left)
    and the number of people with each pattern (right; hidden counts get no bar). Counts add up
    to the baseline total, so secondary suppression runs down the column. Writes PNG + SVG.
    """
    apply_style()
    t = pattern_table.reset_index(drop=True)
    shown = suppress_patterns(t, min_cell)
    # pattern_summary lists the all-waves pattern last, in wave order
    waves = t["pattern"].iloc[-1].replace(" only", "").split("+")
    k = len(t)
    fig, (axm, axb) = plt.subplots(1, 2, figsize=(7.5, 0.45 * k + 1.4), sharey=True,
                                   gridspec_kw={"width_ratios": [len(waves), 6], "wspace": 0.05})
    for i, p in enumerate(t["pattern"]):
        answered = set(p.replace(" only", "").split("+"))
        for j, w in enumerate(waves):
            axm.scatter(j, i, s=90, color=PALETTE[0] if w in answered else "#DDDDDD", zorder=3)
        axm.plot([j for j, w in enumerate(waves) if w in answered],
                 [i] * len(answered), color=PALETTE[0], lw=2, zorder=2)
    axm.set_xticks(range(len(waves)), waves)
    axm.set_yticks(range(k), t["pattern"])
    axm.set_xlim(-0.6, len(waves) - 0.4)
    axm.invert_yaxis()
    axm.spines[["left", "bottom"]].set_visible(False)
    axm.tick_params(length=0)
    axm.set_xlabel("Wave answered")
    xmax = max(t["n"].max(), 1)
    for i, (n, s, pct) in enumerate(zip(t["n"], shown["n"], shown["pct"])):
        if isinstance(s, str):
            axb.text(0, i, f" {s}", va="center", fontsize=9, color="#555555")
            continue
        axb.barh(i, n, color=PALETTE[0], height=0.6)
        axb.text(n + xmax * 0.01, i, f"{n} ({pct:.0f}%)", va="center", fontsize=9)
    axb.set_xlim(0, xmax * 1.25)
    axb.set_xlabel("People (of those who joined)")
    axb.tick_params(axis="y", length=0)
    axb.spines["left"].set_visible(False)
    fig.suptitle("Which waves people answered", x=0.02, ha="left", fontsize=11)
    fig.text(0.02, -0.1, f"Counts 1-{min_cell - 1} are shown as <{min_cell}; [c] = hidden so "
             "that a small count cannot be worked out from the totals.", fontsize=8,
             color="#555555")
    return save_figure(fig, path)
