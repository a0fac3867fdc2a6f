"""Simulate the controlled demo study (``demo_controlled``): raw wave frames plus ground truth.

Steps, in the order the random stream is used (one ``numpy`` Generator seeded with
``seed_for(seed, "demo_controlled/simulate/n=<n>")``):

1. people: panel, arm, covariates, ids, dates
   (:func:`pipeline.demo.controlled_population.draw_controlled_population`);
2. latent scores (:func:`pipeline.demo.controlled_model.controlled_latent`);
3. per wave: the demo scales' answers (:func:`pipeline.demo.items.item_responses`) and the
   added scales' (:func:`pipeline.demo.controlled_model.added_item_responses`); then the GP
   visits (:func:`pipeline.demo.controlled_model.gp_visit_counts`);
4. MCAR item missingness: the demo's items as the demo, then the added items (2% each);
5. response at T1 / T2 (:func:`pipeline.demo.controlled_population.draw_controlled_response`);
6. per wave: the respondents' rows, the extra respondents, planted defects
   (:data:`pipeline.demo.controlled_layout.DEFECT_PLAN`), ordering and typing.

The group listing at T0 and T1 (``grp_*``, :mod:`pipeline.demo.controlled_listings`) is drawn
from its own stream, so the columns above do not depend on it.

Files: T0 CSV (ISO dates; item cells may hold text labels; ``arm`` as text), T1 Excel (date and
integer cells), T2 SPSS (dates, doubles, value labels, user-missing -99; ``gender`` re-asked as
codes 1-3, as the demo).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from pipeline.demo.controlled_layout import (
    ARM_COLUMN,
    ARMS,
    DEFAULT_N,
    DEFAULT_SEED,
    DEFECT_PLAN,
    FILES,
    ITEM_COLUMNS,
    WAVES,
)
from pipeline.demo.controlled_listings import LISTING_COLUMNS, LISTING_WAVES, draw_listings
from pipeline.demo.controlled_model import (
    EXTRA,
    added_item_responses,
    controlled_latent,
    gp_visit_counts,
)
from pipeline.demo.controlled_params import TRUE_CONTROLLED, ControlledParams
from pipeline.demo.controlled_population import (
    ControlledPopulation,
    draw_controlled_population,
    draw_controlled_response,
)
from pipeline.demo.defects import WaveRows, add_extras, extra_roles, plant_defects
from pipeline.demo.frames import file_cell, finish_wave
from pipeline.demo.items import add_item_missingness, item_responses
from pipeline.demo.layout import CONSTRUCTS, DATE_COLUMN, GENDER_LEVELS, ID_COLUMN
from pipeline.demo.layout import ITEM_COLUMNS as DEMO_ITEMS
from pipeline.seeds import seed_for

__all__ = ["ControlledStudy", "simulate_controlled", "wave_columns", "typed_controlled"]


@dataclass
class ControlledStudy:
    """A simulated controlled study: the raw wave frames plus the ground truth."""

    frames: dict[str, pd.DataFrame]
    latent: pd.DataFrame  # one row per person-wave: arm, latent scores, GP visits, response
    defects: pd.DataFrame  # manifest of planted defects
    params: ControlledParams = field(default_factory=ControlledParams)
    seed: int = DEFAULT_SEED


def wave_columns(wave: str) -> list[str]:
    """The columns of a wave file, in file order."""
    head = [ID_COLUMN, DATE_COLUMN]
    if wave == "T0":
        head += ["age", "gender", ARM_COLUMN]
    if wave == "T2":
        head.append("gender")
    tail = list(LISTING_COLUMNS) if wave in LISTING_WAVES else []
    return head + list(ITEM_COLUMNS) + tail


def typed_controlled(raw: pd.DataFrame, wave: str) -> pd.DataFrame:
    """Column types as each file holds them (T0 CSV, T1 Excel, T2 SPSS)."""
    out = pd.DataFrame(index=raw.index)
    out[ID_COLUMN] = pd.Series(raw[ID_COLUMN].tolist(), dtype=object).where(
        raw[ID_COLUMN].notna(), None
    )
    if wave == "T0":
        out[DATE_COLUMN] = pd.Series(
            [d.isoformat() if d is not None else None for d in raw[DATE_COLUMN]],
            index=raw.index, dtype=object,
        )
        out["age"] = raw["age"].astype("Int64")
        for col in ("gender", ARM_COLUMN):
            out[col] = pd.Series(raw[col].tolist(), index=raw.index, dtype=object)
        for col in ITEM_COLUMNS:
            out[col] = pd.Series([file_cell(v) for v in raw[col]], index=raw.index, dtype=object)
        for col in LISTING_COLUMNS:  # a checkbox export: 1 ticked, blank not
            out[col] = pd.Series([1 if v == 1 else None for v in raw[col]], index=raw.index,
                                 dtype=object)
    elif wave == "T1":
        out[DATE_COLUMN] = pd.to_datetime(
            pd.Series(raw[DATE_COLUMN].tolist(), dtype=object)
        ).astype("datetime64[s]")
        for col in (*ITEM_COLUMNS, *LISTING_COLUMNS):
            out[col] = pd.array([file_cell(v) for v in raw[col]], dtype="Int64")
    else:
        out[DATE_COLUMN] = pd.Series(raw[DATE_COLUMN].tolist(), dtype=object)
        out["gender"] = raw["gender"].astype(float)
        for col in ITEM_COLUMNS:
            out[col] = raw[col].astype(float)
    return out


def _n_extra() -> int:
    return sum(DEFECT_PLAN[w].get(k, 0) for w in WAVES for k in ("missing_id",
                                                                  "unmatched_followup"))


def _base_row(pop: ControlledPopulation, items: list[dict], person: int, t: int,
              listings: dict | None = None) -> dict:
    row = {
        "_pid": pop.pid[person],
        "_person": int(person),
        ID_COLUMN: pop.pid[person],
        DATE_COLUMN: pop.dates[t][person],
    }
    if t == 0:
        row["age"] = int(pop.age[person])
        row["gender"] = GENDER_LEVELS[pop.gender[person]]
        row[ARM_COLUMN] = ARMS[0] if pop.programme[person] else ARMS[1]
    if t == 2:
        row["gender"] = float(pop.gender[person] + 1)
    for col in ITEM_COLUMNS:
        row[col] = items[t][col][person]
    if listings and WAVES[t] in listings:
        for col in LISTING_COLUMNS:
            row[col] = float(listings[WAVES[t]][col][person])
    return row


def _answers(rng, eta, extra, pop, p) -> tuple[list[dict[str, np.ndarray]], np.ndarray]:
    """Item answers per wave (float, NaN missing) and the true GP visits (n, waves): steps 3
    and 4 of the module docstring."""
    n_waves = eta.shape[1]
    items = []
    for t in range(n_waves):
        wave = item_responses(rng, eta[:, t], p.chain)
        wave.update(added_item_responses(rng, extra[:, t], p))
        items.append(wave)
    gp = gp_visit_counts(rng, eta, pop.age, pop.programme, p)
    for t in range(n_waves):
        items[t]["gp_visits"] = gp[:, t].copy()
    add_item_missingness(rng, items, p.chain)
    added = [c for c in ITEM_COLUMNS if c not in DEMO_ITEMS]
    for wave in items:
        for col in added:
            wave[col][rng.random(len(wave[col])) < p.item_missing] = np.nan
    return [{c: w[c] for c in ITEM_COLUMNS} for w in items], gp


def simulate_controlled(
    seed: int = DEFAULT_SEED, n: int = DEFAULT_N, params: ControlledParams = TRUE_CONTROLLED
) -> ControlledStudy:
    """Simulate the controlled study: raw frames (defects included) plus the ground truth."""
    if n < 150:
        raise ValueError("the controlled demo study needs n >= 150 participants at entry")
    p = params
    rng = np.random.default_rng(seed_for(seed, f"demo_controlled/simulate/n={n}"))
    n_extra = _n_extra()
    pop = draw_controlled_population(rng, n, n_extra, p)
    eta, extra, _ri = controlled_latent(rng, pop.programme, p, len(WAVES))
    items, gp = _answers(rng, eta, extra, pop, p)
    resp1, resp2 = draw_controlled_response(rng, items, pop, n, p)
    listings = draw_listings(seed, n, extra)  # its own stream: nothing above depends on it
    responded = [pop.is_panel, resp1, resp2]
    roles = extra_roles(pop.extras, plan=DEFECT_PLAN)
    panel_set = set(pop.panel.tolist())
    frames: dict[str, pd.DataFrame] = {}
    manifests = []
    for t, w in enumerate(WAVES):
        wv = WaveRows(w)
        for person in np.flatnonzero(responded[t]):
            wv.add(_base_row(pop, items, int(person), t, listings))
        add_extras(wv, roles, lambda person, t=t: _base_row(pop, items, person, t, listings))
        plant_defects(rng, wv, panel_set, plan=DEFECT_PLAN, items=ITEM_COLUMNS)
        frames[w], manifest = finish_wave(wv, wave_columns(w), typed_controlled, FILES[w])
        manifests.append(manifest)
    latent = _latent_table(pop, eta, extra, gp, responded)
    defects = pd.concat(manifests, ignore_index=True)
    return ControlledStudy(frames=frames, latent=latent, defects=defects, params=p, seed=seed)


def _latent_table(pop, eta, extra, gp, responded) -> pd.DataFrame:
    """Ground truth: one row per simulated person and wave."""
    parts = []
    for t, w in enumerate(WAVES):
        parts.append(pd.DataFrame({
            "participant_id": pop.pid.astype(str),
            "in_panel": pop.is_panel,
            "wave": w,
            "responded": responded[t] & pop.is_panel,
            "arm": np.where(pop.programme, ARMS[0], ARMS[1]),
            "age": pop.age,
            **{f"eta_{c}": eta[:, t, i] for i, c in enumerate(CONSTRUCTS)},
            **{f"eta_{c}": extra[:, t, i] for i, c in enumerate(EXTRA)},
            "gp_visits": gp[:, t],
        }))
    latent = pd.concat(parts, ignore_index=True)
    return latent.sort_values(["wave", "participant_id"], kind="stable").reset_index(drop=True)
