"""The controlled demo study's group listing: "which of these groups do you belong to?", a tick
list asked at entry (T0) and at about 4 months (T1), read by config ``group_listings.groups``.

Drawn from its OWN random stream (``seed_for(seed, "demo_controlled/listings/n=<n>")``), after
everything else, so every other column of the study is the same as without the listing. It is
coherent with the EXITS items of the same people: the chance of keeping an entry group rises
with the latent "groups maintained" score at T1 (``cont``), the chance of ticking a new group
with the latent "new groups" score at T1 (``new``), and the number of groups at entry with the
latent "groups maintained" score at T0 (multiple group memberships before the change; Haslam et
al. 2008). 3% of people leave the whole list blank at a wave (a missing listing); someone in no
group ticks "none of these".

Files: T0 CSV as a checkbox export (``1`` ticked, blank not); T1 Excel with ``1`` / ``0`` (blank
for a list left blank).
"""

from __future__ import annotations

import numpy as np

from pipeline.seeds import seed_for

__all__ = ["GROUP_TYPES", "LISTING_COLUMNS", "NONE_COLUMN", "LISTING_WAVES", "draw_listings",
           "LISTING_TRUTH"]

GROUP_TYPES = ("sports", "faith", "arts", "volunteering", "social_club", "community",
               "learning", "peer_support")
NONE_COLUMN = "grp_none"
LISTING_COLUMNS = (*(f"grp_{g}" for g in GROUP_TYPES), NONE_COLUMN)
LISTING_WAVES = ("T0", "T1")
#: logits: entry tick (per type), keep an entry group, gain a new one; slope per latent SD;
#: share of lists left blank per wave
LISTING_TRUTH = {"entry": -0.9, "keep": 1.2, "gain": -2.0, "slope": 0.8, "blank": 0.03}
#: positions of the latent "groups maintained" and "new groups" in controlled_model.EXTRA
CONT, NEW = 2, 3


def _logistic(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def draw_listings(seed: int, n: int, extra: np.ndarray) -> dict[str, dict[str, np.ndarray]]:
    """Per listing wave, column -> values per simulated person (1.0 ticked, 0.0 not, NaN for a
    list left blank). ``extra``: the added latent scores (people, waves, EXTRA)."""
    rng = np.random.default_rng(seed_for(seed, f"demo_controlled/listings/n={n}"))
    t = LISTING_TRUTH
    people, k = extra.shape[0], len(GROUP_TYPES)
    z_cont0, z_cont1, z_new1 = extra[:, 0, CONT], extra[:, 1, CONT], extra[:, 1, NEW]
    entry = rng.random((people, k)) < _logistic(t["entry"] + t["slope"] * z_cont0)[:, None]
    keep = rng.random((people, k)) < _logistic(t["keep"] + t["slope"] * z_cont1)[:, None]
    gain = rng.random((people, k)) < _logistic(t["gain"] + t["slope"] * z_new1)[:, None]
    later = np.where(entry, keep, gain)
    out = {}
    for wave, ticks in zip(LISTING_WAVES, (entry, later)):
        blank = rng.random(people) < t["blank"]
        vals = ticks.astype(float)
        vals[blank] = np.nan
        cols = {f"grp_{g}": vals[:, j] for j, g in enumerate(GROUP_TYPES)}
        none = np.where(ticks.any(axis=1), 0.0, 1.0)
        none[blank] = np.nan
        cols[NONE_COLUMN] = none
        out[wave] = cols
    return out
