"""The cross-lagged analysis of the configured sets of constructs, as plain tables.

For every analysis and model (CLPM, RI-CLPM; Hamaker, Kuiper & Grasman 2015) the model is fitted
by FIML with free and, when asked, stationary lagged effects (:func:`models.fit_crosslag`); the
two are compared by an LR test and, when both are fitted without covariates, the free CLPM
against the free RI-CLPM (:mod:`comparison`). Failed fits give a status row and no estimates.
The result holds every table, the lavaan syntax of every model and the plain data of every path
diagram; nothing is written here (``stage.py`` does the I/O).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from pipeline.crosslag import sentences
from pipeline.crosslag.comparison import clpm_vs_riclpm, compare_stationarity
from pipeline.crosslag.models import fit_crosslag, lagged_effects, model_syntax
from pipeline.crosslag.settings import CrosslagSettings
from pipeline.errors import DataError, ModelError
from pipeline.sem import SEMResult
from pipeline.status import Status, status_row

__all__ = ["FIT_KEYS", "STATUS_COLUMNS", "PathFigure", "CrosslagResults", "wave_spacing",
           "analyse"]

log = logging.getLogger("pipeline.crosslag.models")

METHOD = "fiml"
FIT_KEYS = ["npar", "logl", "unrestricted.logl", "chisq", "df", "pvalue", "cfi", "tli", "rmsea",
            "rmsea.ci.lower", "rmsea.ci.upper", "rmsea.pvalue", "srmr", "aic", "bic", "ntotal"]
STATUS_COLUMNS = ["analysis", "model", "constraint", "method", "status", "exploratory",
                  "message", "note"]
TESTS = {"stationarity": "stationary vs free lagged effects",
         "random_intercepts": "random intercepts (RI-CLPM) vs none (CLPM)"}


@dataclass(frozen=True)
class PathFigure:
    """Plain data of one path diagram: the free model's lagged effects (``None``: not estimable,
    ``message`` says why)."""

    constructs: tuple[str, ...]
    lagged: pd.DataFrame | None
    title: str
    note: str = ""
    message: str = ""


@dataclass
class CrosslagResults:
    """Rows of every table, lavaan syntax per file stem, path-diagram data per figure stem."""

    estimates: list[pd.DataFrame] = field(default_factory=list)
    fit: list[dict[str, Any]] = field(default_factory=list)
    lagged: list[pd.DataFrame] = field(default_factory=list)
    status: list[dict[str, Any]] = field(default_factory=list)
    comparison: list[dict[str, Any]] = field(default_factory=list)
    syntax: dict[str, str] = field(default_factory=dict)
    figures: dict[str, PathFigure] = field(default_factory=dict)

    def tables(self) -> dict[str, pd.DataFrame]:
        """``estimates, fit, lagged, status, comparison`` as data frames (empty: no columns)."""
        def concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
            return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()

        status = pd.DataFrame(self.status)
        return {"estimates": concat(self.estimates), "fit": pd.DataFrame(self.fit),
                "lagged": concat(self.lagged),
                "status": status[STATUS_COLUMNS] if len(status) else status,
                "comparison": pd.DataFrame(self.comparison)}


def wave_spacing(waves: tuple[str, ...], months: dict[str, float]) -> pd.DataFrame:
    """``wave, months, lag_months``: the time between consecutive modelled waves."""
    spacing = pd.DataFrame({"wave": list(waves), "months": [months[w] for w in waves]})
    spacing["lag_months"] = spacing["months"].diff()
    return spacing


def _status(name: str, model: str, constraint: str, status: Status | str, message: str,
            exploratory: bool = False, note: str = "") -> dict[str, Any]:
    return status_row(name, METHOD, status, message, model=model, constraint=constraint,
                      exploratory=exploratory, note=note)


def _fit(wide: pd.DataFrame, s: CrosslagSettings, name: str, model: str, constraint: str,
         months: dict[str, float]) -> tuple[SEMResult | None, dict[str, Any]]:
    """One fit and its status row; ``None`` when the data cannot support the model."""
    a, waves = s.analyses[name], list(s.waves)
    stationary = constraint == "stationary"
    covs = list(a.covariates) if model == "riclpm" else None
    try:
        res = fit_crosslag(wide, list(a.constructs), waves, model, stationary, covariates=covs,
                           se=s.se, information=s.information, min_df=s.exploratory_min_df,
                           min_n_last=s.exploratory_min_n_last_wave)
    except (DataError, ModelError) as exc:
        # the data cannot support this model: record why, go on with the others
        log.warning("%s %s %s: not estimable: %s", name, model, constraint, exc)
        return None, _status(name, model, constraint, Status.NOT_ESTIMABLE, str(exc))
    log.info("%s %s %s: %s %s", name, model, constraint, res.status, res.message)
    lags = np.diff([months[w] for w in waves])
    note = res.note
    if stationary and len(set(lags)) > 1:
        note = sentences.join_notes(note, sentences.unequal_spacing_note(lags))
    return res, _status(name, model, constraint, res.status, res.message, res.exploratory, note)


def _report(out: CrosslagResults, res: SEMResult, key: dict[str, str],
            constructs: list[str], waves: list[str], months: dict[str, float]) -> pd.DataFrame:
    """Add the estimates, fit and lagged-effect rows of an ok fit; return its lagged effects."""
    est = res.estimates.copy()
    for k, v in reversed(key.items()):
        est.insert(0, k, v)
    est["method"] = METHOD
    est["n"] = res.n_obs
    out.estimates.append(est)
    out.fit.append({**key, "n": res.n_obs, "n_patterns": res.n_patterns,
                    **{k: res.fit.get(k) for k in FIT_KEYS}})
    lag = lagged_effects(res, constructs, waves)
    for i, (k, v) in enumerate(key.items()):
        lag.insert(i, k, v)
    lag["lag_months"] = lag["to_wave"].map(months) - lag["from_wave"].map(months)
    out.lagged.append(lag)
    return lag


def _analyse_model(wide: pd.DataFrame, s: CrosslagSettings, name: str, model: str,
                   months: dict[str, float], out: CrosslagResults) -> SEMResult | None:
    """Fit one model of one analysis under each constraint; return the free fit."""
    a, waves = s.analyses[name], list(s.waves)
    fits: dict[str, SEMResult | None] = {}
    rows: dict[str, dict[str, Any]] = {}
    free_lag = None
    for constraint in s.constraints:
        covs = list(a.covariates) if model == "riclpm" else None
        out.syntax[f"crosslag_{name}_{model}_{constraint}"] = (
            sentences.syntax_header(name, model, constraint)
            + model_syntax(model, list(a.constructs), waves,
                           stationary=constraint == "stationary", covariates=covs))
        res, row = _fit(wide, s, name, model, constraint, months)
        out.status.append(row)
        fits[constraint], rows[constraint] = res, row
        if res is None or not res.ok:
            continue  # estimates of a failed fit are never reported
        key = {"analysis": name, "model": model, "constraint": constraint}
        lag = _report(out, res, key, list(a.constructs), waves, months)
        if constraint == "free":
            free_lag = lag
    if "stationary" in fits:
        out.comparison.append({"analysis": name, "model": model, "test": TESTS["stationarity"],
                               **compare_stationarity(fits["free"], fits["stationary"])})
    free = fits.get("free")
    ok = free_lag is not None and len(free_lag) > 0
    out.figures[f"crosslag_{name}_{model}"] = PathFigure(
        constructs=a.constructs, lagged=free_lag if ok else None,
        title=sentences.figure_title(model), note=free.note if free is not None else "",
        message="" if ok else sentences.not_estimable(rows["free"]["status"],
                                                      rows["free"]["message"]))
    return free


def analyse(wide: pd.DataFrame, s: CrosslagSettings, months: dict[str, float]) -> CrosslagResults:
    """Every configured cross-lagged analysis of the wide data.

    ``months``: wave id -> months since baseline (for lag lengths and the unequal-spacing note).
    """
    out = CrosslagResults()
    for name, a in s.analyses.items():
        fitted = s.fitted_models(name)
        free_fits: dict[str, SEMResult | None] = {}
        for model in a.models:
            if model not in fitted:
                out.status.append(_status(name, model, "free", Status.NOT_ESTIMABLE,
                                          sentences.RICLPM_NEEDS_3_WAVES))
                continue
            free_fits[model] = _analyse_model(wide, s, name, model, months, out)
        if {"clpm", "riclpm"} <= set(free_fits) and not a.covariates:
            out.comparison.append({
                "analysis": name, "model": "clpm vs riclpm", "test": TESTS["random_intercepts"],
                **clpm_vs_riclpm(free_fits["clpm"], free_fits["riclpm"], len(a.constructs))})
    return out
