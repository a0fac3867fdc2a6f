"""Who stayed: retained vs lost at baseline, the retention model, and the IPW weights from it.

Following Gustavson et al. (2012, BMC Public Health 12:918), those retained at a follow-up are
compared with those lost on baseline measures (``pipeline.stats.contingency``), and retention is
modelled by logistic regression on baseline predictors (``pipeline.stats.logistic``: events
rule, separation, Firth). The inverse-probability-of-retention weights
(``pipeline.stats.ipw``) are computed from that same fitted model, never from a refit, so the
retention table and the weights always share one status and one method.

**Sequential weights** (monotone dropout, Seaman & White 2013 §3.2): for a later follow-up the
retention model may instead be fitted among those who responded at the previous wave, with that
wave's answers added as predictors (:func:`sequential_model`); the weight is then 1 over the
product of the conditional probabilities of the chain of models (:func:`sequential_weights`,
``pipeline.stats.ipw.sequential_ipw_weights``). People who answer a wave after skipping the
previous one (non-monotone) are outside that chain and get no weight (said in the message).
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
from pipeline.stats.ipw import ipw_weights, sequential_ipw_weights
from pipeline.stats.logistic import (
    MIN_EVENTS,
    LogisticFit,
    coefficient_table,
    design_matrix,
    fit_logistic,
)
from pipeline.status import Status, status_row

__all__ = ["RetentionModel", "retained_vs_lost", "retention_model", "retention_weights",
           "sequential_model", "sequential_weights", "wave_weights", "IPW_COLUMNS",
           "BALANCE_COLUMNS"]

IPW_COLUMNS = ["followup_wave", "status", "method", "message", "n_weighted", "n_truncated",
               "min", "max", "mean", "ess", "model", "model_sample", "predictors"]
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
    predictors: tuple[str, ...] = ()
    previous_wave: str | None = None


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
        return RetentionModel(fit, pd.DataFrame(), status, tuple(predictors))
    table = coefficient_table(fit)
    table.insert(0, "op", "~")
    table.insert(0, "lhs", f"retained_{followup_wave}")
    table.insert(0, "analysis", f"retention_{followup_wave}")
    table["method"] = fit.method
    table["n"] = n
    table["n_retained"] = n_ret
    return RetentionModel(fit, table, status, tuple(predictors))


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
                     model="baseline", model_sample="everyone at baseline",
                     predictors=" + ".join(model.predictors),
                     **{k: diag[k] for k in IPW_COLUMNS[4:10]})
    balance = diag["balance"].copy()
    balance.insert(0, "followup_wave", followup_wave)
    return w, {k: row[k] for k in IPW_COLUMNS}, balance.reindex(columns=BALANCE_COLUMNS)


def sequential_model(
    wide: pd.DataFrame,
    followup_wave: str,
    previous_wave: str,
    predictors: Sequence[str],
    previous_answers: Sequence[str],
    categorical: Sequence[str] = (),
    *,
    firth_on_separation: bool,
    min_events: int = MIN_EVENTS,
) -> RetentionModel:
    """Retention at ``followup_wave`` among those who responded at ``previous_wave``, on the
    baseline ``predictors`` plus ``previous_answers`` (that wave's scores): one step of the
    monotone-dropout chain. Tables and status as :func:`retention_model`; ``analysis`` is
    ``retention_<wave>_given_<previous>``. In R:
    ``glm(R2 ~ x + y1, binomial, data = subset(d, R1 == 1))``."""
    sub = wide[responded(wide, previous_wave).to_numpy()]
    preds = [*predictors, *[a for a in previous_answers if a not in predictors]]
    m = retention_model(sub, followup_wave, preds, categorical,
                        firth_on_separation=firth_on_separation, min_events=min_events)
    name = f"retention_{followup_wave}_given_{previous_wave}"
    status = {**m.status, "analysis": name, "message": (
        f"{m.status['message']} Fitted among those who responded at {previous_wave}, with their "
        f"{previous_wave} answers as predictors (sequential weights, monotone dropout).")}
    table = m.table.assign(analysis=name) if len(m.table) else m.table
    return RetentionModel(m.fit, table, status, tuple(preds), previous_wave)


def sequential_weights(
    wide: pd.DataFrame,
    followup_wave: str,
    chain: Sequence[RetentionModel],
    *,
    stabilised: bool,
    truncate: tuple[float, float] | None,
) -> tuple[pd.Series, dict[str, Any], pd.DataFrame]:
    """IPW weights at ``followup_wave`` from a chain of fitted models (first follow-up on
    everyone, then :func:`sequential_model` steps); same returns as :func:`retention_weights`,
    with ``model`` "sequential" and the predictors of each step in the row."""
    w, diag = sequential_ipw_weights([m.fit for m in chain], wide.index, stabilised=stabilised,
                                     truncate=truncate, name=f"ipw_{followup_wave}")
    ok = diag["status"] == Status.OK
    last = chain[-1]
    n_missing = int(responded(wide, followup_wave).sum() - diag["n_weighted"]) if ok else 0
    bad = next((m for m in chain if m.status["status"] != Status.OK.value), last)
    message = ipw_message(ok, bad.status["message"], followup_wave, stabilised=stabilised,
                          n_weighted=diag["n_weighted"], n_truncated=diag["n_truncated"],
                          n_missing=n_missing)
    steps = "; ".join(
        f"{m.status['analysis']}: {' + '.join(m.predictors)}" for m in chain)
    message += (f" Sequential weights (monotone dropout): the response model for {followup_wave} "
                f"is fitted among those who responded at {last.previous_wave} and uses their "
                f"{last.previous_wave} answers; the weight is 1 over the product of the "
                "probabilities of each step. People who answered a wave after skipping the one "
                "before it are outside this chain and get no weight.")
    row = status_row("", diag["method"], diag["status"], message, followup_wave=followup_wave,
                     model="sequential",
                     model_sample=f"responders at {last.previous_wave}", predictors=steps,
                     **{k: diag[k] for k in IPW_COLUMNS[4:10]})
    balance = diag["balance"].copy()
    balance.insert(0, "followup_wave", followup_wave)
    return w, {k: row[k] for k in IPW_COLUMNS}, balance.reindex(columns=BALANCE_COLUMNS)


def wave_weights(
    wide: pd.DataFrame,
    waves: Sequence[str],
    followup_wave: str,
    model: RetentionModel,
    chain: list[RetentionModel],
    predictors: Sequence[str],
    scales: Sequence[str],
    categorical: Sequence[str] = (),
    *,
    sequential: bool,
    firth_on_separation: bool,
    stabilised: bool,
    truncate: tuple[float, float] | None,
) -> tuple[RetentionModel | None, tuple[pd.Series, dict[str, Any], pd.DataFrame]]:
    """The weights of ``followup_wave`` (``waves``: all waves in order) as
    :func:`retention_weights` returns them, and the extra step model fitted (or None).

    ``chain``: the models of the earlier follow-ups' chain, updated in place. The first
    follow-up, or every follow-up when not ``sequential``, uses ``model`` (baseline predictors,
    everyone). A later one with ``sequential`` fits :func:`sequential_model` among those who
    responded at the previous wave with that wave's ``<scale>_<wave>`` scores added, and weights
    by the whole chain (:func:`sequential_weights`).
    """
    if not (sequential and chain):
        chain[:] = chain or [model]
        return None, retention_weights(wide, followup_wave, model, stabilised=stabilised,
                                       truncate=truncate)
    prev = waves[list(waves).index(followup_wave) - 1]
    answers = [c for c in (f"{k}_{prev}" for k in scales) if c in wide.columns]
    step = sequential_model(wide, followup_wave, prev, predictors, answers, categorical,
                            firth_on_separation=firth_on_separation)
    chain.append(step)
    return step, sequential_weights(wide, followup_wave, chain, stabilised=stabilised,
                                    truncate=truncate)
