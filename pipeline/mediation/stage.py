"""Serial mediation stage: every configured chain by complete cases (OLS + bootstrap), by
bootstrap-then-impute MI, and by FIML (SEM engine), side by side."""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from pipeline.config import Config
from pipeline.errors import ConfigError, DataError, ModelError
from pipeline.mediation.figures import plot_indirect_forest, plot_path_diagram
from pipeline.stats.mice import mice
from pipeline.mediation import (
    bootstrap_settings,
    mediation_boot_mi,
    mi_settings,
    mice_imputer,
    run_analyses,
    specs_from_config,
)
from pipeline.mediation.fiml import run_fiml_analyses
from pipeline.mediation.outputs import write_mediation_outputs
from pipeline.mediation.table import empty_table, status_row

log = logging.getLogger("pipeline.mediation")


def primary_method(cfg: Config) -> str:
    """The configured primary missing-data method (``missing_data.primary``, default fiml);
    the other methods are sensitivity analyses."""
    return str((cfg.section("missing_data") or {}).get("primary", "fiml"))


def add_arguments(p) -> None:
    p.add_argument("--wide", required=True)
    p.add_argument("--outdir", required=True)
    p.add_argument("--figdir", required=True)


def run(cfg: Config, args) -> None:
    wide = pd.read_parquet(args.wide)
    section = cfg.section("mediation")
    specs = specs_from_config(cfg)
    boot = bootstrap_settings(section)
    mis = mi_settings(section)
    min_df, warn_n = int(section.get("min_df", 10)), int(section.get("warn_n", 30))
    methods = section.get("methods", ["fiml", "mi", "complete_case"])
    unknown = [m for m in methods if m not in ("fiml", "mi", "complete_case")]
    if unknown:
        raise ConfigError(f"config key mediation.methods: {unknown} - use fiml, mi and/or "
                          "complete_case.")

    imputer = mice_imputer(mice, iterations=mis["iterations"])
    mc_draws = int((section.get("fiml") or {}).get("mc_draws", 20000))

    def one(method: str, spec) -> tuple[pd.DataFrame, pd.DataFrame]:
        if method == "complete_case":
            return run_analyses(wide, [spec], boot, cfg.seed, min_df=min_df, warn_n=warn_n)
        if method == "mi":
            res = mediation_boot_mi(wide, spec, imputer, B=mis["B"], M=mis["M"], seed=cfg.seed,
                                    conf=boot["conf"], min_df=min_df, warn_n=warn_n)
            return res.table, res.status
        return run_fiml_analyses(wide, [spec], seed=cfg.seed, conf=boot["conf"], min_df=min_df,
                                 warn_n=warn_n, mc_draws=mc_draws)

    tables, statuses = {}, {}
    for method in methods:
        parts, sts = [], []
        for spec in specs:
            try:
                t, st = one(method, spec)
            except DataError as exc:  # the data cannot support this analysis: say why, go on
                t, st = empty_table(), status_row(spec.name, method, "not_estimable", str(exc))
            except ModelError as exc:
                t, st = empty_table(), status_row(spec.name, method, "failed", str(exc))
            parts.append(t)
            sts.append(st)
        tables[method] = pd.concat(parts, ignore_index=True)
        statuses[method] = pd.concat(sts, ignore_index=True)
    for st in statuses.values():
        for _, row in st.iterrows():
            log.info("mediation %s [%s]: %s %s", row["analysis"], row["method"], row["status"],
                     row.get("message", ""))
    primary = primary_method(cfg)
    for m in tables:
        tables[m] = tables[m].assign(primary=(m == primary))
        statuses[m] = statuses[m].assign(primary=(m == primary))
    write_mediation_outputs(tables, statuses, specs, args.outdir, figures=False)
    fig = Path(args.figdir)
    order = [m for m in ("fiml", "mi", "complete_case") if m in tables]
    for spec in specs:
        by_method = {m: tables[m][tables[m]["analysis"] == spec.name] for m in order}
        by_method = {m: t for m, t in by_method.items() if len(t)}
        if not by_method:
            continue
        plot_path_diagram(next(iter(by_method.values())), spec, fig / f"mediation_{spec.name}_path")
        plot_indirect_forest(by_method, fig / f"mediation_{spec.name}_forest", spec=spec)
