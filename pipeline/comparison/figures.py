"""One figure per outcome: each arm's mean at each wave with its CI (the primary method); one
forest figure per chain fitted by arm: each indirect effect in each arm with its Monte Carlo
interval (:func:`plot_indirect`).

The n under each point is the number in that arm with a score at that wave, printed by
:func:`pipeline.disclosure.published_counts` beside the per-arm flow counts (entered,
answered), so that no printed count differs from another by 1 to ``min_cell - 1`` and no
small count is shown.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from pipeline.disclosure import published_counts, small_mark
from pipeline.plotting import PALETTE, apply_style, save_figure

__all__ = ["arm_counts", "plot_arms", "plot_indirect", "route_label", "mediator_names"]


def arm_counts(means: pd.DataFrame, flow: pd.DataFrame, min_cell: int) -> dict:
    """(arm, wave) -> the printed n of the figure's points; a count equal to the number
    who answered in that arm and wave, which the public flow prints, is printed as it is."""
    counts = {(r["arm"], r["wave"]): float(r["n_observed"]) for _, r in means.iterrows()}
    exact = [float(v) for v in pd.concat([flow["entered"], flow["answered"]])
             if float(v) >= min_cell]
    groups = {(r["arm"], r["wave"]): [float(r["answered"]), float(r["entered"])]
              for _, r in flow.iterrows()}
    shown = published_counts(counts, min_cell, shown=exact, groups=groups)
    for _, r in flow.iterrows():
        key = (r["arm"], r["wave"])
        if key in counts and counts[key] == float(r["answered"]) >= min_cell:
            shown[key] = int(r["answered"])
    return shown


def plot_arms(means: pd.DataFrame, flow: pd.DataFrame, path: str | Path, *, label: str,
              waves: Sequence[str], wave_labels: Mapping[str, str], units: str,
              min_cell: int, method_label: str) -> list[Path]:
    """Draw ``means`` (one outcome, one method: ``arm, role_arm, wave, est, ci_lower,
    ci_upper, n_observed``) and save PNG + SVG twins at ``path``."""
    apply_style()
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    shown = arm_counts(means, flow, min_cell)
    x = {w: i for i, w in enumerate(waves)}
    for j, (role, arm) in enumerate(means[["role_arm", "arm"]].drop_duplicates()
                                    .sort_values("role_arm").itertuples(index=False)):
        d = means[(means["arm"] == arm) & (means["status"] == "ok")]
        xs = np.array([x[w] for w in d["wave"]], float) + (0.06 if role == "programme"
                                                           else -0.06)
        colour = PALETTE[0] if role == "programme" else PALETTE[1]
        ax.errorbar(xs, d["est"], yerr=[d["est"] - d["ci_lower"], d["ci_upper"] - d["est"]],
                    marker="o" if role == "programme" else "s", capsize=3, color=colour,
                    label=f"{arm} ({role})")
        for xi, (_, r) in zip(xs, d.iterrows()):
            n = shown.get((arm, r["wave"]))
            text = f"n < {min_cell}" if n == small_mark(min_cell) else f"n = {n}"
            ax.annotate(text, (xi, r["ci_lower"]), textcoords="offset points",
                        xytext=(0, -12 - 9 * j), ha="center", fontsize=7, color=colour)
    ax.margins(y=0.18)
    ax.set_xticks(range(len(waves)), [wave_labels.get(w, w) for w in waves])
    ax.set_ylabel(units)
    ax.set_title(f"{label}: mean by group at each wave")
    ax.legend(loc="best", fontsize=8, title=method_label, title_fontsize=7)
    return save_figure(fig, path)


_ROUTE_NAMES = {"ind_total": "total indirect", "total": "total effect"}


def mediator_names(med: pd.DataFrame) -> dict[str, str]:
    """Mediator number -> its variable, from the a paths' ``path`` ("x -> belonging_T1" of
    label "a1" -> {"1": "belonging_T1"})."""
    if not {"label", "path"} <= set(med.columns):
        return {}
    out = {}
    for lab, p in zip(med["label"].astype(str), med["path"].astype(str)):
        if re.fullmatch(r"a\d+", lab) and "->" in p:
            out[lab[1:]] = p.split("->")[-1].strip()
    return out


def route_label(label: str, mediators: Mapping[str, str],
                labels: Mapping[str, str] | None = None) -> str:
    """The axis label of one effect in words: "total indirect", or for a specific indirect
    effect ("ind_12") the mediators it runs through ("via belonging → support"; a construct in
    ``labels`` by its label; the wave suffix dropped), never its lavaan label ("via 1-2")."""
    if label in _ROUTE_NAMES:
        return _ROUTE_NAMES[label]
    digits = label[4:] if label.startswith("ind_") else ""
    if not digits or any(d not in mediators for d in digits):
        return "indirect effect"
    words = []
    for d in digits:
        base = re.sub(r"_T[^_]*$", "", mediators[d])
        words.append((labels or {}).get(base, base.replace("_", " ")))
    return "via " + " \u2192 ".join(words)


def plot_indirect(med: pd.DataFrame, path: str | Path, *, title: str,
                  labels: Mapping[str, str] | None = None) -> list[Path]:
    """Forest figure of one chain by arm (rows of ``comparison_mediation.csv`` of the free
    model, one analysis): every indirect effect, the total indirect and the total effect, one
    point per arm with its interval; PNG + SVG twins at ``path``. Each effect is named in words
    (:func:`route_label`; ``labels``: construct -> its label, e.g. "community belonging")."""
    apply_style()
    d = med[(med["model"] == "free") & med["label"].astype(str).str.match(r"ind_|total")]
    effects = list(dict.fromkeys(d["label"]))
    fig, ax = plt.subplots(figsize=(6.4, 1.2 + 0.42 * len(effects)))
    y = {e: len(effects) - 1 - i for i, e in enumerate(effects)}
    for j, (role, arm) in enumerate(d[["role_arm", "arm"]].drop_duplicates()
                                    .sort_values("role_arm").itertuples(index=False)):
        a = d[d["arm"] == arm]
        ys = np.array([y[e] for e in a["label"]], float) + (0.12 if role == "programme"
                                                           else -0.12)
        ax.errorbar(a["est"], ys, xerr=[a["est"] - a["ci_lower"], a["ci_upper"] - a["est"]],
                    fmt="o" if role == "programme" else "s", capsize=3,
                    color=PALETTE[0] if role == "programme" else PALETTE[1],
                    label=f"{arm} ({role})")
    if not effects:  # the chain could not be fitted by arm: say so on the figure
        ax.text(0.5, 0.5, "Could not be estimated by group (the report says why)",
                ha="center", va="center", transform=ax.transAxes)
    else:
        ax.legend(loc="best", fontsize=8)
    ax.axvline(0, color="0.5", lw=0.8)
    mediators = mediator_names(med)
    ax.set_yticks([y[e] for e in effects],
                  [route_label(e, mediators, labels) for e in effects])
    ax.set_xlabel("effect (95% Monte Carlo interval)")
    ax.set_title(title)
    return save_figure(fig, path)
