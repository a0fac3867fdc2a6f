"""One look for every figure: colour-blind-safe palette, readable sizes, deterministic output."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

# Okabe-Ito palette (colour-blind safe).
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]

RC = {
    "figure.dpi": 100,
    "savefig.dpi": 300,  # print quality (issue 11)
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.prop_cycle": matplotlib.cycler(color=PALETTE),
    "legend.frameon": False,
    "svg.hashsalt": "socialcure",  # deterministic SVG ids
    "svg.fonttype": "none",
    "pdf.fonttype": 42,
}


def apply_style() -> None:
    """Apply the project's matplotlib style globally."""
    plt.rcParams.update(RC)


def save_figure(fig: plt.Figure, path: str | Path, tight: bool = True) -> list[Path]:
    """Save ``fig`` as PNG and SVG next to each other (deterministic metadata); return the paths.

    ``path`` may end in .png or .svg or have no suffix; both formats are written. ``tight``:
    crop to the drawn content (``bbox_inches="tight"``, one more layout pass per format); a
    figure laid out with fixed margins passes False and is saved as it is.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    stem = path.with_suffix("")
    out = []
    for ext, meta in ((".png", {"Software": None}), (".svg", {"Date": None, "Creator": None})):
        p = stem.with_suffix(ext)
        fig.savefig(p, bbox_inches="tight" if tight else None, metadata=meta)
        out.append(p)
    plt.close(fig)
    return out
