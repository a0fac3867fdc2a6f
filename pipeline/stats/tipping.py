"""Delta-adjustment (pattern-mixture) tipping-point analysis for missing-not-at-random departures.

Multiple imputation assumes data are missing at random (MAR): people who left the study are like
similar people who stayed. The delta adjustment (Carpenter & Kenward 2013, ch. 10; van Buuren
2018 §3.9.1) asks how far that assumption may fail before the conclusion changes: the imputed
values of the primary outcome are shifted by delta (people who left had scores on average delta
units different from similar people who stayed), the analysis is repeated and re-pooled by
Rubin's rules, and the smallest |delta| that changes the conclusion is the tipping point.

The conclusion has three levels, read from the pooled CI: "negative" (CI entirely below 0),
"uncertain" (CI covers 0) and "positive" (CI entirely above 0). A change of sign of an estimate
whose CI still covers 0 is *not* a change of conclusion. The tipping point is reported in both
directions (:func:`tipping_delta`): the negative delta closest to 0 and the positive delta
closest to 0 at which the level differs from the level at delta = 0; either may be absent
within the grid (e.g. a clearly positive result only tips when people who left scored lower).

Two modes:

* ``"post"`` (default) - shift the imputed values of the outcome after imputation
  (:func:`delta_adjust`). One imputation run serves every delta. Equal to mice's in-chain ``post``
  adjustment *only for the shifted variable itself*; other imputed variables are not affected.
  Appropriate when the outcome is the last variable in the chain (e.g. the final wave) and the
  analysis does not use other imputed variables that depend on it.
* ``"chain"`` - the shift is applied inside the Gibbs sampler after each update of the outcome
  (``mice(..., delta=...)``, mice's ``post`` argument), so it propagates to the other imputed
  variables. One imputation run per delta.

In R (van Buuren 2018 §3.9.1), the chain mode for one delta is::

    post <- make.post(data); post["y"] <- paste("imp[[j]][, i] <- imp[[j]][, i] +", delta)
    imp <- mice(data, post = post, seed = seed); pool(with(imp, lm(I(y - y0) ~ 1)))

and the post mode shifts ``imp$imp$y`` of one ``mice`` run before ``complete()`` and ``pool()``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from pipeline.errors import ConfigError, DataError, PipelineError
from pipeline.stats.mice import MICEResult, mice
from pipeline.stats.pooling import rubin_pool
from pipeline.status import Status

__all__ = ["Estimator", "TIPPING_COLUMNS", "CONCLUSIONS", "delta_adjust", "not_imputed_reason",
           "not_estimable_table", "tipping_point", "tipping_delta", "tipping_in_sd",
           "FRAGILE_SD"]

#: a conclusion that tips within this many baseline SDs of MAR is fragile (Cohen's "small").
FRAGILE_SD = 0.2

#: estimator(completed data) -> (estimate, variance (squared SE), complete-data df or inf)
Estimator = Callable[[pd.DataFrame], tuple[float, float, float]]

TIPPING_COLUMNS = [
    "delta", "estimate", "se", "ci_lower", "ci_upper", "pvalue", "df", "fmi", "m", "conclusion",
    "changes_conclusion", "mode", "method", "status", "message",
]


def delta_adjust(imputations: Sequence[pd.DataFrame], missing_mask: pd.Series | pd.DataFrame
                 | np.ndarray, column: str, delta: float,
                 bounds: tuple[float, float] | None = None) -> list[pd.DataFrame]:
    """Copies of ``imputations`` with the originally missing values of ``column`` shifted by delta.

    ``missing_mask``: True where ``column`` was missing (a boolean Series/array, or the
    ``MICEResult.missing_mask`` DataFrame). ``bounds`` optionally clips shifted values to the
    scale's range (e.g. (0, 100) for the EQ VAS); clipping makes the effective shift smaller than
    delta near the bounds. Observed values are never changed.
    """
    if isinstance(missing_mask, pd.DataFrame):
        if column not in missing_mask:
            raise DataError(f"delta_adjust: '{column}' is not in the missing-value mask.")
        missing_mask = missing_mask[column]
    mask = np.asarray(missing_mask, dtype=bool)
    out = []
    for d in imputations:
        if column not in d:
            raise DataError(f"delta_adjust: '{column}' is not a column of the imputed data.")
        if mask.shape != (len(d),):
            raise DataError(
                f"delta_adjust: mask has {mask.size} rows but the imputed data have {len(d)}."
            )
        values = d[column].to_numpy(dtype=float).copy()
        values[mask] += delta
        if bounds is not None:
            values[mask] = np.clip(values[mask], bounds[0], bounds[1])
        adj = d.copy()
        adj[column] = values
        out.append(adj)
    return out


def not_imputed_reason(wide: pd.DataFrame, result: MICEResult, column: str) -> str | None:
    """Why the missing values of ``column`` are not filled in ``result``'s imputations, or None.

    None when ``column`` has no missing values in ``wide`` or every completed data set is complete
    in it. Otherwise a plain reason: missing for everyone, constant in the observed data (MICE
    excludes it), not in the imputation model, or still missing after imputation. An analysis of
    such imputations would silently become a complete-case analysis labelled as MI, so callers
    must report it as not estimable instead.
    """
    miss = wide[column].isna().to_numpy()
    if not miss.any():
        return None
    n, k = miss.size, int(miss.sum())
    if miss.all():
        return (f"{column} is missing for all {n} participants (for a follow-up wave: no "
                "responses yet), so there is nothing to impute it from")
    if column not in result.missing_mask.columns:
        return (f"{column} has {k} missing values but is not in the imputation model "
                "(missing_data.columns), so they were not imputed; add it to "
                "missing_data.columns")
    if result.method.get(column) == "excluded":
        observed = pd.unique(wide[column].dropna())
        value = observed[0] if len(observed) else None
        shown = f"{value:g}" if isinstance(value, (int, float, np.number)) else repr(value)
        return (f"{column} could not be imputed: it does not vary (every observed value is "
                f"{shown}), so its {k} missing values stay missing")
    cells = getattr(result.imputations, "cells", None)
    if cells is not None and column in cells:  # lean sets: look at the imputed cells only
        still = bool(np.isnan(cells[column]).any())
    else:
        still = any(d[column].isna().any() for d in result.imputations)
    if still:
        return f"{column} still has missing values in the imputed data sets"
    return None


def not_estimable_table(reason: str, mode: str = "post") -> pd.DataFrame:
    """The tipping-point table when the analysis cannot be done: one status row, no estimates."""
    row = dict.fromkeys(TIPPING_COLUMNS, np.nan)
    row.update({"changes_conclusion": False, "mode": mode, "method": "mi",
                "status": Status.NOT_ESTIMABLE.value, "message": reason})
    return pd.DataFrame([row], columns=TIPPING_COLUMNS)


CONCLUSIONS = ("negative", "uncertain", "positive")


def _conclusion(lo: float, hi: float) -> str:
    """Three-level conclusion from the CI: negative (CI < 0), positive (CI > 0), else uncertain."""
    if lo > 0:
        return "positive"
    if hi < 0:
        return "negative"
    return "uncertain"


def _pool_one(datasets: Sequence[pd.DataFrame], estimator: Estimator, level: float) -> dict:
    try:
        fits = [estimator(d) for d in datasets]
    except PipelineError as err:
        return {"status": Status.FAILED.value, "message": str(err)}
    return _pool_fits(fits, level)


def _pool_fits(fits: Sequence[tuple[float, float, float]], level: float) -> dict:
    """Rubin-pooled row of the estimator's (estimate, variance, df) on each completed set."""
    res = np.array(fits, dtype=float)
    if res.ndim != 2 or res.shape[1] != 3:
        raise ConfigError("tipping_point: estimator must return (estimate, variance, df_complete).")
    if not np.isfinite(res[:, :2]).all():
        return {"status": Status.NOT_ESTIMABLE.value,
                "message": "the estimator gave a non-finite estimate or variance on at least one "
                           "imputed data set"}
    pooled = rubin_pool(res[:, 0], res[:, 1], df_complete=float(np.min(res[:, 2])),
                        level=level).iloc[0]
    return {
        "estimate": pooled["estimate"], "se": pooled["se"], "ci_lower": pooled["ci_lower"],
        "ci_upper": pooled["ci_upper"], "pvalue": pooled["pvalue"], "df": pooled["df"],
        "fmi": pooled["fmi"], "m": int(pooled["m"]),
        "conclusion": _conclusion(pooled["ci_lower"], pooled["ci_upper"]),
        "status": Status.OK.value, "message": "",
    }


