"""Serial mediation stage: every configured chain by complete cases (OLS + bootstrap), by
bootstrap-then-impute MI, and by FIML (SEM engine), side by side."""

from __future__ import annotations

import logging

import pandas as pd

from pipeline.config import Config
from pipeline.mediation.analysis import run_analyses
from pipeline.mediation.figures import plot_indirect_forest, plot_no_estimates, plot_path_diagram
from pipeline.mediation.outputs import figure_tables, sentences_table, stack, waiting_rows
from pipeline.mediation.settings import from_config
from pipeline.stage_io import StageIO
from pipeline.tables import write_table

log = logging.getLogger("pipeline.mediation")


def run(cfg: Config, io: StageIO) -> None:
    settings = from_config(cfg)
    wide = pd.read_parquet(io.input("wide"))
    tables, statuses = run_analyses(wide, settings, cfg.seed, processes=io.threads)
    status = pd.concat([stack(statuses), waiting_rows(settings)], ignore_index=True) \
        if settings.waiting else stack(statuses)
    for _, row in status.iterrows():
        log.info("mediation %s [%s]: %s %s", row["analysis"], row["method"], row["status"],
                 row.get("message", ""))
    write_table(stack(tables), io.output("estimates"))
    write_table(status, io.output("status"))
    write_table(sentences_table(tables, statuses, settings.analyses, conf=settings.bootstrap.conf,
                                warn_n=settings.warn_n), io.output("sentences"))
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
