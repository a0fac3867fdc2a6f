"""Change over time: mixed-model trajectories, effect sizes, reliable change, sample description."""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from pipeline.change.analysis import change_settings, change_tables, write_change_tables
from pipeline.change.rci import rci_sentence, reliability_from_table
from pipeline.config import Config
from pipeline.change.descriptives import baseline_table, correlation_tables
from pipeline.disclosure import format_count, suppress_within_groups
from pipeline.change.figures import change_sentence, plot_trajectory
from pipeline.tables import write_table


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--long", required=True)
    p.add_argument("--wide", required=True)
    p.add_argument("--reliability", required=True)
    p.add_argument("--out-dir", required=True)
    p.add_argument("--individual", required=True, help="per-participant RCI (not a funder table)")
    p.add_argument("--fig-dir", required=True)
    p.add_argument("--sentences", required=True, help="CSV of plain-language sentences")


def run(cfg: Config, args: argparse.Namespace) -> None:
    long, wide = pd.read_parquet(args.long), pd.read_parquet(args.wide)
    keys = list(cfg.scales)
    covs = {k: c.type for k, c in cfg.covariates.items()}
    cov_waves = {k: c.wave for k, c in cfg.covariates.items() if c.wave}
    settings = change_settings(cfg.section("change"), keys)
    alpha = reliability_from_table(pd.read_csv(args.reliability), cfg.wave_ids[0])
    tables = change_tables(long, {k: s.mid for k, s in cfg.scales.items()}, cfg.wave_ids, covs,
                           settings, reliability=alpha, min_cell=cfg.min_cell,
                           covariate_waves=cov_waves)
    write_table(tables.pop("rci_individual"), args.individual)
    out = Path(args.out_dir)
    write_change_tables(tables, out)
    # funder-facing copies with small counts suppressed (disclosure.min_cell)
    rci_public = suppress_within_groups(tables["rci_shares"], "count", ["construct", "wave"],
                                        cfg.min_cell, share_columns=["share", "ci_lower", "ci_upper"])
    rci_public["n"] = rci_public["n"].map(
        lambda v: format_count(v, cfg.min_cell) if pd.notna(v) else v)
    few = tables["rci_shares"]["flag"].eq("small_n")
    rci_public.loc[few, "message"] = (f"fewer than {cfg.min_cell} people answered at both waves; "
                                      "reliable change is not estimated")
    write_table(rci_public, out / "change_rci_shares_public.csv")
    baseline = baseline_table(wide, covs, keys, cfg.wave_ids)
    write_table(baseline, out / "descriptives_baseline.csv")
    cat = baseline["type"] != "numeric"
    public = baseline.astype(object)
    public.loc[cat] = suppress_within_groups(baseline[cat], "count", ["group", "variable"],
                                             cfg.min_cell, share_columns=["percent"])
    write_table(public, out / "descriptives_baseline_public.csv")
    write_table(correlation_tables(long, keys, cfg.wave_ids), out / "descriptives_correlations.csv")
    labels = {w.id: w.label for w in cfg.waves}
    phrases = {w.id: "at " + w.label[:1].lower() + w.label[1:] for w in cfg.waves[1:]}
    rows = []
    for k, sc in cfg.scales.items():
        rows.append({"construct": k, "kind": "group_change", "wave": "",
                     "sentence": change_sentence(tables["contrasts"], k, label=sc.label,
                                                 wave_phrases=phrases, scale_range=sc.range)})
        for w in cfg.wave_ids[1:]:
            rows.append({"construct": k, "kind": "reliable_change", "wave": w,
                         "sentence": rci_sentence(tables["rci_shares"], k, w, label=sc.label,
                                                  wave_phrase=phrases[w], min_cell=cfg.min_cell)})
    write_table(pd.DataFrame(rows), args.sentences)
    for k, sc in cfg.scales.items():
        plot_trajectory(tables["means"], k, Path(args.fig_dir) / f"change_{k}", label=sc.label,
                        min_cell=cfg.min_cell, wave_labels=labels,
                        higher_is_better=settings.higher_is_better.get(k, True),
                        scale_range=tuple(sc.range),
                        wave_months={w.id: w.months for w in cfg.waves},
                        covariate_weights=settings.covariate_weights)
