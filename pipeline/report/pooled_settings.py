"""Settings of the pooled report (a run-level stage of the report wing, ``pooled_report``).

The pooled report is built once per run, beside the pooled analysis, from the pooled wing's
tables only (``results/pooled/tables``, already protected for disclosure). It runs when the
pooled analysis runs and ``pooled.report.enabled`` is true. Its own keys are ``pooled.report``
(``title``, ``date``; read through :func:`pipeline.pooled.settings.report_section`); the look
(language, colours, organisation) is the first study's ``report:`` section, so that the pooled
report looks like the schemes' own reports.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

from pipeline.errors import ConfigError
from pipeline.plan import switched_off
from pipeline.pooled.settings import from_programme as pooled_settings
from pipeline.pooled.settings import inactive as pooled_inactive
from pipeline.pooled.settings import report_section
from pipeline.report.settings import TEMPLATE_DIR, config_hash
from pipeline.report.settings import from_config as study_report_settings
from pipeline.status import Status

__all__ = ["PooledReportSettings", "from_programme", "inactive", "params_json", "NO_DATE",
           "scheme_labels"]

NO_DATE = "1970-01-01"  # the PDF's internal timestamp when no date is configured (never shown)


@dataclass(frozen=True)
class PooledReportSettings:
    """What the pooled report needs besides the pooled tables."""

    title: str
    programme: str  # the line under the title
    organisation: str
    language: str
    date: str  # NO_DATE when none is configured
    primary_colour: str
    accent_colour: str
    min_cell: int  # the largest threshold of the schemes (the pooled totals use it)
    #: scheme id -> its title; construct key -> (label, lo, hi, score); wave id -> label
    schemes: dict[str, str]
    constructs: dict[str, tuple[str, float, float, str]]
    scale_labels: dict[str, str]  # every scale of the first study: key -> label
    wave_labels: dict[str, str]
    mediation: str | None
    mediation_label: str
    config_hash: str

    @property
    def template_path(self):
        return TEMPLATE_DIR / "report.typ"


def scheme_labels(titles: dict[str, str]) -> dict[str, str]:
    """How the report names each scheme: its title and, in brackets, its id (the forest
    figures label the schemes by id); the id alone when it has no title of its own."""
    return {n: f"{t} ({n})" if t and t != n else n for n, t in titles.items()}


def inactive(prog) -> tuple[Status, str] | None:
    """Why the pooled report is not built (the pooled analysis does not run; switched off)."""
    found = pooled_inactive(prog)
    if found is not None:
        return Status.NOT_RUN, f"not built: the pooled analysis does not run ({found[1]})"
    try:
        pooled_settings(prog)
    except ConfigError:  # the pooled wing's own start-up check says what (once)
        return Status.NOT_RUN, "not built: the pooled section has a problem (said above)"
    if not report_section(prog)["enabled"]:
        return switched_off("pooled.report")
    return None


def _chain_label(prog, name: str | None) -> str:
    if not name:
        return ""
    from pipeline.mediation.settings import from_config as mediation_settings

    first = next(iter(prog.configs.values()))
    spec = next(a for a in mediation_settings(first).analyses if a.name == name)
    return spec.label or name


def from_programme(prog) -> PooledReportSettings:
    """The pooled report's settings for the run ``prog``."""
    s = pooled_settings(prog)
    sec = report_section(prog)
    first = study_report_settings(next(iter(prog.configs.values())))
    dates = [d for d in (study_report_settings(c).date for c in prog.configs.values()) if d]
    orgs = {study_report_settings(c).organisation or "" for c in prog.configs.values()}
    k = len(s.studies)
    return PooledReportSettings(
        title=sec["title"] or f"Pooled evaluation report: {k} schemes",
        programme="Across the schemes: " + ", ".join(
            str(s.study_info[n]["title"]) for n in s.studies),
        organisation=orgs.pop() if len(orgs) == 1 else "",
        language=first.language,
        date=sec["date"] or (max(dates) if dates else NO_DATE),
        primary_colour=first.primary_colour,
        accent_colour=first.accent_colour,
        min_cell=max(int(s.study_info[n]["min_cell"]) for n in s.studies),
        schemes=scheme_labels({n: str(s.study_info[n]["title"] or "") for n in s.studies}),
        constructs={c.key: (c.label, c.lo, c.hi, c.score) for c in s.constructs},
        scale_labels={k: sc.label or k for k, sc in
                      next(iter(prog.configs.values())).scales.items()},
        wave_labels={w: lab for n in s.studies for w, lab in s.study_info[n]["waves"]},
        mediation=s.mediation,
        mediation_label=_chain_label(prog, s.mediation),
        config_hash=config_hash({"sections": prog.sections, "studies": prog.raws}),
    )


def params_json(prog) -> str:
    """The rule's ``params``: the resolved settings (a change reruns the report)."""
    return json.dumps(asdict(from_programme(prog)), sort_keys=True, default=str)
