"""Every headline is short (at most 160 characters), built from the row's own fields: the
estimate and interval as the sentence prints them, the verb of its evidence grade; a
not-estimable row gets a short headline too."""

from __future__ import annotations

import re

import pandas as pd
from findings_helpers import change_row, change_table, mediation_table

from pipeline.findings.analysis import build_findings
from pipeline.findings.headlines import MAX_CHARS
from pipeline.findings.public import public_findings
from pipeline.findings.table import COLUMNS
from pipeline.wording import decimals_for, fmt_num

VERB = {"likely": "likely", "may": "may", "no_clear": "no clear", "clear": ""}


def _table(settings, **change_kw):
    change = change_table(
        change_row(est=3.0, lo=1.0, hi=5.0),                       # likely
        change_row(wave="T2", est=1.0, lo=-2.0, hi=4.0),           # no clear
        change_row(construct="loneliness", est=-0.4, lo=-0.65, hi=-0.15, n_observed=20,
                   scale_min=3, scale_max=9),                      # may (small n)
        change_row(construct="belonging", est=float("nan"), lo=float("nan"),
                   hi=float("nan"), status="not_estimable",
                   message="the model did not converge after 500 iterations because the "
                           "variance of the change scores is near zero in this small sample "
                           "and the optimiser stopped at the boundary of the parameter space"))
    lagged = pd.DataFrame([dict(analysis="a", model="riclpm", constraint="free", role="headline",
                                **{"from": "support", "to": "belonging"}, from_wave="T0",
                                to_wave="T1", type="cross-lagged", est=0.2, se=0.05,
                                pvalue=0.001, pvalue_holm=0.002, ci_lower=0.1, ci_upper=0.3)])
    flow = pd.DataFrame(dict(wave=["T0", "T1", "T2"], responded=[630, 178, 60]))
    flow_public = pd.DataFrame(dict(wave=["T0", "T1", "T2"], responded=[630, 178, 60],
                                    pct_baseline=[100.0, 28.3, 9.5]))
    return build_findings({"change": change, "mediation": mediation_table(),
                           "crosslag": lagged, "flow": flow, "flow_public": flow_public},
                          {}, settings)


def test_headline_column_follows_sentence(settings):
    assert COLUMNS.index("headline") == COLUMNS.index("sentence") + 1
    t = _table(settings)
    assert list(t.columns) == COLUMNS
    pub = public_findings(t, settings.min_cell)
    assert list(pub.columns) == COLUMNS
    assert (pub["headline"] == t["headline"]).all()


def test_every_primary_row_has_a_short_headline(settings):
    t = _table(settings)
    prim = t[(t["role"] == "primary") & (t["sentence"].fillna("") != "")]
    assert len(prim) > 10
    for r in prim.itertuples():
        assert r.headline, r.finding_id
        assert len(r.headline) <= MAX_CHARS, (r.finding_id, len(r.headline), r.headline)
        assert len(r.headline) < len(r.sentence) or len(r.sentence) <= MAX_CHARS, r.finding_id
    # rows without a sentence (agreeing sensitivity rows) have no headline either
    assert (t.loc[t["sentence"].fillna("") == "", "headline"].fillna("") == "").all()


def test_headline_numbers_equal_the_row(settings):
    t = _table(settings)
    rows = t[(t["role"] == "primary") & (t["status"] == "ok")
             & t["kind"].isin(["change", "mediation", "crosslag"])]
    assert set(rows["evidence"]) >= {"likely", "may", "no_clear"}
    for r in rows.itertuples():
        h = r.headline
        dec = decimals_for(r.scale_min, r.scale_max, (r.estimate, r.ci_lower, r.ci_upper))
        assert fmt_num(r.estimate, dec, signed=True) in h, (r.finding_id, h)
        assert f"{fmt_num(r.ci_lower, dec)} to {fmt_num(r.ci_upper, dec)}" in h, (r.finding_id, h)
        # the same numbers as the sentence (which prints them unsigned)
        assert fmt_num(r.estimate, dec) in r.sentence
        assert VERB[r.evidence] in h, (r.finding_id, r.evidence, h)
        if r.evidence != "no_clear":
            assert "no clear" not in h, r.finding_id


def test_participation_headline_uses_the_public_counts(settings):
    t = _table(settings).set_index("finding_id")
    assert t.loc["participation.T0", "headline"] == (
        "Took part: 630 people entered at pathway entry.")
    h1 = t.loc["participation.T1", "headline"]
    assert h1 == (f"Retention: 178 of 630 ({t.loc['participation.T1', 'estimate']:.0f}%) "
                  "answered at about 4 months.")


def test_small_count_is_not_printed(settings):
    t = _table(settings)
    change = change_table(change_row())
    flow = pd.DataFrame(dict(wave=["T0", "T1", "T2"], responded=[630, 178, 4]))
    pub = pd.DataFrame(dict(wave=["T0", "T1", "T2"], responded=["630", "178", "<10"],
                            pct_baseline=["100.0", "28.3", "[c]"]))
    t = build_findings({"change": change, "flow": flow, "flow_public": pub}, {}, settings)
    h = t.set_index("finding_id").loc["participation.T2", "headline"]
    assert not re.search(r"\b4\b", h) and "%" not in h and "<10 of 630" in h, h


def test_not_estimable_row_gets_a_short_headline(settings):
    t = _table(settings).set_index("finding_id")
    r = t.loc["change.belonging.T1"]
    assert r["evidence"] == "not_estimable"
    assert len(r["sentence"]) > MAX_CHARS  # the long reason stays in the sentence
    assert "could not be estimated" in r["headline"]
    assert len(r["headline"]) <= 100, r["headline"]
