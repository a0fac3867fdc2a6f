"""Missing data stage: MICE imputations, convergence plots, the primary estimate by complete
cases and by MI, and the delta-adjusted (MNAR) tipping-point analysis."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.config import Config
from pipeline.errors import ConfigError
from pipeline.figures.imputation import plot_chains, plot_observed_vs_imputed, plot_tipping_point
from pipeline.impute import complete_cases, mice, settings_from_config
from pipeline.pooling import pool_estimator
from pipeline.seeds import seed_for
from pipeline.sensitivity import tipping_delta, tipping_point, tipping_sentence
from pipeline.tables import write_parquet, write_table

log = logging.getLogger("pipeline.impute")


def add_arguments(p) -> None:
    p.add_argument("--wide", required=True)
    p.add_argument("--out-imputations", required=True)
    p.add_argument("--outdir", required=True, help="tables folder")
    p.add_argument("--figdir", required=True)
    p.add_argument("--summary", required=True, help="JSON with settings, statuses, sentence")
    p.add_argument("--weights", default=None, help="IPW weights parquet from the attrition stage")


def impute_columns(cfg: Config, wide: pd.DataFrame, section: dict) -> list[str]:
    """Columns of the imputation model: configured, or every covariate and scale x wave score
    (inclusive strategy: all waves and auxiliaries, Collins, Schafer & Kam 2001)."""
    cols = section.get("columns") or (
        list(cfg.covariates) + [f"{s}_{w}" for w in cfg.wave_ids for s in cfg.scales]
    )
    missing = [c for c in cols if c not in wide.columns]
    if missing:
        raise ConfigError(
            f"config key missing_data.columns: {missing} are not columns of the wide data "
            f"(available: {[c for c in wide.columns if c != 'pid']})."
        )
    return cols


def change_estimator(outcome: str, baseline: str):
    """Estimator of the mean change ``outcome - baseline``: (mean, var/n, n - 1)."""

    def estimate(df: pd.DataFrame):
        d = (df[outcome] - df[baseline]).to_numpy(dtype=float)
        d = d[np.isfinite(d)]
        n = d.size
        if n < 2:
            return np.nan, np.nan, np.nan
        return float(d.mean()), float(d.var(ddof=1) / n), float(n - 1)

    return estimate


def weighted_mean_change(d: np.ndarray, w: np.ndarray) -> tuple[float, float, int]:
    """Inverse-probability-weighted mean of ``d`` with a robust (sandwich) SE.

    Hajek estimator sum(w d) / sum(w) over people with finite d and w; its linearisation
    variance sum(w^2 (d - est)^2) / (sum w)^2 (weights treated as known; Lumley 2010 ch. 2).
    """
    ok = np.isfinite(d) & np.isfinite(w) & (w > 0)
    d, w = d[ok], w[ok]
    if d.size < 2:
        return np.nan, np.nan, int(d.size)
    est = float(np.sum(w * d) / np.sum(w))
    se = float(np.sqrt(np.sum(w**2 * (d - est) ** 2)) / np.sum(w))
    return est, se, int(d.size)


def _deltas(spec) -> list[float]:
    if isinstance(spec, dict):
        lo, hi, step = float(spec["from"]), float(spec["to"]), float(spec["step"])
        return [float(x) for x in np.round(np.arange(lo, hi + step / 2, step), 10)]
    return [float(x) for x in spec]


def run(cfg: Config, args) -> None:
    wide = pd.read_parquet(args.wide)
    section = cfg.section("missing_data")
    sens = dict(section.pop("sensitivity", None) or {})
    cols = impute_columns(cfg, wide, section)
    section.pop("columns", None)
    primary_method = section.pop("primary", "fiml")
    if primary_method not in ("fiml", "mi", "complete_case", "ipw"):
        raise ConfigError(
            f"config key missing_data.primary: '{primary_method}' is not one of fiml, mi, "
            "complete_case, ipw."
        )
    # FIML has no imputations: for this stage's own estimate, MI stands in for it.
    if primary_method == "fiml":
        primary_method = "mi"
    settings = settings_from_config(section)
    seed = seed_for(cfg.seed, "impute/mice")
    result = mice(wide, cols, seed=seed, **settings)
    log.info("MICE: m=%d, iterations=%d, variables=%s", result.m, result.iterations,
             result.variables)

    stacked = pd.concat(
        [imp[["pid", *cols]].assign(_imp=i) for i, imp in enumerate(result.imputations)],
        ignore_index=True,
    )
    write_parquet(stacked, args.out_imputations)
    out, fig = Path(args.outdir), Path(args.figdir)
    write_table(result.log, out / "imputation_log.csv")
    methods = pd.DataFrame({
        "variable": cols,
        "method": [result.method.get(c, "") for c in cols],
        "n_missing": [int(result.missing_mask[c].sum()) for c in cols],
        "pct_missing": [float(100 * result.missing_mask[c].mean()) for c in cols],
    })
    methods.insert(0, "m", result.m)
    methods.insert(1, "iterations", result.iterations)
    write_table(methods, out / "imputation_settings.csv")
    plot_chains(result, fig / "imputation_chains")
    plot_observed_vs_imputed(result, fig / "imputation_observed_vs_imputed")

    base = cfg.wave_ids[0]
    outcome_key = sens.get("outcome", "qol")
    if outcome_key not in cfg.scales:
        raise ConfigError(
            f"config key missing_data.sensitivity.outcome: '{outcome_key}' is not a scale "
            f"({list(cfg.scales)})."
        )
    wave = sens.get("wave", cfg.wave_ids[1] if len(cfg.wave_ids) > 1 else base)
    if wave not in cfg.wave_ids[1:]:
        raise ConfigError(
            f"config key missing_data.sensitivity.wave: '{wave}' must be a follow-up wave "
            f"({cfg.wave_ids[1:]})."
        )
    outcome, baseline = f"{outcome_key}_{wave}", f"{outcome_key}_{base}"
    estimator = change_estimator(outcome, baseline)
    sc = cfg.scales[outcome_key]
    units = sens.get("units", "points")

    # Primary estimate side by side: complete cases vs multiple imputation.
    cc, n_dropped = complete_cases(wide, [outcome, baseline])
    est, var, dfc = estimator(cc)
    rows = []
    term = f"mean change {outcome_key} {base}->{wave}"
    if np.isfinite(est):
        from scipy import stats

        se = float(np.sqrt(var))
        tcrit = stats.t.ppf(0.975, dfc)
        rows.append(pd.DataFrame([{
            "method": "complete_case", "term": term, "m": 1, "estimate": est, "se": se,
            "df": dfc, "statistic": est / se,
            "pvalue": float(2 * stats.t.sf(abs(est) / se, dfc)),
            "ci_lower": est - tcrit * se, "ci_upper": est + tcrit * se,
            "n": len(cc),
        }]))
    if args.weights:
        from scipy import stats

        wts = pd.read_parquet(args.weights).set_index("pid")
        col = f"ipw_{wave}"
        if col in wts.columns:
            w = wts[col].reindex(wide["pid"]).to_numpy(dtype=float)
            d = (wide[outcome] - wide[baseline]).to_numpy(dtype=float)
            est_w, se_w, n_w = weighted_mean_change(d, w)
            if np.isfinite(est_w) and se_w > 0:
                tcrit = stats.t.ppf(0.975, n_w - 1)
                rows.append(pd.DataFrame([{
                    "method": "ipw", "term": term, "m": 1, "estimate": est_w, "se": se_w,
                    "df": float(n_w - 1), "statistic": est_w / se_w,
                    "pvalue": float(2 * stats.t.sf(abs(est_w / se_w), n_w - 1)),
                    "ci_lower": est_w - tcrit * se_w, "ci_upper": est_w + tcrit * se_w, "n": n_w,
                }]))
    mi_row = pool_estimator(result.imputations, estimator, terms=[term])
    mi_row.insert(0, "method", "mi")
    mi_row["n"] = len(wide)
    rows.append(mi_row)
    primary = pd.concat(rows, ignore_index=True)
    primary["primary"] = primary["method"] == primary_method
    ok = np.isfinite(primary["estimate"].astype(float)) & np.isfinite(primary["se"].astype(float))
    primary["status"] = np.where(ok, "ok", "not_estimable")
    primary["message"] = np.where(ok, "", "too few people with both scores for this method")
    write_table(primary, out / "missing_data_primary.csv")

    deltas = _deltas(sens.get("deltas", {"from": -20, "to": 20, "step": 1}))
    table = tipping_point(
        wide, estimator, deltas, column=outcome, columns=cols, result=result,
        mode=sens.get("mode", "post"), bounds=tuple(sc.range), seed=seed,
    )
    write_table(table, out / "sensitivity_tipping_point.csv")
    label = sc.label
    plot_tipping_point(table, fig / "sensitivity_tipping_point", outcome_label=label, units=units,
                       effect_label=f"Mean change {base} to {wave} ({units})")
    sentence = tipping_sentence(table, label, units)
    summary = {
        "m": result.m,
        "iterations": result.iterations,
        "method": "MICE with predictive mean matching (van Buuren 2018), pooled by Rubin's rules "
                  "with Barnard-Rubin df",
        "primary_estimand": f"mean change in {outcome_key} from {base} to {wave}",
        "tipping_delta_negative": tipping_delta(table)["negative"],
        "tipping_delta_positive": tipping_delta(table)["positive"],
        "tipping_sentence": sentence,
        "complete_cases_dropped": int(n_dropped),
    }
    Path(args.summary).write_text(json.dumps(summary, indent=1, sort_keys=True, default=str) + "\n")
