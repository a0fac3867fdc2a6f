"""The cross-lagged analysis of the configured sets of constructs, as plain tables.

For every analysis and model (CLPM, RI-CLPM; Hamaker, Kuiper & Grasman 2015) the model is fitted
by FIML (robust MLR standard errors by default, config ``crosslag.se``; with ``se: bootstrap``
bootstrap SEs and percentile intervals, seeded per model with ``seed_for(seed,
"crosslag/<analysis>/<model>/<constraint>/bootstrap")``) with free and, when asked, stationary
lagged effects (:func:`models.fit_crosslag`); the two are compared by an LR
test and, when both are fitted without covariates, the free CLPM against the free RI-CLPM by the
chi-bar-square test (:mod:`comparison`). The headline model is the RI-CLPM (stationary where the
stationarity test allows it; :mod:`roles`), the CLPM is for comparison only, and cross-lagged
p-values are Holm-adjusted within each model (``pvalue_holm``). Failed fits give a status row and
no estimates; an analysis whose RI-CLPM is not estimable has no headline (its headline status row
says why and what helps; the CLPM never stands in). The result holds every table, the lavaan
syntax of every model and the plain data of every figure; nothing is written here
(``stage.py`` does the I/O).
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
from pipeline.crosslag.roles import Headline, add_roles, choose_headline, role_of
from pipeline.crosslag.settings import CrosslagSettings
from pipeline.errors import DataError, ModelError
from pipeline.seeds import seed_for
from pipeline.sem import SEMResult
from pipeline.status import Status, status_row

__all__ = ["FIT_KEYS", "STATUS_COLUMNS", "LAGGED_COLUMNS", "PathFigure", "CrosslagResults",
           "wave_spacing", "analyse"]

log = logging.getLogger("pipeline.crosslag.models")

METHOD = "fiml"
FIT_KEYS = ["npar", "logl", "unrestricted.logl", "chisq", "df", "pvalue", "cfi", "tli", "rmsea",
            "rmsea.ci.lower", "rmsea.ci.upper", "rmsea.pvalue", "srmr", "aic", "bic", "ntotal"]
STATUS_COLUMNS = ["analysis", "model", "constraint", "method", "status", "exploratory",
                  "message", "note", "role"]
COMPARISON_COLUMNS = ["analysis", "model", "test", "chisq_diff", "df_diff", "pvalue",
                      "pvalue_chi2", "reference", "status", "message"]
LAGGED_COLUMNS = ["analysis", "role", "model", "constraint", "stationary", "from", "to",
                  "from_wave", "to_wave", "type", "label", "est", "se", "z", "pvalue",
                  "pvalue_holm", "holm_m", "finding", "ci_lower", "ci_upper", "std_all",
                  "std_all_se", "lag_months", "method", "se_type", "n"]
TESTS = {"stationarity": "stationary vs free lagged effects",
         "random_intercepts": "random intercepts (RI-CLPM) vs none (CLPM)"}


@dataclass(frozen=True)
class PathFigure:
    """Plain data of one lagged-effects figure: one model version's lagged effects with their
    roles and Holm p-values (``None``: not estimable, ``message`` says why)."""

    constructs: tuple[str, ...]
    lagged: pd.DataFrame | None
    title: str
    note: str = ""
    message: str = ""
    highlight: bool = False   # colour findings (the headline model only)


@dataclass
class _ModelFits:
    """One model of one analysis under each constraint: fits, status rows, lagged tables."""

    fits: dict[str, SEMResult | None] = field(default_factory=dict)
    rows: dict[str, dict[str, Any]] = field(default_factory=dict)
    lagged: dict[str, pd.DataFrame] = field(default_factory=dict)
    stationarity_p: float | None = None


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
        lagged = concat(self.lagged)
        return {"estimates": concat(self.estimates), "fit": pd.DataFrame(self.fit),
                "lagged": lagged[LAGGED_COLUMNS] if len(lagged) else lagged,
                "status": status[STATUS_COLUMNS] if len(status) else status,
                # no test to make (e.g. two waves: no stationarity test, no RI-CLPM): the
                # header only, so that readers find the columns
                "comparison": pd.DataFrame(self.comparison) if self.comparison
                else pd.DataFrame(columns=COMPARISON_COLUMNS)}


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
         months: dict[str, float], processes: int = 1) -> tuple[SEMResult | None, dict[str, Any]]:
    """One fit and its status row; ``None`` when the data cannot support the model."""
    a, waves = s.analyses[name], list(s.waves)
    stationary = constraint == "stationary"
    covs = list(a.covariates) if model == "riclpm" else None
    boot = {}
    if s.se == "bootstrap":
        boot = dict(bootstrap_B=s.bootstrap_B, processes=processes,
                    seed=seed_for(s.seed, f"crosslag/{name}/{model}/{constraint}/bootstrap"))
    try:
        res = fit_crosslag(wide, list(a.constructs), waves, model, stationary, covariates=covs,
                           se=s.se, information=s.information, min_df=s.exploratory_min_df,
                           min_n_last=s.exploratory_min_n_last_wave, **boot)
    except (DataError, ModelError) as exc:
        # the data cannot support this model: record why, go on with the others
        log.warning("%s %s %s: not estimable: %s", name, model, constraint, exc)
        return None, _status(name, model, constraint, Status.NOT_ESTIMABLE, str(exc))
    log.info("%s %s %s: %s %s", name, model, constraint, res.status, res.message)
    lags = np.diff([months[w] for w in waves])
    note = res.note
    if res.ok and s.se == "bootstrap":
        note = sentences.join_notes(note, sentences.bootstrap_note(s.bootstrap_B))
    if stationary and len(set(lags)) > 1:
        note = sentences.join_notes(note, sentences.unequal_spacing_note(lags))
    return res, _status(name, model, constraint, res.status, res.message, res.exploratory, note)


def _report(out: CrosslagResults, res: SEMResult, key: dict[str, str],
            constructs: list[str], waves: list[str], months: dict[str, float]) -> pd.DataFrame:
    """Add the estimates and fit rows of an ok fit; return its lagged effects (the roles are
    added once the headline is known)."""
    est = res.estimates.copy()
    for k, v in reversed(key.items()):
        est.insert(0, k, v)
    est["method"] = METHOD
    se_type = sentences.se_kind(res.options.get("se", ""), res.options.get("bootstrap"))
    est["se_type"] = se_type
    est["n"] = res.n_obs
    out.estimates.append(est)
    out.fit.append({**key, "n": res.n_obs, "n_patterns": res.n_patterns,
                    **{k: res.fit.get(k) for k in FIT_KEYS}})
    lag = lagged_effects(res, constructs, waves)
    for i, (k, v) in enumerate(key.items()):
        lag.insert(i, k, v)
    lag["lag_months"] = lag["to_wave"].map(months) - lag["from_wave"].map(months)
    lag["method"], lag["se_type"], lag["n"] = METHOD, se_type, res.n_obs
    return lag


def _analyse_model(wide: pd.DataFrame, s: CrosslagSettings, name: str, model: str,
                   months: dict[str, float], out: CrosslagResults,
                   processes: int = 1) -> _ModelFits:
    """Fit one model of one analysis under each constraint (estimates, fit, syntax and the
    stationarity comparison go to ``out``; status rows and lagged tables are returned)."""
    a, waves = s.analyses[name], list(s.waves)
    m = _ModelFits()
    for constraint in s.constraints:
        covs = list(a.covariates) if model == "riclpm" else None
        out.syntax[f"crosslag_{name}_{model}_{constraint}"] = (
            sentences.syntax_header(name, model, constraint, s.se, s.bootstrap_B)
            + model_syntax(model, list(a.constructs), waves,
                           stationary=constraint == "stationary", covariates=covs))
        res, m.rows[constraint] = _fit(wide, s, name, model, constraint, months, processes)
        m.fits[constraint] = res
        if res is None or not res.ok:
            continue  # estimates of a failed fit are never reported
        key = {"analysis": name, "model": model, "constraint": constraint}
        m.lagged[constraint] = _report(out, res, key, list(a.constructs), waves, months)
    if "stationary" in m.fits:
        row = compare_stationarity(m.fits["free"], m.fits["stationary"])
        m.stationarity_p = row["pvalue"] if row["status"] == Status.OK.value else None
        out.comparison.append({"analysis": name, "model": model,
                               "test": TESTS["stationarity"], **row})
    return m


def _headline(models: dict[str, _ModelFits], alpha: float) -> Headline:
    ri = models.get("riclpm")
    if ri is None:
        return Headline(None, "the RI-CLPM was not fitted (it is not in this analysis's "
                              "models, or there are fewer than 3 waves).")
    return choose_headline({c: f is not None and f.ok for c, f in ri.fits.items()},
                           ri.stationarity_p, alpha)


def _assign_roles(name: str, model: str, m: _ModelFits, headline: Headline, alpha: float,
                  out: CrosslagResults) -> None:
    """Role, notes and Holm p-values of every version of one model; rows go to ``out``."""
    for constraint, row in m.rows.items():
        role = role_of(model, constraint, headline)
        lag = m.lagged.get(constraint)
        if lag is not None:
            lag = add_roles(lag, model, constraint, headline, alpha)
            m.lagged[constraint] = lag
            out.lagged.append(lag)
        n_holm = int(lag["holm_m"].max()) if lag is not None and lag["holm_m"].notna().any() else 0
        if model == "clpm":
            extra = sentences.CLPM_COMPARISON_ONLY[0].upper() + sentences.CLPM_COMPARISON_ONLY[1:]
            extra += ". " + sentences.holm_note(n_holm, alpha)
        elif role == "headline":
            extra = sentences.headline_note(constraint, headline.reason, n_holm, alpha)
        elif headline.constraint is None and constraint == "free":
            role = "headline"  # the headline row says why there is no headline estimate
            extra = sentences.no_headline_note(headline.reason)
        else:
            extra = sentences.alternative_note(constraint, headline.constraint)
        row["role"] = role
        row["note"] = sentences.join_notes(extra, row["note"])
        out.status.append(row)


def _figure(name: str, a_constructs: tuple[str, ...], model: str, m: _ModelFits,
            headline: Headline) -> PathFigure:
    """The figure of one model: the headline version for the RI-CLPM, the CLPM under the same
    constraint (else free) for comparison; a placeholder saying why when not estimable."""
    if model == "riclpm":
        constraint = headline.constraint or "free"
    else:
        constraint = headline.constraint if headline.constraint in m.lagged else "free"
    role = role_of(model, constraint, headline)
    lag = m.lagged.get(constraint)
    row = m.rows.get(constraint, {})
    title = sentences.figure_title(model, constraint, role)
    if lag is None or not len(lag):
        detail = row.get("message", "")
        if model == "riclpm" and headline.constraint is None:
            title = "Headline: RI-CLPM (within-person) \u2014 not estimable"
            why = sentences.no_headline_note(headline.reason)
            if "What can help" in detail:
                why = why.replace(" " + sentences.WHAT_HELPS, "")
            detail = sentences.join_notes(why, detail)
        message = sentences.not_estimable(row.get("status", "not_estimable"), detail)
        return PathFigure(a_constructs, None, title, message=message)
    return PathFigure(a_constructs, lag, title, note=row.get("note", ""),
                      highlight=role == "headline")


def analyse(wide: pd.DataFrame, s: CrosslagSettings, months: dict[str, float],
            processes: int = 1) -> CrosslagResults:
    """Every configured cross-lagged analysis of the wide data.

    ``months``: wave id -> months since baseline (for lag lengths and the unequal-spacing note);
    ``processes``: worker processes of the bootstrap (the rule's threads; results do not
    depend on it).
    """
    out = CrosslagResults()
    for name, a in s.analyses.items():
        fitted = s.fitted_models(name)
        models: dict[str, _ModelFits] = {}
        for model in a.models:
            if model not in fitted:
                status, why = s.riclpm_wait
                row = _status(name, model, "free", status, why)
                row.update(role="headline", note=sentences.no_headline_note(why + "."))
                out.status.append(row)
                continue
            models[model] = _analyse_model(wide, s, name, model, months, out, processes)
        headline = _headline(models, s.alpha)
        for model, m in models.items():
            _assign_roles(name, model, m, headline, s.alpha, out)
            out.figures[f"crosslag_{name}_{model}"] = _figure(name, a.constructs, model, m,
                                                              headline)
        if {"clpm", "riclpm"} <= set(models) and not a.covariates:
            out.comparison.append({
                "analysis": name, "model": "clpm vs riclpm", "test": TESTS["random_intercepts"],
                **clpm_vs_riclpm(models["clpm"].fits.get("free"),
                                 models["riclpm"].fits.get("free"), len(a.constructs))})
    return out
