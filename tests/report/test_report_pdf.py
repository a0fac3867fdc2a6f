"""The PDF report: PDF/UA-1 structure (pikepdf), fonts embedded, byte-identical rebuilds, every
page renders (pdftoppm), every section and the findings' numbers in the extracted text
(pdftotext), no participant id in it."""

from __future__ import annotations

import random
import re
import shutil
import subprocess

import pytest
from report_helpers import PLANTED_IDS, run_report, struct_elems

from pipeline.report.blocks import fmt_interval, row_digits
from pipeline.report.numfmt import is_missing

pikepdf = pytest.importorskip("pikepdf", reason="pikepdf not installed (pip install pikepdf)")
needs_poppler = pytest.mark.skipif(
    shutil.which("pdftotext") is None or shutil.which("pdftoppm") is None,
    reason="poppler-utils (pdftotext, pdftoppm) not installed: apt-get install -y poppler-utils")


@pytest.fixture(scope="module")
def pdf(built):
    with pikepdf.open(built[0]) as p:
        yield p


@pytest.fixture(scope="module")
def text(built):
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext not installed: apt-get install -y poppler-utils")
    out = subprocess.run(["pdftotext", "-enc", "UTF-8", str(built[0]), "-"], check=True,
                         capture_output=True, text=True).stdout
    return re.sub(r"\s+", " ", out.replace("\u200b", ""))


def test_pdf_syntax_is_valid(pdf):
    assert pdf.check_pdf_syntax() == []  # qpdf's structural check of every object and stream


def test_pdf_ua_structure(pdf):
    root = pdf.Root
    assert "/StructTreeRoot" in root
    assert str(root.Lang) == "en-GB"
    assert bool(root.MarkInfo.Marked)
    assert bool(root.ViewerPreferences.DisplayDocTitle)
    assert str(pdf.docinfo["/Title"]).startswith("Evaluation report")
    with pdf.open_metadata() as meta:
        assert meta.get("pdfuaid:part") == "1"


def test_every_figure_has_alt_text_and_tables_have_header_cells(pdf):
    elems = list(struct_elems(pdf.Root.StructTreeRoot))
    kinds = [str(e.S) for e in elems]
    figures = [e for e in elems if str(e.S) == "/Figure"]
    assert len(figures) >= 10
    for f in figures:
        assert "/Alt" in f and len(str(f.Alt)) > 30, "figure without alt text"
    assert kinds.count("/Table") >= 10 and "/TH" in kinds
    assert sum(k.startswith("/H") for k in kinds) >= 8  # headings


def test_fonts_are_embedded(pdf):
    fonts = 0
    for page in pdf.pages:
        for _, font in (page.Resources.get("/Font") or {}).items():
            fonts += 1
            desc = font.get("/FontDescriptor") or font.DescendantFonts[0].FontDescriptor
            assert any(k in desc for k in ("/FontFile", "/FontFile2", "/FontFile3")), font
    assert fonts


def test_same_inputs_give_the_same_bytes(built, demo_tree, tmp_path):
    again, _ = run_report(demo_tree, tmp_path)
    assert again.read_bytes() == built[0].read_bytes()


@needs_poppler
def test_every_page_renders(built, tmp_path):
    subprocess.run(["pdftoppm", "-r", "30", "-png", str(built[0]), str(tmp_path / "p")],
                   check=True, capture_output=True)
    info = subprocess.run(["pdfinfo", str(built[0])], capture_output=True, text=True).stdout
    pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))
    pngs = sorted(tmp_path.glob("p-*.png"))
    assert len(pngs) == pages > 10
    assert all(p.stat().st_size > 1000 for p in pngs)


def test_every_section_is_in_the_text(text):
    for title in ("Summary for funders", "Participant flow and attrition", "Change over time",
                  "Mechanisms", "Limitations", "Technical appendix",
                  "Reporting checklist appendix", "Data-quality appendix", "Configuration hash",
                  "lavaan syntax"):
        assert title in text, title


def test_sampled_numbers_equal_the_findings_table(text, findings):
    rows = [r for r in findings.itertuples() if not is_missing(r.ci_lower)]
    for r in random.Random(12).sample(rows, 8):
        ci = fmt_interval(r.ci_lower, r.ci_upper, row_digits(r))
        assert ci in text, (r.finding_id, ci)
    for r in findings[findings["role"] == "primary"].itertuples():
        assert re.sub(r"\s+", " ", r.sentence) in text, r.finding_id


def test_checklist_points_to_pages(text):
    assert re.search(r"Participant flow and attrition, page \d+", text)


def test_no_participant_id_in_the_text(text):
    for pid in PLANTED_IDS:
        assert pid not in text


def _pages(pdf_path) -> list[list[str]]:
    """The lines of every page (pdftotext puts a form feed between pages)."""
    out = subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf_path), "-"], check=True,
                         capture_output=True, text=True).stdout
    return [[ln.strip() for ln in p.splitlines()] for p in out.split("\f")]


def _first_page_with_line(pages: list[list[str]], line: str) -> int:
    for i, lines in enumerate(pages):
        if any(ln == line or re.fullmatch(rf"\d+(\.\d+)*\.?\s+{re.escape(line)}", ln)
               for ln in lines):
            return i
    raise AssertionError(f"heading {line!r} not found in the PDF text")


@needs_poppler
def test_summary_fits_on_one_page(built):
    """Issue 12: the summary for funders is one page: its heading and the next section's
    heading (which starts a new page) are on consecutive pages."""
    pages = _pages(built[0])
    start = _first_page_with_line(pages, "Summary for funders")
    nxt = _first_page_with_line(pages, "Participant flow and attrition")
    assert nxt == start + 1, f"summary runs over pages {start + 1} to {nxt} (1-based)"
    summary = " ".join(pages[start])
    assert "What this evaluation cannot tell" in summary  # its last part is on that page too


def test_a_tall_figure_is_capped_so_its_caption_stays_on_its_page(tmp_path):
    """The demo's stacked cross-lag grid (5 constructs x 2 lags) filled its page at the text's
    width and pushed its caption to the next page; a figure taller than ~1.15 x its width is
    placed by height."""
    from PIL import Image

    from pipeline.report.model import Figure
    from pipeline.report.typst_render import MAX_FIGURE_HEIGHT, _block

    def source(w, h):
        png = tmp_path / f"f{w}x{h}.png"
        Image.new("RGB", (w, h), "white").save(png)
        fig = Figure(key="k", svg=png.with_suffix(".svg"), png=png, caption="C", alt="A" * 40)
        return _block(fig, {fig.svg: "f.svg"}, {})

    assert f"height: {MAX_FIGURE_HEIGHT}" in source(780, 1200)
    assert "width: 100%" in source(780, 500) and "height:" not in source(780, 500)
