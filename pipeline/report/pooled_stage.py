"""Pooled report stage (run level, ``pooled_report``): read the pooled wing's declared tables and
figures, build the content model (:mod:`pipeline.report.pooled_build`) and write
``results/pooled/report/pooled_report.pdf`` (PDF/UA-1, Typst) and ``.html``. Nothing else is
written. ``cfg`` is the run as a whole (:class:`pipeline.studies.Programme`)."""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from pipeline.report.html_render import to_html
from pipeline.report.pooled_build import build_pooled_report
from pipeline.report.pooled_sections import PooledInputs
from pipeline.report.pooled_settings import NO_DATE, from_programme
from pipeline.report.typst_render import compile_pdf
from pipeline.stage_io import StageIO

log = logging.getLogger("pipeline.report")


def _read(path: Path) -> pd.DataFrame:
    """A pooled table as text where it is text (counts such as "<10" stay as printed)."""
    try:
        return pd.read_csv(path, keep_default_na=True)
    except pd.errors.EmptyDataError:
        return pd.DataFrame()


def gather(io: StageIO) -> PooledInputs:
    """The pooled tables (by file stem) and figures (SVG by stem) the rule declares."""
    tables = {p.stem: _read(p) for p in io.inputs_of("tables")}
    figures = {p.stem: p for p in io.inputs_of("figures") if p.suffix == ".svg"}
    return PooledInputs(tables=tables, figures=figures)


def run(prog, io: StageIO) -> None:
    settings = from_programme(prog)
    if settings.date == NO_DATE:
        log.warning("pooled report: no date on the title page (neither pooled.report.date "
                    "nor any study's report.date is set); set pooled.report.date to show one")
    report = build_pooled_report(gather(io), settings)
    io.output("pdf").write_bytes(compile_pdf(report, settings.template_path))
    io.output("html").write_text(to_html(report), encoding="utf-8")
    log.info("pooled report written: %s, %s", io.output("pdf"), io.output("html"))
