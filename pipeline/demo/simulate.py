"""Simulate the whole demo study: the raw wave frames (defects included) plus the ground truth.

Steps, in the order the random stream is used (one ``numpy`` Generator seeded with
``seed_for(seed, "demo/simulate/n=<n>")``; changing the order changes every file):

1. latent scores for everyone (:func:`pipeline.demo.latent.latent_scores`);
2. item answers per wave (:func:`pipeline.demo.items.item_responses`), then MCAR item
   missingness (:func:`pipeline.demo.items.add_item_missingness`);
3. covariates, panel membership, ids, dates (:func:`pipeline.demo.population.draw_population`);
4. response at T1 / T2, MAR on observed answers (:func:`pipeline.demo.dropout.draw_response`),
   then at each later wave (``waves`` > 3: :func:`pipeline.demo.dropout.draw_later_responses`);
5. per wave: the respondents' rows, the extra respondents, planted defects
   (:mod:`pipeline.demo.defects`), then ordering and typing (:mod:`pipeline.demo.frames`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from pipeline.demo.defects import (
    DEFECT_PLAN,
    WaveRows,
    add_extras,
    extra_roles,
    plant_defects,
    wave_plan,
)
from pipeline.demo.dropout import draw_later_responses, draw_response
from pipeline.demo.frames import finish_wave
from pipeline.demo.items import add_item_missingness, item_responses
from pipeline.demo.latent import latent_scores
from pipeline.demo.layout import (
    CONSTRUCTS,
    DATE_COLUMN,
    DEFAULT_N,
    DEFAULT_SEED,
    GENDER_LEVELS,
    ID_COLUMN,
    ITEM_COLUMNS,
    T2_HAS_GENDER,
    WAVES,
    wave_ids,
)
from pipeline.demo.params import TRUE_PARAMS, DemoParams
from pipeline.demo.population import Population, draw_population
from pipeline.seeds import seed_for

__all__ = ["DemoStudy", "simulate_demo", "simulate_study"]


@dataclass
class DemoStudy:
    """A simulated study: the raw wave frames plus the ground truth."""

    frames: dict[str, pd.DataFrame]
    latent: pd.DataFrame  # one row per person-wave: true latent scores and response flags
    defects: pd.DataFrame  # manifest of planted defects
    params: DemoParams = field(default_factory=DemoParams)
    seed: int = DEFAULT_SEED


def _n_extra(waves: tuple[str, ...] = WAVES) -> int:
    """Extra (non-panel) people needed by the defect plan of ``waves``."""
    plan = DEFECT_PLAN
    n_unmatched = sum(wave_plan(w)["unmatched_followup"] for w in waves[1:])
    return plan["T0"]["missing_id"] + plan["T1"]["missing_id"] + n_unmatched


def _base_row(pop: Population, items: list[dict[str, np.ndarray]], person: int, t: int) -> dict:
    """The row person ``person`` submits at wave ``t`` before any defect is planted."""
    row = {
        "_pid": pop.pid[person],
        "_person": int(person),
        ID_COLUMN: pop.pid[person],
        DATE_COLUMN: pop.dates[t][person],
    }
    if t == 0:
        row["age"] = int(pop.age[person])
        row["gender"] = GENDER_LEVELS[pop.gender[person]]
    if t == 2 and T2_HAS_GENDER:
        row["gender"] = float(pop.gender[person] + 1)
    for col in ITEM_COLUMNS:
        row[col] = items[t][col][person]
    return row


def _latent_table(
    pop: Population, eta: np.ndarray, ri: np.ndarray, responded: list[np.ndarray]
) -> pd.DataFrame:
    """Ground truth: one row per simulated person and wave (latent scores, response flags)."""
    is_panel = pop.is_panel
    parts = []
    for t, w in enumerate(wave_ids(len(responded))):
        parts.append(
            pd.DataFrame(
                {
                    "participant_id": pop.pid.astype(str),
                    "in_panel": is_panel,
                    "wave": w,
                    "responded": responded[t] & is_panel,
                    **{f"eta_{c}": eta[:, t, i] for i, c in enumerate(CONSTRUCTS)},
                    **{f"ri_{c}": ri[:, i] for i, c in enumerate(CONSTRUCTS)},
                    "age": pop.age,
                    "gender": np.asarray(GENDER_LEVELS, dtype=object)[pop.gender],
                }
            )
        )
    latent = pd.concat(parts, ignore_index=True)
    return latent.sort_values(["wave", "participant_id"], kind="stable").reset_index(drop=True)


def simulate_demo(
    seed: int = DEFAULT_SEED, n: int = DEFAULT_N, params: DemoParams = TRUE_PARAMS, waves: int = 3
) -> DemoStudy:
    """Simulate the demo study: raw frames (defects included) plus the ground truth.

    ``waves`` > 3 continues the study (same people, the latent process, dropout and dates
    continuing; random stream keyed ``.../waves=<W>``, so the demo's three waves are unchanged
    only for ``waves`` = 3); ``waves`` < 3 keeps the first waves of the three-wave study.
    """
    if n < 100:
        raise ValueError("the demo study needs n >= 100 baseline participants")
    if waves < 1:
        raise ValueError("the demo study needs at least one wave")
    if waves < 3:
        return _first_waves(simulate_demo(seed, n, params, 3), waves)
    p = params
    key = f"demo/simulate/n={n}" + (f"/waves={waves}" if waves != 3 else "")
    rng = np.random.default_rng(seed_for(seed, key))
    wids = wave_ids(waves)
    n_extra = _n_extra(wids)
    eta, ri = latent_scores(rng, n + n_extra, p, waves)
    items = [item_responses(rng, eta[:, t], p) for t in range(waves)]
    add_item_missingness(rng, items, p)
    pop = draw_population(rng, n, n_extra, waves)
    resp1, resp2 = draw_response(rng, items, pop.age, pop.panel, n, p)
    responded = [pop.is_panel, resp1, resp2]
    responded += draw_later_responses(rng, items, pop.age, pop.panel, responded, p)
    roles = extra_roles(pop.extras, wids[3:])
    panel_set = set(pop.panel.tolist())
    frames: dict[str, pd.DataFrame] = {}
    manifests = []
    for t, w in enumerate(wids):
        wv = WaveRows(w)
        for person in np.flatnonzero(responded[t]):
            wv.add(_base_row(pop, items, int(person), t))
        add_extras(wv, roles, lambda person, t=t: _base_row(pop, items, person, t))
        plant_defects(rng, wv, panel_set)
        frames[w], manifest = finish_wave(wv)
        manifests.append(manifest)
    defects = pd.concat(manifests, ignore_index=True)
    latent = _latent_table(pop, eta, ri, responded)
    return DemoStudy(frames=frames, latent=latent, defects=defects, params=p, seed=seed)


def _first_waves(study: DemoStudy, waves: int) -> DemoStudy:
    """The first ``waves`` waves of a simulated study (frames, ground truth, defects)."""
    keep = wave_ids(waves)
    return DemoStudy(
        frames={w: study.frames[w] for w in keep},
        latent=study.latent[study.latent["wave"].isin(keep)].reset_index(drop=True),
        defects=study.defects[study.defects["wave"].isin(keep)].reset_index(drop=True),
        params=study.params,
        seed=study.seed,
    )


def simulate_study(seed: int, n: int = DEFAULT_N) -> dict[str, pd.DataFrame]:
    """One raw DataFrame per wave (T0, T1, T2), exactly as written to the files (defects
    included)."""
    return simulate_demo(seed, n).frames
