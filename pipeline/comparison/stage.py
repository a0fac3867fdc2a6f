"""Comparison designs: change in a programme arm against a reference arm (arm x time).

Reads the clean wide table (and the imputations when the impute rule runs) and writes exactly
the rule's outputs: the flow per arm (+ public copy), baseline balance (+ public copy), the
difference in change under every method, each arm's wave means, the sentences and one figure
per outcome; when configured, the chains and cross-lagged models by arm with their tests
(declared only then) and the figure of the chains' indirect effects by arm.
"""

from __future__ import annotations

import pandas as pd

from pipeline.comparison.figures import plot_arms, plot_indirect
from pipeline.comparison.outputs import comparison_tables
from pipeline.comparison.settings import from_config
from pipeline.config import Config
from pipeline.stage_io import StageIO, read_imputed
from pipeline.tables import write_table
from pipeline.wording import lower_first

_FIGURE_METHOD = {"fiml": "FIML means (95% CI), adjusted", "mi": "MI means (95% CI)",
                  "complete_case": "Complete-case means (95% CI)"}


def run(cfg: Config, io: StageIO) -> None:
    settings = from_config(cfg)
    wide = pd.read_parquet(io.input("wide"))
    imputations = (read_imputed(io.input("imputations"), wide)
                   if "imputations" in io.inputs else None)
    t = comparison_tables(cfg, settings, wide, imputations)
    write_table(t.flow, io.output("flow"))
    write_table(t.flow_public, io.output("flow_public"))
    write_table(t.balance, io.output("balance"))
    write_table(t.balance_public, io.output("balance_public"))
    if t.mechanisms is not None:
        for name in ("mediation", "mediation_test", "crosslag", "crosslag_test"):
            if io.has_output(name):
                write_table(getattr(t.mechanisms, name), io.output(name))
        med = t.mechanisms.mediation
        for spec in settings.chains if io.has_output("indirect_figures") else ():
            plot_indirect(med[(med["analysis"] == spec.name) & (med["status"] == "ok")],
                          io.member("indirect_figures", f"comparison_indirect_{spec.name}.png"),
                          title=f"{spec.label or spec.name}: indirect effects by group",
                          labels={k: lower_first(sc.label or k) for k, sc in cfg.scales.items()})
    write_table(t.change, io.output("change"))
    write_table(t.means, io.output("means"))
    write_table(t.sentences, io.output("sentences"))
    order = [m for m in settings.methods if m in _FIGURE_METHOD]
    for k in settings.outcomes:
        m = t.means[t.means["outcome"] == k]
        have = [x for x in order if (m.loc[m["method"] == x, "status"] == "ok").any()]
        method = have[0] if have else settings.primary
        label = _FIGURE_METHOD.get(method, method)
        if method == "fiml" and not settings.adjusted_for:
            label = "FIML means (95% CI)"
        plot_arms(m[m["method"] == method], t.flow, io.member("figures", f"comparison_{k}.png"),
                  label=cfg.scales[k].label or k, waves=cfg.wave_ids,
                  wave_labels={w.id: w.label for w in cfg.waves},
                  units=str(t.change.loc[t.change["outcome"] == k, "units"].iloc[0])
                  if (t.change["outcome"] == k).any() else "",
                  min_cell=cfg.min_cell, method_label=label)
