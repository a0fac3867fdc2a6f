"""Figures for multiple imputation: convergence traces, observed vs imputed values, tipping point.

Trace plots follow van Buuren (2018) §6.5.2 (``plot(mids)``): one line per chain of the mean and
SD of the imputed values per iteration; well-mixed chains intermingle with no trend.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.collections import LineCollection

from pipeline.disclosure import count_text, hidden_size_mean, is_small, published_counts
from pipeline.missing_data.sentences import FINDING
from pipeline.plotting import PALETTE, apply_style, save_figure
from pipeline.stats.tipping import tipping_delta

#: The trace figure is tall (1.7 in per variable): at 150 dpi its PNG stays a few hundred KB
#: (at the house's 300 dpi it was 8 MB for the demo's 13 variables).
CHAINS_DPI = 150

#: Margins of the trace figure in inches (left of the panels, right, between the two columns,
#: below the panels, between rows).
CHAIN_MARGINS = {"left": 1.0, "right": 0.15, "gap_w": 1.05, "bottom": 0.5, "gap_h": 0.22}
#: Margins of the observed-vs-imputed figure in inches (room for two-line panel titles and
#: slanted category labels).
OVI_MARGINS = {"left": 0.75, "right": 0.15, "gap_w": 0.75, "bottom": 0.6, "gap_h": 1.0}

def _chain_colours(m: int) -> list[str]:
    return [PALETTE[i % len(PALETTE)] for i in range(m)]


def _header(fig: plt.Figure, title: str, subtitle: str, height: float) -> float:
    """Title and subtitle above the panels at fixed sizes in inches (so they never overlap each
    other or the panels, whatever the figure height); returns the top of the panel area (0-1)."""
    fig.text(0.01, 1 - 0.12 / height, title, ha="left", va="top", fontsize=11)
    fig.text(0.01, 1 - 0.42 / height, subtitle, ha="left", va="top", fontsize=8.5, color="#444444")
    return 1 - 0.65 / height


def _nothing_imputed(path: str | Path) -> list[Path]:
    fig, ax = plt.subplots(figsize=(5, 1.5))
    ax.axis("off")
    ax.text(0.5, 0.5, "No variable needed imputation.", ha="center", va="center")
    return save_figure(fig, path)


def _trace_arrays(traces: pd.DataFrame, name: str, k: int) -> tuple[np.ndarray, np.ndarray]:
    """(chain x iteration) arrays of the mean and SD of ``name``'s imputed values (k chains)."""
    sub = traces[traces["variable"] == name]
    return tuple(sub.pivot(index="chain", columns="iteration", values=v).to_numpy(dtype=float)[:k]
                 for v in ("mean", "sd"))


