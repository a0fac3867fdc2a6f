"""pipeline.report.build: the report date shown on the title page."""

from __future__ import annotations

from pipeline.report.build import NO_DATE, shown_date


def test_no_date_is_never_shown_as_1970_nor_as_a_config_hint():
    """A study without completion dates and without report.date: the title page has no date
    line (not 1970-01-01, found on a real SPSS survey export, and no 'set report.date' hint on a
    funder's page: the log says it); a real date is shown as it is."""
    from types import SimpleNamespace

    from pipeline.report.front import title_meta

    assert shown_date(NO_DATE) is None
    assert shown_date("2024-05-01") == "2024-05-01"
    inp = SimpleNamespace(waves=[], software=[("python", "3")])
    assert "Report date" not in dict(title_meta(inp, shown_date(NO_DATE), None, "P", "h"))
    assert dict(title_meta(inp, "2024-05-01", None, "P", "h"))["Report date"] == "2024-05-01"


def test_dates_from_the_data_are_shown_as_months():
    """The title page gave the days of the first and last answers of each wave (one person's
    answer each) and took the report date from the last one: a funder reads the months."""
    from types import SimpleNamespace

    from pipeline.report.front import title_meta
    from pipeline.report.inputs import WaveInfo

    assert shown_date("2020-05-20", configured=False) == "May 2020"
    inp = SimpleNamespace(waves=[WaveInfo("T0", "Entry", 0, "2018-10-01", "2019-09-30")],
                          software=[("python", "3")])
    meta = dict(title_meta(inp, shown_date("2020-05-20", configured=False), None, "P", "h"))
    assert meta["Waves covered"] == "T0 Entry (October 2018 to September 2019)"
    assert meta["Report date"] == "May 2020"


def test_reliability_of_fewer_than_min_cell_people_is_not_shown():
    """Alpha and omega of a wave answered by 3 people are statistics of fewer than min_cell
    people: withheld (found on a small real study, where alpha printed as 1.02 (1.17 to 1.00))."""
    from types import SimpleNamespace

    import pandas as pd

    from pipeline.report.appendix import _reliability

    rel = pd.DataFrame({"scale": ["s", "s"], "wave": ["T0", "T1"], "n": [40, 3],
                        "alpha": [0.81, 1.02], "alpha_ci_lower": [0.7, 1.17],
                        "alpha_ci_upper": [0.9, 1.0], "omega": [0.8, 0.99],
                        "status": ["ok", "ok"], "message": [None, None]})
    inp = SimpleNamespace(table=lambda name: rel, scale_label=str, wave_label=str, min_cell=10)
    rows = _reliability(inp).rows
    assert "0.81" in rows[0][3]
    assert rows[1][3] == "not estimable" and "1.02" not in str(rows[1])
    assert "fewer than 10 people" in rows[1][5]


def test_estimand_table_keeps_the_decimals_of_a_short_scale():
    """A change of -0.026 on a 1-7 scale: not printed as 0.0 (found on a real pre/post study)."""
    from types import SimpleNamespace

    import pandas as pd

    from pipeline.config import Scale
    from pipeline.report.appendix import _estimand_decimals

    prim = pd.DataFrame({"term": ["mean change trust T0->T1"], "estimate": [-0.0259],
                         "ci_lower": [-0.0817], "ci_upper": [0.0299]})
    inp = SimpleNamespace(scales={"trust": Scale("trust", ("a", "b"), (1.0, 7.0))})
    assert _estimand_decimals(inp, prim) >= 2
    wide = SimpleNamespace(scales={"qol": Scale("qol", ("v",), (0.0, 100.0))})
    prim2 = prim.assign(term="mean change qol T0->T1", estimate=2.4, ci_lower=-0.1, ci_upper=4.9)
    assert _estimand_decimals(wide, prim2) == 1
