"""The wings of the house: analysis name -> its config section, settings and stage modules.

This table is data only (module names as strings), so the core (``pipeline.config``) can read
it without importing any analysis. ``pipeline.cli`` dispatches stages through it and the
start-up check (:mod:`pipeline.validate`) runs every wing's settings parser through it.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

__all__ = ["Wing", "WINGS", "RUN_WINGS", "wing", "settings_module", "stage_module"]

PACKAGE_DIR = Path(__file__).parent


@dataclass(frozen=True)
class Wing:
    """One analysis folder ``pipeline/<name>/``.

    ``stage`` is the CLI/Snakemake stage name; ``section`` the config section its
    ``settings.py`` owns (None: the wing reads only the core study config).
    """

    name: str
    stage: str
    section: str | None
    #: prefix of the stage's modules in the wing's folder, for a second stage of a wing: the
    #: report wing's run-level pooled report is ``pipeline/report/pooled_settings.py`` and
    #: ``pooled_stage.py`` (prefix "pooled_"); "" = ``settings.py`` and ``stage.py``
    prefix: str = ""

    @property
    def schema_path(self) -> Path | None:
        return PACKAGE_DIR / self.name / "settings.schema.yaml" if self.section else None


WINGS: tuple[Wing, ...] = (
    Wing("ingest", "ingest", None),
    Wing("clean", "clean", None),
    Wing("change", "change", "change"),
    Wing("attrition", "attrition", "attrition"),
    Wing("missing_data", "impute", "missing_data"),
    Wing("mediation", "mediation", "mediation"),
    Wing("crosslag", "crosslag", "crosslag"),
    Wing("healthcare", "healthcare", "healthcare"),
    Wing("comparison", "comparison", "comparison"),
    Wing("moderation", "moderation", "moderation"),
    Wing("findings", "findings", "findings"),
    Wing("report", "report", "report"),
)

#: Wings that run once over all the studies of a run (not once per study): their config section
#: sits at the top of config/config.yaml beside ``studies:`` (never in a study file), their
#: ``settings`` read a :class:`pipeline.studies.Programme` and their outputs go to
#: ``results/<name>/``.
RUN_WINGS: tuple[Wing, ...] = (Wing("pooled", "pooled", "pooled"),
                               Wing("report", "pooled_report", None, "pooled_"))


def wing(stage: str) -> Wing:
    for w in WINGS + RUN_WINGS:
        if w.stage == stage or w.name == stage:
            return w
    raise KeyError(stage)


def settings_module(w: Wing) -> ModuleType:
    return importlib.import_module(f"pipeline.{w.name}.{w.prefix}settings")


def stage_module(w: Wing) -> ModuleType:
    return importlib.import_module(f"pipeline.{w.name}.{w.prefix}stage")
