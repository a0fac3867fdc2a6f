"""pipeline.report.finding_labels: every findings row in words, never its id (found by a
funder-eyed read of the demo report: "change.belonging.T1@mi" headed the rows of every
findings table)."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pandas as pd
import pytest

from pipeline.report.blocks import findings_rows
from pipeline.report.finding_labels import finding_label

SCALES = {"belonging": "Community belonging", "qol": "Quality of life (EQ VAS)",
          "group_memberships": "Group memberships", "gp_visits": "GP visits"}
WAVES = {"T0": "Pathway entry", "T1": "About 4 months", "T2": "6-9 months"}


def scale(k: str) -> str:
    return SCALES.get(k, k)


def wave(k: str) -> str:
    return WAVES.get(k, k)


def row(**kw) -> SimpleNamespace:
    base = dict(finding_id="x", kind="", analysis="", construct="", wave="", term="",
                question="")
    return SimpleNamespace(**(base | kw))


@pytest.mark.parametrize("r, expected", [
    (row(finding_id="participation.T1", kind="participation", wave="T1"),
     "Answered at about 4 months"),
    (row(finding_id="change.belonging.T1@mi", kind="change", construct="belonging", wave="T1",
         term="T1 - T0"), "Community belonging: about 4 months vs pathway entry"),
    (row(finding_id="change.qol.T1@tipping_point", kind="change", construct="qol", wave="T1",
         term="tipping_delta"),
     "Quality of life (EQ VAS), about 4 months: the shift in the imputed values at which the "
     "conclusion would change (tipping point)"),
    (row(finding_id="comparison.group_memberships.T2", kind="comparison",
         construct="group_memberships", wave="T2", term="T2 - T0: programme - reference"),
     "Group memberships: 6-9 months vs pathway entry, programme group minus reference group"),
    (row(finding_id="comparison.crosslag.x.clpm", kind="comparison", term="CLPM by arm"),
     "CLPM by arm"),
    (row(finding_id="mediation.chain.total_indirect@mi", kind="mediation", term="ind_total"),
     "Through all mediators together"),
    (row(finding_id="mediation.chain.direct", kind="mediation", term="direct"),
     "Not through the mediators"),
    (row(finding_id="crosslag.h.qol~group_memberships.T1@clpm_free", kind="crosslag",
         analysis="h", construct="qol", wave="T1", term="clpm:free"),
     "Group memberships \u2192 later quality of life (EQ VAS) at about 4 months (classic CLPM, "
     "paths free over time)"),
    (row(finding_id="crosslag.h.group_memberships~qol", kind="crosslag", analysis="h",
         construct="group_memberships", term="riclpm:stationary"),
     "Quality of life (EQ VAS) \u2192 later group memberships (within-person RI-CLPM, paths "
     "equal over time)"),
    (row(finding_id="crosslag.social_cure", kind="crosslag", analysis="social_cure",
         term="riclpm"), "Cross-lagged analysis 'social_cure' (within-person RI-CLPM)"),
    (row(finding_id="healthcare.gp_visits.T1", kind="healthcare", construct="gp_visits",
         wave="T1", term="T1 / T0"), "GP visits: about 4 months relative to pathway entry (ratio)"),
    (row(finding_id="healthcare_comparison.gp_visits.T2", kind="healthcare",
         construct="gp_visits", wave="T2", term="arm x T2"),
     "GP visits: change to 6-9 months, programme group relative to reference group (ratio)"),
    (row(finding_id="moderation.groups_gained.slope_low", kind="moderation",
         analysis="groups_gained", construct="qol", term="slope at who joined no new group"),
     "Groups gained: slope at who joined no new group"),
    (row(finding_id="new.kind", kind="new_kind", construct="qol", term="some_term"),
     "Quality of life (EQ VAS): some term"),
])
def test_each_kind_in_words(r, expected):
    assert finding_label(r, scale, wave) == expected


def test_the_tables_show_words_and_the_appendix_adds_the_id():
    f = pd.DataFrame({"finding_id": ["change.belonging.T1", "change.belonging.T1@mi"],
                      "kind": "change", "analysis": "", "construct": "belonging", "wave": "T1",
                      "term": "T1 - T0", "question": "", "method": ["fiml", "mi"],
                      "role": ["primary", "sensitivity"], "estimate": 0.4, "ci_lower": 0.2,
                      "ci_upper": 0.6, "ci_label": "95% CI", "n_contributing": 630,
                      "n_observed": 178, "scale_min": 1, "scale_max": 7, "evidence": "likely",
                      "status": "ok", "units": "points"})
    label = lambda r: finding_label(r, scale, wave)  # noqa: E731
    body = findings_rows(f, 10, label=label)
    assert [r[0] for r in body] == ["Community belonging: about 4 months vs pathway entry"] * 2
    assert not any(re.search(r"\w+\.\w+\.T\d", r[0]) for r in body)
    appendix = findings_rows(f, 10, label=label, with_id=True)
    assert appendix[1][0].endswith("[change.belonging.T1@mi]")


def test_a_construct_section_leaves_the_construct_out():
    r = row(finding_id="change.belonging.T2@ipw", kind="change", construct="belonging",
            wave="T2", term="T2 - T0")
    assert finding_label(r, scale, wave, construct=False) == "6-9 months vs pathway entry"


def test_a_holm_verdict_beside_an_unadjusted_interval_is_explained():
    """Found by a funder-eyed read: "-0.21 (-0.39 to -0.04) ... no clear" on a cross-lagged
    row looked like a contradiction; the verdict uses the Holm-adjusted p."""
    from pipeline.report.blocks import HOLM_NOTE, findings_note
    f = pd.DataFrame({"ci_label": ["95% CI (unadjusted)"], "ci_lower": [-0.39],
                      "caveats": ["mar_assumption;holm_adjusted"]})
    assert findings_note(f) == "CI: 95% CI (unadjusted). " + HOLM_NOTE
    g = f.assign(ci_label="95% CI", caveats="mar_assumption")
    assert findings_note(g) == "CI: 95% CI."


def test_a_row_without_words_keeps_its_id():
    r = row(finding_id="x.y", kind=float("nan"), construct=float("nan"), term=float("nan"))
    assert finding_label(r, scale, wave) == "x.y"


def test_a_table_with_weighting_rows_says_why_they_count_fewer_people():
    from pipeline.findings.table import finding_row, frame
    from pipeline.report.blocks import IPW_COUNT_NOTE, findings_note

    rows = [finding_row(finding_id="change.qol.T1", kind="change", method="fiml",
                        ci_label="95% CI"),
            finding_row(finding_id="change.qol.T1@ipw", kind="change", method="ipw",
                        ci_label="95% CI")]
    assert findings_note(frame(rows)).endswith(IPW_COUNT_NOTE)
    assert IPW_COUNT_NOTE not in findings_note(frame(rows[:1]))


def test_different_interval_labels_are_lettered_and_said_once():
    """A funder-eyed read: the appendix repeated "(95% CI, Bonferroni-adjusted over 2
    contrasts)" in each of 120 rows (17 pages). Each label gets a letter in its rows and is
    said once under the table; one label for every row is said once without letters."""
    from pipeline.findings.table import finding_row, frame
    from pipeline.report.blocks import findings_note, findings_rows

    adj, wil = "95% CI, Bonferroni-adjusted over 2 contrasts", "95% CI (Wilson)"
    rows = [finding_row(finding_id=f"change.qol.T{i}", kind="change", method="fiml",
                        estimate=1.0, ci_lower=0.5, ci_upper=1.5, ci_label=lab)
            for i, lab in enumerate([wil, adj, adj, wil])]
    rows.append(finding_row(finding_id="change.qol.T9", kind="change", method="fiml",
                            estimate=float("nan")))
    f = frame(rows)
    cis = [r[4] for r in findings_rows(f, 10)]
    assert [c[-3:] for c in cis[:4]] == ["(a)", "(b)", "(b)", "(a)"] and cis[4] == ""
    assert all("Bonferroni" not in c and "Wilson" not in c for c in cis)
    assert findings_note(f).startswith(f"CI: (a) {wil}; (b) {adj}.")
    one = frame(rows[1:3])
    assert not any(r[4].endswith(")") for r in findings_rows(one, 10))
    assert findings_note(one).startswith(f"CI: {adj}.")
