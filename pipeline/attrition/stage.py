"""Attrition stage: participant flow, missingness, retained vs lost, retention model, MCAR, IPW."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pandas as pd

from pipeline.attrition import analysis as att
from pipeline.config import Config
from pipeline.attrition.figures import plot_flow, plot_missingness
from pipeline.stats.mcar import little_mcar, mcar_table
from pipeline.tables import write_parquet, write_table
from pipeline.stats.ipw import ipw_weights

log = logging.getLogger("pipeline.attrition.analysis")


def short_label(label: str) -> str:
    """'Loneliness (UCLA-3)' -> 'loneliness' for use inside a sentence."""
    import re

    text = re.sub(r"\s*\([^)]*\)", "", label).strip()
    return text[:1].lower() + text[1:] if text[:2] != text[:2].upper() else text


def _round_pct(table: pd.DataFrame) -> pd.DataFrame:
    """Percentages to one decimal in funder-facing tables (suppressed cells stay text)."""
    out = table.copy()
    for c in [c for c in out.columns if "pct" in c]:
        out[c] = out[c].map(lambda v: round(float(v), 1) if isinstance(v, (int, float)) else v)
    return out


def add_arguments(p) -> None:
    p.add_argument("--wide", required=True)
    p.add_argument("--long", required=True)
    p.add_argument("--qc", required=True)
    p.add_argument("--outdir", required=True, help="tables folder")
    p.add_argument("--figdir", required=True, help="figures folder")
    p.add_argument("--weights", required=True, help="output parquet of IPW weights")
    p.add_argument("--summary", required=True, help="output JSON with statuses and sentences")


def run(cfg: Config, args) -> None:
    wide = pd.read_parquet(args.wide)
    long = pd.read_parquet(args.long)
    qc = pd.read_csv(args.qc, dtype=str, keep_default_na=False)
    settings = att.attrition_settings(cfg.section("attrition"))
    out, fig = Path(args.outdir), Path(args.figdir)
    waves = cfg.wave_ids
    labels = {w.id: w.label for w in cfg.waves}
    base = waves[0]
    scale_base = [f"{s}_{base}" for s in cfg.scales]
    covs = list(cfg.covariates)
    categorical = settings["categorical"]
    if categorical is None:
        categorical = [k for k, c in cfg.covariates.items() if c.type == "categorical"]
    predictors = settings["predictors"] or (covs + scale_base)
    predictors = [p for p in predictors if p in wide.columns]

    flow = att.participant_flow(wide, qc, waves, labels, long=long)
    write_table(flow, out / "attrition_flow.csv")
    write_table(_round_pct(att.suppress_flow(flow, cfg.min_cell)), out / "attrition_flow_public.csv")
    plot_flow(flow, fig / "attrition_flow", min_cell=cfg.min_cell)

    miss = att.missingness_table(wide, list(cfg.scales) + covs, waves)
    write_table(miss, out / "attrition_missingness.csv")
    patterns = att.pattern_summary(wide, waves)
    write_table(patterns, out / "attrition_patterns.csv")
    write_table(_round_pct(att.suppress_patterns(patterns, cfg.min_cell)),
                out / "attrition_patterns_public.csv")
    plot_missingness(patterns, fig / "missing_patterns", min_cell=cfg.min_cell)

    comparisons, models, statuses = {}, [], []
    weights = pd.DataFrame({"pid": wide["pid"]})
    ipw_diag = []
    for w in waves[1:]:
        comp = att.retained_vs_lost(wide, w, predictors, categorical)
        comp.insert(0, "followup_wave", w)
        comparisons[w] = comp
        table, status = att.retention_model(
            wide, w, predictors, categorical, firth_on_separation=settings["firth_on_separation"]
        )
        if len(table):
            table.insert(0, "followup_wave", w)
            models.append(table)
        statuses.append(status)
        log.info("retention model %s: %s %s", w, status["status"], status["message"])
        wts, diag = ipw_weights(
            wide, w, predictors, categorical,
            stabilised=settings["ipw"]["stabilised"],
            truncate=tuple(settings["ipw"]["truncate"]) if settings["ipw"]["truncate"] else None,
        )
        weights[f"ipw_{w}"] = wts.to_numpy()
        bal = diag.pop("balance", None)
        ipw_diag.append({"followup_wave": w, **{k: v for k, v in diag.items()}})
        if isinstance(bal, pd.DataFrame) and len(bal):
            bal = bal.copy()
            bal.insert(0, "followup_wave", w)
            write_table(bal, out / f"attrition_ipw_balance_{w}.csv")
    write_table(
        pd.concat(comparisons.values(), ignore_index=True) if comparisons else pd.DataFrame(),
        out / "attrition_retained_vs_lost.csv",
    )
    if comparisons:
        write_table(pd.concat([att.suppress_comparison(c, cfg.min_cell)
                               for c in comparisons.values()], ignore_index=True),
                    out / "attrition_retained_vs_lost_public.csv")
    write_table(
        pd.concat(models, ignore_index=True) if models else pd.DataFrame(
            columns=["followup_wave", "term", "status"]),
        out / "attrition_retention_model.csv",
    )
    write_table(pd.DataFrame(statuses), out / "attrition_retention_status.csv")
    write_table(pd.DataFrame(ipw_diag), out / "attrition_ipw.csv")
    write_parquet(weights, args.weights)

    mcar_vars = settings["mcar_variables"] or (
        [k for k, c in cfg.covariates.items() if c.type == "numeric"]
        + [f"{s}_{w}" for w in waves for s in cfg.scales]
    )
    mcar_vars = [v for v in mcar_vars if v in wide.columns]
    mcar = little_mcar(wide[mcar_vars])
    write_table(mcar_table(mcar), out / "attrition_mcar.csv")
    log.info("Little's MCAR test: %s", {k: mcar[k] for k in ("chi2", "df", "pvalue", "status")})

    scale_labels = {f"{k}_{base}": short_label(s.label) for k, s in cfg.scales.items()}
    sentence = att.attrition_summary(
        flow, comparisons, labels=scale_labels, min_cell=cfg.min_cell,
        notable_smd=settings["notable_smd"],
    )
    summary = {
        "sentence": sentence,
        "retention_models": statuses,
        "mcar": {k: mcar[k] for k in ("chi2", "df", "pvalue", "status", "message")},
    }
    Path(args.summary).write_text(json.dumps(summary, indent=1, default=str, sort_keys=True) + "\n")
