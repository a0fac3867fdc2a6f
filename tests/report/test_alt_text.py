"""Alt text is generated from the figure's data (numbers from the table, in reading order)."""

from __future__ import annotations

import pandas as pd

from pipeline.report.alt_text import change_alt, flow_alt, series
from pipeline.report.blocks import scrub_counts


def test_change_alt_reads_the_means_in_order():
    means = pd.DataFrame({"wave": ["T0", "T1", "T2"], "est": [61.23, 64.71, 64.49]})
    alt = change_alt("quality of life", means, {"T0": "Entry", "T1": "4 months"}, 0, 100)
    assert alt.startswith("Line chart: the estimated mean of quality of life rose from 61.2 to "
                          "64.5 on the 0 to 100 scale")
    assert "61.2 at entry, 64.7 at 4 months and 64.5 at T2" in alt


def test_flow_alt_never_names_a_small_count():
    flow = pd.DataFrame({"label": ["Entry", "4 months", "7 months"],
                         "responded": [630, 178, 7], "pct_baseline": [100, 28.3, "[c]"]})
    alt = flow_alt(flow, 10)
    assert "630 answered at entry" in alt and "<10 answered at 7 months ([c]" in alt
    assert " 7 answered" not in alt


def test_series_and_scrub():
    assert series(["a", "b", "c"]) == "a, b and c" and series(["a"]) == "a"
    assert scrub_counts("n = 7; 4 people; 12 cases; df = 1; 5 of 630", 10) == \
        "n = <10; <10 people; 12 cases; df = 1; <10 of 630"
    # a threshold is a rule, not a count (found on a real export: "from at least <10 people")
    assert scrub_counts("needs answers from at least 5 people; fewer than 3 cases", 10) == \
        "needs answers from at least 5 people; fewer than 3 cases"
    assert scrub_counts("At least 5 people", 10) == "At least 5 people"
