"""Every primary sentence keeps the contract's promises: units with the scale range, the
interval with its label, the verb of its evidence grade (GRADE guidance 26), the estimate as
printed in the table (to the sentence's decimals)."""

from __future__ import annotations

import pandas as pd
from findings_helpers import change_row, change_table, mediation_table

from pipeline.findings.analysis import build_findings
from pipeline.wording import decimals_for, fmt_num

VERB = {"likely": "likely", "may": "may", "no_clear": "no clear", "clear": ""}


def _table(settings):
    change = change_table(
        change_row(est=3.0, lo=1.0, hi=5.0),                       # likely
        change_row(wave="T2", est=1.0, lo=-2.0, hi=4.0),           # no clear
        change_row(construct="loneliness", est=-0.4, lo=-0.65, hi=-0.15, n_observed=20,
                   scale_min=3, scale_max=9))                      # may (small n)
    lagged = pd.DataFrame([dict(analysis="a", model="riclpm", constraint="free", role="headline",
                                **{"from": "support", "to": "belonging"}, from_wave="T0",
                                to_wave="T1", type="cross-lagged", est=0.2, se=0.05,
                                pvalue=0.001, pvalue_holm=0.002, ci_lower=0.1, ci_upper=0.3)])
    return build_findings({"change": change, "mediation": mediation_table(),
                           "crosslag": lagged}, {}, settings)


def test_primary_sentences_keep_the_contract(settings):
    t = _table(settings)
    rows = t[(t["role"] == "primary") & (t["status"] == "ok")
             & t["kind"].isin(["change", "mediation", "crosslag"])]
    assert set(rows["evidence"]) >= {"likely", "may", "no_clear"}
    for r in rows.itertuples():
        s = r.sentence
        assert r.units and r.units in s, r.finding_id
        rng = f"{r.scale_min:g}\u2013{r.scale_max:g}"
        assert rng in s, (r.finding_id, rng)
        assert r.ci_label.split(",")[0] in s, r.finding_id
        dec = decimals_for(r.scale_min, r.scale_max, (r.estimate, r.ci_lower, r.ci_upper))
        assert fmt_num(r.estimate, dec) in s, r.finding_id
        assert f"{fmt_num(r.ci_lower, dec)} to {fmt_num(r.ci_upper, dec)}" in s, r.finding_id
        assert VERB[r.evidence] in s, (r.finding_id, r.evidence)
        if r.evidence != "no_clear":
            assert "no clear" not in s.split(".")[0], r.finding_id


def test_mar_caveat_with_every_fiml_row(settings):
    t = _table(settings)
    fiml = t[(t["method"] == "fiml") & (t["status"] == "ok") & (t["role"] == "primary")]
    assert len(fiml) > 3
    assert fiml["sentence"].str.contains("missing at random").all()
    assert fiml["caveats"].str.contains("mar_assumption").all()


def test_engine_reasons_are_plain_words_for_funders():
    """A not-identified FIML fit: the funder sentence says the model could not be fitted, not
    the engine's parameter names and advice (those stay in the tables' message)."""
    from pipeline.findings.sentences import plain_why

    engine = ("the information matrix is singular: the model is not identified (parameters "
              "involved: {a ~~ b}); fix a parameter, add equality constraints")
    assert plain_why("not_identified", engine) == "the model could not be fitted to these data"
    assert "~~" not in plain_why("failed", engine)
    assert plain_why("not_estimable", "too few people answered at T2") == (
        "too few people answered at T2")


def test_a_study_with_a_comparison_group_is_never_told_there_is_none(settings):
    """With the comparison analysis running, the change and mediation sentences (fitted on
    both groups together) say so instead of "There was no comparison group"; without it they
    keep saying there is none."""
    from dataclasses import replace

    arms = replace(settings, running=tuple(sorted({*settings.running, "comparison"})))
    for s, has_arms in ((arms, True), (replace(settings, running=tuple(
            r for r in settings.running if r != "comparison")), False)):
        t = _table(s)
        rows = t[(t["role"] == "primary") & (t["status"] == "ok")
                 & t["kind"].isin(["change", "mediation"])]
        said = rows["sentence"]
        assert len(said) >= 4
        none = said.str.contains("no comparison group")
        assert (~none).all() if has_arms else none.all()
        if has_arms:
            change = rows.loc[rows["kind"] == "change", "sentence"]
            assert change.str.contains("both groups together").all() and len(change)
