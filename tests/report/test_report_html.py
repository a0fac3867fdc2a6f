"""The HTML report: semantic structure (WCAG 2.2 AA basics checkable without a browser), every
section present, every finding's numbers equal the findings table, counts disclosure-safe."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from report_helpers import PLANTED_IDS

from pipeline.report.blocks import fmt_est, fmt_interval, row_digits
from pipeline.report.build import SECTION_ORDER
from pipeline.report.front import headline_of
from pipeline.report.numfmt import is_missing

lxml_html = pytest.importorskip("lxml.html", reason="lxml (a pikepdf dependency) not installed")


@pytest.fixture(scope="module")
def doc(built):
    return lxml_html.fromstring(built[1].read_bytes())


def test_document_has_language_title_and_no_script(doc, built):
    assert doc.get("lang") == "en-GB"
    assert doc.findtext(".//title").startswith("Evaluation report")
    assert not doc.xpath("//script")


def test_sections_in_the_order_of_the_issue(doc):
    ids = [s.get("id") for s in doc.xpath("//main/section")]
    assert ids == list(SECTION_ORDER)
    assert doc.xpath("//header[@id='title']//dt[.='Waves covered']")


def test_heading_levels_do_not_skip(doc):
    levels = [int(h.tag[1]) for h in doc.iter("h1", "h2", "h3", "h4", "h5", "h6")]
    assert levels[0] == 1
    assert all(b - a <= 1 for a, b in zip(levels, levels[1:])), levels


def test_tables_have_captions_and_header_cells(doc):
    tables = doc.xpath("//table")
    assert len(tables) > 10
    for t in tables:
        assert t.find("caption") is not None and t.find("caption").text_content().strip()
        ths = t.xpath("./thead/tr/th[@scope='col']")
        assert ths and len(ths) == len(t.xpath("./tbody/tr[1]/td")), t.get("id")


def test_figures_have_captions_and_svg_title_desc(doc):
    figs = [f for f in doc.xpath("//figure") if f.xpath(".//*[local-name()='svg']")]
    assert len(figs) >= 10
    for f in figs:
        svg = f.xpath(".//*[local-name()='svg']")[0]
        assert svg.get("role") == "img"
        title = svg.xpath("./*[local-name()='title']")[0].text_content()
        desc = svg.xpath("./*[local-name()='desc']")[0].text_content()
        assert title and len(desc) > 40, f.get("id")
        assert f.find("figcaption").text_content().strip()
    ids = doc.xpath("//@id")
    assert len(ids) == len(set(ids)), "duplicate ids (inline SVGs must be prefixed)"


def _row_of(doc, finding_id: str) -> list[str]:
    # the appendix names each row in words and adds its id in brackets
    (tr,) = doc.xpath(f"//table[@id='findings_all']/tbody/tr[substring(td[1], "
                      f"string-length(td[1]) - {len(finding_id) + 1})='[{finding_id}]']")
    return [td.text_content() for td in tr.findall("td")]


def test_every_finding_in_the_appendix_equals_the_findings_table(doc, findings):
    for r in findings.itertuples():
        cells = _row_of(doc, r.finding_id)
        d = row_digits(r)
        expect = "" if is_missing(r.estimate) else fmt_est(r.estimate, d)
        assert cells[3] == expect, r.finding_id
        if not is_missing(r.ci_lower):
            assert cells[4].startswith(fmt_interval(r.ci_lower, r.ci_upper, d)), r.finding_id


def test_primary_sentences_are_quoted_verbatim(doc, findings):
    """Full sentences in the sections; the summary quotes the headlines, not the sentences."""
    main = re.sub(r"\s+", " ", doc.xpath("//main")[0].text_content())
    summary = re.sub(r"\s+", " ", doc.xpath("//section[@id='summary']")[0].text_content())
    primary = findings[findings["role"] == "primary"]
    assert primary["headline"].notna().sum() > 10
    for r in primary.itertuples():
        assert r.sentence in main, r.finding_id
        if r.kind != "crosslag":  # many lagged paths are counted, not listed (front.MAX_PATHS)
            assert headline_of(r) in summary, r.finding_id
        if len(r.sentence) > len(headline_of(r)) + 40:
            assert r.sentence not in summary, r.finding_id


def test_counts_shown_are_zero_marks_or_at_least_min_cell(doc):
    cells = [td.text_content().strip() for td in doc.xpath("//td[@class='count']")]
    assert len(cells) > 20
    for c in cells:
        if c in ("", "\u2014", "<10", "[c]") or re.fullmatch(r"\d+-\d+", c):
            continue
        head = re.match(r"\d+", c)
        assert head, c
        n = int(head.group())
        assert n == 0 or n >= 10, f"small count {c!r} shown"


def test_no_participant_id_in_the_html(built):
    text = built[1].read_text(encoding="utf-8")
    for pid in PLANTED_IDS:
        assert pid not in text


def test_findings_fixture_follows_the_contract(findings):
    from pipeline.report.inputs import FINDINGS_COLUMNS

    assert list(findings.columns) == FINDINGS_COLUMNS
    assert set(findings["evidence"]) <= {"clear", "likely", "may", "no_clear", "not_estimable"}
    assert pd.Series(findings["finding_id"]).is_unique


def test_the_summary_says_what_how_sure_means(doc):
    """Found by a funder-eyed read: the evidence words were used but never defined."""
    from pipeline.report.front import HOW_SURE
    summary = re.sub(r"\s+", " ", doc.xpath("//section[@id='summary']")[0].text_content())
    assert HOW_SURE in summary and "likely = " in HOW_SURE and "may = " in HOW_SURE
