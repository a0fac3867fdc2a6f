"""Change over time: change under the primary method (change_primary.csv, sentences, figures),
mixed-model trajectories, effect sizes, reliable change, sample description; group listings'
counts after the scales, over their own waves (change.listing). Figures' n printed together."""

from __future__ import annotations

import pandas as pd

from pipeline.change.analysis import TABLES, change_tables, public_baseline
from pipeline.change.bands import band_shares, public_band_shares, scale_bands
from pipeline.change.descriptives import baseline_n_exact, baseline_table, correlation_tables
from pipeline.change.figures import answered_per_wave, joint_count_texts, plot_trajectory
from pipeline.change.listing import listing_change, merge_tables
from pipeline.change.primary import ScaleUnits, change_primary, figure_means
from pipeline.change.rci import alpha_problems, public_rci_shares, reliability_from_table
from pipeline.change.sentences import sentences_table
from pipeline.change.settings import from_config
from pipeline.clean.settings import meaningful_change
from pipeline.config import Config
from pipeline.stage_io import ImputedSets, StageIO, read_imputed
from pipeline.status import Status, status_row
from pipeline.tables import write_table


def _optional(io: StageIO, name: str) -> pd.DataFrame | None:
    """An input the rule declares only when its stage runs (IPW weights)."""
    return pd.read_parquet(io.input(name)) if name in io.inputs else None


def _imputations(io: StageIO, wide: pd.DataFrame) -> ImputedSets | None:
    """The imputations (when the impute rule runs), built from the wide table and the cells."""
    return read_imputed(io.input("imputations"), wide) if "imputations" in io.inputs else None


def write_descriptives(cfg: Config, io: StageIO, long: pd.DataFrame, wide: pd.DataFrame) -> dict:
    """The sample description (baseline table, its public copy, within-wave correlations; no
    follow-up needed). Returns scale -> its n at entry printed exactly (baseline_n_exact)."""
    keys, covs = list(cfg.scales), {k: c.type for k, c in cfg.covariates.items()}
    baseline = baseline_table(wide, covs, keys, cfg.wave_ids)
    write_table(baseline, io.output("baseline"))
    write_table(public := public_baseline(baseline, cfg.min_cell), io.output("baseline_public"))
    write_table(correlation_tables(long, keys, cfg.wave_ids), io.output("correlations"))
    return baseline_n_exact(public, keys, cfg.wave_ids[0])


def count_status(constructs) -> pd.DataFrame:
    """One ``not_run`` status row per count construct (analysed by the healthcare wing)."""
    return pd.DataFrame([status_row("change", "none", Status.NOT_RUN,
                                    "a count (healthcare.outcomes): analysed as a count by the "
                                    "healthcare wing, not as a linear score", construct=k)
                         for k in constructs])


def write_bands(cfg: Config, io: StageIO, long: pd.DataFrame, sizes: dict[str, float],
                conf: float, shown: pd.Series | None = None) -> pd.DataFrame | None:
    """Shares per published band (UCLA-3 "lonely", ONS bands) and their public copy, for the
    scales whose preset has bands, when the change analysis runs (the rule declares the two
    tables only then; with one wave the band sentence has no change to describe). ``shown``: the
    reliable-change n as printed (its exact counts are set beside the bands' n)."""
    bands, refs = scale_bands(cfg.scales)
    if not bands:
        return None
    shares = band_shares(long, bands, cfg.wave_ids, cfg.min_cell, conf, refs)
    exact = [float(v) for v in (shown if shown is not None else []) if str(v).isdigit()]
    public = public_band_shares(shares, cfg.min_cell, sizes, exact, conf)
    write_table(shares, io.output("bands"))
    write_table(public, io.output("bands_public"))
    return public


def run(cfg: Config, io: StageIO) -> None:
    settings = from_config(cfg)
    long, wide = pd.read_parquet(io.input("long")), pd.read_parquet(io.input("wide"))
    sizes = answered_per_wave(wide, cfg.wave_ids)
    if settings.descriptives_only:  # the change analysis waits or is switched off
        return write_descriptives(cfg, io, long, wide)
    covs = {k: c.type for k, c in cfg.covariates.items()}
    cov_waves = {k: c.wave for k, c in cfg.covariates.items() if c.wave}
    scales = settings.analysed_scales(cfg.scales)  # counts are the healthcare wing's
    rel = pd.read_csv(io.input("reliability"))
    tables = change_tables(long, {k: meaningful_change(s) for k, s in scales.items()},
                           cfg.wave_ids, covs, settings, reliability_from_table(
                               rel, cfg.wave_ids[0]), cfg.min_cell, cov_waves,
                           alpha_problems=alpha_problems(rel, cfg.wave_ids[0]))
    tables["status"] = pd.concat([tables["status"], count_status(settings.count_constructs)],
                                 ignore_index=True)
    units = {k: ScaleUnits.from_scale(sc) for k, sc in scales.items()}
    imputations, weights = _imputations(io, wide), _optional(io, "weights")
    primary, primary_means = change_primary(wide, units, cfg.wave_ids, covs, settings, tables,
                                            imputations=imputations, weights=weights,
                                            min_cell=cfg.min_cell)
    labels = {w.id: w.label for w in cfg.waves}
    extra = listing_change(long, wide, settings, covs, list(scales), labels, cfg.min_cell,
                           cov_waves, imputations=imputations, weights=weights, sizes=sizes)
    tables, primary, primary_means, units = extra.merged(tables, primary, primary_means, units)
    outs = {n: tables[n] for n in TABLES} | {"individual": tables["rci_individual"],
                                             "primary": primary, "primary_means": primary_means}
    for name, table in outs.items():
        write_table(table, io.output(name))
    exact = write_descriptives(cfg, io, long, wide)  # before: its n tells what SDs may show
    write_table(rci_public := public_rci_shares(tables["rci_shares"], cfg.min_cell, sizes, exact),
                io.output("rci_public"))
    bands = write_bands(cfg, io, long, sizes, settings.conf_level, rci_public["n"])
    sentences = sentences_table(
        primary[(primary["role"] == "primary") & primary["construct"].isin(list(scales))],
        tables["rci_shares"], {k: sc.label for k, sc in scales.items()},
        {k: (u.lo, u.hi) for k, u in units.items()}, labels, cfg.min_cell,
        units={k: u.units for k, u in units.items()}, group_sizes=sizes, bands=bands,
        scores={k: sc.score for k, sc in cfg.scales.items()})
    write_table(merge_tables(sentences, extra.sentences), io.output("sentences"))
    figs = {k: figure_means(primary_means, tables["means"], k, settings.change_methods)
            for k in units}  # every figure's n per wave printed together (joint_count_texts)
    texts = joint_count_texts({k: (f[0], (f[1],)) for k, f in figs.items()}, cfg.min_cell, sizes)
    for k, u in units.items():
        plot_trajectory(figs[k][0], k, io.member("figures", f"change_{k}.png"), label=u.label,
                        min_cell=cfg.min_cell, higher_is_better=settings.is_higher_better(k),
                        wave_labels={w: a for w, a in labels.items() if extra.has(k, w)},
                        scale_range=(u.lo, u.hi), model_methods=(figs[k][1],), score_unit=u.unit,
                        model_label=figs[k][2], score_name=u.score, count_texts=texts[k],
                        wave_months={w.id: w.months for w in cfg.waves}, group_sizes=sizes)
