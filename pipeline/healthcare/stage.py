"""Healthcare use as a count: change by wave (mixed model, complete-case regression beside it),
count-outcome mediation (complete cases, and multiple imputation by Rubin's rules on the impute
stage's imputed sets, input ``imputations``, when a chain's variables are in its model),
sentences and one figure per outcome (see ``change.py``, ``mediation.py``, ``rubin.py``)."""

from __future__ import annotations

import pandas as pd

from pipeline.config import Config
from pipeline.healthcare.byarm import arm_change
from pipeline.healthcare.change import count_change
from pipeline.healthcare.data import check_count_columns
from pipeline.healthcare.figures import plot_rates
from pipeline.healthcare.mediation import count_mediation
from pipeline.healthcare.sentences import sentences_table
from pipeline.healthcare.settings import from_config
from pipeline.stage_io import StageIO, read_imputed
from pipeline.tables import write_table
from pipeline.wording import lower_first


def _x_text(chain, labels) -> str:
    name = lower_first(labels.get(chain.x.construct) or chain.x.construct.replace("_", " "))
    if chain.x.change:
        return f"rise in {name} ({chain.x.change[0]} to {chain.x.change[1]})"
    return f"{name} ({chain.x.wave})"


def run(cfg: Config, io: StageIO) -> None:
    """Read ``wide`` (and ``imputations`` when declared); write ``change``, ``mediation``,
    ``sentences``, the ``figures`` and, with a comparison group, ``comparison`` (the change by
    arm)."""
    s = from_config(cfg)
    wide = pd.read_parquet(io.input("wide"))
    for o in s.outcomes.values():
        check_count_columns(wide, o.construct, s.waves, o.label)
    labels = {k: sc.label for k, sc in cfg.scales.items()}
    change = count_change(wide, s)
    imputations = (read_imputed(io.input("imputations"), wide)
                   if io.inputs.get("imputations") else None)
    mediation = count_mediation(wide, s, labels, imputations)
    byarm = arm_change(wide, s) if s.arms is not None else None
    write_table(change, io.output("change"))
    write_table(mediation, io.output("mediation"))
    if byarm is not None:
        write_table(byarm, io.output("comparison"))
    waves = {w.id: lower_first(w.label or w.id) for w in cfg.waves}
    write_table(sentences_table(change, mediation, waves,
                                {c.name: _x_text(c, labels) for c in s.chains},
                                {k: o.label for k, o in s.outcomes.items()}, s.conf, byarm,
                                s.arms is not None and s.arms.randomised),
                io.output("sentences"))
    for name, o in s.outcomes.items():
        io.member("figures", f"healthcare_{name}.svg")  # declared twin, written with the PNG
        plot_rates(change, name, io.member("figures", f"healthcare_{name}.png"), o.label,
                   {w.id: w.label or w.id for w in cfg.waves}, o.period_months, byarm)
