"""Attrition stage: participant flow, missingness, retained vs lost, retention model, IPW, MCAR.

Reads the clean wide/long data and the QC log; writes exactly the outputs of
``rules/attrition.smk`` (tables, public copies, balance tables, weights, figures, summary).
"""

from __future__ import annotations

import json
import logging

import pandas as pd

from pipeline.attrition import public
from pipeline.attrition.figures import plot_flow, plot_missingness
from pipeline.attrition.flow import participant_flow, pattern_summary
from pipeline.attrition.missingness import missingness_table
from pipeline.attrition.retention import retained_vs_lost, retention_model, wave_weights
from pipeline.attrition.sentences import attrition_summary, short_label
from pipeline.attrition.settings import from_config
from pipeline.config import Config
from pipeline.disclosure import round_percentages
from pipeline.stage_io import StageIO
from pipeline.stats.mcar import little_mcar, mcar_table
from pipeline.tables import write_parquet, write_table

log = logging.getLogger("pipeline.attrition")

MODEL_EMPTY_COLUMNS = ["followup_wave", "term", "status"]


def _concat(frames: list[pd.DataFrame], empty: pd.DataFrame) -> pd.DataFrame:
    return pd.concat(frames, ignore_index=True) if frames else empty


def _describe(cfg: Config, io: StageIO, wide, long, qc) -> pd.DataFrame:
    """Flow, missingness and response patterns (tables, public copies, figures)."""
    waves, min_cell = cfg.wave_ids, cfg.min_cell
    labels = {w.id: w.label for w in cfg.waves}
    flow = participant_flow(wide, qc, waves, labels, long=long)
    write_table(flow, io.output("flow"))
    patterns = pattern_summary(wide, waves)  # flow and patterns are protected together
    flow_pub, patterns_pub = public.public_flow_and_patterns(flow, patterns, min_cell, labels)
    write_table(round_percentages(flow_pub), io.output("flow_public"))
    plot_flow(flow_pub, io.member("figures", "attrition_flow.png"), min_cell=min_cell)
    write_table(missingness_table(wide, list(cfg.scales) + list(cfg.covariates), waves),
                io.output("missingness"))
    write_table(patterns, io.output("patterns"))
    write_table(round_percentages(patterns_pub), io.output("patterns_public"))
    plot_missingness(patterns_pub, io.member("figures", "missing_patterns.png"), min_cell=min_cell)
    for twin in ("attrition_flow.svg", "missing_patterns.svg"):  # written by save_figure
        io.member("figures", twin)  # (KeyError unless the rule declares it)
    return flow


def run(cfg: Config, io: StageIO) -> None:
    wide = pd.read_parquet(io.input("wide"))
    # the flow counts who answered at each wave: only pid and wave of the long table are read
    # (its items and scores would be most of the stage's memory at 100,000 participants)
    long = pd.read_parquet(io.input("long"), columns=["pid", "wave"])
    qc = pd.read_csv(io.input("qc"), dtype=str, keep_default_na=False)
    s = from_config(cfg)
    predictors = [p for p in s.predictors if p in wide.columns]
    flow = _describe(cfg, io, wide, long, qc)

    comparisons, models, statuses, ipw_rows, chain = {}, [], [], [], []
    weights = pd.DataFrame({"pid": wide["pid"]})
    for w in cfg.wave_ids[1:]:
        comp = retained_vs_lost(wide, w, predictors, s.categorical)
        comp.insert(0, "followup_wave", w)
        comparisons[w] = comp
        model = retention_model(wide, w, predictors, s.categorical,
                                firth_on_separation=s.firth_on_separation)
        if len(model.table):
            models.append(model.table.assign(followup_wave=w)[["followup_wave",
                                                               *model.table.columns]])
        statuses.append(model.status)
        log.info("retention model %s: %s %s", w, model.status["status"], model.status["message"])
        step, (wts, row, balance) = wave_weights(
            wide, cfg.wave_ids, w, model, chain, predictors, list(cfg.scales), s.categorical,
            sequential=s.ipw_sequential, firth_on_separation=s.firth_on_separation,
            stabilised=s.ipw_stabilised, truncate=s.ipw_truncate)
        if step is not None:  # sequential IPW: the step model is a retention model too
            models.extend([step.table.assign(followup_wave=w)] if len(step.table) else [])
            statuses.append(step.status)
        weights[f"ipw_{w}"] = wts.to_numpy()
        ipw_rows.append(row)
        write_table(balance, io.member("ipw_balance", f"attrition_ipw_balance_{w}.csv"))
    comp_all = list(comparisons.values())
    write_table(_concat(comp_all, pd.DataFrame()), io.output("compare"))
    write_table(_concat([public.suppress_comparison(c, cfg.min_cell) for c in comp_all],
                        pd.DataFrame()), io.output("compare_public"))
    write_table(_concat(models, pd.DataFrame(columns=MODEL_EMPTY_COLUMNS)), io.output("model"))
    write_table(pd.DataFrame(statuses), io.output("status"))
    write_table(pd.DataFrame(ipw_rows), io.output("ipw"))
    write_parquet(weights, io.output("weights"))

    mcar_vars = [v for v in s.mcar_variables if v in wide.columns]
    mcar = little_mcar(wide[mcar_vars], variables_key="attrition.mcar_variables")
    write_table(mcar_table(mcar), io.output("mcar"))
    log.info("%s", mcar["message"] or f"Little's MCAR test: {mcar['status']}")

    base = cfg.wave_ids[0]
    scale_labels = {f"{k}_{base}": short_label(sc.label) for k, sc in cfg.scales.items()}
    say = dict(labels=scale_labels, min_cell=cfg.min_cell, notable_smd=s.notable_smd)
    summary = {
        "sentence": attrition_summary(flow, comparisons, **say),
        # the report's "Who stayed and who left", after a paragraph that gave the numbers
        "comparison": attrition_summary(flow, comparisons, joined=False, **say),
        "retention_models": statuses,
        "mcar": {k: mcar[k] for k in ("chi2", "df", "pvalue", "status", "message")},
    }
    io.output("summary").write_text(
        json.dumps(summary, indent=1, default=str, sort_keys=True) + "\n")
