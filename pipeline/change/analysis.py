"""Change over time: every table of the change stage from the long data and the settings.

- Trajectories (mixed model, model-based means, contrasts): :mod:`pipeline.change.trajectory`.
- Standardised effect sizes d and d_z: :mod:`pipeline.change.effects`.
- Individual reliable change: :mod:`pipeline.change.rci`.
- Sample description: :mod:`pipeline.change.descriptives`.
- Funder-facing copies with small counts suppressed: :func:`public_rci_shares`,
  :func:`public_baseline` (``disclosure.min_cell``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from pipeline.change.effects import effect_sizes
from pipeline.change.rci import rci_shares, reliable_change
from pipeline.change.settings import ChangeSettings
from pipeline.change.trajectory import trajectories
from pipeline.disclosure import format_count, suppress_within_groups

__all__ = ["TABLES", "change_tables", "public_rci_shares", "public_baseline"]

# the change_<name>.csv tables (rci_individual is written apart: not a funder table)
TABLES = ("means", "contrasts", "effect_sizes", "rci_shares", "status")


def change_tables(
    long: pd.DataFrame,
    scales: Mapping[str, float | None],
    wave_ids: Sequence[str],
    covariates: Mapping[str, str],
    settings: ChangeSettings,
    reliability: Mapping[str, float | None] | None = None,
    min_cell: int = 10,
    covariate_waves: Mapping[str, str] | None = None,
) -> dict[str, pd.DataFrame]:
    """All change tables: means, contrasts, effect_sizes, rci_shares, rci_individual, status.

    ``scales`` maps scale key -> configured MID (or None). ``reliability`` maps scale -> alpha
    from the reliability table (:func:`pipeline.change.rci.reliability_from_table`).
    ``covariate_waves`` maps covariate -> source wave (config ``covariates.<key>.wave``).
    Counts are plain; :func:`public_rci_shares` and :func:`public_baseline` suppress them.
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
        settings.reliability, settings.rci_criterion,
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


def public_rci_shares(shares: pd.DataFrame, min_cell: int) -> pd.DataFrame:
    """Reliable-change shares with counts below ``min_cell`` suppressed within each construct
    and wave (:func:`pipeline.disclosure.suppress_within_groups`), n shown as a banded count,
    and a plain message where too few people answered at both waves."""
    public = suppress_within_groups(shares, "count", ["construct", "wave"], min_cell,
                                    share_columns=["share", "ci_lower", "ci_upper"])
    public["n"] = public["n"].map(lambda v: format_count(v, min_cell) if pd.notna(v) else v)
    few = shares["flag"].eq("small_n")
    public.loc[few, "message"] = (f"fewer than {min_cell} people answered at both waves; "
                                  "reliable change is not estimated")
    return public


def public_baseline(baseline: pd.DataFrame, min_cell: int) -> pd.DataFrame:
    """Baseline table with category counts below ``min_cell`` suppressed within each group and
    variable (numeric rows unchanged)."""
    cat = baseline["type"] != "numeric"
    public = baseline.astype(object)
    public.loc[cat] = suppress_within_groups(baseline[cat], "count", ["group", "variable"],
                                             min_cell, share_columns=["percent"])
    return public
