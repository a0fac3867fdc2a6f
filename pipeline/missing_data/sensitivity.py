"""The missing-not-at-random sensitivity analysis of the primary estimate (delta adjustment).

The statistics (delta adjustment, re-pooling, tipping points) are in
:mod:`pipeline.stats.tipping`; the sentence in :mod:`pipeline.missing_data.sentences`. Here: when
the analysis can be done for the primary estimand, and with which imputation model.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from pipeline.errors import DataError
from pipeline.missing_data.primary import Estimand, change_estimator
from pipeline.missing_data.settings import SensitivitySettings
from pipeline.stats.mice import MICEResult, MiceSettings
from pipeline.stats.tipping import not_estimable_table, tipping_point

__all__ = ["sensitivity_table"]


def sensitivity_table(wide: pd.DataFrame, result: MICEResult, e: Estimand,
                      sens: SensitivitySettings, mice_settings: MiceSettings,
                      columns: Sequence[str], seed: int, all_missing: str,
                      bounds: tuple[float, float], mi_reason: str | None,
                      min_cell: int = 1) -> pd.DataFrame:
    """Tipping-point table of the mean change ``e`` (one not-estimable row when impossible).

    Not estimable when the MI estimate is not (``mi_reason``), when fewer than ``min_cell``
    people were observed at the wave (the change wing publishes no estimate for so few, so
    neither does this; disclosure), when the outcome has no missing
    values (nothing to shift) or when :func:`pipeline.stats.tipping.tipping_point` refuses the
    data. In ``chain`` mode the imputation model is re-run with ``result``'s m and iterations and
    the configured sampler settings, so delta is the only difference between runs.
    """
    reason = mi_reason
    if reason is None and int(wide[e.outcome].notna().sum()) < min_cell:
        reason = (f"fewer than {min_cell} people have {e.outcome} at this wave, so no estimate "
                  "of change is published and there is nothing to test for robustness")
    if reason is None and not wide[e.outcome].isna().any():
        reason = (f"{e.outcome} has no missing values, so there are no imputed values to "
                  "shift (a tipping-point analysis is not needed)")
    if reason is not None:
        return not_estimable_table(reason, sens.mode)
    chain_kwargs = {k: v for k, v in mice_settings.kwargs().items()
                    if k not in ("m", "iterations")}
    try:
        return tipping_point(
            wide, change_estimator(e.outcome, e.baseline), list(sens.deltas), column=e.outcome,
            columns=columns, result=result, mode=sens.mode, bounds=bounds, seed=seed,
            m=result.m, iterations=result.iterations, all_missing=all_missing, **chain_kwargs,
        )
    except DataError as err:
        return not_estimable_table(str(err), sens.mode)
