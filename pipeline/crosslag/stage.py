"""Cross-lagged panel models: CLPM and RI-CLPM by FIML for each configured set of constructs,
free and with stationary (time-invariant) lagged effects, with the LR test between them."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pipeline.config import Config
from pipeline.crosslag.models import (
    clpm_syntax,
    fit_crosslag,
    lagged_effects,
    riclpm_syntax,
)
from pipeline.errors import ConfigError, DataError, ModelError
from pipeline.crosslag.figures import plot_lagged_paths
from pipeline.sem import lr_test
from pipeline.tables import write_table

log = logging.getLogger("pipeline.crosslag.models")

DEFAULTS: dict[str, Any] = {
    "waves": None,
    "models": ["clpm", "riclpm"],
    "stationarity_test": True,
    "covariates": [],
    "se": "standard",
    "information": None,
    "exploratory_min_df": 5,
    "exploratory_min_n_last_wave": 100,
    "analyses": None,
}
FIT_KEYS = ["npar", "logl", "unrestricted.logl", "chisq", "df", "pvalue", "cfi", "tli", "rmsea",
            "rmsea.ci.lower", "rmsea.ci.upper", "rmsea.pvalue", "srmr", "aic", "bic", "ntotal"]


def crosslag_settings(cfg: Config) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """The ``crosslag`` section with defaults, and the named analyses (each: constructs,
    models, covariates). Default analysis: the five social-cure constructs (all scales)."""
    section = cfg.section("crosslag")
    unknown = sorted(set(section) - set(DEFAULTS))
    if unknown:
        raise ConfigError(f"config key crosslag: unknown key(s) {unknown}. Allowed: {sorted(DEFAULTS)}.")
    s = {**DEFAULTS, **section}
    waves = s["waves"] or cfg.wave_ids
    bad = [w for w in waves if w not in cfg.wave_ids]
    if bad:
        raise ConfigError(f"config key crosslag.waves: {bad} are not configured waves {cfg.wave_ids}.")
    if len(waves) < 2:
        raise ConfigError("config key crosslag.waves: cross-lagged models need at least 2 waves.")
    s["waves"] = waves
    analyses = s["analyses"] or {"all_constructs": {"constructs": list(cfg.scales)}}
    out = {}
    for name, a in analyses.items():
        a = dict(a or {})
        cons = a.get("constructs") or []
        bad = [c for c in cons if c not in cfg.scales]
        if len(cons) < 1 or bad:
            raise ConfigError(
                f"config key crosslag.analyses.{name}.constructs: {bad or cons} - give scale keys "
                f"from {list(cfg.scales)}."
            )
        models = a.get("models", s["models"])
        if any(m not in ("clpm", "riclpm") for m in models):
            raise ConfigError(f"config key crosslag.analyses.{name}.models: use clpm and/or riclpm.")
        covs = a.get("covariates", s["covariates"]) or []
        bad = [c for c in covs if c not in cfg.covariates]
        if bad:
            raise ConfigError(
                f"config key crosslag.analyses.{name}.covariates: {bad} are not covariates "
                f"{list(cfg.covariates)}."
            )
        out[name] = {"constructs": cons, "models": models, "covariates": covs}
    return s, out


def clpm_vs_riclpm(name: str, clpm, riclpm, k: int) -> dict[str, Any]:
    """Likelihood-ratio comparison of the CLPM with the RI-CLPM (Hamaker et al. 2015).

    The CLPM is the RI-CLPM with the k random-intercept variances and their k(k-1)/2
    covariances fixed at zero. Because variances are tested on the boundary of their space, the
    statistic follows a chi-bar-square mixture (Stoel et al. 2006), not chi2(df): the p-value
    from chi2(df) given here is conservative (too large). AIC and BIC are reported alongside.
    """
    from scipy import stats

    row = {"analysis": name, "model": "clpm vs riclpm",
           "test": "random intercepts (RI-CLPM) vs none (CLPM)"}
    if clpm is None or riclpm is None or not (clpm.ok and riclpm.ok):
        bad = next((f for f in (clpm, riclpm) if f is not None and not f.ok), None)
        row.update(chisq_diff=None, df_diff=None, pvalue=None, status="not_estimable",
                   message=bad.message if bad is not None else "one of the models was not fitted")
        return row
    diff = clpm.fit["chisq"] - riclpm.fit["chisq"]
    ddf = clpm.fit["df"] - riclpm.fit["df"]
    expected = k * (k + 1) // 2
    message = ("p from chi2(df) is conservative: random-intercept variances are tested on the "
               "boundary (chi-bar-square, Stoel et al. 2006). "
               f"AIC CLPM {clpm.fit['aic']:.1f} vs RI-CLPM {riclpm.fit['aic']:.1f}; "
               f"BIC {clpm.fit['bic']:.1f} vs {riclpm.fit['bic']:.1f}.")
    if ddf != expected:
        message += f" Note: df difference {ddf:g} differs from the {expected} RI parameters."
    row.update(chisq_diff=diff, df_diff=ddf, pvalue=float(stats.chi2.sf(max(diff, 0.0), ddf)),
               status="ok", message=message)
    return row


def add_arguments(p) -> None:
    p.add_argument("--wide", required=True)
    p.add_argument("--outdir", required=True)
    p.add_argument("--figdir", required=True)
    p.add_argument("--modeldir", required=True, help="folder for the lavaan syntax of each model")


def run(cfg: Config, args) -> None:
    wide = pd.read_parquet(args.wide)
    s, analyses = crosslag_settings(cfg)
    waves = s["waves"]
    months = {w.id: w.months for w in cfg.waves}
    out, fig, mdir = Path(args.outdir), Path(args.figdir), Path(args.modeldir)
    mdir.mkdir(parents=True, exist_ok=True)
    est_rows, fit_rows, lag_rows, status_rows, comp_rows = [], [], [], [], []
    kw = dict(se=s["se"], information=s["information"], min_df=s["exploratory_min_df"],
              min_n_last=s["exploratory_min_n_last_wave"])
    for name, a in analyses.items():
        cons = a["constructs"]
        free_fits: dict[str, Any] = {}
        for model in a["models"]:
            if model == "riclpm" and len(waves) < 3:
                status_rows.append({"analysis": name, "model": model, "constraint": "free",
                                    "method": "fiml", "status": "not_estimable", "exploratory": False,
                                    "message": "an RI-CLPM needs at least 3 waves (Hamaker et al. 2015)",
                                    "note": ""})
                continue
            fits, free_lag = {}, None
            for constraint in (["free", "stationary"] if s["stationarity_test"] and len(waves) > 2
                               else ["free"]):
                stationary = constraint == "stationary"
                covs = a["covariates"] if model == "riclpm" else None
                syntax = (riclpm_syntax(cons, waves, stationary=stationary, covariates=covs)
                          if model == "riclpm" else clpm_syntax(cons, waves, stationary=stationary))
                call = ('lavaan(model, data, missing = "ml", meanstructure = TRUE, '
                        'int.ov.free = TRUE, fixed.x = FALSE)' if model == "riclpm" else
                        'sem(model, data, missing = "ml", fixed.x = FALSE)')
                (mdir / f"crosslag_{name}_{model}_{constraint}.lav").write_text(
                    f"# {model.upper()} '{name}' ({constraint} lagged effects), as fitted by the "
                    f"pipeline.\n# Reproduce in R with lavaan: fit <- {call}\n" + syntax)
                key = {"analysis": name, "model": model, "constraint": constraint}
                try:
                    res = fit_crosslag(wide, cons, waves, model, stationary, covariates=covs, **kw)
                except (DataError, ModelError) as exc:
                    # the data cannot support this model: record why, go on with the others
                    log.warning("%s %s %s: not estimable: %s", name, model, constraint, exc)
                    status_rows.append({**key, "method": "fiml", "status": "not_estimable",
                                        "exploratory": False, "message": str(exc), "note": ""})
                    fits[constraint] = None
                    continue
                fits[constraint] = res
                log.info("%s %s %s: %s %s", name, model, constraint, res.status, res.message)
                note = res.note
                if stationary and len(set(np.diff([months[w] for w in waves]))) > 1:
                    note = (note + " " if note else "") + (
                        "Stationarity constrains lagged effects to be equal although the waves "
                        "are unequally spaced (lags of "
                        + ", ".join(f"{d:g}" for d in np.diff([months[w] for w in waves]))
                        + " months); equal effects per lag are then not equal per month.")
                status_rows.append({**key, "method": "fiml", "status": res.status,
                                    "exploratory": res.exploratory, "message": res.message,
                                    "note": note})
                if not res.ok:
                    continue  # estimates of a failed fit are never reported
                est = res.estimates.copy()
                for k, v in reversed(key.items()):
                    est.insert(0, k, v)
                est["method"] = "fiml"
                est["n"] = res.n_obs
                est_rows.append(est)
                fit_rows.append({**key, "n": res.n_obs, "n_patterns": res.n_patterns,
                                 **{k: res.fit.get(k) for k in FIT_KEYS}})
                lag = lagged_effects(res, cons, waves)
                lag.insert(0, "constraint", constraint)
                lag.insert(0, "model", model)
                lag.insert(0, "analysis", name)
                lag["lag_months"] = lag["to_wave"].map(months) - lag["from_wave"].map(months)
                lag_rows.append(lag)
                if constraint == "free":
                    free_lag = lag
            if "stationary" in fits:
                free, stat = fits["free"], fits["stationary"]
                row = {"analysis": name, "model": model, "test": "stationary vs free lagged effects"}
                if free is not None and stat is not None and free.ok and stat.ok:
                    lr = lr_test(stat, free)
                    row.update(chisq_diff=lr["chisq_diff"], df_diff=lr["df_diff"],
                               pvalue=lr["pvalue"], status="ok", message="")
                else:
                    bad = next((f for f in (free, stat) if f is not None and not f.ok), None)
                    row.update(chisq_diff=None, df_diff=None, pvalue=None,
                               status="not_estimable",
                               message=bad.message if bad is not None else
                               "one of the two models could not be fitted (see crosslag_status)")
                comp_rows.append(row)
            free_fits[model] = fits.get("free")
            if free_lag is not None and len(free_lag):
                plot_lagged_paths(
                    free_lag, cons, waves, fig / f"crosslag_{name}_{model}",
                    labels={k: cfg.scales[k].label for k in cons},
                    wave_labels={w.id: f"{w.id} ({w.months:g} mo)" for w in cfg.waves},
                    title=f"{'RI-CLPM (within-person)' if model == 'riclpm' else 'CLPM'}: "
                          "lagged effects, free model",
                    note=fits["free"].note if fits.get("free") is not None else "",
                )
        if {"clpm", "riclpm"} <= set(free_fits) and not a["covariates"]:
            comp_rows.append(clpm_vs_riclpm(name, free_fits["clpm"], free_fits["riclpm"], len(cons)))
    spacing = pd.DataFrame({"wave": waves, "months": [months[w] for w in waves]})
    spacing["lag_months"] = spacing["months"].diff()
    write_table(spacing, out / "crosslag_wave_spacing.csv")
    write_table(pd.concat(est_rows, ignore_index=True) if est_rows else pd.DataFrame(),
                out / "crosslag_estimates.csv")
    write_table(pd.DataFrame(fit_rows), out / "crosslag_fit.csv")
    write_table(pd.concat(lag_rows, ignore_index=True) if lag_rows else pd.DataFrame(),
                out / "crosslag_lagged_effects.csv")
    write_table(pd.DataFrame(status_rows), out / "crosslag_status.csv")
    write_table(pd.DataFrame(comp_rows), out / "crosslag_comparison.csv")