def _shifted_rows(imputations: Sequence[pd.DataFrame], mask: np.ndarray, column: str,
                  grid: np.ndarray, estimator: Estimator, bounds: tuple[float, float] | None,
                  level: float) -> list[dict]:
    """The "post" mode rows: the same numbers as pooling :func:`delta_adjust`'s copies for
    each delta, but one completed data set at a time (built once, its ``column`` overwritten
    for each delta), so memory holds one copy of the data, not m per delta (issue 15). A
    delta whose estimator refuses a data set is ``failed`` with the first refusal's message."""
    if getattr(estimator, "shifted", None) is not None:
        return _shifted_rows_at_once(imputations, mask, column, grid, estimator, bounds, level)
    fits: list[list] = [[] for _ in grid]
    errors: list[str | None] = [None] * len(grid)
    for d in imputations:
        d = d.copy(deep=False)  # copy-on-write: the caller's data set is never changed
        base = d[column].to_numpy(dtype=float).copy()
        for k, delta in enumerate(grid):
            if errors[k] is not None:
                continue
            values = base.copy()
            values[mask] += delta
            if bounds is not None:
                values[mask] = np.clip(values[mask], bounds[0], bounds[1])
            d[column] = values
            try:
                fits[k].append(estimator(d))
            except PipelineError as err:
                errors[k] = str(err)
    return [{"delta": delta, **({"status": Status.FAILED.value, "message": errors[k]}
                                if errors[k] is not None else _pool_fits(fits[k], level))}
            for k, delta in enumerate(grid)]


