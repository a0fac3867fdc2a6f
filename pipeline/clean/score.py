"""Scale scores from cleaned (coded, reverse-keyed) items.

Rule: a score is computed when at least ``Scale.min_items`` items are answered, else it is
missing. ``mean`` scores are the mean of the answered items. ``sum`` scores are *prorated*:
mean of answered items x number of items, so a participant who skipped one item is not scored
lower than one who answered all (project decision -- no published proration rule exists for
these instruments; it equals person-mean imputation of the skipped items, e.g. Shrive et al.
2006, BMC Med Res Methodol 6:57). Scores therefore lie in [lo, hi] (mean) or
[n*lo, n*hi] (sum).

Two scores go through a published table of the scale's instrument preset
(:mod:`pipeline.instruments`): ``lookup`` takes the (prorated) raw sum through the preset's
conversion table (SWEMWBS: raw 7-35 to the Rasch metric score; a prorated sum is rounded half
up first), ``index`` takes the profile through the scale's value set (EQ-5D-5L; a profile needs
every dimension). A preset whose table has no proration rule says ``proration: none``, which
the config check turns into "every item needed" (``min_items`` = all items).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.clean.qc_log import concat_logs, make_log
from pipeline.config import Scale
from pipeline.errors import ConfigError, DataError
from pipeline.instruments import INSTRUMENTS
from pipeline.instruments.model import SCORING_RULES
from pipeline.instruments.scoring import apply_lookup, value_set_index


def score_scale(items_df: pd.DataFrame, scale: Scale) -> pd.Series:
    """Score one scale for each row of ``items_df`` (columns = ``scale.items``, float, NaN =
    missing). Returns a float Series named ``scale.key`` (NaN when < ``min_items`` answered)."""
    if scale.score not in SCORING_RULES:
        raise ConfigError(
            f"config key scales.{scale.key}.score: '{scale.score}' is not a scoring rule; use "
            f"one of {', '.join(SCORING_RULES)}."
        )
    missing = [c for c in scale.items if c not in items_df.columns]
    if missing:
        raise DataError(f"scale '{scale.key}': item column(s) {missing} are not in the data.")
    x = items_df[list(scale.items)].astype(float)
    answered = x.notna().sum(axis=1)
    mean = x.mean(axis=1, skipna=True)
    if scale.score == "mean":
        score = mean
    elif scale.score == "sum":
        score = mean * len(scale.items)
    else:
        score = pd.Series(_table_score(x, mean * len(scale.items), scale), index=x.index)
    return score.where(answered >= max(int(scale.min_items), 1)).rename(scale.key)


def _table_score(x: pd.DataFrame, raw_sum: pd.Series, scale: Scale) -> np.ndarray:
    """A ``lookup`` or ``index`` score through the scale's instrument preset."""
    inst = INSTRUMENTS.get(scale.instrument or "")
    if scale.score == "lookup":
        if inst is None or not inst.lookup:
            raise ConfigError(
                f"config key scales.{scale.key}.score: 'lookup' needs an instrument with a "
                f"conversion table (scales.{scale.key}.instrument; see docs/instruments.md)."
            )
        return apply_lookup(raw_sum.to_numpy(), inst.lookup)
    vs = inst.value_set(scale.value_set or "") if inst is not None else None
    if vs is None or not vs.bundled:
        raise ConfigError(
            f"config key scales.{scale.key}.value_set: 'index' needs an instrument with a "
            f"bundled value set (got instrument {scale.instrument!r}, value set "
            f"{scale.value_set!r}; see docs/instruments.md)."
        )
    return value_set_index(x.to_numpy(), vs)


def score_scales(long: pd.DataFrame, scales: dict[str, Scale]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Add one score column per scale (named by the scale key) to the long table.

    Missing scores are not errors; they are logged as one QC-log row per wave x scale x reason
    (``row == "all"``, ``original_value`` = number of participants, ``action`` =
    ``score_missing``): "all items missing" or "fewer than min_items (k) answered".
    """
    out = long.copy()
    logs = []
    for key, sc in scales.items():
        out[key] = score_scale(out, sc)
        answered = out[list(sc.items)].notna().sum(axis=1)
        reason = pd.Series(
            np.where(
                answered == 0,
                "all items missing",
                f"fewer than min_items ({sc.min_items}) answered",
            ),
            index=out.index,
        ).where(out[key].isna())
        counts = (
            pd.DataFrame({"wave": out["wave"].astype(str), "issue": reason})
            .dropna()
            .value_counts(sort=False)
            .reset_index(name="n")
        )
        if len(counts):
            logs.append(
                make_log(
                    len(counts),
                    row="all",
                    wave=counts["wave"].to_numpy(),
                    column=key,
                    original_value=(counts["n"].astype(str) + " participants").to_numpy(),
                    issue=("score missing: " + counts["issue"]).to_numpy(),
                    action="score_missing",
                )
            )
    return out, concat_logs(logs)
