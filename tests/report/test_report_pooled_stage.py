"""The pooled report stage (pipeline/report/pooled_stage.py) on the fixture tables: writes the
PDF (tagged, PDF/UA-1) and the HTML page, byte-identical when built twice, every section in
the text, counts only as the public table prints them (no count of people below min_cell)."""

from __future__ import annotations

import logging
import re
import shutil
import subprocess
from html import unescape
from pathlib import Path

import pytest
import yaml
from pooled_report_helpers import FIX, small_counts

from pipeline.report.pooled_stage import run
from pipeline.stage_io import StageIO
from pipeline.studies import load_programme, load_studies

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "config" / "studies" / "demo.yaml"
SECTIONS = ("Summary", "The schemes", "Change across the schemes",
            "The mechanism across the schemes", "Cross-lagged effects across the schemes",
            "Do the schemes differ? The tests", "Not pooled",
            "How this was done, and its limits")


def _programme(tmp: Path, date: str | None = "2026-11-30"):
    paths = []
    for n in ("north", "south"):
        cfg = yaml.safe_load(DEMO.read_text(encoding="utf-8"))
        del cfg["study"]["id"]
        path = tmp / f"{n}.yaml"
        path.write_text(yaml.safe_dump(cfg, sort_keys=False), encoding="utf-8")
        paths.append(str(path))
    config = {"studies": paths, "defaults": {}, "pooled": {
        "mediation": "social_cure_chain", "report": {"date": date} if date else {}}}
    return load_programme(config, load_studies(config, ROOT))[0]


def _build(prog, out: Path) -> tuple[Path, Path]:
    io = StageIO(inputs={"tables": [str(p) for p in sorted(FIX.glob("*.csv"))],
                         "figures": [str(FIX / "pooled_change_loneliness.svg")]},
                 outputs={"pdf": str(out / "pooled_report.pdf"),
                          "html": str(out / "pooled_report.html")})
    run(prog, io)
    return out / "pooled_report.pdf", out / "pooled_report.html"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("pooled_report")
    prog = _programme(tmp)
    return prog, tmp, _build(prog, tmp / "one")


def test_pdf_and_html_are_written_and_byte_identical_when_built_again(built):
    prog, tmp, (pdf, html) = built
    assert pdf.read_bytes().startswith(b"%PDF")
    pdf2, html2 = _build(prog, tmp / "two")
    assert pdf.read_bytes() == pdf2.read_bytes()
    assert html.read_text(encoding="utf-8") == html2.read_text(encoding="utf-8")


def test_html_has_every_section_and_the_scheme_table(built):
    _, _, (_, html) = built
    text = html.read_text(encoding="utf-8")
    for title in SECTIONS:
        assert f"{title}</h2>" in unescape(text), title
    assert '<table id="pooled_schemes">' in text
    assert 'role="img"' in text  # the forest figure inline with its alt text
    cells = re.findall(r'<td class="count">([^<]*)</td>', text)
    assert cells and "200" in cells


def test_no_count_of_people_below_min_cell_is_printed(built):
    _, _, (pdf, html) = built
    text = unescape(re.sub(r"<[^>]+>", " ", html.read_text(encoding="utf-8")))
    text = re.sub(r"<svg.*?</svg>", " ", text, flags=re.S)
    assert small_counts(text, 10) == []
    for cell in re.findall(r'<td class="count">([^<]*)</td>', html.read_text("utf-8")):
        n = re.match(r"(\d+)(?: \(|$)", unescape(cell))
        assert n is None or not 0 < int(n.group(1)) < 10, cell
    if shutil.which("pdftotext"):
        out = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                             text=True, check=True).stdout
        assert small_counts(out, 10) == []
        for title in SECTIONS:
            assert title in out


def test_pdf_is_tagged_with_title_and_language(built):
    pikepdf = pytest.importorskip("pikepdf")
    _, _, (pdf, _) = built
    with pikepdf.open(pdf) as p:
        assert p.Root.MarkInfo.Marked
        assert str(p.Root.Lang).startswith("en")
        assert "Pooled evaluation report" in str(p.open_metadata().get("dc:title"))


def test_without_a_date_the_page_has_no_date_line_and_the_log_says_what_to_set(tmp_path,
                                                                                caplog):
    prog = _programme(tmp_path, date=None)
    with caplog.at_level(logging.WARNING, logger="pipeline.report"):
        _, html = _build(prog, tmp_path)
    assert "set pooled.report.date" in caplog.text
    text = unescape(html.read_text(encoding="utf-8"))
    assert "pooled.report" not in text and "not set" not in text
