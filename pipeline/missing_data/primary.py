"""The primary estimate under three missing-data methods, side by side.

The estimand is the mean change in one scale from the first wave to a follow-up wave
(``missing_data.sensitivity.outcome`` / ``.wave``). It is estimated

* by complete cases (listwise deletion; unbiased under MCAR only),
* by inverse-probability weighting (IPW): the Hájek weighted mean of the change among people who
  stayed, weighted by the attrition model's weights (:func:`pipeline.stats.weighted.hajek_mean`),
* by multiple imputation (MICE) pooled by Rubin's rules with Barnard-Rubin df
  (:func:`pipeline.stats.pooling.pool_estimator`).

* by full-information maximum likelihood (FIML) with the other imputation columns as auxiliary
  variables (:mod:`pipeline.missing_data.fiml`), when given.

Each method gives one row of :data:`PRIMARY_COLUMNS`: an estimate with a 95% CI (t-based; FIML:
Wald z), or a status row (no numbers, only why). The row of the configured method
(``missing_data.primary``) has ``primary`` True and ``role`` "primary", the others
"sensitivity". **No silent substitution**: when the primary method has no estimate, its row
stays (status and why) and says which method stands in; that method's row carries
``stands_in_for`` = the primary method (:data:`STAND_INS` gives the order of preference).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipeline.errors import ConfigError, DataError, PipelineError
from pipeline.stats.distributions import t_ppf, t_sf
from pipeline.stats.mice import MICEResult, complete_cases
from pipeline.stats.pooling import pool_estimator
from pipeline.stats.tipping import not_imputed_reason
from pipeline.stats.weighted import hajek_mean
from pipeline.status import Status, status_row

__all__ = ["Estimand", "PRIMARY_COLUMNS", "STAND_INS", "impute_columns", "change_estimator",
           "primary_table"]

PRIMARY_COLUMNS = [
    "method", "term", "m", "estimate", "se", "df", "statistic", "pvalue", "ci_lower", "ci_upper",
    "n", "n_observed", "ubar", "b", "t", "dfcom", "riv", "lambda", "fmi", "n_auxiliaries",
    "se_type", "primary", "role", "stands_in_for", "status", "message",
]

#: primary method -> the methods that may stand in for it, in order of preference (the first
#: with an estimate): the MAR methods with the same auxiliaries first, then IPW, complete cases.
STAND_INS = {
    "fiml": ("mi", "ipw", "complete_case"),
    "mi": ("fiml", "ipw", "complete_case"),
    "ipw": ("mi", "fiml", "complete_case"),
    "complete_case": ("mi", "fiml", "ipw"),
}
#: the order of the rows
METHOD_ORDER = ("fiml", "mi", "ipw", "complete_case")


@dataclass(frozen=True)
class Estimand:
    """Mean change in scale ``scale`` from wave ``base`` to wave ``wave`` (wide columns
    ``baseline`` = ``<scale>_<base>`` and ``outcome`` = ``<scale>_<wave>``)."""

    scale: str
    base: str
    wave: str

    @property
    def outcome(self) -> str:
        return f"{self.scale}_{self.wave}"

    @property
    def baseline(self) -> str:
        return f"{self.scale}_{self.base}"

    @property
    def term(self) -> str:
        return f"mean change {self.scale} {self.base}->{self.wave}"


def impute_columns(configured: Sequence[str] | None, covariates: Sequence[str],
                   scales: Sequence[str], waves: Sequence[str], wide: pd.DataFrame) -> list[str]:
    """Columns of the imputation model: ``configured``, or every covariate and scale x wave score
    (inclusive strategy: all waves and auxiliaries, Collins, Schafer & Kam 2001)."""
    cols = list(configured) if configured else (
        list(covariates) + [f"{s}_{w}" for w in waves for s in scales]
    )
    missing = [c for c in cols if c not in wide.columns]
    if missing:
        raise ConfigError(
            f"config key missing_data.columns: {missing} are not columns of the wide data "
            f"(available: {[c for c in wide.columns if c != 'pid']})."
        )
    return cols


def change_estimator(outcome: str, baseline: str
                     ) -> Callable[[pd.DataFrame], tuple[float, float, float]]:
    """Estimator of the mean change ``outcome - baseline``: (mean, var/n, n - 1).

    Refuses data with a missing ``outcome`` or ``baseline`` (DataError): under multiple
    imputation a completed data set must be complete, and silently dropping the rows would turn
    the "MI" estimate into a complete-case one. For a complete-case estimate, pass the complete
    cases (:func:`pipeline.stats.mice.complete_cases`).
    """

    def refuse(n_bad: int, n: int) -> None:
        if n_bad:
            raise DataError(
                f"mean change {baseline} -> {outcome}: {n_bad} of {n} rows have a missing "
                f"{outcome} or {baseline}; the estimator does not drop them silently (impute "
                "them, or select complete cases explicitly)."
            )

    def estimate(df: pd.DataFrame) -> tuple[float, float, float]:
        d = (df[outcome] - df[baseline]).to_numpy(dtype=float)
        refuse(int((~np.isfinite(d)).sum()), d.size)
        n = d.size
        if n < 2:
            return np.nan, np.nan, np.nan
        return float(d.mean()), float(d.var(ddof=1) / n), float(n - 1)

    def shifted(df: pd.DataFrame, column: str, values: np.ndarray) -> np.ndarray:
        """``estimate`` on each row of ``values`` (k x rows) standing for ``column``: k x 3,
        the same numbers to the last bit (numpy reduces each row as it reduces one vector)."""
        k, n = values.shape
        y = values if column == outcome else df[outcome].to_numpy(dtype=float)[None, :]
        x = values if column == baseline else df[baseline].to_numpy(dtype=float)[None, :]
        d = np.broadcast_to(y - x, (k, n))
        refuse(int((~np.isfinite(d)).sum(axis=1).max(initial=0)), n)
        if n < 2:
            return np.full((k, 3), np.nan)
        return np.column_stack([d.mean(axis=1), d.var(axis=1, ddof=1) / n, np.full(k, n - 1.0)])

    estimate.shifted = shifted  # type: ignore[attr-defined]  # pipeline.stats.tipping
    return estimate


def _t_row(method: str, term: str, est: float, se: float, dfc: float, n: int) -> dict:
    """One ok row of the primary table: estimate, SE, t test and 95% CI on ``dfc`` df."""
    tcrit = t_ppf(0.975, dfc)
    return {
        "method": method, "term": term, "m": 1, "estimate": est, "se": se, "df": float(dfc),
        "statistic": est / se, "pvalue": float(2 * t_sf(abs(est) / se, dfc)),
        "ci_lower": est - tcrit * se, "ci_upper": est + tcrit * se, "n": n,
        "status": Status.OK.value, "message": "",
    }


def _not_estimable(method: str, term: str, message: str) -> dict:
    """A status row: no numbers, only why (anything but ok has no estimates)."""
    return status_row(term, method, Status.NOT_ESTIMABLE, message, term=term)


def _too_few(e: Estimand, d: np.ndarray, what: str) -> str:
    """Why a mean change on the (finite) change scores ``d`` has no estimate or no SE."""
    if d.size < 2:
        return (f"too few people with both {e.baseline} and {e.outcome}{what} for a mean change "
                f"and its standard error (n = {d.size}; at least 2 are needed)")
    return (f"the change {e.baseline} -> {e.outcome} is the same ({d[0]:g}) for all {d.size} "
            f"people with both scores{what}, so it has no standard error")


def complete_case_row(wide: pd.DataFrame, e: Estimand) -> tuple[dict, int]:
    """The complete-case row and the number of people it drops."""
    cc, n_dropped = complete_cases(wide, [e.outcome, e.baseline])
    est, var, dfc = change_estimator(e.outcome, e.baseline)(cc)
    if np.isfinite(est) and np.isfinite(var) and var > 0:
        return _t_row("complete_case", e.term, est, float(np.sqrt(var)), dfc, len(cc)), n_dropped
    d = (cc[e.outcome] - cc[e.baseline]).to_numpy(dtype=float)
    return _not_estimable("complete_case", e.term, _too_few(e, d, "")), n_dropped


def ipw_row(wide: pd.DataFrame, weights: pd.DataFrame, e: Estimand, source: str) -> dict:
    """The IPW row: Hájek mean of the change weighted by ``ipw_<wave>`` of ``weights`` (indexed
    by pid; ``source`` names the file in messages), t-based CI on n - 1 df."""
    col = f"ipw_{e.wave}"
    if col not in weights.columns:
        return _not_estimable("ipw", e.term, f"no inverse-probability weights for wave {e.wave} "
                              f"({col} is not in {source})")
    w = weights[col].reindex(wide["pid"]).to_numpy(dtype=float)
    d = (wide[e.outcome] - wide[e.baseline]).to_numpy(dtype=float)
    est, se, n = hajek_mean(d, w)
    if np.isfinite(est) and np.isfinite(se) and se > 0:
        return _t_row("ipw", e.term, est, se, float(n - 1), n)
    ok = np.isfinite(d) & np.isfinite(w) & (w > 0)
    return _not_estimable("ipw", e.term, _too_few(
        e, d[ok], f" and an inverse-probability weight ({col})"))


def mi_reason(wide: pd.DataFrame, result: MICEResult, e: Estimand) -> str | None:
    """Why there is no MI estimate (None: both columns of the estimand were imputed).

    Otherwise the estimator would meet missing values in the "completed" data and an MI label
    would hide a complete-case analysis.
    """
    reasons = [r for r in (not_imputed_reason(wide, result, c) for c in (e.outcome, e.baseline))
               if r]
    return "; ".join(reasons) if reasons else None


def mi_row(wide: pd.DataFrame, result: MICEResult, e: Estimand) -> tuple[dict, str | None]:
    """The MI row (Rubin's rules) and the reason it is not estimable (None when it is)."""
    reason = mi_reason(wide, result, e)
    if reason is None:
        estimator = change_estimator(e.outcome, e.baseline)
        try:
            row = pool_estimator(result.imputations, estimator, terms=[e.term]).iloc[0].to_dict()
        except PipelineError as err:
            reason = str(err)
        else:
            if np.isfinite(row["estimate"]) and np.isfinite(row["se"]) and row["se"] > 0:
                return {"method": "mi", **row, "n": len(wide), "status": Status.OK.value,
                        "message": ""}, None
            reason = (f"the mean change {e.baseline} -> {e.outcome} has no finite estimate "
                      "and standard error on the imputed data")
    return _not_estimable("mi", e.term, reason), reason


def _observed_outcome(wide: pd.DataFrame, e: Estimand) -> int:
    """``n_observed``: people observed on the outcome at its wave (the findings contract; the
    complete-case ``n`` also needs the baseline)."""
    return int(wide[e.outcome].notna().sum())


def _not_run(method: str, e: Estimand) -> dict:
    why = {"fiml": "no FIML estimate was requested", "ipw": "no inverse-probability weights "
           "were given to the missing-data stage"}.get(method, f"{method} was not run")
    return _not_estimable(method, e.term, why)


def _mark_primary(table: pd.DataFrame, primary: str) -> pd.DataFrame:
    """``primary``/``role`` columns, and the stand-in when the primary row has no estimate."""
    table["primary"] = table["method"] == primary
    table["role"] = np.where(table["primary"], "primary", "sensitivity")
    table["stands_in_for"] = ""
    prow = table.index[table["primary"]]
    if len(prow) and table.loc[prow[0], "status"] != Status.OK.value:
        ok = table[table["status"] == Status.OK.value]
        for method in STAND_INS[primary]:
            if method in set(ok["method"]):
                i = ok.index[ok["method"] == method][0]
                table.loc[i, "stands_in_for"] = primary
                said = str(table.loc[prow[0], "message"]).rstrip(".")
                table.loc[prow[0], "message"] = (
                    f"{said}; {method.replace('_', ' ')} stands in for "
                    f"{primary} (its row has stands_in_for = {primary})")
                break
    return table


def primary_table(wide: pd.DataFrame, result: MICEResult, e: Estimand, primary: str,
                  weights: pd.DataFrame | None = None, weights_source: str = "",
                  fiml: dict | None = None) -> tuple[pd.DataFrame, int, str | None]:
    """The primary-estimate table: FIML (``fiml``: the row of
    :func:`pipeline.missing_data.fiml.fiml_row`), MI, IPW (when ``weights`` are given) and
    complete cases, in that order.

    ``primary``: the configured method, flagged ``primary`` / role "primary". When that method
    gives no estimate (or was not run), its row says why and names the method standing in (the
    first of :data:`STAND_INS` with an estimate, whose row has ``stands_in_for``). Returns
    (table, complete cases dropped, why MI is not estimable or None).
    """
    cc, n_dropped = complete_case_row(wide, e)
    mi, reason = mi_row(wide, result, e)
    rows = {"complete_case": cc, "mi": mi}
    if weights is not None:
        rows["ipw"] = ipw_row(wide, weights, e, weights_source)
    if fiml is not None:
        rows["fiml"] = fiml
    if primary not in rows:
        rows[primary] = _not_run(primary, e)
    n_obs = _observed_outcome(wide, e)
    for row in rows.values():
        row["n_observed"] = n_obs
    table = pd.DataFrame([rows[m] for m in METHOD_ORDER if m in rows])
    return _mark_primary(table.reindex(columns=PRIMARY_COLUMNS), primary), n_dropped, reason
