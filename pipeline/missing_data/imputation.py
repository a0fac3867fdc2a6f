"""The imputation model of the missing-data wing: MICE on the wide data, and its tables.

The sampler is :func:`pipeline.stats.mice.mice` (MICE with predictive mean matching, van Buuren
2018; in R ``mice::mice(data, method = "pmm")``). Here: which columns enter it, what happens to
columns nobody answered, and the tables that document the run (settings per variable, the
imputed cells written to the imputations file, the stage summary).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.errors import DataError
from pipeline.missing_data import chains
from pipeline.missing_data.primary import Estimand
from pipeline.missing_data.settings import SensitivitySettings
from pipeline.stage_io import imp_column
from pipeline.stats.convergence import RHAT_WARN, trace_rhat
from pipeline.stats.mice import MicePlan, MICEResult, MiceSettings, mice_plan

__all__ = ["plan", "impute", "estimand", "excluded_variables", "imputed_cells",
           "imputed_cell_parts", "cell_levels", "settings_table", "chain_traces",
           "observed_and_imputed", "summary_record", "METHOD_TEXT", "convergence_rows",
           "imputation_log", "LOG_COLUMNS", "FIGURE_MAX_VALUES"]

LOG_COLUMNS = ["variable", "event", "count", "message", "rhat_mean", "rhat_sd"]

log = logging.getLogger("pipeline.stats.mice")

METHOD_TEXT = ("MICE with predictive mean matching (van Buuren 2018), pooled by Rubin's rules "
               "with Barnard-Rubin df")


def all_missing_rule(user_columns: bool) -> str:
    """A default column list may hold a scale nobody answered at a wave, or a wave with no
    responses yet: leave those out (logged) rather than make the user write the whole list. A
    list the user wrote keeps the error naming the column."""
    return "raise" if user_columns else "exclude"


def plan(wide: pd.DataFrame, columns: Sequence[str], settings: MiceSettings, seed: int,
         user_columns: bool) -> MicePlan:
    """MICE on ``columns`` of ``wide`` with ``settings``, set up but not run (see
    :func:`all_missing_rule`): its chains run in the ``impute_chains`` jobs
    (:mod:`pipeline.missing_data.chains`) or all at once (:func:`impute`)."""
    return mice_plan(wide, columns, seed=seed, all_missing=all_missing_rule(user_columns),
                     **settings.kwargs())


def impute(wide: pd.DataFrame, columns: Sequence[str], settings: MiceSettings, seed: int,
           user_columns: bool, parts: Sequence[Path] | None = None) -> MICEResult:
    """MICE on ``columns`` of ``wide`` with ``settings`` (see :func:`all_missing_rule`): every
    chain run here, or, given the ``parts`` the ``impute_chains`` jobs wrote, gathered from
    them (the same numbers)."""
    p = plan(wide, columns, settings, seed, user_columns)
    result = p.result() if parts is None else chains.gather(p, parts)
    log.info("MICE: m=%d, iterations=%d, variables=%s", result.m, result.iterations,
             result.variables)
    return result


def estimand(sens: SensitivitySettings, wide: pd.DataFrame, source: str) -> Estimand | None:
    """The primary estimand (None: none configured or derivable, see ``skip_reason``); its
    columns must be in the data (DataError naming them and ``source``)."""
    if not sens.runs:
        return None
    e = Estimand(sens.outcome, sens.baseline_wave, sens.wave)
    for c in (e.outcome, e.baseline):
        if c not in wide.columns:
            raise DataError(f"impute: the primary estimand needs column '{c}', which is not in "
                            f"{source}; check the scale and wave names.")
    return e


def excluded_variables(result: MICEResult) -> dict[str, str]:
    """Variables left out of the imputation model (all missing or constant) -> why (logged)."""
    excluded = {}
    for row in result.log.itertuples(index=False):
        if row.event in ("all_missing", "constant"):
            excluded[row.variable] = row.message
            log.warning("imputation model: %s: %s", row.variable, row.message)
    return excluded


def convergence_rows(result: MICEResult) -> pd.DataFrame:
    """R-hat of every imputed variable's chains: one ``convergence`` row per variable, plus a
    ``not_converged`` warning row when the larger R-hat exceeds :data:`RHAT_WARN` (1.1).

    The draws are the traces of ``plot(mids)`` in R mice: per chain (imputation) and iteration
    the mean and the SD of the variable's imputed values; the first half of the iterations is
    warm-up. R-hat is the rank-normalised split R-hat (Vehtari et al. 2021; ``posterior::rhat``)
    across the m chains (:func:`pipeline.stats.convergence.trace_rhat`); NaN when not defined
    (fewer than 7 iterations or 2 chains, a single missing value (no SD), or a constant trace).
    """
    rows = []
    kept = result.iterations - result.iterations // 2
    for j, name in enumerate(result.variables):
        r_mean = trace_rhat(result.chain_means[:, :, j])
        r_sd = trace_rhat(result.chain_sds[:, :, j])
        worst = np.nanmax([r_mean, r_sd]) if np.isfinite([r_mean, r_sd]).any() else np.nan
        where = (f"over {result.m} chains, last {kept} of {result.iterations} iterations "
                 "(rank-normalised split R-hat, Vehtari et al. 2021)")
        rows.append({"variable": name, "event": "convergence", "count": result.m,
                     "message": (f"R-hat {worst:.3f} {where}" if np.isfinite(worst)
                                 else f"R-hat not defined {where}"),
                     "rhat_mean": r_mean, "rhat_sd": r_sd})
        if np.isfinite(worst) and worst > RHAT_WARN:
            msg = (f"warning: the imputation chains of {name} have not mixed (R-hat "
                   f"{worst:.3f} > {RHAT_WARN}); increase missing_data.iterations")
            log.warning("imputation model: %s", msg)
            rows.append({"variable": name, "event": "not_converged", "count": result.m,
                         "message": msg, "rhat_mean": r_mean, "rhat_sd": r_sd})
    return pd.DataFrame(rows, columns=LOG_COLUMNS)


def imputation_log(result: MICEResult) -> pd.DataFrame:
    """``imputation_log.csv``: the sampler's events, then the convergence rows
    (:data:`LOG_COLUMNS`)."""
    events = result.log.reindex(columns=LOG_COLUMNS)
    conv = convergence_rows(result)
    parts = [p for p in (events, conv) if len(p)]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=LOG_COLUMNS)


def max_rhat(log_table: pd.DataFrame) -> float | None:
    """The largest R-hat in the log (None when none is defined)."""
    vals = log_table.loc[log_table["event"] == "convergence", ["rhat_mean", "rhat_sd"]]
    vals = vals.to_numpy(dtype=float)
    return float(np.nanmax(vals)) if np.isfinite(vals).any() else None


def imputed_cell_parts(result: MICEResult) -> Iterator[pd.DataFrame]:
    """Per imputed variable, one table of its missing cells (``variable``, ``pid``) with its
    value in each imputation (``imp_0`` ... ``imp_<m-1>``; the category code of a categorical
    variable): made one at a time, so the impute stage streams them to the imputations file
    without a concatenated copy (:func:`pipeline.stage_io.write_imputed_cells`)."""
    sets = result.imputations
    pid = sets.data["pid"].to_numpy(dtype=object)
    for name in result.variables:
        mask = np.asarray(result.missing_mask[name], dtype=bool)
        values = np.asarray(sets.cells[name], dtype=float)
        part = pd.DataFrame(values.T, columns=[imp_column(i) for i in range(result.m)])
        part.insert(0, "pid", pid[mask])
        part.insert(0, "variable", name)
        yield part


def cell_levels(result: MICEResult) -> dict[str, list[str]]:
    """Categorical imputed variable -> its categories as text (their codes are in the file)."""
    sets = result.imputations
    return {name: [str(v) for v in sets.vars[name].levels] for name in result.variables
            if sets.vars[name].categorical}


def imputed_cells(result: MICEResult) -> tuple[pd.DataFrame, dict[str, list[str]]]:
    """(cells, levels): one row per missing cell of every imputed variable (``variable``,
    ``pid``) with its value in each imputation (``imp_0`` ... ``imp_<m-1>``; the category code
    of a categorical variable, whose categories as text are ``levels[variable]``). With the
    clean wide table they give back every completed data set
    (:func:`pipeline.stage_io.read_imputed`): m x (missing cells), not m x (the wide table)
    (issue 15). The stage streams :func:`imputed_cell_parts` instead (no concatenated copy)."""
    parts = list(imputed_cell_parts(result))
    if not parts:
        return pd.DataFrame(columns=["variable", "pid", *map(imp_column, range(result.m))]
                            ).astype({"variable": object, "pid": object}), cell_levels(result)
    return pd.concat(parts, ignore_index=True), cell_levels(result)


def variable_roles(columns: Sequence[str], estimand: Sequence[str], scales: Sequence[str],
                   waves: Sequence[str], covariates: Sequence[str],
                   retention_predictors: Sequence[str]) -> dict[str, str]:
    """Why each imputation column is in the model: ``estimand`` (its baseline and outcome
    columns), ``retention predictor`` (a predictor of the attrition wing's retention model),
    ``covariate``, ``same construct, other wave`` or ``other construct``. The FIML estimate
    uses the same columns as auxiliaries (Graham 2003; Collins, Schafer & Kam 2001)."""
    outcome_scale = next((sc for sc in scales for w in waves if f"{sc}_{w}" in estimand), None)
    roles = {}
    for c in columns:
        if c in estimand:
            roles[c] = "estimand"
        elif c in retention_predictors:
            roles[c] = "auxiliary: retention predictor"
        elif c in covariates:
            roles[c] = "auxiliary: covariate"
        elif outcome_scale is not None and c in {f"{outcome_scale}_{w}" for w in waves}:
            roles[c] = "auxiliary: same construct, other wave"
        else:
            roles[c] = "auxiliary: other construct"
    return roles


def model_check(columns: Sequence[str], retention_predictors: Sequence[str],
                excluded: dict[str, str]) -> str:
    """A sentence stating which auxiliaries the imputation model (and the FIML model) holds,
    and any retention predictor missing from it (a warning in the log)."""
    used = [c for c in columns if c not in excluded]
    absent = [p for p in retention_predictors if p not in used]
    text = (f"The imputation model holds {len(used)} variables: the estimand's columns and, as "
            "auxiliaries, the covariates, every scale at every wave and the retention model's "
            "predictors; the FIML estimate uses the same variables as auxiliaries.")
    if absent:
        text = (f"The imputation model holds {len(used)} variables but not the retention "
                f"predictor(s) {', '.join(absent)}: add them to missing_data.columns, or MAR "
                "given the model's variables may not hold.")
        log.warning("imputation model: %s", text)
    return text


def settings_table(result: MICEResult, columns: Sequence[str],
                   roles: dict[str, str] | None = None) -> pd.DataFrame:
    """One row per imputation column: m, iterations, method, number and % missing, and its
    ``role`` (:func:`variable_roles`; empty when not given)."""
    table = pd.DataFrame({
        "variable": list(columns),
        "role": [(roles or {}).get(c, "") for c in columns],
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


#: At most this many values per group (observed; imputed, over the imputations drawn) enter the
#: observed-vs-imputed figure: above it, a seeded random subsample (the figure says so). At
#: 100k x 5 waves every value was a million per variable and its densities minutes of CPU.
FIGURE_MAX_VALUES = 20_000


def _sample(rng: np.random.Generator, size: int, limit: int) -> np.ndarray | None:
    """Sorted positions of a random subsample of ``limit`` of ``size`` (None: keep all)."""
    return None if size <= limit else np.sort(rng.choice(size, limit, replace=False))


def observed_and_imputed(result: MICEResult, max_imputations: int = 20,
                         max_values: int = FIGURE_MAX_VALUES) -> dict[str, pd.DataFrame]:
    """Imputed variable -> its observed values and its imputed values in the first
    ``max_imputations`` imputations, as one table with columns ``value`` (the variable's own
    dtype), ``imputed`` (bool) and ``imputation`` (-1: observed). Built from the imputed
    cells, one variable at a time (no completed data set is made). Above ``max_values``
    values in a group (observed; imputed over the imputations), a seeded random subsample of
    that many (order kept); ``attrs`` hold the full counts (``n_observed``, ``n_missing``,
    ``n_sets`` drawn, ``n_imputations`` the run's m) and whether it was subsampled, for the
    figure's titles and caption."""
    sets = result.imputations
    k = min(len(sets), max_imputations)
    rng = np.random.default_rng(0)  # display only: the same subsample on every run
    out = {}
    for name in result.variables:
        mask = result.missing_mask[name].to_numpy()
        n_mis = int(mask.sum())
        obs = sets.column(name, 0)[~mask]
        keep_o = _sample(rng, len(obs), max_values)
        obs = obs if keep_o is None else obs.iloc[keep_o]
        keep_i = _sample(rng, k * n_mis, max_values)
        parts, labels = [obs], [-1]
        for i in range(k):
            col = sets.column(name, i)[mask]
            if keep_i is not None:
                col = col.iloc[keep_i[(keep_i >= i * n_mis) & (keep_i < (i + 1) * n_mis)]
                               - i * n_mis]
            parts.append(col)
            labels.append(i)
        out[name] = pd.DataFrame({
            "value": pd.concat(parts, ignore_index=True),
            "imputed": np.repeat([i >= 0 for i in labels], [len(p) for p in parts]),
            "imputation": np.repeat(labels, [len(p) for p in parts]),
        })
        out[name].attrs.update(n_observed=int((~mask).sum()), n_missing=n_mis, n_sets=k,
                               n_imputations=len(sets),
                               subsampled=keep_o is not None or keep_i is not None,
                               max_values=int(max_values))
    return out


def summary_record(result: MICEResult, estimand: str, primary: pd.DataFrame,
                   excluded: dict[str, str], tipping_ok: bool, tips: dict,
                   sentence: str, n_dropped: int, log_table: pd.DataFrame | None = None,
                   model_text: str = "") -> dict:
    """The stage summary (JSON): settings, convergence, statuses, tipping points and sentence.

    ``tips``: :func:`pipeline.stats.tipping.tipping_in_sd`'s summary (tipping deltas in points
    and in baseline SD units, ``fragile``). ``primary_method`` is the configured method;
    ``primary_stand_in`` the method standing in for it (None when it has its own estimate);
    ``tipping_method`` is always "mi" (a delta adjustment needs imputed values), with
    ``tipping_stands_in_for`` the configured primary method when that is not MI.
    """
    prim = primary[primary["primary"]]
    stand = primary.loc[primary["stands_in_for"].fillna("").astype(str) != "", "method"]
    method = prim["method"].iloc[0] if len(prim) else None
    conv = log_table if log_table is not None else convergence_rows(result)
    not_conv = sorted(conv.loc[conv["event"] == "not_converged", "variable"].astype(str))
    return {
        "m": result.m,
        "iterations": result.iterations,
        "method": METHOD_TEXT,
        "imputation_model": model_text,
        "rhat_max": max_rhat(conv),
        "rhat_threshold": RHAT_WARN,
        "not_converged": not_conv,
        "primary_estimand": estimand,
        "primary_method": method,
        "primary_stand_in": stand.iloc[0] if len(stand) else None,
        "primary_status": prim["status"].iloc[0] if len(prim) else None,
        "primary_message": prim["message"].iloc[0] if len(prim) else None,
        "excluded_from_imputation": excluded,
        "sensitivity_status": "ok" if tipping_ok else "not_estimable",
        "tipping_method": "mi",
        "tipping_stands_in_for": None if method in (None, "mi") else method,
        **{k: tips.get(k) for k in ("tipping_delta_negative", "tipping_delta_positive",
                                    "tipping_delta_negative_sd", "tipping_delta_positive_sd",
                                    "tipping_nearest_sd", "baseline_sd", "fragile",
                                    "fragile_sd")},
        "tipping_sentence": sentence,
        "complete_cases_dropped": int(n_dropped),
    }
