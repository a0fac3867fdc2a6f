"""Every table of the comparison stage from the clean wide table and the settings.

Order: the design frame (:mod:`pipeline.comparison.frame`), the flow per arm, the propensity
weights and the balance table (:mod:`pipeline.comparison.balance`, + its public copy), the
estimates of every method (:mod:`pipeline.comparison.analysis`), the chains and cross-lagged
models by arm (:mod:`pipeline.comparison.mechanisms`, when configured) and the sentences. The
stage only reads and writes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from pipeline.comparison.analysis import comparison_estimates
from pipeline.comparison.balance import (
    WEIGHT,
    balance_table,
    propensity_weights,
    public_balance,
)
from pipeline.comparison.flow import arm_flow, public_flow
from pipeline.comparison.frame import ARM, Design, build_design
from pipeline.comparison.mechanisms import Mechanisms, mechanisms
from pipeline.comparison.sentences import sentences_table
from pipeline.comparison.settings import ComparisonSettings
from pipeline.config import Config
from pipeline.wording import units_text

__all__ = ["ComparisonTables", "comparison_tables", "outcome_units"]


@dataclass
class ComparisonTables:
    flow: pd.DataFrame
    flow_public: pd.DataFrame
    balance: pd.DataFrame
    change: pd.DataFrame
    means: pd.DataFrame
    sentences: pd.DataFrame
    design: Design
    balance_public: pd.DataFrame | None = None
    mechanisms: Mechanisms | None = None


def outcome_units(cfg: Config, outcomes: Sequence[str]) -> dict[str, tuple[str, float, float]]:
    """outcome -> (units text, score min, score max)."""
    out = {}
    for k in outcomes:
        sc = cfg.scales[k]
        lo, hi = sc.score_range
        out[k] = (units_text(sc.label or k, lo, hi, sc.score), float(lo), float(hi))
    return out


def _design(cfg: Config, s: ComparisonSettings, wide: pd.DataFrame,
            centre: Mapping[str, float] | None = None) -> Design:
    return build_design(
        wide, group=s.group, reference=s.reference, programme=s.programme,
        adjust_for=s.adjusted_for, centre=centre,
        covariate_types={k: c.type for k, c in cfg.covariates.items()},
        covariate_levels={k: c.levels for k, c in cfg.covariates.items()},
        scales=list(cfg.scales), waves=cfg.wave_ids, outcomes=s.outcomes,
        auxiliary=s.auxiliary)


def _aux_list(design: Design):
    """Auxiliaries of a per-outcome FIML fit (``change.auxiliary`` none or a list): the
    listed columns but the outcome's own."""
    return lambda outcome: [a for a in design.auxiliaries if not a.startswith(f"{outcome}_")]


def comparison_tables(cfg: Config, s: ComparisonSettings, wide: pd.DataFrame,
                      imputations=None) -> ComparisonTables:
    """All tables (see the module notes); ``imputations``: :func:`pipeline.stage_io.
    read_imputed` of the impute stage, or None."""
    design = _design(cfg, s, wide)
    f = design.frame
    known = wide[s.group].notna().to_numpy()
    resp = wide.loc[known, [c for c in wide.columns if c.startswith("responded_")]]
    flow = arm_flow(f, resp.reset_index(drop=True), ARM,
                    {1: design.programme, 0: design.reference}, cfg.wave_ids,
                    {w.id: w.label for w in cfg.waves})
    base = [f"{k}_{cfg.wave_ids[0]}" for k in s.outcomes]
    weights, status, message = propensity_weights(f, ARM, [*design.covariates, *base],
                                                  s.weighting)
    f[WEIGHT] = weights
    raw = wide.loc[known].reset_index(drop=True)
    types = {k: cfg.covariates[k].type for k in s.adjust_for}
    balance = balance_table(f, raw, ARM, types, base, weights, s.weighting, status, message)
    imputed = None
    cols = ["pid", s.group, *s.adjusted_for,
            *(f"{k}_{w}" for k in s.outcomes for w in cfg.wave_ids)]
    if (imputations is not None and not imputations.empty and "mi" in s.methods
            and set(cols) <= set(imputations.columns)):

        def imputed():
            for fr in imputations.frames(cols):
                yield _design(cfg, s, fr, design.covariate_means).frame
    units = outcome_units(cfg, s.outcomes)
    change, means = comparison_estimates(
        design, s.outcomes, cfg.wave_ids, methods=s.methods, primary=s.primary,
        aux_list=_aux_list(design), joint=s.auxiliary == "auto", fiml_se=s.fiml_se,
        conf=s.conf_level, min_cell=cfg.min_cell, units=units, imputed=imputed,
        m=len(imputations) if imputations is not None else 0, weighting=s.weighting,
        adjusted_for=s.adjusted_for)
    if s.primary_note:  # missing_data.primary has no comparison counterpart: say who stands in
        prim = change["role"] == "primary"
        change.loc[prim, "message"] = [f"{s.primary_note}; {m}".rstrip("; ") for m in
                                       change.loc[prim, "message"].fillna("")]
    first = cfg.waves[0].label or cfg.wave_ids[0]
    labels = {k: sc.label or k for k, sc in cfg.scales.items()} | {
        f"{k}_{cfg.wave_ids[0]}": f"{sc.label or k} at {first}" for k, sc in cfg.scales.items()}
    sentences = sentences_table(
        change, balance, randomised=s.randomised, programme=design.programme,
        reference=design.reference, adjust_for=s.adjusted_for, labels=labels,
        wave_labels={w.id: w.label for w in cfg.waves}, first_wave=cfg.wave_ids[0])
    mech, shown_flow = None, public_flow(flow, cfg.min_cell)
    if s.chains or s.panels:  # the arms' sizes only as the public flow prints them
        first = shown_flow.drop_duplicates("arm")
        entered = dict(zip(first["arm"], first["entered"]))
        mech = mechanisms(wide, s, design.programme, design.reference, cfg.seed, labels,
                          entered)
        sentences = pd.concat([sentences, mech.sentences], ignore_index=True)
    return ComparisonTables(flow, shown_flow, balance, change, means,
                            sentences, design, public_balance(balance, cfg.min_cell), mech)
