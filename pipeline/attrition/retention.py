"""Who stayed: retained vs lost at baseline, the retention model, and the IPW weights from it.

Following Gustavson et al. (2012, BMC Public Health 12:918), those retained at a follow-up are
compared with those lost on baseline measures (``pipeline.stats.contingency``), and retention is
modelled by logistic regression on baseline predictors (``pipeline.stats.logistic``: events
rule, separation, Firth). The inverse-probability-of-retention weights
(``pipeline.stats.ipw``) are computed from that same fitted model, never from a refit, so the
retention table and the weights always share one status and one method.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from pipeline.attrition.flow import responded
from pipeline.attrition.sentences import ipw_message, retention_message
from pipeline.errors import DataError
from pipeline.stats.contingency import compare_groups
from pipeline.stats.ipw import ipw_weights
from pipeline.stats.logistic import (
    MIN_EVENTS,
    LogisticFit,
    coefficient_table,
    design_matrix,
    fit_logistic,
)
from pipeline.status import Status, status_row

__all__ = ["RetentionModel", "retained_vs_lost", "retention_model", "retention_weights",
           "IPW_COLUMNS", "BALANCE_COLUMNS"]

IPW_COLUMNS = ["followup_wave", "status", "method", "message", "n_weighted", "n_truncated",
               "min", "max", "mean", "ess"]
BALANCE_COLUMNS = ["followup_wave", "variable", "mean_all", "mean_retained",
                   "mean_retained_weighted", "smd_unweighted", "smd_weighted"]


def retained_vs_lost(
    wide: pd.DataFrame,
    followup_wave: str,
    baseline_vars: Sequence[str],
    categorical: Sequence[str] = (),
) -> pd.DataFrame:
    """Baseline characteristics of those retained at ``followup_wave`` vs those lost.

    ``pipeline.stats.contingency.compare_groups`` with groups "retained" and "lost": numeric
    variables get ``n, mean, sd`` per group, Cohen's d and Welch's t-test; categorical ones one
    row per level with ``n``, ``pct``, the SMD for proportions and a chi-square or Fisher test.
    Columns: ``wave`` then those of ``compare_groups``.
    """
    for v in baseline_vars:
        if v not in wide.columns:
            raise DataError(f"retained vs lost: baseline variable '{v}' is not in the wide data.")
        s = wide[v]
        if v not in categorical and not (pd.api.types.is_numeric_dtype(s)
                                         or pd.api.types.is_bool_dtype(s)):
            raise DataError(
                f"retained vs lost: '{v}' is not numeric; list it under 'categorical'."
            )
    out = compare_groups(wide, responded(wide, followup_wave), baseline_vars, categorical,
                         names=("retained", "lost"))
    out.insert(0, "wave", followup_wave)
    return out


@dataclass(frozen=True)
class RetentionModel:
    """The retention model at one follow-up: the fit, its coefficient table and status row."""

    fit: LogisticFit
    table: pd.DataFrame
    status: dict[str, Any]


def retention_model(
    wide: pd.DataFrame,
    followup_wave: str,
    predictors: Sequence[str],
    categorical: Sequence[str] = (),
    *,
    firth_on_separation: bool,
    min_events: int = MIN_EVENTS,
) -> RetentionModel:
    """Logistic regression of retention at ``followup_wave`` on baseline predictors.

    Complete cases; odds ratios with Wald 95% CIs and p-values (``coefficient_table``), in
    columns ``analysis, lhs, op, rhs, est, se, z, pvalue, odds_ratio, ci_lower, ci_upper,
    method, n, n_retained``. The status row has ``analysis, method, status, message, n,
    n_retained, n_lost``. Handled problems (``pipeline.stats.logistic.fit_logistic``):
    predictors missing for everyone or constant (left out, noted); nobody or everybody retained,
    fewer than ``min_events`` in the rarer group (``MIN_EVENTS_RULE``), too few people, or
    collinear predictors ("not_estimable", empty table); separation -> Firth's penalised logit
    when ``firth_on_separation`` (method "firth"), else "not_estimable"; no convergence ->
    "failed".
    """
    x, notes = design_matrix(wide, predictors, categorical, what="retention model")
    y = responded(wide, followup_wave).loc[x.index].astype(float).to_numpy()
    fit = fit_logistic(x, y, firth_on_separation=firth_on_separation, min_events=min_events,
                       notes=notes)
    n, n_ret = fit.n, fit.n_events
    status = status_row(f"retention_{followup_wave}", fit.method, fit.status,
                        retention_message(fit, followup_wave), n=n, n_retained=n_ret,
                        n_lost=n - n_ret)
    if fit.status != Status.OK:
        return RetentionModel(fit, pd.DataFrame(), status)
    table = coefficient_table(fit)
    table.insert(0, "op", "~")
    table.insert(0, "lhs", f"retained_{followup_wave}")
    table.insert(0, "analysis", f"retention_{followup_wave}")
    table["method"] = fit.method
    table["n"] = n
    table["n_retained"] = n_ret
    return RetentionModel(fit, table, status)


def retention_weights(
    wide: pd.DataFrame,
    followup_wave: str,
    model: RetentionModel,
    *,
    stabilised: bool,
    truncate: tuple[float, float] | None,
) -> tuple[pd.Series, dict[str, Any], pd.DataFrame]:
    """IPW weights at ``followup_wave`` from the fitted retention ``model`` (no refit).

    Returns ``(weights, row, balance)``: weights for every row of ``wide`` (NaN unless retained
    with complete predictors), the diagnostics row (``IPW_COLUMNS``; status and method are the
    retention model's) and the balance table (``BALANCE_COLUMNS``; empty without weights).
    """
    w, diag = ipw_weights(model.fit, wide.index, stabilised=stabilised, truncate=truncate,
                          name=f"ipw_{followup_wave}")
    ok = diag["status"] == Status.OK
    n_missing = int(responded(wide, followup_wave).sum() - diag["n_weighted"]) if ok else 0
    message = ipw_message(ok, model.status["message"], followup_wave, stabilised=stabilised,
                          n_weighted=diag["n_weighted"], n_truncated=diag["n_truncated"],
                          n_missing=n_missing)
    row = status_row("", diag["method"], diag["status"], message, followup_wave=followup_wave,
                     **{k: diag[k] for k in IPW_COLUMNS[4:]})
    balance = diag["balance"].copy()
    balance.insert(0, "followup_wave", followup_wave)
    return w, {k: row[k] for k in IPW_COLUMNS}, balance.reindex(columns=BALANCE_COLUMNS)
