"""Figure of a count outcome: the mean count per wave, model-based (mixed model, all available
answers) as a line and observed among those who answered as points; with a comparison group,
the model-based mean of each arm (the by-arm mixed model, ``healthcare_comparison.csv``) as two
lines instead of the one. No counts of people are printed on it (nothing for disclosure control
to hide). Takes the change (and by-arm) tables only."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

from pipeline.plotting import PALETTE, apply_style, save_figure

__all__ = ["plot_rates"]


def _arm_means(byarm: pd.DataFrame | None, outcome: str) -> pd.DataFrame:
    if byarm is None or not len(byarm):
        return pd.DataFrame(columns=["arm", "wave", "estimate"])
    return byarm[(byarm["outcome"] == outcome) & (byarm["quantity"] == "mean_count")
                 & (byarm["method"] == "glmm")]


def plot_rates(change: pd.DataFrame, outcome: str, path: Path, label: str,
               wave_labels: Mapping[str, str], period_months: float,
               byarm: pd.DataFrame | None = None) -> list[Path]:
    """Mean count per wave of ``outcome`` (rows of ``healthcare_change.csv``; by arm from
    ``healthcare_comparison.csv`` when given and estimated), PNG + SVG."""
    apply_style()
    g = change[(change["outcome"] == outcome) & (change["quantity"] == "mean_count")]
    arms = _arm_means(byarm, outcome)
    waves = list(wave_labels)
    fig, ax = plt.subplots(figsize=(6.0, 3.8))
    lines = [(g[g["method"] == "glmm"], dict(marker="o", ls="-", color=PALETTE[0]),
              "Mixed model (all answers; MAR)")]
    if len(arms):  # the programme solid, the reference arm (written first) dashed
        lines = [(arms[arms["arm"] == a], dict(marker="o", ls=ls, color=PALETTE[k]),
                  f"{a} (mixed model)")
                 for k, (a, ls) in enumerate(zip(reversed(arms["arm"].unique()), ("-", "--")))]
    lines.append((g[g["method"] == "observed"], dict(marker="s", ls="none",
                                                     color=PALETTE[2 if len(arms) else 1],
                                                     mfc="white"),
                  "Observed, both arms (those who answered)" if len(arms)
                  else "Observed (those who answered)"))
    for rows, style, name in lines:
        d = rows.set_index("wave").reindex(waves)
        if d["estimate"].notna().any():
            ax.plot(range(len(waves)), d["estimate"].to_numpy(float), label=name, **style)
    ax.set_xticks(range(len(waves)), [wave_labels[w] for w in waves])
    top = pd.concat([g["estimate"], arms["estimate"]]).astype(float).max()
    ax.set_ylim(0, 1.15 * top if top == top and top > 0 else 1)
    ax.set_xmargin(0.08)
    ax.set_ylabel(f"Mean per person\n(in {period_months:g} months)")
    ax.set_title(label)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="lower left")
    if not g["estimate"].notna().any():
        ax.text(0.5, 0.5, "not estimable", transform=ax.transAxes, ha="center")
    return save_figure(fig, path)