def plot_chains(traces: pd.DataFrame, path: str | Path, max_chains: int = 20,
                min_cell: int = 10) -> list[Path]:
    """Trace plots: mean (left) and SD (right) of imputed values by iteration, one line per chain.

    ``traces``: one row per variable x chain x iteration with ``mean``, ``sd`` and the
    variable's ``n_missing`` (:func:`pipeline.missing_data.imputation.chain_traces`). At most
    ``max_chains`` chains are drawn (the first ones) to keep the plot readable. A variable
    imputed for fewer than ``min_cell`` people is not drawn (the figure is published: a trace of
    a few people's imputed values, or "one missing value", would show a small count); its
    panels say "fewer than 10 people" instead.
    """
    apply_style()
    names = list(pd.unique(traces["variable"]))
    if not names:
        return _nothing_imputed(path)
    m = int(traces["chain"].nunique())
    k = min(m, max_chains)
    its = np.arange(1, int(traces["iteration"].max()) + 1)
    height = 1.7 * len(names) + 1.1
    fig, axes = plt.subplots(len(names), 2, figsize=(7.5, height), squeeze=False, sharex=True)
    colours = _chain_colours(k)
    for j, name in enumerate(names):
        n_mis = int(traces.loc[traces["variable"] == name, "n_missing"].iloc[0])
        for col, (values, label) in enumerate(zip(_trace_arrays(traces, name, k), ("mean", "SD"),
                                                  strict=True)):
            ax = axes[j, col]
            ax.set_ylabel(f"{name}\n{label}")
            small = is_small(n_mis, min_cell)
            if small or not np.isfinite(values).any():
                why = (f"not shown:\nimputed for fewer than {min_cell} people" if small
                       else "not defined\n(no imputed values)")
                ax.text(0.5, 0.5, f"{label} {why}", ha="center", va="center",
                        transform=ax.transAxes, fontsize=8, color="#444444")
                ax.set_yticks([])
                continue
            # one collection per panel: one artist to draw instead of k lines
            ax.add_collection(LineCollection(
                [np.column_stack([its, v]) for v in values], colors=colours, linewidths=0.9,
                alpha=0.8))
            ax.autoscale_view()
    for ax in axes[-1]:
        ax.set_xlabel("Iteration")
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.set_xlim(its[0] - 0.3, its[-1] + 0.3)
    shown = f"{k} of {m}" if k < m else f"{m}"
    top = _header(fig, "Convergence of the imputation chains",
                  f"{shown} chains, imputed values only; well-mixed chains overlap with no trend",
                  height)
    _margins(fig, len(names), 2, top - 0.1 / height, CHAIN_MARGINS)
    with plt.rc_context({"savefig.dpi": CHAINS_DPI}):
        return save_figure(fig, path, tight=False)


def _margins(fig: plt.Figure, rows: int, cols: int, top: float, m: dict[str, float]) -> None:
    """Fixed margins in inches (``m``: left, right, bottom, gap_w between columns, gap_h between
    rows; ``top``: the top of the panels as a fraction of the figure): ``tight_layout`` and a
    tight bounding box measure every text of every panel, most of a figure's cost (issue 14)."""
    width, height = fig.get_figwidth(), fig.get_figheight()
    ax_w = (width - m["left"] - m["right"] - (cols - 1) * m["gap_w"]) / cols
    ax_h = (height * top - m["bottom"] - (rows - 1) * m["gap_h"]) / rows
    fig.subplots_adjust(left=m["left"] / width, right=1 - m["right"] / width,
                        bottom=m["bottom"] / height, top=top, wspace=m["gap_w"] / ax_w,
                        hspace=m["gap_h"] / ax_h)


