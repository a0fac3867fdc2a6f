"""Plain-language sentences on reliable change: every branch."""

from __future__ import annotations

import pandas as pd

from pipeline.change.rci import rci_sentence


def _shares(n=177, counts=(17, 152, 8), status="ok", message=""):
    cats = ["reliably_improved", "no_reliable_change", "reliably_deteriorated"]
    return pd.DataFrame({
        "construct": "belonging", "wave": "T1", "category": cats, "count": list(counts), "n": n,
        "share": [c / n for c in counts], "ci_lower": [0.06, 0.80, 0.02],
        "ci_upper": [0.15, 0.90, 0.09], "status": status, "message": message,
    })


def test_ok_with_small_count_suppressed():
    s = rci_sentence(_shares(), "belonging", "T1", label="Community belonging",
                     wave_phrase="at about 4 months")
    assert s == ("Of the 177 people with community belonging scores at entry and at about 4 "
                 "months, 10% (95% CI 6% to 15%) reliably improved and fewer than 10 people "
                 "reliably deteriorated.")


def test_not_estimable_says_why():
    s = rci_sentence(_shares(status="not_estimable", message="no reliability for 'qol'."),
                     "belonging", "T1", label="Quality of life (EQ VAS)",
                     wave_phrase="at about 4 months")
    assert s.startswith("Reliable change in quality of life (EQ VAS) at about 4 months could not")
    assert "no reliability" in s


def test_too_few_people():
    s = rci_sentence(_shares(n=8, counts=(1, 6, 1)), "belonging", "T1", label="Belonging",
                     wave_phrase="at 6-9 months")
    assert s.startswith("Too few people answered at 6-9 months")