def _shifted_rows_at_once(imputations: Sequence[pd.DataFrame], mask: np.ndarray, column: str,
                          grid: np.ndarray, estimator: Estimator,
                          bounds: tuple[float, float] | None, level: float) -> list[dict]:
    """:func:`_shifted_rows` for an estimator with a ``shifted(data, column, values)`` method
    (the estimator on each row of ``values``, deltas x rows, as ``column``: an array deltas x
    3): every delta of one completed data set in one array operation (issue 14's profile: one
    call per data set and delta was 2.5 s of the impute stage at m = 92 and 41 deltas). The same
    numbers, to the last bit, as the loop (``tests/stats/test_tipping.py``). ``shifted`` refuses
    a data set for every delta at once (as the change estimator does: a finite shift does not
    change which rows are missing), so a refusal fails every delta with its message."""
    fits = np.empty((len(grid), len(imputations), 3))
    for i, d in enumerate(imputations):
        values = np.repeat(d[column].to_numpy(dtype=float)[None, :], len(grid), axis=0)
        shifted = values[:, mask] + grid[:, None]
        values[:, mask] = shifted if bounds is None else np.clip(shifted, bounds[0], bounds[1])
        try:
            fits[:, i, :] = estimator.shifted(d, column, values)
        except PipelineError as err:  # refused for every delta alike (finite shifts)
            return [{"delta": delta, "status": Status.FAILED.value, "message": str(err)}
                    for delta in grid]
    return [{"delta": delta, **_pool_fits(fits[k], level)} for k, delta in enumerate(grid)]


