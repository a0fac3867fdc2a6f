"""Figures of the serial-mediation stage: path diagram and forest plot of indirect effects."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from pipeline.mediation.sentences import fmt
from pipeline.mediation.spec import MediationSpec
from pipeline.plotting import PALETTE, apply_style, save_figure


def _wrap(text: str, width: int = 16) -> str:
    words, lines, cur = text.split(), [], ""
    for w in words:
        if cur and len(cur) + len(w) + 1 > width:
            lines.append(cur)
            cur = w
        else:
            cur = f"{cur} {w}".strip()
    return "\n".join(lines + [cur])


def _positions(k: int) -> dict[str, tuple[float, float]]:
    """X bottom left, Y bottom right, mediators in a row above."""
    pos = {"x": (0.0, 0.0), "y": (12.0, 0.0)}
    xs = np.linspace(2.5, 9.5, k) if k > 1 else np.array([6.0])
    for j, xm in enumerate(xs):
        pos[f"m{j + 1}"] = (float(xm), 3.2)
    return pos


def _bezier(p0: tuple[float, float], p1: tuple[float, float], rad: float,
            t: float) -> tuple[float, float]:
    """Point at ``t`` on matplotlib's ``arc3,rad=rad`` curve from p0 to p1."""
    (x0, y0), (x1, y1) = p0, p1
    cx, cy = (x0 + x1) / 2 + rad * (y1 - y0), (y0 + y1) / 2 - rad * (x1 - x0)
    return ((1 - t) ** 2 * x0 + 2 * (1 - t) * t * cx + t**2 * x1,
            (1 - t) ** 2 * y0 + 2 * (1 - t) * t * cy + t**2 * y1)


def plot_path_diagram(table: pd.DataFrame, spec: MediationSpec, path: str | Path) -> list[Path]:
    """Boxes X -> M1 -> ... -> Mk -> Y with each path's coefficient and CI on its arrow.

    Arrows of the serial chain (a1, d21, d32, ..., bk) are drawn heavy; the others light; paths
    whose CI excludes zero are solid, the rest dashed. ``table``: one analysis/method of the tidy
    results table.
    """
    apply_style()
    k = spec.k
    pos = _positions(k)
    fig, ax = plt.subplots(figsize=(11, 5.8))
    ax.set_xlim(-1.3, 13.3)
    ax.set_ylim(-1.4, 5.4)
    ax.axis("off")
    bw, bh = 2.0, 0.95
    boxes = {}
    for role, (cx, cy) in pos.items():
        boxes[role] = ax.add_patch(FancyBboxPatch(
            (cx - bw / 2, cy - bh / 2), bw, bh, boxstyle="round,pad=0.05", fc="white",
            ec=PALETTE[0] if role.startswith("m") else "black", lw=1.4, zorder=3))
        ax.text(cx, cy, _wrap(spec.describe(role)), ha="center", va="center", fontsize=8, zorder=4)
    rows = table.set_index("label")
    chain = {"a1", f"b{k}"} | {f"d{j + 2}{j + 1}" for j in range(k - 1)}
    # (label, from, to, curvature, label position t along the curve, label offset)
    def stagger(r: int) -> float:  # label position along the r-th (1-based) non-chain a path
        return 0.62 - 0.24 * (r - 1) / max(1, k - 2) if k > 2 else 0.4

    arrows = [(f"a{j + 1}", "x", f"m{j + 1}", 0.0 if j == 0 else 0.12,
               0.5 if j == 0 else stagger(j)) for j in range(k)]
    arrows += [(f"d{j + 1}{i + 1}", f"m{i + 1}", f"m{j + 1}", 0.0 if j == i + 1 else -0.3, 0.5)
               for j in range(k) for i in range(j)]
    arrows += [(f"b{j + 1}", f"m{j + 1}", "y", 0.0 if j == k - 1 else 0.12,
                0.5 if j == k - 1 else 1 - stagger(k - 1 - j)) for j in range(k)]
    arrows.append(("cp", "x", "y", 0.0, 0.5))
    for label, src, dst, rad, t in arrows:
        if label not in rows.index:
            continue
        r = rows.loc[label]
        heavy = label in chain
        sig = not (r["ci_lower"] <= 0 <= r["ci_upper"])
        ax.add_patch(FancyArrowPatch(
            pos[src], pos[dst], connectionstyle=f"arc3,rad={rad}", arrowstyle="-|>",
            mutation_scale=14,
            lw=2.2 if heavy else 0.9, color="black" if heavy else "0.55",
            linestyle="-" if sig else (0, (4, 3)), patchA=boxes[src], patchB=boxes[dst],
            shrinkA=1, shrinkB=1, zorder=2))
        lx, ly = _bezier(pos[src], pos[dst], rad, t)
        if label.startswith("d") and rad == 0:
            ly -= 0.55
        elif label == "a1":
            lx -= 0.75
        elif label == f"b{k}":
            lx += 0.75
        ax.text(lx, ly, f"{label} = {fmt(r['est'])}\n[{fmt(r['ci_lower'])}, {fmt(r['ci_upper'])}]",
                ha="center", va="center", fontsize=7, color="black" if heavy else "0.3", zorder=5,
                bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.9})
    ind = table[(table["effect_type"] == "indirect_specific")
                & (table["label"] == "ind_" + "".join(str(j + 1) for j in range(k)))]
    title = (spec.label or spec.name).replace(" -> ", " \u2192 ")
    if len(ind):
        r = ind.iloc[0]
        title += (f"\nserial indirect effect {fmt(r['est'])} "
                  f"[{fmt(r['ci_lower'])}, {fmt(r['ci_upper'])}]"
                  f" ({CI_NAMES.get(r['ci_method'], r['ci_method'])}, "
                  f"{METHOD_NAMES.get(r['method'], r['method'])}, n = {r['n']})")
    ax.set_title(title, fontsize=10)
    ax.text(-1.2, -1.3, "heavy: serial chain; dashed: 95% interval includes zero; [95% CI]",
            fontsize=7, color="0.35")
    return save_figure(fig, path)