def _kde(values: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """Gaussian kernel density of ``values`` on ``grid`` with Scott's bandwidth (n^(-1/5) x SD,
    ddof 1): ``scipy.stats.gaussian_kde(values)(grid)``, without importing scipy.stats."""
    h2 = np.var(values, ddof=1) * values.size ** (-2 / 5)
    out = np.zeros(grid.size)
    for chunk in np.array_split(values, max(1, values.size // 2000)):
        out += np.exp(-0.5 * (grid[:, None] - chunk[None, :]) ** 2 / h2).sum(axis=1)
    return out / (values.size * np.sqrt(2 * np.pi * h2))


def _n_missing(t: pd.DataFrame) -> int:
    """People with an imputed value of one variable (the full count, also when subsampled)."""
    return int(t.attrs.get("n_missing", (t["imputation"] == 0).sum()))


def _panel_counts(values: dict[str, pd.DataFrame], min_cell: int) -> dict:
    """The panel titles' counts as published (:func:`pipeline.disclosure.published_counts`):
    the people observed per variable, set beside everyone in the imputation model (printed
    elsewhere), so no two printed counts differ by 1 to ``min_cell - 1``. Only the observed
    count is printed: with the imputed one beside it, their sum (a printed count) would give a
    hidden one back."""
    counts, totals = {}, set()
    for name, t in values.items():
        n_obs = int(t.attrs.get("n_observed", (~t["imputed"]).sum()))
        counts[name] = n_obs
        totals.add(n_obs + _n_missing(t))
    return published_counts(counts, min_cell, shown=sorted(totals))


def _numeric_panel(ax: plt.Axes, o: np.ndarray, i: np.ndarray) -> None:
    """Kernel densities of observed (o) and imputed (i) values (``i`` may be empty), drawn as
    pixels in the SVG as in the PNG.

    No dot per value (mice's strip plot): the people observed are a count the panel title
    gives only as a range (a few missing at a wave), and dots can be counted. The densities
    are rasterised (``rasterized=True``), so the SVG does not carry their coordinates to six
    digits either (a curve that exact is a sum over the values it was drawn from)."""
    both = np.concatenate([o, i])
    lo, hi = both.min(), both.max()
    grid = np.linspace(lo, hi, 200) if hi > lo else np.array([lo - 1, lo, lo + 1])
    for vals, colour in ((o, PALETTE[0]), (i, PALETTE[1])):
        if np.unique(vals).size > 1:
            ax.plot(grid, _kde(vals, grid), color=colour, rasterized=True)
    ax.set_ylim(bottom=0)
    ax.set_yticks([])
    ax.set_ylabel("density")


def _categorical_panel(ax: plt.Axes, obs: pd.Series, imp: pd.Series, min_cell: int = 10
                       ) -> None:
    """Proportions of each category among observed and imputed values, side by side, to the
    nearest ``1 / min_cell`` (:func:`pipeline.disclosure.hidden_size_mean`: an exact share
    k / n names the n the title hides)."""
    po = obs.value_counts(normalize=True)
    pi = imp.value_counts(normalize=True).reindex(po.index.union(imp.unique()), fill_value=0)
    po = po.reindex(pi.index, fill_value=0)
    x = np.arange(len(pi))
    # shares of groups whose size is printed only as a range: to the nearest 1 / min_cell
    ax.bar(x - 0.2, hidden_size_mean(po.to_numpy(), min_cell), 0.4, color=PALETTE[0])
    ax.bar(x + 0.2, hidden_size_mean(pi.to_numpy(), min_cell), 0.4, color=PALETTE[1])
    ax.set_xticks(x, [str(v) for v in pi.index], rotation=20)
    ax.set_ylabel("proportion")


def _caption(values: dict[str, pd.DataFrame], min_cell: int = 10) -> str:
    """The figure's subtitle: what the densities are drawn from (a subsample at large n, said
    here; see :func:`pipeline.missing_data.imputation.observed_and_imputed`) and, with a
    categorical panel, the shares' rounding."""
    limits = [t.attrs["max_values"] for t in values.values() if t.attrs.get("subsampled")]
    head = (f"Large data: densities from a random subsample of at most {max(limits):,} values "
            "per group" if limits else "Densities from every value")
    categorical = any(not pd.api.types.is_numeric_dtype(t["value"])
                      or pd.api.types.is_bool_dtype(t["value"]) for t in values.values())
    rounded = categorical and min_cell > 1
    return head + (f"; category shares to the nearest {1 / min_cell:g}" if rounded else "")


def imputed_legend(values: dict[str, pd.DataFrame]) -> str:
    """The legend entry of the imputed values: the number of imputations actually drawn
    (``attrs["n_imputations"]``, the run's m) and, when fewer are drawn on the figure
    (``attrs["n_sets"]``, the first few), how many of them: "imputed (values from the first
    20 of 92 imputations)"; never a number of imputations the run did not make."""
    shown = max((int(t.attrs.get("n_sets", t.loc[t["imputed"], "imputation"].nunique()))
                 for t in values.values()), default=0)
    drawn = max((int(t.attrs.get("n_imputations", 0)) for t in values.values()), default=0)
    if drawn > shown:
        return f"imputed (values from the first {shown} of {drawn} imputations)"
    return f"imputed (values from {shown} imputation{'s' if shown != 1 else ''})"


def plot_observed_vs_imputed(values: dict[str, pd.DataFrame], path: str | Path,
                             min_cell: int = 10,
                             labels: dict[str, str] | None = None) -> list[Path]:
    """Observed (blue) vs imputed (orange, pooled over imputations) values per imputed variable.

    ``values``: variable -> table of its ``value``, ``imputed`` (bool) and ``imputation``
    (:func:`pipeline.missing_data.imputation.observed_and_imputed`). Numeric variables: kernel
    densities of every value, rasterised (no dot per value: :func:`_numeric_panel`; the SVG
    does not grow with m x missing cells); categorical: proportions to the nearest
    ``1 / min_cell``. Under MAR the two may differ; imputed values far outside
    the observed range signal a problem. The figure is published: each panel prints the people
    observed under the printed-counts rule (:func:`pipeline.disclosure.published_counts`: a
    range where two counts would differ by a few; not the imputed count, which with it would
    give a hidden count back), and the imputed values of fewer than ``min_cell`` people are not
    drawn. ``labels``: variable -> the panel's title in words ("Community belonging, pathway
    entry"); a variable without one is titled by its name. The legend names the imputations
    drawn (:func:`imputed_legend`).
    """
    apply_style()
    names = list(values)
    shown = _panel_counts(values, min_cell)
    if not names:
        return _nothing_imputed(path)
    ncol = min(3, len(names))
    nrow = int(np.ceil(len(names) / ncol))
    # at least 6.6 in wide: the header line and the legend need it (no tight bounding box)
    fig, axes = plt.subplots(nrow, ncol, figsize=(max(3.2 * ncol, 6.6), 2.6 * nrow + 0.4),
                             squeeze=False)
    for ax, name in zip(axes.flat, names, strict=False):
        t = values[name]
        obs = t.loc[~t["imputed"], "value"]
        imp = t.loc[t["imputed"], "value"].reset_index(drop=True)
        hidden = [kind for kind, n in (("observed", len(obs) if "n_observed" not in t.attrs
                                            else t.attrs["n_observed"]),
                                           ("imputed", _n_missing(t))) if is_small(n, min_cell)]
        if hidden:
            obs = obs.iloc[:0] if "observed" in hidden else obs
            imp = imp.iloc[:0] if "imputed" in hidden else imp
            ax.text(0.5, 0.5, f"{' and '.join(hidden)} values not shown:\nfewer than "
                    f"{min_cell} people", ha="center", va="center", transform=ax.transAxes,
                    fontsize=8, color="#444444")
        if obs.empty and imp.empty:
            ax.set_yticks([])
        elif pd.api.types.is_numeric_dtype(obs) and not pd.api.types.is_bool_dtype(obs):
            _numeric_panel(ax, obs.to_numpy(float), imp.to_numpy(float))
        else:
            _categorical_panel(ax, obs, imp, min_cell)
        ax.set_title(f"{(labels or {}).get(name, name)}\n{count_text(shown[name])} observed, "
                     "the rest imputed",
                     fontsize=9)
    for ax in list(axes.flat)[len(names):]:
        ax.axis("off")
    handles = [plt.Line2D([], [], color=c, lw=6) for c in PALETTE[:2]]
    height = fig.get_figheight()
    fig.legend(handles, ["observed", imputed_legend(values)], loc="upper right",
               ncol=2,
               fontsize=8, bbox_to_anchor=(0.99, 1 - 0.04 / height))
    top = _header(fig, "Observed and imputed values", _caption(values, min_cell), height)
    _margins(fig, nrow, ncol, top - 0.45 / height, OVI_MARGINS)
    return save_figure(fig, path, tight=False)


_LEVEL_WORDS = FINDING


def _nearest_tip_sd(table: pd.DataFrame) -> float:
    """Smallest |delta_sd| of the tipping rows: a fragile table (``fragile``) is fragile because
    of that nearest tipping point, which the legend marks."""
    tips = table.loc[table.get("tipping_point", pd.Series("", index=table.index))
                     .fillna("").astype(str) != "", "delta_sd"].abs()
    return float(tips.min()) if len(tips) else 0.0


def plot_tipping_point(table: pd.DataFrame, path: str | Path, outcome_label: str,
                       units: str = "points", effect_label: str = "Estimate") -> list[Path]:
    """Pooled estimate and CI against delta (the assumed mean difference between people who left
    and similar people who stayed), with 0 and the tipping points marked (Carpenter & Kenward
    2013): one dashed line per direction in which the conclusion (clear decrease / no clear
    change / clear increase, from the CI) changes within the grid, or a note that it never does.
    """
    apply_style()
    ok = table[table["status"] == "ok"].sort_values("delta")
    fig, ax = plt.subplots(figsize=(6.4, 3.9))
    ax.fill_between(ok["delta"], ok["ci_lower"], ok["ci_upper"], color=PALETTE[0], alpha=0.2,
                    lw=0, label="95% CI")
    ax.plot(ok["delta"], ok["estimate"], color=PALETTE[0], marker="o", ms=3,
            label="pooled estimate")
    ax.axhline(0, color="0.3", lw=0.8)
    ax.axvline(0, color="0.6", lw=0.8, ls=":")
    tips = tipping_delta(table)
    base = table.loc[(table["delta"] == 0) & (table["status"] == "ok"), "conclusion"]
    colours = {"negative": PALETTE[3], "positive": PALETTE[2]}
    for side in ("negative", "positive"):
        tip = tips[side]
        if tip is None:
            continue
        new = table.loc[table["delta"] == tip, "conclusion"].iloc[0]
        what = (f"becomes {_LEVEL_WORDS[new]}" if not base.empty and base.iloc[0] == "uncertain"
                else f"no longer {_LEVEL_WORDS[base.iloc[0]]}" if not base.empty else "changes")
        unit = units[:-1] if abs(tip) == 1 and units.endswith("s") else units
        sd = ""
        if "delta_sd" in table.columns:
            v = table.loc[table["delta"] == tip, "delta_sd"].iloc[0]
            sd = f" = {v:+.2f} SD" if np.isfinite(v) else ""
            nearest = np.isfinite(v) and abs(v) <= _nearest_tip_sd(table)
            if bool(table["fragile"].iloc[0]) and nearest:
                what += "; fragile"
        ax.axvline(tip, color=colours[side], lw=1.3, ls="--",
                   label=f"tipping point: \u03b4 = {tip:+g} {unit}{sd} ({what})".replace(
                       "-", "\u2212"))
    if not base.empty and tips["negative"] is None and tips["positive"] is None and not ok.empty:
        lo, hi = ok["delta"].min(), ok["delta"].max()
        y0, y1 = ax.get_ylim()
        ax.set_ylim(y0, y1 + 0.2 * (y1 - y0))  # room for the note above the band
        ax.text(0.5, 0.97, f"Conclusion ({_LEVEL_WORDS[base.iloc[0]]}) unchanged for every "
                f"\u03b4 from {lo:+g} to {hi:+g} {units}".replace("-", "\u2212"),
                transform=ax.transAxes, ha="center", va="top", fontsize=8,
                bbox={"facecolor": "white", "edgecolor": "#999999", "boxstyle": "round"})
    ax.set_xlabel(f"\u03b4: how much higher (+) or lower (\u2212) the {outcome_label} scores of "
                  f"people\nwho left are assumed to be than those of similar people who stayed "
                  f"({units})")
    ax.set_ylabel(effect_label)
    ax.set_title(f"Sensitivity to missing-not-at-random: {outcome_label}", loc="left")
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.36), ncol=1)
    fig.tight_layout()
    return save_figure(fig, path)


def plot_message(path: str | Path, title: str, message: str) -> list[Path]:
    """A figure that says why there is nothing to plot (instead of an empty or misleading plot)."""
    import textwrap

    apply_style()
    fig, ax = plt.subplots(figsize=(6.4, 2.2))
    ax.axis("off")
    ax.set_title(title, loc="left")
    ax.text(0.5, 0.5, textwrap.fill(message, 80), ha="center", va="center", fontsize=9,
            transform=ax.transAxes,
            bbox={"facecolor": "white", "edgecolor": "#999999", "boxstyle": "round"})
    return save_figure(fig, path)
