"""The participant-flow section's "What was done about it": the primary missing-data method and
the checks beside it in plain words (the technical description stays in the appendix), and
Little's test followed by what it means."""

from __future__ import annotations

import pandas as pd

from pipeline.report.flow_section import METHOD_PLAIN, _handling, _mcar_plain, _methods_paragraph
from pipeline.report.inputs import ReportInputs, WaveInfo
from pipeline.report.model import Paragraph


def _primary(main="fiml"):
    methods = ["fiml", "mi", "ipw", "complete_case"]
    return pd.DataFrame({"method": methods, "primary": [m == main for m in methods]})


def test_primary_method_and_checks_in_plain_words():
    text = _methods_paragraph(_primary()).text
    assert text.startswith("The main results use full-information maximum likelihood (FIML) "
                           "for missing answers: it uses every answer each person gave")
    for m in ("mi", "ipw", "complete_case"):
        assert METHOD_PLAIN[m] in text
    assert "Barnard-Rubin" not in text and "MICE" not in text and "df" not in text.split()
    assert text.index("fills in") < text.index("more weight") < text.index("only the people")


def test_primary_mi_lists_fiml_among_the_checks():
    text = _methods_paragraph(_primary("mi")).text
    assert "use multiple imputation (MI) for missing answers: it fills in" in text
    assert "one uses every answer each person gave" in text


def test_no_primary_row_no_paragraph():
    assert _methods_paragraph(_primary().assign(primary=False)) is None
    assert _methods_paragraph(None) is None


def test_little_test_is_read_in_plain_words():
    low, high = pd.DataFrame({"pvalue": [0.03]}), pd.DataFrame({"pvalue": [0.4]})
    assert "probably not purely a matter of chance" in _mcar_plain(low)
    assert "found no sign" in _mcar_plain(high) and "does not show" in _mcar_plain(high)
    assert _mcar_plain(pd.DataFrame({"pvalue": [None]})) == ""


def test_handling_paragraphs_from_tables():
    mcar = pd.DataFrame({"message": ["Little's MCAR test: chi-square = 170.25, df = 138, "
                                     "p = 0.0323."], "status": ["ok"], "pvalue": [0.0323]})
    inp = ReportInputs(findings=pd.DataFrame(), waves=(WaveInfo("T0", "Entry", 0),),
                       scales={}, min_cell=10,
                       tables={"missing_data_primary": _primary(), "attrition_mcar": mcar})
    paras = [b.text for b in _handling(inp) if isinstance(b, Paragraph)]
    assert paras[0].startswith("The main results use")
    assert paras[1].startswith("Little's MCAR test") and "In plain words" in paras[1]


def test_the_entrants_are_named_once_in_the_participation_paragraph():
    """A funder-eyed read: "Of the 630 people who entered" twice in a row."""
    from pipeline.report.flow_section import joined_participation

    got = joined_participation([
        "630 people entered the evaluation at pathway entry.",
        "Of the 630 people who entered, 178 (28%) answered at about 4 months.",
        "Of the 630 people who entered, 63 (10%) answered at 6-9 months."])
    assert got == ("630 people entered the evaluation at pathway entry. Of the 630 people who "
                   "entered, 178 (28%) answered at about 4 months. Of these 630, 63 (10%) "
                   "answered at 6-9 months.")
