"""Report stage: read the findings table and the other rules' declared outputs, build the
content model, write the PDF (PDF/UA-1, Typst) and the HTML page. Nothing else is written."""

from __future__ import annotations

import json
import logging
import platform
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import pandas as pd

from pipeline.config import Config
from pipeline.config_listings import listing_constructs
from pipeline.report.build import NO_DATE, build_report
from pipeline.report.counts import print_counts
from pipeline.report.html_render import to_html
from pipeline.report.inputs import FINDINGS_COLUMNS, ReportInputs, WaveInfo
from pipeline.report.settings import from_config
from pipeline.report.typst_render import compile_pdf
from pipeline.stage_io import StageIO

log = logging.getLogger("pipeline.report")


def _version(pkg: str) -> str:
    try:
        return version(pkg)
    except PackageNotFoundError:
        return "not installed"


def software() -> tuple[tuple[str, str], ...]:
    return (("socialcure", _version("socialcure")), ("Python", platform.python_version()),
            ("pandas", _version("pandas")), ("Typst (typst-py)", _version("typst")))


def wave_infos(cfg: Config, long: Path | None) -> tuple[WaveInfo, ...]:
    """Configured waves with the first and last response date found in the long table."""
    spans = {}
    if long is not None and long.exists():
        d = pd.read_parquet(long, columns=["wave", "date"]).dropna()
        spans = {w: (g.min().date().isoformat(), g.max().date().isoformat())
                 for w, g in d.groupby("wave")["date"]}
    return tuple(WaveInfo(w.id, w.label, w.months, *spans.get(w.id, (None, None)))
                 for w in cfg.waves)


def _read_csv(path: Path) -> pd.DataFrame:
    """A declared table; an empty file (a stage with nothing to report) is a table without rows."""
    try:
        return pd.read_csv(path, keep_default_na=True)
    except pd.errors.EmptyDataError:
        return pd.DataFrame()


def _read_csvs(paths: list[Path]) -> dict[str, pd.DataFrame]:
    return {p.stem: _read_csv(p) for p in paths if p.exists()}


def gather(cfg: Config, io: StageIO) -> ReportInputs:
    """The report's inputs from the rule's declared input files."""
    findings = pd.read_csv(io.input("findings")).reindex(columns=FINDINGS_COLUMNS)
    tables = _read_csvs(io.inputs_of("tables"))
    findings = print_counts(findings, tables, cfg.min_cell, cfg.wave_ids[0])
    summaries = {name: json.loads(p.read_text(encoding="utf-8"))
                 for name in ("attrition", "impute") if name in io.inputs
                 for p in io.inputs_of(name)[:1]}
    return ReportInputs(
        findings=findings,
        waves=wave_infos(cfg, io.input("long") if "long" in io.inputs else None),
        scales=cfg.scales,
        min_cell=cfg.min_cell,
        tables=tables,
        summaries=summaries,
        models={p.stem: p.read_text(encoding="utf-8") for p in io.inputs_of("models")},
        figures={p.stem: p for p in io.inputs_of("figures") if p.suffix == ".svg"},
        software=software(),
        labels={k: c.label for k, c in listing_constructs(cfg.group_listings).items()},
        covariates=tuple(cfg.covariates),
    )


def run(cfg: Config, io: StageIO) -> None:
    settings = from_config(cfg)
    report = build_report(gather(cfg, io), settings, cfg.root)
    if report.date == NO_DATE:
        log.warning("report: no date on the title page (no report.date and no completion dates "
                    "in the data); set report.date in the config to print one")
    io.output("pdf").write_bytes(compile_pdf(report, settings.template_path(cfg.root)))
    io.output("html").write_text(to_html(report), encoding="utf-8")
    log.info("report written: %s, %s", io.output("pdf"), io.output("html"))
