"""Missing data stage: MICE imputations, convergence (plots and R-hat), the primary estimate by
FIML, MI, IPW and complete cases, and the delta-adjusted (MNAR) tipping-point analysis.

With a ``block`` wildcard (rule ``impute_chains``): one part of the MICE chains, which the
impute rule gathers (its ``chains`` input; :mod:`pipeline.missing_data.chains`)."""

from __future__ import annotations

import json
import logging

import pandas as pd

from pipeline.attrition.settings import from_config as attrition_settings
from pipeline.config import Config
from pipeline.missing_data import chains, imputation
from pipeline.missing_data.fiml import fiml_row
from pipeline.missing_data.primary import Estimand, impute_columns, primary_table
from pipeline.missing_data.sensitivity import sensitivity_table
from pipeline.missing_data.sentences import stand_in_note, tipping_sentence
from pipeline.missing_data.settings import from_config
from pipeline.missing_data.skipped import write_without_estimand
from pipeline.seeds import seed_for
from pipeline.stage_io import StageIO, write_imputed_cells
from pipeline.stats.tipping import tipping_in_sd
from pipeline.tables import write_table

log = logging.getLogger("pipeline.stats.mice")

def _weights(io: StageIO) -> tuple[pd.DataFrame | None, str]:
    if "weights" not in io.inputs:
        return None, ""
    path = io.input("weights")
    return pd.read_parquet(path).set_index("pid"), str(path)


def _tipping_figure(io: StageIO, table: pd.DataFrame, label: str, e: Estimand,
                    units: str) -> bool:
    """Draw the tipping-point figure (or say why there is none); True when it is estimable."""
    from pipeline.missing_data.figures import plot_message, plot_tipping_point
    path = io.member("figures", "sensitivity_tipping_point.png")
    if (table["status"] == "ok").any():
        plot_tipping_point(table, path, outcome_label=label, units=units,
                           effect_label=f"Mean change {e.base} to {e.wave} ({units}; MI)")
        return True
    msg = next((m for m in table["message"] if isinstance(m, str) and m), "not estimable")
    log.warning("tipping point: not estimable: %s", msg)
    plot_message(path, f"Sensitivity to missing-not-at-random: {label}",
                 f"The tipping-point analysis could not be done: {msg}.")
    return False


def run(cfg: Config, io: StageIO) -> None:
    s = from_config(cfg)
    wide = pd.read_parquet(io.input("wide"))
    cols = impute_columns(s.columns, list(cfg.covariates), list(cfg.scales), cfg.wave_ids, wide)
    seed = seed_for(cfg.seed, "impute/mice")
    user_columns = s.columns is not None
    if "block" in io.wildcards:  # one part of the imputation chains (rule impute_chains)
        plan = imputation.plan(wide, cols, s.mice, seed, user_columns)
        return chains.write_block(plan, chains.chain_blocks(cfg), io)
    # matplotlib only here: the chain jobs draw nothing (issue 14: imports only where used)
    from pipeline.missing_data.figures import plot_chains, plot_observed_vs_imputed
    parts = io.inputs_of("chains") if io.inputs.get("chains") else None
    result = imputation.impute(wide, cols, s.mice, seed, user_columns, parts)
    excluded = imputation.excluded_variables(result)
    write_imputed_cells(imputation.imputed_cell_parts(result), result.m, list(cols),
                        imputation.cell_levels(result), io.output("imputations"))
    log_table = imputation.imputation_log(result)
    write_table(log_table, io.output("log"))
    e = imputation.estimand(s.sensitivity, wide, str(io.input("wide")))
    retention = [p for p in attrition_settings(cfg).predictors if p in wide.columns]
    roles = imputation.variable_roles(cols, (e.baseline, e.outcome) if e else (), list(cfg.scales),
                                      cfg.wave_ids, list(cfg.covariates), retention)
    model_text = imputation.model_check(cols, retention, excluded)
    write_table(imputation.settings_table(result, cols, roles), io.output("settings"))
    plot_chains(imputation.chain_traces(result), io.member("figures", "imputation_chains.png"),
                min_cell=cfg.min_cell)
    labels = {f"{k}_{w.id}": f"{sc.label or k}, {w.label or w.id}"
              for k, sc in cfg.scales.items() for w in cfg.waves}
    plot_observed_vs_imputed(imputation.observed_and_imputed(result),
                             io.member("figures", "imputation_observed_vs_imputed.png"),
                             min_cell=cfg.min_cell, labels=labels)
    if e is None:
        return write_without_estimand(io, s, result, excluded, log_table, model_text)
    weights, source = _weights(io)
    fiml = fiml_row(wide, e.baseline, e.outcome, [c for c in cols if c not in excluded],
                    e.term, se=s.fiml_se)
    primary, n_dropped, mi_reason = primary_table(wide, result, e, s.primary, weights, source,
                                                  fiml=fiml)
    for row in primary.itertuples(index=False):
        if row.status != "ok":
            log.warning("primary estimate (%s%s): not estimable: %s", row.method,
                        ", the primary method" if row.primary else "", row.message)
    write_table(primary, io.output("primary"))

    scale = cfg.scales[e.scale]
    table = sensitivity_table(wide, result, e, s.sensitivity, s.mice, cols, seed,
                              imputation.all_missing_rule(user_columns), tuple(scale.range),
                              mi_reason, min_cell=cfg.min_cell)
    table, tips = tipping_in_sd(table, float(wide[e.baseline].std(ddof=1)),
                                s.sensitivity.fragile_sd)
    table["stands_in_for"] = "" if s.primary == "mi" else s.primary
    write_table(table, io.output("tipping"))
    units = s.sensitivity.units
    tip_ok = _tipping_figure(io, table, scale.label, e, units)
    summary = imputation.summary_record(
        result, f"mean change in {e.scale} from {e.base} to {e.wave}", primary, excluded, tip_ok,
        tips, tipping_sentence(table, scale.label, units, tips) + (
            stand_in_note(s.primary) if tip_ok else ""), n_dropped, log_table,
        model_text)
    io.output("summary").write_text(
        json.dumps(summary, indent=1, sort_keys=True, default=str) + "\n")