def tipping_point(
    wide: pd.DataFrame,
    estimator: Estimator,
    deltas: Sequence[float],
    *,
    column: str,
    columns: Sequence[str] | None = None,
    result: MICEResult | None = None,
    m: int | None = None,
    iterations: int = 10,
    seed: int | None = None,
    mode: str = "post",
    bounds: tuple[float, float] | None = None,
    level: float = 0.95,
    **mice_kwargs,
) -> pd.DataFrame:
    """Re-pool the primary estimate with the missing values of ``column`` shifted by each delta.

    ``estimator(completed DataFrame) -> (estimate, variance, df_complete)``. ``mode="post"``
    shifts the imputations of ``result`` (or of one ``mice(wide, columns, ...)`` run);
    ``mode="chain"`` re-imputes for each delta with the shift inside the sampler (same seed, so
    delta is the only difference between runs). delta = 0 is always included. Returns one row per
    delta (sorted) with the pooled estimate, CI, p, ``conclusion`` ("negative" | "uncertain" |
    "positive", from the CI alone) and ``changes_conclusion`` (level differs from delta = 0; a
    sign flip inside the uncertain band is not a change); see :func:`tipping_delta` for the
    tipping points (Carpenter & Kenward 2013).

    When ``column`` is missing for everyone or its missing values were not imputed (see
    :func:`not_imputed_reason`), the result is one row with status ``not_estimable``, the reason
    as ``message`` and no estimates (:func:`not_estimable_table`): shifting imputed values that
    do not exist would give the same estimate for every delta.
    """
    if mode not in ("post", "chain"):
        raise ConfigError(f"tipping_point: mode '{mode}' is not 'post' or 'chain' "
                          "(missing_data.sensitivity.mode).")
    grid = np.unique(np.append(np.asarray(deltas, dtype=float), 0.0))
    if not np.isfinite(grid).all():
        raise ConfigError("tipping_point: all deltas must be finite numbers "
                          "(missing_data.sensitivity.deltas).")
    if column not in wide:
        raise DataError(f"tipping_point: outcome '{column}' is not in the data.")
    if not wide[column].isna().any():
        raise DataError(
            f"tipping_point: '{column}' has no missing values, so there is nothing to shift; "
            "a tipping-point analysis is not needed for this outcome."
        )
    if wide[column].isna().all():
        return not_estimable_table(
            f"{column} is missing for all {len(wide)} participants (for a follow-up wave: no "
            "responses yet), so there is nothing to impute or shift", mode)
    if result is None or mode == "chain":
        if columns is None or seed is None:
            raise ConfigError("tipping_point: give `result`, or `columns` and `seed` to impute.")
        if column not in columns:
            raise ConfigError(
                f"tipping_point: outcome '{column}' must be one of the imputed columns."
            )
    if mode == "post" and result is None:
        result = mice(wide, columns, m=m, iterations=iterations, seed=seed, **mice_kwargs)
    impute = (None if mode == "post" else
              lambda d: mice(wide, columns, m=m, iterations=iterations, seed=seed,
                             delta={column: d} if d != 0 else None, **mice_kwargs))
    rows = _delta_rows(wide, estimator, grid, column, result, impute, bounds, level)
    if isinstance(rows, str):
        return not_estimable_table(rows, mode)
    return _mark_changes(pd.DataFrame(rows).reindex(columns=TIPPING_COLUMNS), mode)


def _delta_rows(wide: pd.DataFrame, estimator: Estimator, grid: np.ndarray, column: str,
                result: MICEResult | None, impute: Callable[[float], MICEResult] | None,
                bounds: tuple[float, float] | None, level: float) -> list[dict] | str:
    """One pooled row per delta, or the reason the imputations cannot be shifted.

    ``impute`` None ("post" mode): shift the imputations of ``result`` by each delta.
    Otherwise ("chain" mode) ``impute(delta)`` re-imputes with the shift inside the sampler;
    values are then clipped to ``bounds`` (a zero extra shift).
    """
    rows = []
    if impute is None:
        reason = not_imputed_reason(wide, result, column)
        if reason:
            return reason
        mask = np.asarray(result.missing_mask[column], dtype=bool)
        return _shifted_rows(result.imputations, mask, column, grid, estimator, bounds, level)
    for d in grid:
        res = impute(d)
        reason = not_imputed_reason(wide, res, column)
        if reason:
            return reason
        sets = res.imputations
        if bounds is not None and d != 0:
            sets = delta_adjust(sets, res.missing_mask[column], column, 0.0, bounds)
        rows.append({"delta": d, **_pool_one(sets, estimator, level)})
    return rows


