"""Disclosure control on the rendered report: it prints no count the public tables do not
already show (so the disclosure attack on the public tables, tests/test_disclosure_attack.py,
covers the report), and no line of counts in the data-quality appendix lets a hidden count be
recovered by subtraction."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from report_helpers import DEMO

from pipeline.report.numfmt import fmt_count

lxml_html = pytest.importorskip("lxml.html", reason="lxml (a pikepdf dependency) not installed")
MARKS = {"<10", "[c]"}


@pytest.fixture(scope="module")
def doc(built):
    return lxml_html.fromstring(built[1].read_bytes())


def _rows(doc, table_id):
    return [[td.text_content().strip() for td in tr.findall("td")]
            for tr in doc.xpath(f"//table[@id='{table_id}']/tbody/tr")]


def test_flow_counts_are_the_public_flow_counts(doc):
    pub = pd.read_csv(DEMO / "tables" / "attrition_flow_public.csv", dtype=str)
    rows = _rows(doc, "flow_table")
    assert len(rows) == len(pub)
    for cells, r in zip(rows, pub.to_dict("records")):
        assert cells[1] == fmt_count(r["responded"], 10)
        shown = [fmt_count(v, 10) for k, v in r.items() if k.startswith(("excluded", "lost",
                                                                        "rejoined")) and
                 isinstance(v, str)]
        assert sorted(c for c in cells[3:] if c) == sorted(shown)


def test_reliable_change_cells_are_the_public_cells(doc):
    pub = pd.read_csv(DEMO / "tables" / "change_rci_shares_public.csv", dtype=str)
    for construct, g in pub.groupby("construct"):
        shown = {fmt_count(v, 10) for v in g["count"]}
        for cells in _rows(doc, f"rci_{construct}"):
            for c in cells[2:]:
                assert c.split(" (")[0] in shown, (construct, c)


def test_no_hidden_qc_count_can_be_recovered_by_subtraction(doc):
    rows = _rows(doc, "quality")
    assert rows
    for wave in {r[0] for r in rows}:
        for action in {r[1] for r in rows if r[0] == wave}:
            cells = [r[3] for r in rows if r[0] == wave and r[1] == action]
            hidden = sum(c in MARKS for c in cells)
            assert hidden != 1 or len(cells) == 1, (wave, action, cells)
        for c in (r[3] for r in rows if r[0] == wave):
            # a range ("631-639"): a count a few off the entrants (pipeline.report.counts)
            assert c in MARKS or c == "0" or re.fullmatch(r"\d+-\d+", c) or int(c) >= 10, \
                (wave, c)


def test_extracted_pdf_text_has_no_small_count_next_to_people(built):
    import shutil
    import subprocess

    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext not installed: apt-get install -y poppler-utils")
    text = subprocess.run(["pdftotext", str(built[0]), "-"], capture_output=True, text=True,
                          check=True).stdout
    text = re.sub(r"\s+", " ", text)
    small = re.findall(r"\b([1-9]) (?:people|participants|respondents|cases)\b", text)
    assert not small, small


def test_rows_read_hidden_where_dropped_rows_are_hidden():
    """64 read - 63 kept (public as the flow's responders) would give back a hidden 1 dropped."""
    import pandas as pd

    from pipeline.disclosure import suppress_within_groups
    from pipeline.report.appendix import _hide_rows_read

    g = pd.DataFrame({"wave": ["T1", "T1", "T1", "T2", "T2", "T2"],
                      "measure": ["rows_read", "rows_kept", "rows_dropped"] * 2,
                      "reason": ["", "", "duplicate id", "", "", "not in baseline"],
                      "n": [200, 180, 20, 64, 63, 1]})
    shown = _hide_rows_read(suppress_within_groups(g, "n", ["wave", "measure"], 10))
    t2 = shown[shown["wave"] == "T2"].set_index("measure")["n"]
    assert isinstance(t2["rows_dropped"], str) and isinstance(t2["rows_read"], str)
    assert t2["rows_kept"] == 63
    t1 = shown[shown["wave"] == "T1"].set_index("measure")["n"]
    assert t1["rows_read"] == 200  # nothing hidden at T1: nothing to protect
