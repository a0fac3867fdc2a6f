"""The ``findings`` config section: the only reader of it (start-up check, stage and rule).

Types, ranges and defaults are in ``settings.schema.yaml`` next to this file. Besides its own
keys the findings table needs what the funder sentences say about the study: the primary
missing-data method (``missing_data.primary``, read through the missing_data wing's settings),
the tipping-point estimand and its fragility threshold (``missing_data.sensitivity.
fragile_sd``), the mediation chains (through the mediation wing's settings), the waves
(labels: "at about 4 months") and every scale's label and score range (units).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from pipeline.comparison.settings import from_config as comparison_settings
from pipeline.config import Config
from pipeline.config_listings import listing_constructs
from pipeline.healthcare.settings import count_constructs
from pipeline.mediation.settings import from_config as mediation_settings
from pipeline.missing_data.settings import from_config as missing_data_settings
from pipeline.plan import study_plan, switched_off
from pipeline.settings import apply_defaults, section_settings
from pipeline.status import Status
from pipeline.wording import fmt_range, units_text
from pipeline.wording import lower_first as _lower

__all__ = ["SECTION", "CORE_KEYS", "ScaleWords", "WaveWords", "ChainWords", "FindingsSettings",
           "InactiveAnalysis", "ANALYSIS_TITLES", "from_config", "inactive"]

SECTION = "findings"
CORE_KEYS = ("waves", "scales", "disclosure")


@dataclass(frozen=True)
class ScaleWords:
    """How a construct is named and measured in a sentence: label, score range, units."""

    label: str
    scale_min: float
    scale_max: float
    score: str
    units: str
    listing: bool = False
    """A group listing's derived count (named by analyses, never a per-wave change row of its
    own unless change.listing_outcomes names it, which writes its rows)."""


@dataclass(frozen=True)
class WaveWords:
    """A wave as sentences name it: ``phrase`` "about 4 months" (label, first letter lowered)."""

    id: str
    phrase: str
    months: float


@dataclass(frozen=True)
class ChainWords:
    """One configured mediation chain: X (a change or a level), mediators, Y (construct, wave)."""

    name: str
    label: str
    x: str
    x_waves: tuple[str, ...]
    mediators: tuple[tuple[str, str], ...]
    y: str
    y_wave: str


# the analyses of the findings table, by stage, as a reader names them (report headings)
ANALYSIS_TITLES = {
    "attrition": "Participant flow and attrition",
    "change": "Change over time",
    "impute": "Missing data and the tipping point",
    "mediation": "Mediation",
    "crosslag": "Cross-lagged models",
    "comparison": "Comparison with another group",
}


@dataclass(frozen=True)
class InactiveAnalysis:
    """An analysis that does not run: its stage, title, status (waits_for_data | not_run) and
    the plain reason ("waits for a second wave: ...", "switched off in the config ...")."""

    stage: str
    title: str
    status: str
    reason: str
    analysis: str = ""  # one analysis of the stage (e.g. a mediation chain); "": the whole stage


@dataclass(frozen=True)
class FindingsSettings:
    """Resolved ``findings`` section plus what the sentences need from the rest of the config."""

    primary: str
    fragile_sd: float
    small_n: int
    alpha: float
    crosslag_comparison: bool
    min_cell: int
    scales: dict[str, ScaleWords]
    waves: tuple[WaveWords, ...]
    chains: tuple[ChainWords, ...]
    tipping_outcome: str | None
    tipping_wave: str | None
    # analyses that do not run (pipeline.plan): one findings row each, with the reason
    not_running: tuple[InactiveAnalysis, ...] = ()
    tipping_skip: str = ""  # why there is no tipping point although the impute stage runs
    running: tuple[str, ...] = ()  # stages that run (pipeline.plan), sorted; empty: not known
    comparison_randomised: bool = False  # the comparison's arms were randomised
    count_outcomes: tuple[str, ...] = ()  # healthcare counts: no linear change rows of their own

    def runs(self, stage: str) -> bool:
        """Whether analysis ``stage`` (change, attrition, impute, mediation, crosslag, and the
        wings without a findings title such as healthcare) runs."""
        return ((not self.running or stage in self.running)
                and all(a.stage != stage or a.analysis for a in self.not_running))

    @property
    def baseline(self) -> WaveWords:
        return self.waves[0]

    def wave(self, wave_id: str) -> WaveWords:
        for w in self.waves:
            if w.id == wave_id:
                return w
        return WaveWords(str(wave_id), str(wave_id), float("nan"))



def _chain(spec) -> ChainWords:
    x = spec.x
    x_waves = tuple(x.change) if x.change else (x.wave,)
    return ChainWords(name=spec.name, label=spec.label or spec.name, x=x.construct,
                      x_waves=x_waves,
                      mediators=tuple((m.construct, m.wave or "") for m in spec.mediators),
                      y=spec.y.construct, y_wave=spec.y.wave or "")


def _schema() -> dict:
    with open(Path(__file__).with_name("settings.schema.yaml"), encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def inactive(cfg: Config) -> tuple[Status, str] | None:
    """Why the findings stage does not run (switched off), or None (see pipeline.plan)."""
    return switched_off(SECTION) if not section_settings(cfg.raw, SECTION)["enabled"] else None


def _not_running(cfg: Config) -> tuple[InactiveAnalysis, ...]:
    """The analyses the findings table reports on that do not run, with status and reason."""
    plan = study_plan(cfg)
    return tuple(InactiveAnalysis(stage, ANALYSIS_TITLES[stage], plan[stage].status.value,
                                  plan[stage].reason)
                 for stage in ANALYSIS_TITLES if stage in plan and not plan[stage].runs)


def from_config(cfg: Config) -> FindingsSettings:
    """The ``findings`` section of ``cfg`` as settings (ConfigError naming a bad key)."""
    try:
        s = section_settings(cfg.raw, SECTION)
    except KeyError:  # the wing is not (yet) in pipeline.registry.WINGS: same defaults
        s = apply_defaults(_schema(), cfg.raw.get(SECTION) or {})
    md = missing_data_settings(cfg)
    scales = {}
    for k, sc in cfg.scales.items():
        lo, hi = sc.score_range
        label = sc.label or k
        scales[k] = ScaleWords(label, lo, hi, sc.score, units_text(label, lo, hi, sc.score))
    for k, c in listing_constructs(cfg.group_listings).items():
        if k not in scales:  # its label, never its key, in a sentence: "groups gained"
            scales[k] = ScaleWords(c.label, c.low, c.high, "count",
                                   f"groups on the {fmt_range(c.low, c.high)} count of "
                                   f"{_lower(c.label)}", listing=True)
    waves = tuple(WaveWords(w.id, _lower(w.label or w.id), float(w.months)) for w in cfg.waves)
    not_running = _not_running(cfg)
    running = tuple(sorted(st for st, p in study_plan(cfg).items() if p.runs))
    randomised = (comparison_settings(cfg).randomised if "comparison" in running else False)
    med = mediation_settings(cfg) if all(a.stage != "mediation" for a in not_running) else None
    if med is not None:  # chains that wait for a wave (half-longitudinal with two waves)
        not_running += tuple(InactiveAnalysis("mediation", f"Mediation: {label}",
                                              Status.WAITS_FOR_DATA.value, why, name)
                             for name, label, why in med.waiting)
    return FindingsSettings(
        primary=md.primary, fragile_sd=float(md.sensitivity.fragile_sd), small_n=int(s["small_n"]),
        alpha=float(s["alpha"]),
        crosslag_comparison=bool(s["crosslag_comparison"]), min_cell=cfg.min_cell,
        scales=scales, waves=waves,
        chains=tuple(_chain(spec) for spec in med.analyses) if med is not None else (),
        tipping_outcome=md.sensitivity.outcome,
        tipping_wave=md.sensitivity.wave if md.sensitivity.runs else None,
        not_running=not_running, tipping_skip=md.sensitivity.skip_reason,
        running=running, comparison_randomised=randomised,
        count_outcomes=tuple(c for c in count_constructs(cfg) if c in cfg.scales),
    )
