"""Serial mediation stage: every configured chain by complete cases (OLS + bootstrap), by
multiple imputation (bootstrap-then-impute, or with ``mediation.mi.method: rubin`` Rubin's rules
on the impute stage's imputations, input ``imputations``: :mod:`pipeline.mediation.rubin`) and
by FIML (SEM engine), side by side.

Run with a ``block`` wildcard (rule ``mediation_mi_block``) it imputes one block of the boot-MI
bootstrap samples and writes their Gram matrices (:mod:`pipeline.mediation.parts`); the
mediation rule then pools the blocks (its ``mi_parts`` input)."""

from __future__ import annotations

import logging

import pandas as pd

from pipeline.config import Config
from pipeline.mediation.analysis import estimators, run_analyses
from pipeline.mediation.mi import mice_imputer
from pipeline.mediation.outputs import figure_tables, sentences_table, stack, waiting_rows
from pipeline.mediation.parts import PartsImputer, block_frame
from pipeline.mediation.settings import MediationSettings, from_config
from pipeline.stage_io import StageIO, read_imputed
from pipeline.stats.mice import mice
from pipeline.tables import write_parquet, write_table

log = logging.getLogger("pipeline.mediation")


def run(cfg: Config, io: StageIO) -> None:
    settings = from_config(cfg)
    wide = pd.read_parquet(io.input("wide"))
    if "block" in io.wildcards:  # one block of the boot-MI samples
        est = estimators(settings, cfg.seed, _imputer(settings))["mi"]
        write_parquet(block_frame(est, wide, settings.analyses, settings.mi.blocks,
                                  int(io.wildcards["block"])), io.output("part"))
        return
    if settings.rubin:  # MI by Rubin's rules on the impute stage's imputations
        from pipeline.mediation.rubin import run_analyses_rubin

        imputations = (read_imputed(io.input("imputations"), wide)
                       if io.inputs.get("imputations") else None)
        tables, statuses = run_analyses_rubin(wide, settings, cfg.seed, imputations,
                                              processes=io.threads)
    else:
        parts = io.inputs_of("mi_parts") if io.inputs.get("mi_parts") else None
        impute_fn = PartsImputer(_imputer(settings), parts) if parts is not None else None
        tables, statuses = run_analyses(wide, settings, cfg.seed, impute_fn=impute_fn,
                                        processes=io.threads)
    status = pd.concat([stack(statuses), waiting_rows(settings)], ignore_index=True) \
        if settings.waiting else stack(statuses)
    for _, row in status.iterrows():
        log.info("mediation %s [%s]: %s %s", row["analysis"], row["method"], row["status"],
                 row.get("message", ""))
    write_table(stack(tables), io.output("estimates"))
    write_table(status, io.output("status"))
    write_table(sentences_table(tables, statuses, settings.analyses, conf=settings.bootstrap.conf,
                                warn_n=settings.warn_n), io.output("sentences"))
    # figures import matplotlib (0.4 s): only the pooling job draws, not the boot-MI blocks
    from pipeline.mediation.figures import (
        plot_indirect_forest,
        plot_no_estimates,
        plot_path_diagram,
    )

    for spec in settings.analyses:
        path = io.member("figures", f"mediation_{spec.name}_path.png")
        forest = io.member("figures", f"mediation_{spec.name}_forest.png")
        by_method = figure_tables(tables, spec)
        if not by_method:
            why = "; ".join(status.loc[status["analysis"] == spec.name, "message"].astype(str))
            plot_no_estimates(spec, why, path)
            plot_no_estimates(spec, why, forest)
            continue
        plot_path_diagram(next(iter(by_method.values())), spec, path)
        plot_indirect_forest(by_method, forest, spec=spec)


def _imputer(settings: MediationSettings):
    """MICE with the study's imputation model (``missing_data``), for the boot-MI samples."""
    mi = settings.mi
    return mice_imputer(mice, iterations=mi.iterations, method=mi.method, donors=mi.donors,
                        ridge=mi.ridge)
