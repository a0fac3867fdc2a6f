"""The ``healthcare`` config section: the only reader of it (start-up check, stage and rule).

Types, ranges and defaults are in ``settings.schema.yaml`` next to this file; here are the checks
that need the rest of the configuration: an outcome's construct is a configured one-item scale
(a count is one answer: "how many times ..."), mediation chains name scales, waves and
covariates that exist, and their ``y`` names a configured outcome. The primary missing-data
method comes from ``missing_data.primary`` through that wing's settings: the count models have no
FIML or MI form here, so the tables name what stands in for it.

:func:`count_constructs` is the public face the change wing reads: constructs named here are
counts and are not analysed as linear scores there.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace

from pipeline.config import Config
from pipeline.errors import ConfigError, closest_names
from pipeline.missing_data.settings import from_config as missing_data_settings
from pipeline.missing_data.settings import inactive as missing_data_inactive
from pipeline.plan import switched_off, waits_for_waves
from pipeline.settings import section_settings
from pipeline.status import Status

__all__ = ["SECTION", "CORE_KEYS", "CountOutcome", "Binding", "CountChain", "ArmSpec",
           "HealthcareSettings", "from_config", "inactive", "count_constructs"]

SECTION = "healthcare"
CORE_KEYS = ("seed", "waves", "scales", "covariates", "disclosure")


@dataclass(frozen=True)
class CountOutcome:
    """One count: its name, the one-item scale holding it, what is counted, the recall period."""

    name: str
    construct: str
    label: str
    period_months: float


@dataclass(frozen=True)
class Binding:
    """A chain variable: a scale score at one wave or the change between two waves."""

    construct: str
    wave: str | None = None
    change: tuple[str, str] | None = None

    @property
    def column(self) -> str:
        if self.change:
            return f"{self.construct}_change_{self.change[0]}_{self.change[1]}"
        return f"{self.construct}_{self.wave}"

    @property
    def source_columns(self) -> tuple[str, ...]:
        if self.change:
            return tuple(f"{self.construct}_{w}" for w in self.change)
        return (f"{self.construct}_{self.wave}",)


@dataclass(frozen=True)
class CountChain:
    """One count-outcome mediation chain X -> M1 .. Mk -> count at ``y_wave``.

    ``covariates``: covariate key -> (wide column, levels; empty levels = numeric).
    """

    name: str
    label: str
    x: Binding
    mediators: tuple[Binding, ...]
    outcome: str
    y_construct: str
    y_wave: str
    covariates: tuple[tuple[str, str, tuple[str, ...]], ...] = ()

    @property
    def y_column(self) -> str:
        return f"{self.y_construct}_{self.y_wave}"


@dataclass(frozen=True)
class ArmSpec:
    """The study's comparison group, read from the ``comparison`` section (through the
    comparison wing's settings) when that wing runs: the count is then also modelled by arm.

    ``group``: the covariate key of each participant's arm; ``reference``/``programme``: the
    arms (None: resolved from the data as the comparison wing does); ``adjust_for``: covariate
    key -> (wide column, levels; empty = numeric), used only when not randomised."""

    group: str
    group_column: str
    reference: str | None
    programme: str | None
    group_levels: tuple[str, ...]
    randomised: bool
    adjust_for: tuple[tuple[str, str, tuple[str, ...]], ...] = ()


@dataclass(frozen=True)
class HealthcareSettings:
    """Resolved ``healthcare`` section. ``primary``: ``missing_data.primary``; ``seed``: the
    config seed (bootstrap and Monte Carlo draws, only when chains are configured);
    ``imputation_model``: what the impute stage's imputed sets depend on (``missing_data``
    columns, None = every scale and covariate, and MICE settings), empty when no chain is fitted
    on them (the impute stage does not run, or no chain's variables are all in the model);
    ``mc_draws``: Monte Carlo draws of the MI rows' intervals."""

    outcomes: dict[str, CountOutcome]
    model: str
    zero_inflation: str
    conf: float
    bootstrap_B: int
    chains: tuple[CountChain, ...]
    waves: tuple[str, ...]
    primary: str
    seed: int | None = None
    arms: ArmSpec | None = None  # the comparison group, when the study has one
    mc_draws: int = 20000
    impute_runs: bool = False
    imputation_columns: tuple[str, ...] | None = None
    imputation_model: dict = field(default_factory=dict)

    def not_imputed(self, ch: CountChain) -> list[str]:
        """The chain's count and construct columns (at the waves it needs) that are not in the
        imputation model (``missing_data.columns``; None = every scale at every wave)."""
        cols = [*ch.x.source_columns, *(c for m in ch.mediators for c in m.source_columns),
                ch.y_column]
        if self.imputation_columns is None:
            return []
        return [c for c in cols if c not in self.imputation_columns]

    @property
    def uses_imputations(self) -> bool:
        """Whether the stage reads the impute stage's imputed sets (a chain fitted on them)."""
        return bool(self.imputation_model)

    @property
    def tables(self) -> list[str]:
        """The tables the stage writes: the by-arm table only with a comparison group."""
        return (["change", "mediation", "sentences"]
                + (["comparison"] if self.arms is not None else []))

    @property
    def figure_stems(self) -> list[str]:
        """``healthcare_<outcome>``: one figure of mean counts by wave (.png + .svg) each."""
        return [f"healthcare_{name}" for name in self.outcomes]

    def outcome_of(self, construct: str) -> CountOutcome | None:
        return next((o for o in self.outcomes.values() if o.construct == construct), None)


def count_constructs(cfg: Config) -> tuple[str, ...]:
    """Constructs named in ``healthcare.outcomes`` (counts, whether the wing runs or not)."""
    outcomes = section_settings(cfg.raw, SECTION)["outcomes"] or {}
    return tuple(dict.fromkeys(str(o["construct"]) for o in outcomes.values()))


def inactive(cfg: Config) -> tuple[Status, str] | None:
    """Why the healthcare stage does not run (switched off; no outcomes; one wave), or None."""
    s = section_settings(cfg.raw, SECTION)
    if not s["enabled"]:
        return switched_off(SECTION)
    if not s["outcomes"]:
        return Status.NOT_RUN, ("no count outcomes configured (healthcare.outcomes is empty); "
                                "add one there to analyse healthcare use")
    return waits_for_waves(2, len(cfg.wave_ids), "change in a count is measured from entry to "
                           "a follow-up wave")


def _unknown(where: str, value: str, valid: list[str], what: str) -> str:
    close = closest_names(str(value), valid)
    return (f"config key {where}: '{value}' is not {what}"
            + (f" (did you mean '{close[0]}'?)" if close else "")
            + f"; valid: {', '.join(valid) or '(none configured)'}.")


def _outcome(cfg: Config, name: str, o: dict, problems: list[str]) -> CountOutcome:
    where = f"{SECTION}.outcomes.{name}.construct"
    sc = cfg.scales.get(o["construct"])
    if sc is None:
        problems.append(_unknown(where, o["construct"], list(cfg.scales), "a configured scale"))
    elif len(sc.items) != 1:
        problems.append(f"config key {where}: scale '{sc.key}' has {len(sc.items)} items; a count "
                        "outcome is one item (the number of visits). Name a one-item scale.")
    label = o["label"] or (sc.label if sc is not None and sc.label else o["construct"])
    return CountOutcome(name, o["construct"], label, float(o["period_months"]))


def _binding(cfg: Config, b: dict, where: str, problems: list[str]) -> Binding:
    if b["construct"] not in cfg.scales:
        problems.append(_unknown(f"{where}.construct", b["construct"], list(cfg.scales),
                                 "a configured scale"))
    waves = cfg.wave_ids
    if (b["wave"] is None) == (b["change"] is None):
        problems.append(f"config key {where}: give either 'wave' or 'change' (two waves).")
        return Binding(b["construct"], wave=waves[0])
    for w in [b["wave"]] if b["wave"] is not None else b["change"]:
        if w not in waves:
            problems.append(_unknown(where, w, waves, "a configured wave"))
            return Binding(b["construct"], wave=waves[0])
    if b["change"] is not None:
        w0, w1 = b["change"]
        if waves.index(w0) >= waves.index(w1):
            problems.append(f"config key {where}.change: {[w0, w1]} must go from an earlier to "
                            f"a later wave (waves in order: {', '.join(waves)}).")
        return Binding(b["construct"], change=(w0, w1))
    return Binding(b["construct"], wave=b["wave"])


def _chain(cfg: Config, name: str, a: dict, outcomes: dict[str, CountOutcome],
           problems: list[str]) -> CountChain | None:
    where = f"{SECTION}.mediation.{name}"
    x = _binding(cfg, a["x"], f"{where}.x", problems)
    meds = tuple(_binding(cfg, m, f"{where}.mediators[{i}]", problems)
                 for i, m in enumerate(a["mediators"]))
    covs = []
    for c in a["covariates"]:
        cv = cfg.covariates.get(c)
        if cv is None:
            problems.append(_unknown(f"{where}.covariates", c, list(cfg.covariates),
                                     "a configured covariate"))
            continue
        covs.append((c, cv.column, tuple(cv.levels or ()) if cv.type == "categorical" else ()))
    y = a["y"]
    if y["outcome"] not in outcomes:
        problems.append(_unknown(f"{where}.y.outcome", y["outcome"], list(outcomes),
                                 "a key of healthcare.outcomes"))
        return None
    if y["wave"] not in cfg.wave_ids:
        problems.append(_unknown(f"{where}.y.wave", y["wave"], cfg.wave_ids, "a configured wave"))
    construct = outcomes[y["outcome"]].construct
    cols = [b.column for b in (x, *meds)] + [f"{construct}_{y['wave']}"]
    if len(set(cols)) < len(cols):
        problems.append(f"config key {where}: a variable appears twice in the chain {cols}.")
    return CountChain(name, a["label"] or name, x, meds, y["outcome"], construct, y["wave"],
                      tuple(covs))


def _arm_spec(cfg: Config) -> ArmSpec | None:
    """The comparison group when the comparison wing runs for this study, else None.

    Imported here, not at the top: the comparison settings read the change wing's, which read
    :func:`count_constructs` from this module (a top-level import would be circular)."""
    from pipeline.comparison.settings import from_config as comparison_settings
    from pipeline.comparison.settings import inactive as comparison_inactive

    if comparison_inactive(cfg) is not None:
        return None
    c = comparison_settings(cfg)
    group = cfg.covariates[c.group]
    adjust = tuple((k, cfg.covariates[k].column,
                    tuple(cfg.covariates[k].levels or ())
                    if cfg.covariates[k].type == "categorical" else ())
                   for k in c.adjusted_for)
    return ArmSpec(c.group, group.column, c.reference, c.programme,
                   tuple(group.levels or ()), c.randomised, adjust)


def from_config(cfg: Config) -> HealthcareSettings:
    """The ``healthcare`` section, validated and resolved; every problem in one ConfigError."""
    s = section_settings(cfg.raw, SECTION)
    problems: list[str] = []
    outcomes = {k: _outcome(cfg, k, o, problems) for k, o in s["outcomes"].items()}
    chains = [_chain(cfg, k, a, outcomes, problems) for k, a in s["mediation"].items()]
    if problems:
        raise ConfigError("\n  - ".join(problems))
    md = missing_data_settings(cfg)
    out = HealthcareSettings(
        outcomes=outcomes, model=s["model"], zero_inflation=s["zero_inflation"],
        conf=float(s["conf"]), bootstrap_B=int(s["bootstrap_B"]),
        chains=tuple(c for c in chains if c is not None), waves=tuple(cfg.wave_ids),
        primary=md.primary, seed=cfg.seed if s["mediation"] else None, arms=_arm_spec(cfg),
        mc_draws=int(s["mc_draws"]), impute_runs=missing_data_inactive(cfg) is None,
        imputation_columns=md.columns)
    # what the imputed sets depend on, only when a chain is fitted on them: the rule reruns
    # when it changes, not when impute rewrites the same sets (the input is ancient)
    if out.impute_runs and any(not out.not_imputed(c) for c in out.chains):
        out = replace(out, imputation_model={"columns": md.columns, "mice": asdict(md.mice)})
    return out
