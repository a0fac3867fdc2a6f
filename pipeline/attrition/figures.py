"""Attrition figures: a STROBE/CONSORT-style participant flow and a response-pattern chart.

Both draw the funder copies from ``pipeline.attrition.public.public_flow_and_patterns``, which
apply the disclosure rule (``pipeline.disclosure``): counts 1..min_cell-1 are written as "<10",
counts that would let one be recovered are written as the range the other published numbers
allow ("116-124"), and no bar is drawn past what is shown (a bar's length would give a hidden
count away). The label text comes from :func:`flow_labels` and :func:`pattern_labels`, which
the disclosure attack test reads.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from pipeline.disclosure import is_number
from pipeline.plotting import PALETTE, apply_style, save_figure

REASON_TEXT = {"excluded_by_rule": "excluded by the study's rules",
               "excluded_no_answers": "no answers",
               "excluded_duplicate": "duplicate", "excluded_missing_id": "missing id",
               "excluded_not_in_baseline": "not in baseline", "excluded_other": "other"}


def _box(ax, x, y, w, h, text, colour, weight="normal"):
    ax.add_patch(FancyBboxPatch((x - w / 2, y - h / 2), w, h, boxstyle="round,pad=0.02",
                                fc=colour, ec="#333333", lw=1))
    ax.text(x, y, text, ha="center", va="center", fontsize=9, weight=weight, wrap=True)


def _arrow(ax, start, end):
    ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=12, lw=1.2,
                                 color="#333333"))


def _n(v) -> str:
    """A published count as text: numbers as integers, ranges with an en dash."""
    if v is None or (not isinstance(v, str) and pd.isna(v)):
        return "NA"
    if is_number(v):
        return f"{round(float(v))}"
    return str(v).replace("-", "\u2013")


def flow_labels(flow_public: pd.DataFrame) -> dict[str, list[str]]:
    """The text of each flow box: ``{"main": [...], "side": [...], "excluded": [...]}`` (one
    per wave; side and excluded "" where there is none), from the public flow table."""
    t = flow_public.reset_index(drop=True)
    excl_cols = [c for c in t.columns if c in REASON_TEXT]
    main, side, excluded = [], [], []
    for i, r in t.iterrows():
        pct = r["pct_baseline"]
        pct_txt = f" ({float(pct):.0f}% of baseline)" if i > 0 and is_number(pct) else ""
        head = f"{r['label']} ({r['wave']})" if r["label"] != r["wave"] else f"Wave {r['wave']}"
        verb = "joined" if i == 0 else "answered"
        main.append(f"{head}\n{_n(r['retained'])} {verb}{pct_txt}")
        text = ""
        if i > 0:
            text = f"Lost since previous wave: {_n(r['lost_since_previous'])}"
            if i > 1:
                text += f"\nBack after missing a wave: {_n(r['rejoined'])}"
        side.append(text)
        shown = [f"{REASON_TEXT[c]}: {_n(r[c])}" for c in excl_cols
                 if isinstance(r[c], str) or r[c] > 0]
        excluded.append("Rows removed in cleaning:\n" + ", ".join(shown) if shown else "")
    return {"main": main, "side": side, "excluded": excluded}


def plot_flow(flow_public: pd.DataFrame, path: str | Path, min_cell: int) -> list[Path]:
    """Flow diagram from the public flow table (``public_flow_and_patterns``): one box per wave
    (n answered, % of baseline), side boxes with people lost / back since the previous wave and
    raw rows excluded by cleaning (by reason). Writes PNG + SVG.
    """
    apply_style()
    labels = flow_labels(flow_public)
    k = len(labels["main"])
    fig, ax = plt.subplots(figsize=(7.5, 1.9 * k + 0.4))
    ax.set_xlim(0, 10)
    ax.set_ylim(-0.2, 1.9 * k)
    ax.axis("off")
    ys = [1.9 * k - 0.9 - 1.9 * i for i in range(k)]
    for i in range(k):
        _box(ax, 3.0, ys[i], 4.6, 0.9, labels["main"][i], "#DCEAF7" if i == 0 else "#EEF5FB",
             weight="bold")
        if i > 0:
            _arrow(ax, (3.0, ys[i - 1] - 0.47), (3.0, ys[i] + 0.47))
            ymid = (ys[i - 1] + ys[i]) / 2
            _box(ax, 7.5, ymid, 4.4, 0.62, labels["side"][i], "#FBEFE0")
            _arrow(ax, (3.0, ymid), (5.28, ymid))
        if labels["excluded"][i]:
            ax.text(5.45, ys[i], labels["excluded"][i], fontsize=8, color="#555555",
                    va="center")
    ax.set_title("Participant flow", loc="left")
    ax.text(0, -0.15, f"Counts 1-{min_cell - 1} are shown as <{min_cell}; a range (a\u2013b) is "
            "shown where an exact count would let a small one be worked out.", fontsize=8,
            color="#555555")
    return save_figure(fig, path)


def pattern_labels(patterns_public: pd.DataFrame) -> list[str]:
    """The count label of each bar of the pattern chart ("447 (71%)", "443\u2013451", "<10")."""
    out = []
    for n, pct in zip(patterns_public["n"], patterns_public["pct"]):
        if is_number(n):
            out.append(f"{round(float(n))} ({float(pct):.0f}%)" if is_number(pct)
                       else f"{round(float(n))}")
        else:
            out.append(_n(n))
    return out


def plot_missingness(patterns_public: pd.DataFrame, path: str | Path,
                     min_cell: int) -> list[Path]:
    """Response patterns merged into funder categories (public table from
    ``public_flow_and_patterns``: ``label, n, pct, n_min, n_max``): one bar per category. A
    count shown as a range is drawn solid to its lower end and hatched to its upper end; a
    "<10" gets no bar. Writes PNG + SVG.
    """
    apply_style()
    t = patterns_public.reset_index(drop=True)
    texts = pattern_labels(t)
    k = len(t)
    fig, ax = plt.subplots(figsize=(7.5, 0.5 * k + 1.5))
    xmax = max(float(pd.to_numeric(t["n_max"], errors="coerce").max()), 1.0)
    for i, r in t.iterrows():
        small = isinstance(r["n"], str) and r["n"].startswith("<")
        if not small:
            lo, hi = float(r["n_min"]), float(r["n_max"])
            ax.barh(i, lo, color=PALETTE[0], height=0.6)
            if hi > lo:
                ax.barh(i, hi - lo, left=lo, color="white", edgecolor=PALETTE[0], hatch="///",
                        height=0.6, lw=0.8)
        end = 0 if small else float(r["n_max"])
        ax.text(end + xmax * 0.01, i, f" {texts[i]}", va="center", fontsize=9,
                color="#555555" if small else "#222222")
    ax.set_yticks(range(k), t["label"])
    ax.set_ylim(k - 0.4, -0.6)  # top to bottom, with room under the last bar
    ax.set_xlim(0, xmax * 1.25)
    ax.set_xlabel("People (of those who joined)")
    ax.tick_params(axis="y", length=0)
    ax.spines["left"].set_visible(False)
    ax.set_title("Which waves people answered", loc="left")
    fig.text(0.02, -0.04, f"Counts 1-{min_cell - 1} are shown as <{min_cell}. A hatched end marks "
             "a range (a\u2013b): the exact count would let a small one be worked out.",
             fontsize=8, color="#555555")
    return save_figure(fig, path)
