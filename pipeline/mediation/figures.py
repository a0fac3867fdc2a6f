"""Figures of the serial-mediation stage: path diagram and forest plot of the effects.

Both take plain tables (one analysis's rows of ``mediation_estimates.csv``). Numbers are written
with one number of decimals per figure (:func:`figure_decimals`) and a true minus sign
(:func:`pipeline.wording.fmt_num`); units come from the table's ``x_units``/``y_units``.

Path diagram: boxes X -> M1 -> ... -> Mk -> Y; each arrow carries a short label (path name and
estimate), placed greedily along its curve where it overlaps no box and no other label
(:func:`_place_labels`; :func:`label_overlaps` checks a drawn figure); the intervals, the units
and the total, direct, total indirect and serial effects are listed in a table under the
diagram, so nothing has to be squeezed onto the arrows.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib import transforms
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch
from matplotlib.transforms import Bbox

from pipeline.mediation.spec import MediationSpec
from pipeline.mediation.units import binding_units
from pipeline.plotting import PALETTE, apply_style, save_figure
from pipeline.wording import fmt_num

__all__ = ["figure_decimals", "label_overlaps", "path_diagram_figure", "plot_path_diagram",
           "plot_indirect_forest", "plot_no_estimates", "METHOD_NAMES", "CI_NAMES"]

METHOD_NAMES = {"fiml": "FIML (everyone with any data)", "mi": "multiple imputation (boot MI)",
                "complete_case": "complete cases only"}
CI_NAMES = {"monte_carlo": "Monte Carlo", "percentile": "bootstrap percentile",
            "boot_mi_anova_t": "boot-MI t", "boot_mi_percentile": "boot-MI percentile",
            "bca": "BCa bootstrap", "ols_t": "t", "wald": "Wald", "delta": "delta-method",
            "rubin_t": "Rubin t", "rubin_monte_carlo": "Rubin Monte Carlo"}


#: width of the path-diagram figure in inches
FIGURE_WIDTH_IN = 8.0


def _method_name(t: pd.DataFrame, method: str) -> str:
    """The method in words; mi rows say how they were pooled (boot MI or Rubin's rules)."""
    if method == "mi" and t["ci_method"].astype(str).str.startswith("rubin").any():
        return "multiple imputation (Rubin's rules)"
    return METHOD_NAMES.get(method, method)


#: the summary's plain names first (associations, not effects: observational data), then
#: the mediation model's technical name
MAIN_EFFECTS = (("total", "overall (total effect, c)"),
                ("direct", "not through the mediators (direct, c')"),
                ("indirect_total", "through all mediators (total indirect)"))
#: their short names in the path diagram's table (its first column is narrow)
TABLE_EFFECTS = (("total", "total (c)"), ("direct", "direct (c')"),
                 ("indirect_total", "all indirect"))
LABEL_GID = "path_label"


def figure_decimals(values) -> int:
    """One number of decimals for every number in a figure: two significant digits of the
    median non-zero |value|, at least 2 and at most 4."""
    v = np.abs(np.asarray(values, dtype=float))
    v = v[np.isfinite(v) & (v > 0)]
    if not v.size:
        return 2
    return int(min(4, max(2, 1 - math.floor(math.log10(float(np.median(v)))))))


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
        pos[f"m{j + 1}"] = (float(xm), 3.4)
    return pos


def _bezier(p0: tuple[float, float], p1: tuple[float, float], rad: float,
            t: float) -> tuple[float, float]:
    """Point at ``t`` on matplotlib's ``arc3,rad=rad`` curve from p0 to p1."""
    (x0, y0), (x1, y1) = p0, p1
    cx, cy = (x0 + x1) / 2 + rad * (y1 - y0), (y0 + y1) / 2 - rad * (x1 - x0)
    return ((1 - t) ** 2 * x0 + 2 * (1 - t) * t * cx + t**2 * x1,
            (1 - t) ** 2 * y0 + 2 * (1 - t) * t * cy + t**2 * y1)


def _arrows(k: int) -> list[tuple[str, str, str, float]]:
    """(label, from, to, curvature) of every path, serial chain first."""
    chain = [("a1", "x", "m1", 0.0)] + [(f"d{j + 2}{j + 1}", f"m{j + 1}", f"m{j + 2}", 0.0)
                                          for j in range(k - 1)] + [(f"b{k}", f"m{k}", "y", 0.0)]
    rest = [(f"a{j + 1}", "x", f"m{j + 1}", 0.12) for j in range(1, k)]
    rest += [(f"d{j + 1}{i + 1}", f"m{i + 1}", f"m{j + 1}", -0.3)
             for j in range(k) for i in range(j) if j > i + 1]
    rest += [(f"b{j + 1}", f"m{j + 1}", "y", 0.12) for j in range(k - 1)]
    return chain + rest + [("cp", "x", "y", 0.0)]


def _place_labels(ax, texts: list, curves: list, obstacles: list[Bbox]) -> None:
    """Move each label (in order) to the first point along its curve where its box overlaps
    no obstacle and no label placed before it (positions t = 0.5, 0.4, 0.6, ...)."""
    renderer = ax.figure.canvas.get_renderer()
    placed = list(obstacles)
    ts = (0.5, 0.4, 0.6, 0.3, 0.7, 0.25, 0.75, 0.35, 0.65, 0.2, 0.8, 0.45, 0.55)
    for text, (p0, p1, rad) in zip(texts, curves):
        best = None
        for t in ts:
            text.set_position(_bezier(p0, p1, rad, t))
            box = text.get_window_extent(renderer).expanded(1.08, 1.15)
            if not any(box.overlaps(b) for b in placed):
                best = box
                break
        if best is None:
            text.set_position(_bezier(p0, p1, rad, 0.5))
            best = text.get_window_extent(renderer)
        placed.append(best)


def label_overlaps(fig: plt.Figure) -> list[tuple[str, str]]:
    """Pairs of path labels whose drawn boxes overlap (empty for a readable diagram)."""
    renderer = fig.canvas.get_renderer()
    texts = [t for ax in fig.axes for t in ax.texts if t.get_gid() == LABEL_GID]
    boxes = [(t.get_text(), t.get_window_extent(renderer)) for t in texts]
    return [(a, b) for i, (a, ba) in enumerate(boxes) for b, bb in boxes[i + 1:]
            if ba.overlaps(bb)]


def _draw_diagram(ax, table: pd.DataFrame, spec: MediationSpec, dec: int) -> None:
    k, pos = spec.k, _positions(spec.k)
    ax.set_xlim(-1.3, 13.3)
    ax.set_ylim(-0.9, 5.6)
    ax.axis("off")
    bw, bh, boxes = 2.1, 1.0, {}
    for role, (cx, cy) in pos.items():
        boxes[role] = ax.add_patch(FancyBboxPatch(
            (cx - bw / 2, cy - bh / 2), bw, bh, boxstyle="round,pad=0.05", fc="white",
            ec=PALETTE[0] if role.startswith("m") else "black", lw=1.4, zorder=3))
        ax.text(cx, cy, _wrap(spec.describe(role), 15), ha="center", va="center", fontsize=9,
                zorder=4)
    rows = table.set_index("label")
    arrows = [a for a in _arrows(k) if a[0] in rows.index]
    n_chain = k + 1
    texts, curves = [], []
    for i, (label, src, dst, rad) in enumerate(arrows):
        r = rows.loc[label]
        heavy = i < n_chain
        sig = not (r["ci_lower"] <= 0 <= r["ci_upper"])
        ax.add_patch(FancyArrowPatch(
            pos[src], pos[dst], connectionstyle=f"arc3,rad={rad}", arrowstyle="-|>",
            mutation_scale=14, lw=2.2 if heavy else 0.9, color="black" if heavy else "0.55",
            linestyle="-" if sig else (0, (4, 3)), patchA=boxes[src], patchB=boxes[dst],
            shrinkA=1, shrinkB=1, zorder=2))
        name = "c'" if label == "cp" else label
        texts.append(ax.text(0, 0, f"{name} = {fmt_num(r['est'], dec)}", ha="center",
                             va="center", fontsize=8.5, gid=LABEL_GID,
                             color="black" if heavy else "0.3", zorder=5,
                             bbox={"boxstyle": "round,pad=0.12", "fc": "white", "ec": "none"}))
        lift = 0.33 if label.startswith("d") and rad == 0 else 0.0  # keep short arrows visible
        curves.append(((pos[src][0], pos[src][1] + lift), (pos[dst][0], pos[dst][1] + lift), rad))
    ax.figure.canvas.draw()
    renderer = ax.figure.canvas.get_renderer()
    obstacles = [b.get_window_extent(renderer) for b in boxes.values()]
    _place_labels(ax, texts, curves, obstacles)


def _table_rows(table: pd.DataFrame, spec: MediationSpec, dec: int) -> list[list[str]]:
    rows = table.set_index("label")
    names = {"x": spec.describe("x"), "y": spec.describe("y")}
    names |= {f"m{j + 1}": spec.describe(f"m{j + 1}") for j in range(spec.k)}
    out = []
    for label, src, dst, _ in _arrows(spec.k):
        if label in rows.index:
            r = rows.loc[label]
            out.append(["c'" if label == "cp" else label, f"{names[src]} \u2192 {names[dst]}",
                        fmt_num(r["est"], dec),
                        f"{fmt_num(r['ci_lower'], dec)} to {fmt_num(r['ci_upper'], dec)}"])
    serial = "ind_" + "".join(str(j + 1) for j in range(spec.k))
    eff = [(table[table["effect_type"] == et], name) for et, name in TABLE_EFFECTS]
    eff.append((table[table["label"] == serial], "serial indirect"))
    for sub, name in eff:
        if len(sub):
            r = sub.iloc[0]
            out.append([name, f"{names['x']} \u2192 {names['y']}", fmt_num(r["est"], dec),
                        f"{fmt_num(r['ci_lower'], dec)} to {fmt_num(r['ci_upper'], dec)}"])
    return out



def _units_note(table: pd.DataFrame, spec: MediationSpec) -> str:
    r = table.iloc[0]
    meds = "; ".join(f"{spec.describe(f'm{j + 1}')}: {binding_units(spec, m)[0]}"
                     for j, m in enumerate(spec.mediators))
    return _wrap(f"Unstandardised coefficients: change in the variable at the arrow's head per "
                 f"point of the variable at its tail. Units - {spec.describe('x')}: "
                 f"{r.get('x_units', '')}; {meds}; {spec.describe('y')}: {r.get('y_units', '')}. "
                 "Effects of X on Y are in points of Y per point of X.", 125)


def plot_path_diagram(table: pd.DataFrame, spec: MediationSpec, path: str | Path) -> list[Path]:
    """Path diagram of one analysis and method, with a table of every path and effect
    (:func:`path_diagram_figure`), written as PNG + SVG."""
    return save_figure(path_diagram_figure(table, spec), path)


def path_diagram_figure(table: pd.DataFrame, spec: MediationSpec) -> plt.Figure:
    """The path diagram figure. Serial-chain arrows (a1, d21, ..., bk) are heavy, the others
    light; arrows whose interval includes zero are dashed. ``table``: one analysis/method of
    the results table."""
    apply_style()
    dec = figure_decimals(table.loc[table["effect_type"].isin(
        ["a", "d", "b", "direct", "total", "indirect_total", "indirect_specific"]), "est"])
    rows = _table_rows(table, spec, dec)
    # FIGURE_WIDTH_IN wide: printed at the report's text width (16.6 cm) its type is 7-8 pt
    # (a funder-eyed read: drawn 11 in wide, the table printed at 5 pt)
    table_h, note_h = 0.25 * (len(rows) + 1), 0.8  # inches: rows of 8.5 pt; the units note
    height = 4.6 + table_h + note_h
    fig = plt.figure(figsize=(FIGURE_WIDTH_IN, height))
    gs = fig.add_gridspec(2, 1, height_ratios=[4.6, table_h], hspace=0.02, left=0.01,
                          right=0.99, top=0.97, bottom=note_h / height)
    ax, tax = fig.add_subplot(gs[0]), fig.add_subplot(gs[1])
    _draw_diagram(ax, table, spec, dec)
    r0 = table.iloc[0]
    level = float(r0.get("ci_level", 0.95)) if pd.notna(r0.get("ci_level", 0.95)) else 0.95
    ci_kinds = sorted({CI_NAMES.get(c, c) for c in table["ci_method"].dropna()})
    tax.axis("off")
    tab = tax.table(cellText=rows, colLabels=["path / effect", "from \u2192 to", "estimate",
                                             f"{100 * level:g}% CI"],
                    colWidths=[0.17, 0.58, 0.1, 0.15], bbox=[0, 0, 1, 1], cellLoc="left")
    tab.auto_set_font_size(False)
    tab.set_fontsize(8.5)
    for (i, _), cell in tab.get_celld().items():
        cell.PAD = 0.02  # of the column's width (matplotlib's 0.1 clipped the long column)
        cell.set_edgecolor("0.85")
        if i == 0:
            cell.set_text_props(weight="bold")
    title = (spec.label or spec.name).replace(" -> ", " \u2192 ")
    # the n with the outcome is not printed: "174 with the outcome" beside the 178 who
    # answered gives back the few without a score (the report prints it as a range)
    n_txt = f"n = {int(r0.get('n_contributing', r0['n']))}"
    ax.set_title(f"{title}\n{_method_name(table, r0['method'])}; {n_txt}; "
                 f"intervals: {', '.join(ci_kinds)}", fontsize=10.5)
    ax.text(-1.2, -0.85, "heavy: serial chain; dashed: interval includes zero",
            fontsize=8.5, color="0.35")
    fig.text(0.5, 0.005, _units_note(table, spec), ha="center", va="bottom", fontsize=8.5,
             color="0.25")
    return fig


def _forest_rows(first: pd.DataFrame, spec: MediationSpec | None
                 ) -> tuple[list[str], list[str]]:
    """Labels (top to bottom) and their display names: total, direct, total indirect, then
    the specific indirect effects (serial one last)."""
    main = [first.loc[first["effect_type"] == et, "label"] for et, _ in MAIN_EFFECTS]
    labels = [s.iloc[0] for s in main if len(s)]
    names = [name for s, (_, name) in zip(main, MAIN_EFFECTS) if len(s)]
    spec_rows = first[first["effect_type"] == "indirect_specific"]
    nice: dict[str, str] = {}
    if spec is not None:
        nice = {m.column: spec.describe(f"m{j + 1}") for j, m in enumerate(spec.mediators)}
    for lab, p in zip(spec_rows["label"], spec_rows["path"]):
        labels.append(lab)
        names.append(_wrap("via " + " \u2192 ".join(nice.get(v, v)
                                                     for v in p.split(" -> ")[1:-1]), 34))
    return labels, names


def plot_indirect_forest(tables_by_method: Mapping[str, pd.DataFrame], path: str | Path,
                         spec: MediationSpec | None = None) -> list[Path]:
    """Forest plot of the total, direct, total indirect and every specific indirect effect,
    one marker (and interval) per missing-data method, in the outcome's units.

    ``tables_by_method``: method -> tidy table of one analysis; rows matched by ``label``.
    """
    apply_style()
    first = next(iter(tables_by_method.values()))
    labels, names = _forest_rows(first, spec)
    m, n = len(tables_by_method), len(labels)
    # about a page's text width once its labels are added (a funder-eyed read: 9 inches plus
    # labels, shrunk to the page, printed the labels at 5 pt)
    fig, ax = plt.subplots(figsize=(4.6, 0.26 * n * max(1.6, m * 0.8) + 1.6))
    offsets = (np.arange(m) - (m - 1) / 2) * (0.6 / max(m, 1))
    markers = ["o", "s", "D", "^"]
    for i, (method, tab) in enumerate(tables_by_method.items()):
        t = tab.drop_duplicates("label").set_index("label")
        hit = [lab for lab in labels if lab in t.index]
        ys = np.array([n - 1 - labels.index(lab) - offsets[i] for lab in hit])
        est, lo, hi = (t.loc[hit, c].to_numpy(float) for c in ("est", "ci_lower", "ci_upper"))
        kinds = sorted({CI_NAMES.get(c, c) for c in t.loc[hit, "ci_method"].dropna()})
        ax.errorbar(est, ys, xerr=[est - lo, hi - est], fmt=markers[i % 4], ms=4.5, capsize=2,
                    lw=1.3, color=PALETTE[i % len(PALETTE)],
                    label=f"{_method_name(t, method)} ({', '.join(kinds)} CI)")
    ax.axvline(0, color="0.4", lw=0.8, ls="--")
    n_main = sum(1 for lab in labels if not lab.startswith("ind_") or lab == "ind_total")
    ax.axhline(n - n_main - 0.5, color="0.8", lw=0.8)
    ax.set_yticks(range(n))
    ax.set_yticklabels(names[::-1], fontsize=8)
    serial = "ind_" + "".join(str(j + 1) for j in range(spec.k)) if spec is not None else ""
    if serial in labels:
        ax.get_yticklabels()[n - 1 - labels.index(serial)].set_fontweight("bold")
    ax.set_ylim(-0.7, n - 0.3)
    y_units = str(first["y_units"].iloc[0]) if "y_units" in first else "outcome units"
    level = float(first["ci_level"].iloc[0]) if "ci_level" in first else 0.95
    x_name = spec.describe("x") if spec is not None else "X"
    xlabel = _wrap(f"difference in {y_units} per point of {x_name}, with {100 * level:g}% CI "
                   "(bold: through the chain of mediators)", 70)
    ax.set_xlabel(xlabel)
    if spec is not None:
        ax.set_title(_wrap(f"How {spec.describe('x')} goes with {spec.describe('y')}: "
                           "overall and through the mediators (associations)", 60),
                     fontsize=10)
    # below the tick labels and the (up to two-line) axis label, a fixed distance in inches, so
    # it never overlaps the label however tall the figure is (two methods make a short figure)
    below = transforms.ScaledTranslation(0, -0.45 - 0.2 * (xlabel.count("\n") + 1),
                                         fig.dpi_scale_trans)
    ax.legend(loc="upper center", bbox_to_anchor=(0.4, 0), bbox_transform=ax.transAxes + below,
              fontsize=8, ncol=1)
    ax.grid(axis="x", color="0.92", lw=0.6)
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
