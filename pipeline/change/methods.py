"""Change from entry under each missing-data method: wave means and contrasts, one construct.

Every function returns *raw rows* (dicts with :data:`RAW_KEYS`): ``kind`` "mean" (the mean at a
wave) or "contrast" (wave minus the first wave); ``df`` = ``inf`` for normal-theory (z)
intervals; ``sd_change`` = the method's SD of individual change (for d_z). Intervals, multiplicity
adjustment, effect sizes and units are added by :mod:`pipeline.change.primary`.

Methods (the estimand is the same: the mean over everyone who entered the programme):

* ``fiml``: saturated FIML model of the construct at every wave plus auxiliary variables
  (:func:`pipeline.stats.fiml_means.fiml_change`, Graham 2003), MAR given the auxiliaries.
  R: ``lavaan::sem(<saturated syntax>, missing = "ml", fixed.x = FALSE, estimator = "MLR")``.
* ``mi``: per completed data set the mean (change) and its variance s^2 / n, pooled by Rubin's
  rules with Barnard-Rubin df (:func:`pipeline.stats.pooling.pool_estimator`); the imputation
  model is the impute stage's (missing_data.columns). R: ``mice::pool.scalar``.
* ``ipw``: Hajek weighted mean of the change among people observed at both waves, weighted by
  the attrition model's inverse-probability-of-response weights ``ipw_<wave>``
  (:func:`pipeline.stats.weighted.hajek_mean`). R: ``survey::svymean``.
* ``complete_case``: mean change among people observed at both waves, t interval (n - 1 df).
  R: ``t.test(y1, y0, paired = TRUE)``.
* ``lmm``: the age+gender random-intercept model of :mod:`pipeline.change.trajectory` (its
  contrasts; d_z from the observed pairs).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from pipeline.errors import DataError, ModelError
from pipeline.stats.fiml_means import fiml_wave_means
from pipeline.stats.pooling import pool_estimator
from pipeline.stats.weighted import hajek_mean
from pipeline.status import Status

__all__ = ["RAW_KEYS", "model_frame", "auxiliaries_for", "fiml_rows", "fiml_rows_joint",
           "mi_rows", "ipw_rows",
           "complete_case_rows", "lmm_rows"]

RAW_KEYS = ["construct", "wave", "kind", "method", "est", "se", "df", "n_contributing",
            "n_observed", "sd_change", "status", "message", "auxiliaries"]
OK, NOT_ESTIMABLE = Status.OK.value, Status.NOT_ESTIMABLE.value


def _row(construct: str, wave: str, kind: str, method: str, **values) -> dict:
    row = {k: np.nan for k in RAW_KEYS}
    row.update(construct=construct, wave=wave, kind=kind, method=method, status=OK, message="",
               auxiliaries="")
    row.update(values)
    return row


def _failed(construct: str, waves: Sequence[str], method: str, message: str,
            wide: pd.DataFrame | None = None) -> list[dict]:
    """Not-estimable rows (every mean and contrast) saying why."""
    rows = []
    for k, w in enumerate(waves):
        n = int(wide[f"{construct}_{w}"].notna().sum()) if wide is not None else np.nan
        rows.append(_row(construct, w, "mean", method, n_observed=n, status=NOT_ESTIMABLE,
                         message=message))
        if k:
            rows.append(_row(construct, w, "contrast", method, n_observed=_n_pairs(
                wide, construct, waves[0], w) if wide is not None else np.nan,
                status=NOT_ESTIMABLE, message=message))
    return rows


def _n_pairs(wide: pd.DataFrame, construct: str, base: str, wave: str) -> int:
    return int((wide[f"{construct}_{base}"].notna() & wide[f"{construct}_{wave}"].notna()).sum())


def model_frame(wide: pd.DataFrame, covariates: Mapping[str, str]) -> pd.DataFrame:
    """``wide`` with each categorical covariate also as 0/1 columns ``<cov>_lvl<i>`` for its
    non-first levels (sorted; NaN where the covariate is missing), ready for the SEM engine."""
    frame = wide.copy()
    for c, kind in covariates.items():
        if kind == "numeric" or c not in frame:
            continue
        x = frame[c].astype(object).where(frame[c].notna())
        levels = sorted({str(v) for v in x.dropna()})
        for i, lev in enumerate(levels[1:], start=2):
            frame[f"{c}_lvl{i}"] = (x.astype(str) == lev).astype(float).where(x.notna())
    return frame


def auxiliaries_for(construct: str, scales: Sequence[str], waves: Sequence[str],
                    covariates: Mapping[str, str], setting: str | Sequence[str],
                    frame: pd.DataFrame) -> list[str]:
    """The auxiliary columns of ``construct`` (``change.auxiliary``): auto = every other scale
    at every wave + every covariate (categorical ones as their 0/1 columns); none; or a list
    (categorical covariates in it expanded to their 0/1 columns)."""
    if setting == "none":
        return []
    if setting == "auto":
        named = [f"{s}_{w}" for s in scales if s != construct for w in waves] + list(covariates)
    else:
        named = [a for a in setting if not a.startswith(f"{construct}_")]
    out = []
    for a in named:
        if a in covariates and covariates[a] != "numeric":
            out += sorted(c for c in frame.columns if c.startswith(f"{a}_lvl"))
        elif a in frame.columns:
            out.append(a)
    return out


def _fiml_table_rows(t: pd.DataFrame, label: str) -> list[dict]:
    rows = []
    for r in t.itertuples():
        w = r.column[len(r.outcome) + 1:]
        rows.append(_row(r.outcome, w, r.kind, "fiml", est=r.est, se=r.se, df=np.inf,
                         n_contributing=r.n_contributing, n_observed=r.n_observed,
                         sd_change=r.sd if r.kind == "contrast" else np.nan,
                         status=r.status, message=r.message, auxiliaries=label))
    return rows


def _usable_waves(frame: pd.DataFrame, construct: str, waves: Sequence[str],
                  min_obs: int) -> list[str]:
    """The first wave and the follow-ups observed for at least ``min_obs`` people (a wave
    answered by fewer is not estimated and stays out of the FIML model)."""
    return [w for k, w in enumerate(waves)
            if k == 0 or frame[f"{construct}_{w}"].notna().sum() >= min_obs]


def _withheld(construct: str, waves: Sequence[str], used: Sequence[str], frame: pd.DataFrame,
              min_obs: int) -> list[dict]:
    """Not-estimable FIML rows for the waves left out of the model."""
    rows = []
    for w in waves:
        if w in used:
            continue
        msg = f"fewer than {min_obs} people answered at {w}; left out of the FIML model"
        rows += [_row(construct, w, kind, "fiml", status=NOT_ESTIMABLE, message=msg)
                 for kind in ("mean", "contrast")]
    return rows


def fiml_rows(frame: pd.DataFrame, construct: str, waves: Sequence[str], aux: Sequence[str],
              se: str, conf: float, min_obs: int = 2) -> list[dict]:
    """FIML means and contrasts of one construct with ``aux``
    (:func:`pipeline.stats.fiml_means.fiml_wave_means`); waves (and auxiliaries) observed for
    fewer than ``min_obs`` people are left out."""
    used = _usable_waves(frame, construct, waves, min_obs)
    aux = [a for a in aux if frame[a].notna().sum() >= min_obs]
    rows = _withheld(construct, waves, used, frame, min_obs)
    if len(used) < 2:
        return rows + _failed(construct, waves[:1], "fiml", "no follow-up wave to compare")
    try:
        t = fiml_wave_means(frame, {construct: [f"{construct}_{w}" for w in used]}, aux, se=se,
                            conf=conf, name=f"change_fiml[{construct}]")
    except (DataError, ModelError) as exc:  # e.g. a singular model on a small study
        return rows + _failed(construct, used, "fiml", _not_estimable_why(exc), frame)
    return _fiml_table_rows(t, ", ".join(aux) if aux else "none") + rows


def _not_estimable_why(exc: Exception) -> str:
    """The status message of a FIML change model the data cannot support."""
    return f"the FIML model could not be estimated on these data: {exc}"


def fiml_rows_joint(frame: pd.DataFrame, constructs: Sequence[str], waves: Sequence[str],
                    covariate_cols: Sequence[str], se: str, conf: float,
                    min_obs: int = 2) -> list[dict]:
    """FIML rows of every construct from ONE saturated fit of all constructs at all waves plus
    the covariates: for ``auxiliary: auto`` this is the same model as one fit per construct
    with the others as auxiliaries (same variables, saturated), so the same estimates. Waves
    observed for fewer than ``min_obs`` people are left out of the model."""
    used = {k: _usable_waves(frame, k, waves, min_obs) for k in constructs}
    outcomes = {k: [f"{k}_{w}" for w in used[k]] for k in constructs if len(used[k]) > 1}
    rows = [r for k in constructs for r in _withheld(k, waves, used[k], frame, min_obs)]
    rows += [r for k in constructs if k not in outcomes
             for r in _failed(k, waves[:1], "fiml", "no follow-up wave to compare")]
    if not outcomes:
        return rows
    try:
        t = fiml_wave_means(frame, outcomes, covariate_cols, se=se, conf=conf,
                            name="change_fiml")
    except (DataError, ModelError) as exc:  # e.g. a singular model on a small study
        return rows + [r for k in outcomes
                       for r in _failed(k, used[k], "fiml", _not_estimable_why(exc), frame)]
    for k in outcomes:
        others = [c for o in outcomes if o != k for c in outcomes[o]] + list(covariate_cols)
        rows += _fiml_table_rows(t[t["outcome"] == k], ", ".join(others))
    return rows


def _mean_estimator(col: str, base: str | None):
    def estimate(df: pd.DataFrame) -> tuple[float, float, float]:
        x = df[col].to_numpy(float) - (df[base].to_numpy(float) if base else 0.0)
        return float(x.mean()), float(x.var(ddof=1) / x.size), float(x.size - 1)
    return estimate


def _imputed_fits(imputations, cols: Sequence[str]) -> tuple[list, list[list], list[list]]:
    """(items, fits, sds): per (wave column, baseline column or None) item, the mean
    estimator's (estimate, variance, df) and the SD of individual change on each completed data
    set, reading one completed data set at a time (``imputations``: the stacked data sets with
    ``_imp``, or :class:`pipeline.stage_io.ImputedSets`)."""
    items = [(col, None) for col in cols] + [(col, cols[0]) for col in cols[1:]]
    frames = ((d for _, d in imputations.groupby("_imp", sort=True))
              if isinstance(imputations, pd.DataFrame) else imputations.column_sets(list(cols)))
    fits: list[list] = [[] for _ in items]
    sds: list[list] = [[] for _ in items]
    for d in frames:
        for k, (col, base) in enumerate(items):
            fits[k].append(_mean_estimator(col, base)(d))
            if base:
                sds[k].append((d[col] - d[base]).std(ddof=1))
    return items, fits, sds


def _still_missing(imputations, cols: Sequence[str]) -> bool:
    if isinstance(imputations, pd.DataFrame):
        return bool(imputations[list(cols)].isna().any().any())
    return imputations.has_missing(cols)


def mi_rows(imputations, wide: pd.DataFrame, construct: str,
            waves: Sequence[str], source: str = "the imputations",
            auxiliaries: Sequence[str] = ()) -> list[dict]:
    """Rubin-pooled means and mean changes over the completed data sets. ``imputations``: the
    imputations file read by :func:`pipeline.stage_io.read_imputed` (one completed data set
    built at a time), or the stacked data sets with ``_imp`` = imputation number. Not
    estimable when there are no imputations or the construct was not imputed.
    ``auxiliaries`` (wide columns the FIML model conditions on) that the imputation model lacks
    are named in the message: MI then rests on less information than FIML."""
    cols = [f"{construct}_{w}" for w in waves]
    if imputations is None or imputations.empty:
        return _failed(construct, waves, "mi", f"no imputations ({source} is empty)", wide)
    absent = [c for c in cols if c not in imputations.columns]
    if absent or _still_missing(imputations, cols):
        what = f"{absent} are not in {source}" if absent else f"{source} still have missing values"
        return _failed(construct, waves, "mi", f"not imputed: {what}; add {construct} at every "
                       "wave to missing_data.columns", wide)
    n_sets = (imputations["_imp"].nunique() if isinstance(imputations, pd.DataFrame)
              else len(imputations))
    n_all, rows = len(wide), []
    if isinstance(imputations, pd.DataFrame):
        n_all = int((imputations["_imp"] == imputations["_imp"].min()).sum())
    if n_all < 2:
        return _failed(construct, waves, "mi", "fewer than 2 people: a mean has no standard "
                       "error, so multiple imputation cannot be pooled", wide)
    lacking = [a for a in auxiliaries if a not in imputations.columns]
    note = f"m = {n_sets} imputations" + (
        f"; the imputation model lacks auxiliaries of the FIML model: {', '.join(lacking)} "
        "(add them to missing_data.columns)" if lacking else "")
    items, fits, sds = _imputed_fits(imputations, cols)
    for k, (w, col) in enumerate(zip(waves, cols)):
        for kind, base in (("mean", None), ("contrast", cols[0])):
            if kind == "contrast" and not k:
                continue
            j = items.index((col, base))
            p = pool_estimator(fits[j], lambda f: f, terms=[col]).iloc[0]
            sd = float(np.mean(sds[j])) if base else np.nan
            n_obs = int(wide[col].notna().sum()) if base is None else _n_pairs(
                wide, construct, waves[0], w)
            rows.append(_row(construct, w, kind, "mi", est=p["estimate"], se=p["se"],
                             df=p["df"], n_contributing=n_all, n_observed=n_obs,
                             sd_change=sd, message=note))
    return rows


def ipw_rows(wide: pd.DataFrame, weights: pd.DataFrame | None, construct: str,
             waves: Sequence[str]) -> list[dict]:
    """Hajek means (weights ``ipw_<wave>``; the first wave unweighted) and weighted mean changes
    among people observed at both waves; t intervals on n - 1 df."""
    rows = []
    for k, w in enumerate(waves):
        col, base = f"{construct}_{w}", f"{construct}_{waves[0]}"
        if k == 0:
            wt = np.ones(len(wide))
        elif weights is None or f"ipw_{w}" not in weights.columns:
            rows += [r for r in _failed(construct, [waves[0], w], "ipw",
                                        f"no inverse-probability weights for wave {w}", wide)
                     if r["wave"] == w]
            continue
        else:
            wt = weights.set_index("pid")[f"ipw_{w}"].reindex(wide["pid"]).to_numpy(float)
        kinds = [("mean", wide[col].to_numpy(float))]
        if k:
            kinds.append(("contrast", (wide[col] - wide[base]).to_numpy(float)))
        for kind, y in kinds:
            est, se, n = hajek_mean(y, wt)
            ok = np.isfinite(est) and np.isfinite(se) and se > 0
            sd = float(np.nanstd(y, ddof=1)) if kind == "contrast" else np.nan
            rows.append(_row(construct, w, kind, "ipw", est=est if ok else np.nan,
                             se=se if ok else np.nan, df=float(n - 1), n_contributing=n,
                             n_observed=n, sd_change=sd, status=OK if ok else NOT_ESTIMABLE,
                             message="" if ok else "fewer than 2 weighted people, or no spread"))
    return rows


def complete_case_rows(wide: pd.DataFrame, construct: str, waves: Sequence[str]) -> list[dict]:
    """Mean change among people observed at both waves (paired t interval, n - 1 df)."""
    rows = []
    base = wide[f"{construct}_{waves[0]}"]
    for w in waves[1:]:
        d = (wide[f"{construct}_{w}"] - base).dropna().to_numpy(float)
        n = d.size
        ok = n >= 2 and d.std(ddof=1) > 0
        rows.append(_row(construct, w, "contrast", "complete_case",
                         est=float(d.mean()) if ok else np.nan,
                         se=float(d.std(ddof=1) / np.sqrt(n)) if ok else np.nan,
                         df=float(n - 1), n_contributing=n, n_observed=n,
                         sd_change=float(d.std(ddof=1)) if ok else np.nan,
                         status=OK if ok else NOT_ESTIMABLE,
                         message="" if ok else f"{n} people observed at {waves[0]} and {w}, "
                         "or no spread in their change"))
    return rows


def lmm_rows(means: pd.DataFrame, contrasts: pd.DataFrame, status: pd.DataFrame,
             wide: pd.DataFrame, construct: str, waves: Sequence[str]) -> list[dict]:
    """The mixed model's means and contrasts (change_means / change_contrasts), z intervals."""
    st = status[status["construct"] == construct]
    n_all = float(st["n_participants"].iloc[0]) if len(st) else np.nan
    covs = str(st["covariates"].iloc[0]) if len(st) and pd.notna(st["covariates"].iloc[0]) else ""
    rows = []
    m = means[(means["construct"] == construct) & means["method"].str.startswith("lmm")]
    c = contrasts[contrasts["construct"] == construct]
    for kind, tab in (("mean", m), ("contrast", c)):
        for r in tab.itertuples():
            col, base = f"{construct}_{r.wave}", f"{construct}_{waves[0]}"
            sd = ((wide[col] - wide[base]).std(ddof=1) if kind == "contrast" else np.nan)
            n_obs = (int(wide[col].notna().sum()) if kind == "mean"
                     else _n_pairs(wide, construct, waves[0], r.wave))
            rows.append(_row(construct, r.wave, kind, "lmm", est=r.est, se=r.se, df=np.inf,
                             n_contributing=n_all, n_observed=n_obs, sd_change=sd,
                             status=r.status, message=r.message if isinstance(r.message, str)
                             else "", auxiliaries=f"covariates: {covs}" if covs else ""))
    return rows
