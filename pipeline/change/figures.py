"""Figures of change over time: one trajectory figure per construct, from the means table.

The sentences that go with them are in :mod:`pipeline.change.sentences`.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.disclosure import hidden_size_mean, published_counts, small_mark
from pipeline.errors import DataError
from pipeline.plotting import PALETTE, apply_style, save_figure
from pipeline.status import Status

__all__ = ["plot_trajectory", "axis_start", "answered_per_wave", "MIN_DATA_SHARE"]

#: the y axis starts at the scale's minimum unless the data would then fill less than this share
#: of its height; then the axis is cut and marked as broken (see :func:`axis_start`).
MIN_DATA_SHARE = 0.2

OK = Status.OK.value

_MODEL_LABEL = {
    "proportional": "Model-based mean (95% CI), everyone who took part\n"
                    "(adjusted to the sample's own mix of characteristics)",
    "equal": "Model-based mean (95% CI), everyone who took part\n"
             "(each category of a characteristic weighted equally)",
}


def _count_label(shown: int | str | None, min_cell: int) -> str:
    """"n = 178", "n < 10", or the range a count close to a group's size is printed as
    ("n = 169-177": :func:`pipeline.disclosure.published_counts`)."""
    if shown is None or shown == 0:
        return "n = 0"
    return f"n < {min_cell}" if shown == small_mark(min_cell) else f"n = {shown}"


def _wave_counts(waves: pd.DataFrame, min_cell: int,
                 group_sizes: Mapping[str, float] | None) -> dict:
    """wave -> the printed n (people with a score at the wave). Beside the number who entered
    and who answered at each wave (``group_sizes``, as the flow prints them) and beside each
    other, no two of them differ by 1 to ``min_cell - 1``: ``n = 11`` under 12 entrants would
    give back the one missing score (:func:`pipeline.disclosure.published_counts`)."""
    sizes = {str(w): float(v) for w, v in (group_sizes or {}).items()}
    n = {str(r["wave"]): float(pd.to_numeric(r["n"], errors="coerce"))
         for _, r in waves.iterrows()}
    n = {w: (v if np.isfinite(v) and v > 0 else 0.0) for w, v in n.items()}
    return published_counts(n, min_cell, shown=sizes.values(),
                            groups={w: [sizes[w]] for w in n if w in sizes})


def joint_count_texts(tables: Mapping[str, tuple[pd.DataFrame, tuple[str, ...]]],
                      min_cell: int, group_sizes: Mapping[str, float] | None
                      ) -> dict[str, dict[str, int | str | None]]:
    """construct -> wave -> the printed n of every trajectory figure, chosen together
    (``tables``: construct -> (its means table, the methods drawn as the model line)). Each
    figure alone kept its counts apart from the group sizes, but "n = 730" under one construct
    beside "n = 739" under another gave back the 9 people with one score and not the other:
    over all figures, no two printed counts of a wave differ by 1 to ``min_cell - 1``
    (:func:`pipeline.disclosure.published_counts`)."""
    sizes = {str(w): float(v) for w, v in (group_sizes or {}).items()}
    counts = {}
    for k, (m, methods) in tables.items():
        m = m[m["construct"] == k]
        waves = m[m["method"].astype(str).isin(methods)].drop_duplicates("wave")
        for _, r in (waves if len(waves) else m.drop_duplicates("wave")).iterrows():
            v = float(pd.to_numeric(r["n"], errors="coerce"))
            counts[(k, str(r["wave"]))] = v if np.isfinite(v) and v > 0 else 0.0
    printed = published_counts(counts, min_cell, shown=sizes.values(),
                               groups={key: [sizes[key[1]]] for key in counts
                                       if key[1] in sizes})
    out: dict[str, dict[str, int | str | None]] = {k: {} for k in tables}
    for (k, w), text in printed.items():
        out[k][w] = text
    return out


def answered_per_wave(wide: pd.DataFrame, waves: list[str]) -> dict[str, float]:
    """wave -> the number who answered (``responded_<wave>`` of the wide table; the first
    wave's is the number who entered): the group sizes the flow prints, for
    :func:`plot_trajectory`'s ``group_sizes``."""
    return {w: float(wide[f"responded_{w}"].fillna(False).astype(bool).sum())
            for w in waves if f"responded_{w}" in wide.columns}


def _wave_positions(m: pd.DataFrame, wave_months: Mapping[str, float] | None) -> tuple:
    """Wave order, x position per wave and whether x is months since entry.

    x is the wave's months since entry (from the table, else ``wave_months``); when that is
    unknown for any wave (e.g. a wave with no data at all has no months in the means table), the
    waves are placed at their order (0, 1, 2, ...) instead, so a figure can always be drawn.
    """
    info = m[["wave", "wave_index", "months"]].copy() if "wave_index" in m else m[
        ["wave", "months"]].assign(wave_index=np.nan)
    info["months"] = pd.to_numeric(info["months"], errors="coerce")
    info["wave_index"] = pd.to_numeric(info["wave_index"], errors="coerce")
    per = info.groupby("wave", sort=False).agg(months=("months", "first"),
                                               wave_index=("wave_index", "first"))
    if wave_months:
        per["months"] = per["months"].fillna(per.index.to_series().map(wave_months))
    order = per["wave_index"].where(per["wave_index"].notna(), per["months"])
    per = per.assign(_o=order.fillna(np.inf), _k=np.arange(len(per))).sort_values(["_o", "_k"])
    use_months = bool(len(per)) and np.isfinite(per["months"].to_numpy(float)).all()
    x = per["months"] if use_months else pd.Series(np.arange(len(per), dtype=float), per.index)
    return list(per.index), x.astype(float).to_dict(), per["months"].to_dict(), use_months


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
    wave_months: Mapping[str, float] | None = None,
    model_methods: tuple[str, ...] = ("lmm_reml", "lmm_ml"),
    model_label: str | None = None,
    score_name: str = "score",
    group_sizes: Mapping[str, float] | None = None,
    count_texts: Mapping[str, int | str | None] | None = None,
    score_unit: float = 1.0,
) -> list[Path]:
    """Model-based means with 95% CIs per wave (x = months since entry), observed completer
    means as a dashed second line, n per wave annotated (counts below ``min_cell`` as "n < 10").

    Only means with status "ok", finite values and at least ``min_cell`` people are drawn; a
    wave answered by fewer than ``min_cell`` people is marked "not shown" above its count.
    When no model-based mean can be drawn, a box states why (the table's message). The y label
    states the scale's range (``scale_range``, e.g. "Mean score (scale 0–100)", since the axis
    shows only part of it) and the direction for every construct ("higher is better" / "lower
    is better"). ``covariate_weights`` (as in :func:`pipeline.change.trajectory.fit_trajectory`) is
    stated in the legend: "proportional" means describe everyone in the sample as it is
    (categorical covariates at their observed mix); "equal" weights every category equally.
    ``wave_months`` (wave id -> months since entry, as configured) fills months the table lacks;
    when a wave's months stay unknown the waves are spaced evenly. Never raises on missing or
    NaN estimates. Returns the written PNG and SVG paths.

    ``model_methods``: the ``method`` values drawn as the model line (default the mixed model;
    the stage passes the primary missing-data method, e.g. "fiml"), with legend ``model_label``.
    ``scale_range`` is the *score's* range (a 3-item sum of 1-3 items: 3-9); the y axis starts at
    its minimum, or, when the means would then fill less than :data:`MIN_DATA_SHARE` of the
    height, is cut, marked as broken on the axis and said so in the label. ``score_name``
    ("sum score", "mean item score") names the units in the y label. ``group_sizes`` (wave ->
    the number who answered, the first wave's the number who entered) keeps the n per wave from
    differing from those by a few (:func:`_wave_counts`); ``count_texts`` (wave -> printed n,
    :func:`joint_count_texts` over every figure of the study) replaces that when given.
    The completers' means are drawn rounded to ``score_unit / min_cell`` (0.1 point for scores
    on whole points): the number who answered at every wave is not published, and a mean drawn
    exactly would give it back (:func:`pipeline.disclosure.hidden_size_mean`).
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
    p = _plot_data(m, min_cell, wave_months, model_methods)
    _draw_model(ax, p, model_label or _MODEL_LABEL.get(covariate_weights,
                                                        _MODEL_LABEL["proportional"]))
    _draw_completers(ax, p, min_cell, score_unit)
    _annotate_counts(ax, p["waves"], min_cell, group_sizes, count_texts)
    broken = _set_axes(ax, p, scale_range, wave_labels)
    better = "higher is better" if higher_is_better else "lower is better"
    kind = "scale" if score_name == "score" else score_name
    if scale_range is None:
        ax.set_ylabel(f"Mean score\n({better})")
    else:
        cut = f"\naxis cut: starts at {ax.get_ylim()[0]:.3g}" if broken else ""
        ax.set_ylabel(f"Mean score (points)\n({kind} {scale_range[0]:g}\u2013"
                      f"{scale_range[1]:g}; {better}){cut}")
    ax.set_title(label or construct, loc="left")
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.3), fontsize=8, ncol=1)
    return save_figure(fig, path)


def _plot_data(m: pd.DataFrame, min_cell: int, wave_months: Mapping[str, float] | None,
               model_methods: tuple[str, ...] = ("lmm_reml", "lmm_ml")) -> dict:
    """What the figure draws: model and completer rows that may be shown, the waves to
    annotate, x positions and the x-axis span."""
    waves_order, xpos, months, use_months = _wave_positions(m, wave_months)
    m = m.assign(_x=m["wave"].map(xpos).astype(float))
    n_num = pd.to_numeric(m["n"], errors="coerce")
    drawable = (
        (m["status"] == OK) & np.isfinite(pd.to_numeric(m["est"], errors="coerce"))
        & ~((n_num > 0) & (n_num < min_cell)) & m["_x"].notna()
    )
    is_model = m["method"].astype(str).isin(model_methods)
    waves = m[is_model].drop_duplicates("wave")
    if waves.empty:  # no model rows at all: annotate the waves of the observed rows
        waves = m.drop_duplicates("wave")
    xs = np.array([xpos[w] for w in waves_order], dtype=float)
    span = max(float(xs.max() - xs.min()) if len(xs) else 0.0, 1.0)
    return {
        "model": m[is_model & drawable].sort_values("_x"),
        "comp": m[(m["method"] == "observed_completers") & drawable].sort_values("_x"),
        "waves": waves.sort_values("_x"), "waves_order": waves_order, "months": months,
        "use_months": use_months, "xs": xs, "span": span,
    }


def _draw_model(ax, p: dict, label: str) -> None:
    """Model-based means with CI bars, or a box saying why there are none."""
    model = p["model"]
    if not model.empty:
        ok_ci = np.isfinite(model[["ci_lower", "ci_upper"]].to_numpy(float)).all(axis=1)
        ax.plot(model["_x"], model["est"], color=PALETTE[0], lw=1.6, zorder=2, label=label)
        if ok_ci.any():
            mc = model[ok_ci]
            ax.errorbar(mc["_x"], mc["est"],
                        yerr=[mc["est"] - mc["ci_lower"], mc["ci_upper"] - mc["est"]],
                        fmt="none", ecolor=PALETTE[0], capsize=3, lw=1.2, zorder=2)
        ax.scatter(model["_x"], model["est"], color=PALETTE[0], zorder=3, s=28)
        return
    waves = p["waves"]
    msgs = waves.loc[waves["status"] != OK, "message"].dropna().astype(str)
    msgs = msgs[msgs.str.len() > 0]
    msg = msgs.iloc[0] if len(msgs) else "no model-based means could be estimated"
    why = "\n".join(textwrap.wrap(f"Not estimable: {msg}", 70)[:4])
    ax.text(0.5, 0.98, "Model-based means not available\n" + why, ha="center",
            va="top", transform=ax.transAxes, fontsize=8, zorder=5,
            bbox={"facecolor": "white", "edgecolor": "#999999", "boxstyle": "round"})


def _draw_completers(ax, p: dict, min_cell: int, unit: float = 1.0) -> None:
    """Observed completer means as a dashed line, nudged right of the model means, rounded to
    ``unit / min_cell`` (:func:`pipeline.disclosure.hidden_size_mean`)."""
    comp = p["comp"]
    if comp.empty:
        return
    # No n in the label: the number who answered at every wave is a cell the public response
    # patterns hide (it would give back "came back after missing a wave" by subtraction); for
    # the same reason the means are rounded (an exact mean is a total over that number).
    rounded = f" (to the nearest {unit / min_cell:g})" if min_cell > 1 else ""
    ax.plot(comp["_x"] + 0.012 * p["span"], hidden_size_mean(comp["est"], min_cell, unit),
            color=PALETTE[1], ls="--", marker="s", ms=4, lw=1.2, zorder=1,
            label=f"Observed mean, people who answered at every wave{rounded}")


def _annotate_counts(ax, waves: pd.DataFrame, min_cell: int,
                     group_sizes: Mapping[str, float] | None = None,
                     count_texts: Mapping[str, int | str | None] | None = None) -> None:
    """n per wave (model sample) along the bottom of the plot area (``count_texts``, else
    :func:`_wave_counts`); small waves "not shown"."""
    trans = ax.get_xaxis_transform()
    shown = dict(count_texts) if count_texts is not None else _wave_counts(
        waves, min_cell, group_sizes)
    xs = waves["_x"][np.isfinite(waves["_x"])]
    for _, r in waves.iterrows():
        if not np.isfinite(r["_x"]):
            continue
        n = float(pd.to_numeric(r["n"], errors="coerce"))
        # the outer labels grow inwards, so a range ("n = 621-629") never crosses the axis
        ha = ("center" if len(xs) < 2 else "left" if r["_x"] == xs.min()
              else "right" if r["_x"] == xs.max() else "center")
        ax.text(r["_x"], 0.03, _count_label(shown[str(r["wave"])], min_cell), transform=trans,
                ha=ha, va="bottom", fontsize=8, color="#444444")
        if np.isfinite(n) and 0 < n < min_cell:
            ax.text(r["_x"], 0.10, f"too few people\n(fewer than {min_cell}):\nnot shown",
                    transform=trans, ha="center", va="bottom", fontsize=7, color="#444444")


def axis_start(lo: float, hi: float, scale_min: float, min_share: float = MIN_DATA_SHARE
               ) -> tuple[float, bool]:
    """Where the y axis starts: ``(scale_min, False)`` when data spanning ``lo``..``hi`` would
    fill at least ``min_share`` of an axis from ``scale_min`` to ``hi``; else ``(lo, True)``
    (the axis is cut and must be marked as broken)."""
    if hi <= scale_min or (hi - lo) / (hi - scale_min) >= min_share:
        return float(scale_min), False
    return float(lo), True


def _mark_broken(ax) -> None:
    """Two short slanted strokes across the bottom of the y axis: the axis is cut there."""
    from matplotlib.lines import Line2D

    for dy in (0.0, 0.025):
        ax.add_line(Line2D([-0.018, 0.018], [0.1 + dy, 0.13 + dy], transform=ax.transAxes,
                           color="black", lw=1.0, clip_on=False, zorder=6))
    lo, hi = ax.get_ylim()
    ticks = [t for t in ax.get_yticks() if lo + 0.15 * (hi - lo) <= t <= hi]
    ax.set_yticks(ticks)  # no tick label at the cut


def _set_axes(ax, p: dict, scale_range: tuple[float, float] | None,
              wave_labels: Mapping[str, str] | None) -> bool:
    """y limits (the scale's minimum or a marked broken axis; room for the box when no model
    means), wave ticks and the x label. Returns whether the y axis is broken."""
    model, comp, xs, span = p["model"], p["comp"], p["xs"], p["span"]
    lo, hi = ax.get_ylim()
    if model.empty and comp.empty:  # nothing drawn: the scale's range, or no y ticks at all
        if scale_range is not None and scale_range[1] > scale_range[0]:
            lo, hi = float(scale_range[0]), float(scale_range[1])
        else:
            lo, hi = 0.0, 1.0
            ax.set_yticks([])
    if not (np.isfinite(lo) and np.isfinite(hi) and hi > lo):
        lo, hi = 0.0, 1.0
    broken = False
    start = lo - 0.12 * (hi - lo)
    if scale_range is not None and scale_range[1] > scale_range[0]:
        start, broken = axis_start(start, hi, float(scale_range[0]))
    top = hi + (0.3 if model.empty else 0.06) * (hi - start)
    if scale_range is not None and scale_range[1] > scale_range[0] and not model.empty:
        top = min(top, float(scale_range[1]))
    ax.set_ylim(start, top)
    if broken:
        _mark_broken(ax)
        ax.set_ylim(start, top)
    _wave_ticks(ax, p, xs, span, wave_labels)
    return broken


def _wave_ticks(ax, p: dict, xs: np.ndarray, span: float,
                wave_labels: Mapping[str, str] | None) -> None:
    names = []
    for w in p["waves_order"]:
        mo = p["months"].get(w, np.nan)
        names.append((wave_labels or {}).get(w, w) + (f"\n{mo:g} mo" if np.isfinite(mo) else ""))
    if len(xs):
        ax.set_xticks(xs, names)
        ax.set_xlim(xs.min() - 0.08 * span, xs.max() + 0.08 * span)
    ax.set_xlabel("Months since entry" if p["use_months"] else "Wave")
