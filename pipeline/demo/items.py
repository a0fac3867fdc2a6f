"""Item responses from latent scores: ordinal items by thresholding a latent response, EQ VAS by
a linear rescale with heaping, then item-level missingness completely at random.

Latent response formulation of ordinal items (categorised normal variable; Muthen 1984,
Psychometrika 49(1):115-132)::

    y* = loading * eta + sqrt(1 - loading^2) * e,   e ~ N(0, 1)
    answer = 1 + #{thresholds below y* + location}

* Loadings GM (.80 .75 .70 .75), CB (.85 .80 .75), SS (.80 .80 .75 .65), LON (.85 .85 .80).
* 1-7 agree items: thresholds (-1.5, -0.9, -0.4, 0.1, 0.6, 1.2), locations GM -0.3, CB -0.1,
  SS +0.3; ``ss4`` is stored reverse keyed (raw answer = 8 - keyed answer).
* UCLA-3 items (Hughes et al. 2004), 1-3: thresholds (-0.3, 0.7), location +0.2 (a lonely
  referred population).
* EQ VAS = 62 + 20 * (0.9 * QOL + sqrt(0.19) * e), rounded to the nearest 5 for 60% of people
  (digit preference / heaping, as seen in EQ VAS data) and to an integer otherwise, clipped to
  0-100.
* Missingness: MCAR, 2% per Likert/UCLA item and 1.5% for EQ VAS (``item_missing``,
  ``vas_missing``).
"""

from __future__ import annotations

import numpy as np

from pipeline.demo.layout import (
    CONSTRUCTS,
    ITEM_COLUMNS,
    REVERSE_ITEMS,
    SCALE_CONSTRUCT,
    SCALE_ITEMS,
)
from pipeline.demo.params import DemoParams

__all__ = ["item_responses", "add_item_missingness"]


def _ordinal(ystar: np.ndarray, cuts: tuple[float, ...], location: float) -> np.ndarray:
    """1 + number of thresholds below ``ystar + location``."""
    return 1 + np.searchsorted(np.asarray(cuts), ystar + location)


def _eq_vas(rng: np.random.Generator, qol: np.ndarray, p: DemoParams) -> np.ndarray:
    """EQ VAS answers (0-100) from the QOL latent score, with heaping at multiples of 5."""
    n = len(qol)
    lam = p.vas_loading
    vas = p.vas_mean + p.vas_sd * (lam * qol + np.sqrt(1 - lam**2) * rng.standard_normal(n))
    heap = rng.random(n) < p.vas_heaping
    vas = np.where(heap, np.round(vas / 5) * 5, np.round(vas))
    return np.clip(vas, 0, 100)


def item_responses(
    rng: np.random.Generator, eta: np.ndarray, p: DemoParams
) -> dict[str, np.ndarray]:
    """Discrete item answers (float, no missing yet) for one wave from eta (n, 5).

    Draw order: one standard normal vector per item in ITEM_COLUMNS order, then the EQ VAS
    noise and the heaping draw.
    """
    ix = {c: i for i, c in enumerate(CONSTRUCTS)}
    loadings = dict(p.loadings)
    location = dict(p.agree7_location)
    out: dict[str, np.ndarray] = {}
    n = eta.shape[0]
    for scale, items in SCALE_ITEMS.items():
        c = SCALE_CONSTRUCT[scale]
        if c == "qol":
            continue
        for it, lam in zip(items, loadings[c]):
            ystar = lam * eta[:, ix[c]] + np.sqrt(1 - lam**2) * rng.standard_normal(n)
            if c == "lon":
                code = _ordinal(ystar, p.ucla3_cuts, p.ucla3_location)
            else:
                code = _ordinal(ystar, p.agree7_cuts, location[c])
                if it in REVERSE_ITEMS:
                    code = 8 - code
            out[it] = code.astype(float)
    out["eq_vas"] = _eq_vas(rng, eta[:, ix["qol"]], p)
    return out


def add_item_missingness(
    rng: np.random.Generator, items: list[dict[str, np.ndarray]], p: DemoParams
) -> None:
    """Set answers missing completely at random, in place (per wave, per item in order)."""
    for wave_items in items:
        for col in ITEM_COLUMNS:
            n = len(wave_items[col])
            rate = p.vas_missing if col == "eq_vas" else p.item_missing
            wave_items[col][rng.random(n) < rate] = np.nan