METHOD_NAMES = {"fiml": "FIML (everyone with any data)", "mi": "multiple imputation",
                "complete_case": "complete cases only"}
CI_NAMES = {"monte_carlo": "Monte Carlo 95% CI", "percentile": "bootstrap percentile 95% CI",
            "boot_mi_percentile": "bootstrap-then-impute 95% CI", "bca": "BCa bootstrap 95% CI",
            "ols_t": "95% CI", "wald": "95% CI", "delta": "95% CI"}


def plot_indirect_forest(tables_by_method: Mapping[str, pd.DataFrame], path: str | Path,
                         spec: MediationSpec | None = None) -> list[Path]:
    """Forest plot of the specific (and total) indirect effects, one marker per missing-data method.

    ``tables_by_method``: method name -> tidy table of one analysis. Rows are matched by ``label``.
    With ``spec``, variables are named as in the path diagram (construct label and wave).
    """
    apply_style()
    keep = ("indirect_specific", "indirect_total")
    first = next(iter(tables_by_method.values()))
    base = first[first["effect_type"].isin(keep)][["label", "path"]].drop_duplicates("label")
    labels = list(base["label"])
    parts = [p.split(" -> ") for p in base["path"]]
    nice: dict[str, str] = {}
    if spec is not None:
        nice[spec.x.column] = spec.describe("x")
        nice[spec.y.column] = spec.describe("y")
        for j, m in enumerate(spec.mediators):
            nice[m.column] = spec.describe(f"m{j + 1}")
    x_name, y_name = parts[0][0], parts[0][-1].removesuffix(" (all indirect)")
    x_name, y_name = nice.get(x_name, x_name), nice.get(y_name, y_name)
    names = ["all indirect (total)" if lab == "ind_total"
             else "via " + " \u2192 ".join(nice.get(v, v) for v in p[1:-1])
             for lab, p in zip(labels, parts)]
    m = len(tables_by_method)
    fig, ax = plt.subplots(figsize=(8, 0.45 * len(labels) * max(1, m / 2) + 1.2))
    offsets = (np.arange(m) - (m - 1) / 2) * (0.7 / max(m, 1))
    for i, (method, tab) in enumerate(tables_by_method.items()):
        t = tab.set_index("label")
        ys, est, lo, hi = [], [], [], []
        for row, lab in enumerate(labels):
            if lab in t.index:
                ys.append(len(labels) - 1 - row - offsets[i])
                est.append(t.loc[lab, "est"])
                lo.append(t.loc[lab, "ci_lower"])
                hi.append(t.loc[lab, "ci_upper"])
        est, lo, hi = map(np.asarray, (est, lo, hi))
        ax.errorbar(est, ys, xerr=[est - lo, hi - est], fmt="o", ms=4, capsize=2, lw=1.2,
                    color=PALETTE[i % len(PALETTE)], label=METHOD_NAMES.get(method, method))
    ax.axvline(0, color="0.4", lw=0.8, ls="--")
    ax.set_yticks(range(len(labels)))
    ax.set_yticklabels(names[::-1], fontsize=8)
    ax.set_xlabel("indirect effect (outcome units) with 95% CI")
    ax.set_title(f"Indirect effects of {x_name} on {y_name}", fontsize=10)
    ax.legend(loc="best", fontsize=8)
    return save_figure(fig, path)


def plot_no_estimates(spec: MediationSpec, message: str, path: str | Path) -> list[Path]:
    """A placeholder figure naming the analysis and why no method could estimate it (so every
    declared figure exists even when the data cannot support the model)."""
    apply_style()
    fig, ax = plt.subplots(figsize=(8, 2.5))
    ax.axis("off")
    title = (spec.label or spec.name).replace(" -> ", " \u2192 ")
    ax.set_title(title, fontsize=10)
    ax.text(0.5, 0.5, _wrap(f"No estimates: {message}", 90), ha="center", va="center",
            fontsize=8, transform=ax.transAxes)
    return save_figure(fig, path)
