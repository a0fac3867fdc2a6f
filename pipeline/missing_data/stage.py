"""Missing data stage: MICE imputations, convergence plots, the primary estimate by complete
cases and by MI, and the delta-adjusted (MNAR) tipping-point analysis."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.config import Config
from pipeline.errors import ConfigError, DataError, PipelineError
from pipeline.missing_data.figures import plot_chains, plot_observed_vs_imputed, plot_tipping_point
from pipeline.plotting import apply_style, save_figure
from pipeline.stats.mice import complete_cases, mice, settings_from_config
from pipeline.stats.pooling import pool_estimator
from pipeline.seeds import seed_for
from pipeline.missing_data.sensitivity import (
    not_estimable_table,
    not_imputed_reason,
    tipping_delta,
    tipping_point,
    tipping_sentence,
)
from pipeline.tables import write_parquet, write_table

log = logging.getLogger("pipeline.stats.mice")


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
    """Estimator of the mean change ``outcome - baseline``: (mean, var/n, n - 1).

    Refuses data with a missing ``outcome`` or ``baseline`` (DataError): under multiple
    imputation a completed data set must be complete, and silently dropping the rows would turn
    the "MI" estimate into a complete-case one. For a complete-case estimate, pass the complete
    cases (:func:`pipeline.stats.mice.complete_cases`).
    """

    def estimate(df: pd.DataFrame):
        d = (df[outcome] - df[baseline]).to_numpy(dtype=float)
        n_bad = int((~np.isfinite(d)).sum())
        if n_bad:
            raise DataError(
                f"mean change {baseline} -> {outcome}: {n_bad} of {d.size} rows have a missing "
                f"{outcome} or {baseline}; the estimator does not drop them silently (impute "
                "them, or select complete cases explicitly)."
            )
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


PRIMARY_COLUMNS = [
    "method", "term", "m", "estimate", "se", "df", "statistic", "pvalue", "ci_lower", "ci_upper",
    "n", "ubar", "b", "t", "dfcom", "riv", "lambda", "fmi", "primary", "status", "message",
]


def _t_row(method: str, term: str, est: float, se: float, dfc: float, n: int) -> dict:
    """One ok row of the primary table: estimate, SE, t test and 95% CI on ``dfc`` df."""
    from scipy import stats

    tcrit = stats.t.ppf(0.975, dfc)
    return {
        "method": method, "term": term, "m": 1, "estimate": est, "se": se, "df": float(dfc),
        "statistic": est / se, "pvalue": float(2 * stats.t.sf(abs(est) / se, dfc)),
        "ci_lower": est - tcrit * se, "ci_upper": est + tcrit * se, "n": n,
        "status": "ok", "message": "",
    }


def _not_estimable(method: str, term: str, message: str) -> dict:
    """A status row: no numbers, only why (design.md: anything but ok has no estimates)."""
    return {"method": method, "term": term, "status": "not_estimable", "message": message}


def _too_few(baseline: str, outcome: str, d: np.ndarray, what: str) -> str:
    """Why a mean change on the (finite) change scores ``d`` has no estimate or no SE."""
    if d.size < 2:
        return (f"too few people with both {baseline} and {outcome}{what} for a mean change and "
                f"its standard error (n = {d.size}; at least 2 are needed)")
    return (f"the change {baseline} -> {outcome} is the same ({d[0]:g}) for all {d.size} people "
            f"with both scores{what}, so it has no standard error")


def _plot_message(path: Path, title: str, message: str) -> list[Path]:
    """A figure that says why there is nothing to plot (instead of an empty or misleading plot)."""
    import textwrap

    import matplotlib.pyplot as plt

    apply_style()
    fig, ax = plt.subplots(figsize=(6.4, 2.2))
    ax.axis("off")
    ax.set_title(title, loc="left")
    ax.text(0.5, 0.5, textwrap.fill(message, 80), ha="center", va="center", fontsize=9,
            transform=ax.transAxes,
            bbox={"facecolor": "white", "edgecolor": "#999999", "boxstyle": "round"})
    return save_figure(fig, path)


def run(cfg: Config, args) -> None:
    wide = pd.read_parquet(args.wide)
    section = cfg.section("missing_data")
    sens = dict(section.pop("sensitivity", None) or {})
    user_columns = bool(section.get("columns"))
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
    mode = sens.get("mode", "post")
    if mode not in ("post", "chain"):
        raise ConfigError(f"config key missing_data.sensitivity.mode: '{mode}' is not 'post' or "
                          "'chain'.")
    settings = settings_from_config(section)
    seed = seed_for(cfg.seed, "impute/mice")
    # A default column list (missing_data.columns: null) may hold a scale nobody answered at a
    # wave, or a wave with no responses yet: leave those out (logged) rather than make the user
    # write the whole list. A list the user wrote keeps the error naming the column.
    all_missing = "raise" if user_columns else "exclude"
    result = mice(wide, cols, seed=seed, all_missing=all_missing, **settings)
    log.info("MICE: m=%d, iterations=%d, variables=%s", result.m, result.iterations,
             result.variables)
    excluded = {}
    for row in result.log.itertuples(index=False):
        if row.event in ("all_missing", "constant"):
            excluded[row.variable] = row.message
            log.warning("imputation model: %s: %s", row.variable, row.message)

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
    for c in (outcome, baseline):
        if c not in wide.columns:
            raise DataError(f"impute: the primary estimand needs column '{c}', which is not in "
                            f"{args.wide}; check the scale and wave names.")
    estimator = change_estimator(outcome, baseline)
    sc = cfg.scales[outcome_key]
    units = sens.get("units", "points")

    # Primary estimate side by side: complete cases, IPW and multiple imputation.
    rows = []
    term = f"mean change {outcome_key} {base}->{wave}"
    cc, n_dropped = complete_cases(wide, [outcome, baseline])
    est, var, dfc = estimator(cc)
    if np.isfinite(est) and np.isfinite(var) and var > 0:
        rows.append(_t_row("complete_case", term, est, float(np.sqrt(var)), dfc, len(cc)))
    else:
        d = (cc[outcome] - cc[baseline]).to_numpy(dtype=float)
        rows.append(_not_estimable("complete_case", term, _too_few(baseline, outcome, d, "")))
    if args.weights:
        wts = pd.read_parquet(args.weights).set_index("pid")
        col = f"ipw_{wave}"
        if col in wts.columns:
            w = wts[col].reindex(wide["pid"]).to_numpy(dtype=float)
            d = (wide[outcome] - wide[baseline]).to_numpy(dtype=float)
            est_w, se_w, n_w = weighted_mean_change(d, w)
            if np.isfinite(est_w) and np.isfinite(se_w) and se_w > 0:
                rows.append(_t_row("ipw", term, est_w, se_w, float(n_w - 1), n_w))
            else:
                ok_w = np.isfinite(d) & np.isfinite(w) & (w > 0)
                rows.append(_not_estimable("ipw", term, _too_few(
                    baseline, outcome, d[ok_w], f" and an inverse-probability weight ({col})")))
        else:
            rows.append(_not_estimable(
                "ipw", term, f"no inverse-probability weights for wave {wave} ({col} is not in "
                f"{args.weights})"))

    # MI: only if both columns of the estimand were actually imputed. Otherwise the estimator
    # would meet missing values in the "completed" data and an MI label would hide a
    # complete-case analysis.
    reasons = [r for r in (not_imputed_reason(wide, result, c) for c in (outcome, baseline)) if r]
    mi_reason = "; ".join(reasons) if reasons else None
    if mi_reason is None:
        try:
            mi_row = pool_estimator(result.imputations, estimator, terms=[term]).iloc[0].to_dict()
        except PipelineError as err:
            mi_reason = str(err)
        else:
            if np.isfinite(mi_row["estimate"]) and np.isfinite(mi_row["se"]) and mi_row["se"] > 0:
                rows.append({"method": "mi", **mi_row, "n": len(wide), "status": "ok",
                             "message": ""})
            else:
                mi_reason = (f"the mean change {baseline} -> {outcome} has no finite estimate "
                             "and standard error on the imputed data")
    if mi_reason is not None:
        rows.append(_not_estimable("mi", term, mi_reason))
    primary = pd.DataFrame(rows).reindex(columns=PRIMARY_COLUMNS)
    primary["primary"] = primary["method"] == primary_method
    for row in primary.itertuples(index=False):
        if row.status != "ok":
            log.warning("primary estimate (%s%s): not estimable: %s", row.method,
                        ", the primary method" if row.primary else "", row.message)
    write_table(primary, out / "missing_data_primary.csv")

    # Delta-adjusted tipping point: needs imputed values of the outcome to shift.
    deltas = _deltas(sens.get("deltas", {"from": -20, "to": 20, "step": 1}))
    tip_reason = mi_reason
    if tip_reason is None and not wide[outcome].isna().any():
        tip_reason = (f"{outcome} has no missing values, so there are no imputed values to "
                      "shift (a tipping-point analysis is not needed)")
    if tip_reason is None:
        chain_kwargs = {k: v for k, v in settings.items() if k not in ("m", "iterations")}
        try:
            table = tipping_point(
                wide, estimator, deltas, column=outcome, columns=cols, result=result,
                mode=mode, bounds=tuple(sc.range), seed=seed, m=result.m,
                iterations=result.iterations, all_missing=all_missing, **chain_kwargs,
            )
        except DataError as err:
            table = not_estimable_table(str(err), mode)
    else:
        table = not_estimable_table(tip_reason, mode)
    write_table(table, out / "sensitivity_tipping_point.csv")
    label = sc.label
    tip_ok = bool((table["status"] == "ok").any())
    if tip_ok:
        plot_tipping_point(table, fig / "sensitivity_tipping_point", outcome_label=label,
                           units=units, effect_label=f"Mean change {base} to {wave} ({units})")
    else:
        msg = next((m for m in table["message"] if isinstance(m, str) and m), "not estimable")
        log.warning("tipping point: not estimable: %s", msg)
        _plot_message(fig / "sensitivity_tipping_point",
                      f"Sensitivity to missing-not-at-random: {label}",
                      f"The tipping-point analysis could not be done: {msg}.")
    sentence = tipping_sentence(table, label, units)
    prim = primary[primary["primary"]]
    summary = {
        "m": result.m,
        "iterations": result.iterations,
        "method": "MICE with predictive mean matching (van Buuren 2018), pooled by Rubin's rules "
                  "with Barnard-Rubin df",
        "primary_estimand": f"mean change in {outcome_key} from {base} to {wave}",
        "primary_status": prim["status"].iloc[0] if len(prim) else None,
        "primary_message": prim["message"].iloc[0] if len(prim) else None,
        "excluded_from_imputation": excluded,
        "sensitivity_status": "ok" if tip_ok else "not_estimable",
        "tipping_delta_negative": tipping_delta(table)["negative"],
        "tipping_delta_positive": tipping_delta(table)["positive"],
        "tipping_sentence": sentence,
        "complete_cases_dropped": int(n_dropped),
    }
    Path(args.summary).write_text(json.dumps(summary, indent=1, sort_keys=True, default=str) + "\n")
