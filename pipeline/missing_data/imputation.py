"""The imputation model of the missing-data wing: MICE on the wide data, and its tables.

The sampler is :func:`pipeline.stats.mice.mice` (MICE with predictive mean matching, van Buuren
2018; in R ``mice::mice(data, method = "pmm")``). Here: which columns enter it, what happens to
columns nobody answered, and the tables that document the run (settings per variable, the stacked
imputations, the stage summary).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np
import pandas as pd

from pipeline.stats.mice import MICEResult, MiceSettings, mice

__all__ = ["impute", "excluded_variables", "stacked_imputations", "settings_table",
           "chain_traces", "observed_and_imputed", "summary_record", "METHOD_TEXT"]

log = logging.getLogger("pipeline.stats.mice")

METHOD_TEXT = ("MICE with predictive mean matching (van Buuren 2018), pooled by Rubin's rules "
               "with Barnard-Rubin df")


def all_missing_rule(user_columns: bool) -> str:
    """A default column list may hold a scale nobody answered at a wave, or a wave with no
    responses yet: leave those out (logged) rather than make the user write the whole list. A
    list the user wrote keeps the error naming the column."""
    return "raise" if user_columns else "exclude"


def impute(wide: pd.DataFrame, columns: Sequence[str], settings: MiceSettings, seed: int,
           user_columns: bool) -> MICEResult:
    """MICE on ``columns`` of ``wide`` with ``settings`` (see :func:`all_missing_rule`)."""
    result = mice(wide, columns, seed=seed, all_missing=all_missing_rule(user_columns),
                  **settings.kwargs())
    log.info("MICE: m=%d, iterations=%d, variables=%s", result.m, result.iterations,
             result.variables)
    return result


def excluded_variables(result: MICEResult) -> dict[str, str]:
    """Variables left out of the imputation model (all missing or constant) -> why (logged)."""
    excluded = {}
    for row in result.log.itertuples(index=False):
        if row.event in ("all_missing", "constant"):
            excluded[row.variable] = row.message
            log.warning("imputation model: %s: %s", row.variable, row.message)
    return excluded


def stacked_imputations(result: MICEResult, columns: Sequence[str]) -> pd.DataFrame:
    """The m completed data sets stacked (pid, the imputation columns, ``_imp`` = 0..m-1)."""
    return pd.concat(
        [imp[["pid", *columns]].assign(_imp=i) for i, imp in enumerate(result.imputations)],
        ignore_index=True,
    )


def settings_table(result: MICEResult, columns: Sequence[str]) -> pd.DataFrame:
    """One row per imputation column: m, iterations, method, number and % missing."""
    table = pd.DataFrame({
        "variable": list(columns),
        "method": [result.method.get(c, "") for c in columns],
        "n_missing": [int(result.missing_mask[c].sum()) for c in columns],
        "pct_missing": [float(100 * result.missing_mask[c].mean()) for c in columns],
    })
    table.insert(0, "m", result.m)
    table.insert(1, "iterations", result.iterations)
    return table


def chain_traces(result: MICEResult) -> pd.DataFrame:
    """Convergence traces as a table: one row per imputed variable x chain x iteration with the
    mean and SD (ddof = 1) of the imputed values after that iteration (``plot(mids)`` in R mice),
    and the variable's number of missing values. Variables in imputation order."""
    m, iterations, k = result.chain_means.shape
    chain, iteration = np.meshgrid(np.arange(m), np.arange(1, iterations + 1), indexing="ij")
    parts = [pd.DataFrame({
        "variable": name, "chain": chain.ravel(), "iteration": iteration.ravel(),
        "mean": result.chain_means[:, :, j].ravel(), "sd": result.chain_sds[:, :, j].ravel(),
        "n_missing": int(np.asarray(result.missing_mask[name]).sum()),
    }) for j, name in enumerate(result.variables)]
    columns = ["variable", "chain", "iteration", "mean", "sd", "n_missing"]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)


def observed_and_imputed(result: MICEResult, max_imputations: int = 20
                         ) -> dict[str, pd.DataFrame]:
    """Imputed variable -> its observed values (rows of the first completed data set) and its
    imputed values in the first ``max_imputations`` imputations, as one table with columns
    ``value`` (the variable's own dtype), ``imputed`` (bool) and ``imputation`` (-1: observed)."""
    first = result.imputations[0] if result.imputations else None
    sets = result.imputations[:max_imputations]
    out = {}
    for name in result.variables:
        mask = result.missing_mask[name].to_numpy()
        parts = [first.loc[~mask, name]] + [d.loc[mask, name] for d in sets]
        labels = [-1] + list(range(len(sets)))
        out[name] = pd.DataFrame({
            "value": pd.concat(parts, ignore_index=True),
            "imputed": np.repeat([i >= 0 for i in labels], [len(p) for p in parts]),
            "imputation": np.repeat(labels, [len(p) for p in parts]),
        })
    return out


def summary_record(result: MICEResult, estimand: str, primary: pd.DataFrame,
                   excluded: dict[str, str], tipping_ok: bool, tips: dict[str, float | None],
                   sentence: str, n_dropped: int) -> dict:
    """The stage summary (JSON): settings, statuses, tipping points and sentence."""
    prim = primary[primary["primary"]]
    return {
        "m": result.m,
        "iterations": result.iterations,
        "method": METHOD_TEXT,
        "primary_estimand": estimand,
        "primary_status": prim["status"].iloc[0] if len(prim) else None,
        "primary_message": prim["message"].iloc[0] if len(prim) else None,
        "excluded_from_imputation": excluded,
        "sensitivity_status": "ok" if tipping_ok else "not_estimable",
        "tipping_delta_negative": tips["negative"],
        "tipping_delta_positive": tips["positive"],
        "tipping_sentence": sentence,
        "complete_cases_dropped": int(n_dropped),
    }
