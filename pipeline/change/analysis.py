"""Change over time: every table of the change stage from the long data and the settings.

- Change under the configured primary missing-data method (FIML with auxiliaries, MI, IPW,
  complete cases; the mixed model as a sensitivity row): :mod:`pipeline.change.primary`, one
  estimator per method in :mod:`pipeline.change.methods` (results/tables/change_primary.csv).
- Trajectories (mixed model, model-based means, contrasts; analyst tables and the mixed-model
  sensitivity rows): :mod:`pipeline.change.trajectory`.
- Standardised effect sizes d and d_z: :mod:`pipeline.change.effects`.
- Individual reliable change: :mod:`pipeline.change.rci`.
- Sample description: :mod:`pipeline.change.descriptives`.
- Funder-facing copies with small counts suppressed: the baseline description,
  :func:`pipeline.change.descriptives.public_baseline` (re-exported here); reliable-change
  shares: :func:`pipeline.change.rci.public_rci_shares`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from pipeline.change.descriptives import public_baseline
from pipeline.change.effects import effect_sizes
from pipeline.change.rci import rci_shares, reliable_change
from pipeline.change.settings import ChangeSettings
from pipeline.change.trajectory import trajectories

__all__ = ["TABLES", "change_tables", "public_baseline"]

# the change_<name>.csv tables (rci_individual is written apart: not a funder table)
TABLES = ("means", "contrasts", "effect_sizes", "rci_shares", "status")


def change_tables(
    long: pd.DataFrame,
    scales: Mapping[str, object],
    wave_ids: Sequence[str],
    covariates: Mapping[str, str],
    settings: ChangeSettings,
    reliability: Mapping[str, float | None] | None = None,
    min_cell: int = 10,
    covariate_waves: Mapping[str, str] | None = None,
    alpha_problems: Mapping[str, str] | None = None,
) -> dict[str, pd.DataFrame]:
    """All change tables: means, contrasts, effect_sizes, rci_shares, rci_individual, status.

    ``scales`` maps scale key -> its MID: a number, a ``MeaningfulChange``
    (:func:`pipeline.clean.settings.meaningful_change`: with its source and reference) or None.
    ``reliability`` maps scale -> alpha from the reliability table
    (:func:`pipeline.change.rci.reliability_from_table`).
    ``covariate_waves`` maps covariate -> source wave (config ``covariates.<key>.wave``).
    ``alpha_problems`` maps scale -> why its alpha is missing (said in the RCI's status).
    Counts are plain; the public copies suppress them.
    """
    keys = list(scales)
    traj = trajectories(
        long, keys, wave_ids, covariates, time=settings.time, p_adjust=settings.p_adjust,
        reml=settings.reml, optimizers=settings.optimizers, min_cell=min_cell,
        conf=settings.conf_level, covariate_waves=covariate_waves,
        covariate_weights=settings.covariate_weights,
    )
    individual, info = reliable_change(
        long, keys, wave_ids, reliability, settings.higher_is_better, dict(scales),
        settings.reliability, settings.rci_criterion, problems=alpha_problems,
    )
    return {
        "means": traj.means,
        "contrasts": traj.contrasts,
        "effect_sizes": effect_sizes(traj, long, wave_ids, min_cell, settings.conf_level),
        "rci_shares": rci_shares(individual, info, wave_ids, settings.rci_criterion, min_cell,
                                 settings.conf_level),
        "rci_individual": individual,
        "status": traj.status,
    }
