"""Which analyses run for this study, and a plain reason for each that does not.

A study grows wave by wave: with only the first wave configured the pipeline still builds the
clean data, reliability, the data-quality tables and the baseline descriptives, while change,
attrition, missing data, mediation and cross-lags *wait for a second wave*. Any analysis
section can also be switched off (``enabled: false``) or have nothing to run (no mediation
analyses configured).

Each wing decides its own feasibility, because its ``settings.py`` is the only reader of its
section: a wing's settings module may define ``inactive(cfg) -> (Status, reason) | None``
(None: the wing runs). This module only collects those answers (through
:mod:`pipeline.registry`, which imports a wing's settings on demand); it never decides for a
wing. Used by the start-up check (:mod:`pipeline.validate`: an inactive wing's cross-checks,
such as "this wave exists", are skipped, its keys are still checked by its schema), by the rule
files (an inactive wing's rule is not part of the workflow) and by the findings wing (one row
per inactive analysis, which the report prints).
"""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.config import Config
from pipeline.registry import WINGS, Wing, settings_module
from pipeline.status import Status

__all__ = ["WingPlan", "study_plan", "active_stages", "waits_for_waves", "switched_off",
           "ORDINALS"]

ORDINALS = ("first", "second", "third", "fourth", "fifth", "sixth")


@dataclass(frozen=True)
class WingPlan:
    """Whether wing ``name`` (rule ``stage``) runs; if not, its status and the reason."""

    name: str
    stage: str
    section: str | None
    status: Status = Status.OK
    reason: str = ""

    @property
    def runs(self) -> bool:
        return self.status is Status.OK


def waits_for_waves(needed: int, configured: int, what: str) -> tuple[Status, str] | None:
    """``(waits_for_data, "waits for a second wave (<what>)")`` when fewer than ``needed``
    waves are configured, else None. ``what`` says why the analysis needs them."""
    if configured >= needed:
        return None
    nth = ORDINALS[needed - 1] if needed <= len(ORDINALS) else f"{needed}th"
    return Status.WAITS_FOR_DATA, f"waits for a {nth} wave ({what})"


def switched_off(section: str) -> tuple[Status, str]:
    """The status and reason of a section with ``enabled: false``."""
    return Status.NOT_RUN, f"switched off in the config ({section}.enabled: false)"


def _inactive(cfg: Config, w: Wing) -> tuple[Status, str] | None:
    if w.section is None:
        return None
    check = getattr(settings_module(w), "inactive", None)
    if check is None:
        return None
    try:
        return check(cfg)
    except (TypeError, ValueError, KeyError, AttributeError):
        # a malformed section: it runs, so that its own checks report the problem
        return None


def study_plan(cfg: Config) -> dict[str, WingPlan]:
    """Stage name -> :class:`WingPlan` for every wing, in the registry's order."""
    out: dict[str, WingPlan] = {}
    for w in WINGS:
        found = _inactive(cfg, w)
        plan = WingPlan(w.name, w.stage, w.section)
        if found is not None:
            plan = WingPlan(w.name, w.stage, w.section, Status(found[0]), found[1])
        out[w.stage] = plan
    return out


def active_stages(cfg: Config) -> tuple[str, ...]:
    """The stages that run for ``cfg``."""
    return tuple(s for s, p in study_plan(cfg).items() if p.runs)