def _mark_changes(table: pd.DataFrame, mode: str) -> pd.DataFrame:
    """Add ``mode``, ``method`` and ``changes_conclusion`` (conclusion differs from delta = 0)."""
    table["mode"] = mode
    table["method"] = "mi"
    base = table.loc[table["delta"] == 0, "conclusion"].iloc[0]
    ok = table["status"] == "ok"
    table["changes_conclusion"] = ok & (table["conclusion"] != base)
    if table.loc[table["delta"] == 0, "status"].iloc[0] != "ok":
        table["changes_conclusion"] = False
    return table


def tipping_delta(table: pd.DataFrame) -> dict[str, float | None]:
    """Tipping points in both directions: ``{"negative": d or None, "positive": d or None}``.

    ``"negative"``: the negative delta closest to 0 at which the conclusion differs from delta = 0
    (people who left scored lower); ``"positive"``: likewise for positive deltas. None when no
    delta on that side of the grid changes the conclusion (or the delta = 0 analysis failed).
    """
    out: dict[str, float | None] = {"negative": None, "positive": None}
    if "changes_conclusion" not in table or table.empty:
        return out
    hits = table.loc[table["changes_conclusion"].fillna(False).astype(bool), "delta"].astype(float)
    neg, pos = hits[hits < 0], hits[hits > 0]
    if not neg.empty:
        out["negative"] = float(neg.max())
    if not pos.empty:
        out["positive"] = float(pos.min())
    return out


def tipping_in_sd(table: pd.DataFrame, baseline_sd: float, fragile_sd: float = FRAGILE_SD
                  ) -> tuple[pd.DataFrame, dict]:
    """Tipping points in SD units of the outcome and the ``fragile`` flag.

    ``delta_sd = delta / baseline_sd`` (``baseline_sd``: SD of the outcome's observed scores at
    the first wave, ddof = 1), so that the shift reads as an effect size (a standardised mean
    difference between people who left and similar people who stayed). The conclusion is
    *fragile* when a tipping delta (:func:`tipping_delta`, either side) lies within
    ``fragile_sd`` SD of 0, i.e. ``min |delta_tip| / SD <= fragile_sd`` (default 0.2, Cohen's
    "small": departures from MAR that small are easily plausible). The grid's resolution bounds
    the precision: the true tipping delta lies between the tipping grid point and its neighbour
    towards 0.

    Returns the table with columns ``baseline_sd``, ``delta_sd``, ``tipping_point``
    ("negative" / "positive" on the tipping rows, else "") and ``fragile`` (one value for the
    table), and a summary dict: ``baseline_sd``, ``fragile_sd``, ``tipping_delta_negative``,
    ``tipping_delta_positive`` (points), ``tipping_delta_negative_sd``,
    ``tipping_delta_positive_sd``, ``tipping_nearest_sd`` (smallest |delta_tip| / SD; None when
    nothing tips), ``fragile``. With a non-finite or non-positive SD the SD values are None and
    ``fragile`` is decided on nothing (False). In R: ``delta / sd(y0, na.rm = TRUE)``.
    """
    tips = tipping_delta(table)
    sd = float(baseline_sd) if baseline_sd is not None else float("nan")
    good = bool(np.isfinite(sd) and sd > 0)
    in_sd = {k: (None if v is None or not good else float(v / sd)) for k, v in tips.items()}
    near = [abs(v) for v in in_sd.values() if v is not None]
    nearest = min(near) if near else None
    fragile = bool(nearest is not None and nearest <= fragile_sd + 1e-12)
    out = table.copy()
    out["baseline_sd"] = sd if good else np.nan
    out["delta_sd"] = out["delta"] / sd if good else np.nan
    mark = pd.Series("", index=out.index, dtype=object)
    for side, d in tips.items():
        if d is not None:
            mark[out["delta"] == d] = side
    out["tipping_point"] = mark
    out["fragile"] = fragile
    summary = {
        "baseline_sd": sd if good else None, "fragile_sd": float(fragile_sd),
        "tipping_delta_negative": tips["negative"], "tipping_delta_positive": tips["positive"],
        "tipping_delta_negative_sd": in_sd["negative"],
        "tipping_delta_positive_sd": in_sd["positive"],
        "tipping_nearest_sd": nearest, "fragile": fragile,
    }
    return out, summary
