"""Assemble the content model: the sections in the order of issue 12."""

from __future__ import annotations

from pathlib import Path

from pipeline.report.appendix import quality_appendix, technical_appendix
from pipeline.report.blocks import scrub_section
from pipeline.report.change_section import change_section
from pipeline.report.checklist import checklist_section
from pipeline.report.flow_section import flow_section
from pipeline.report.front import month_of, summary_section, title_meta
from pipeline.report.inputs import ReportInputs
from pipeline.report.limitations import limitations_section
from pipeline.report.mechanisms_section import mechanisms_section
from pipeline.report.model import Report
from pipeline.report.more_sections import more_sections
from pipeline.report.settings import ReportSettings

__all__ = ["build_report", "report_date", "SECTION_ORDER"]

SECTION_ORDER = ("summary", "flow", "change", "mechanisms", "limitations",
                 "appendix_technical", "appendix_checklist", "appendix_quality")
"""The sections every report has, in order. A study with a comparison arm, a count outcome or a
moderation analysis also has those sections (:mod:`pipeline.report.more_sections`): the
comparison after the change section, healthcare use and moderation after the mechanisms."""


NO_DATE = "1970-01-01"
"""The PDF's internal timestamp when neither ``report.date`` nor a response date exists (fixed, so
the same inputs give the same bytes); never shown to a reader."""


def report_date(settings: ReportSettings, inp: ReportInputs) -> str:
    """The configured date, else the latest response date in the data, else :data:`NO_DATE`
    (so the same inputs always give the same date and the same PDF bytes)."""
    if settings.date:
        return settings.date
    lasts = [w.last for w in inp.waves if w.last]
    return max(lasts) if lasts else NO_DATE


def shown_date(date: str, configured: bool = True) -> str | None:
    """The date as the title page shows it: the configured date as written; one taken from the
    data (the last response) as its month, "May 2020" (not the day of one person's answer);
    None without a date (no Date line: a funder's page carries no config hint; the stage logs
    what to set)."""
    if date == NO_DATE:
        return None
    return date if configured else month_of(date)


def build_report(inp: ReportInputs, settings: ReportSettings, root: Path) -> Report:
    """The whole report from the inputs (pure: no file is read or written here)."""
    date = report_date(settings, inp)
    more = {sec.key: sec for sec in more_sections(inp)}
    body = [summary_section(inp, settings.foreword), flow_section(inp), change_section(inp),
            *[more[k] for k in ("comparison",) if k in more], mechanisms_section(inp),
            *[more[k] for k in ("healthcare", "moderation") if k in more],
            limitations_section(inp), technical_appendix(inp)]
    keys = {"title"} | {s.key for s in body} | {"appendix_checklist", "appendix_quality"}
    body += [checklist_section(keys), quality_appendix(inp)]
    return Report(
        title=settings.title,
        language=settings.language,
        date=date,
        meta=title_meta(inp, shown_date(date, configured=bool(settings.date)),
                        settings.organisation, settings.programme, settings.config_hash),
        sections=tuple(scrub_section(s, inp.min_cell) for s in body),
        programme=settings.programme,
        organisation=settings.organisation or "",
        logo=(root / settings.logo) if settings.logo else None,
        colours={"primary": settings.primary_colour, "accent": settings.accent_colour},
        foreword=settings.foreword,
    )
