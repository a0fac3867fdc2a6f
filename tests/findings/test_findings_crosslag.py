"""Cross-lagged findings on crafted tables: the headline RI-CLPM with Holm-adjusted p-values,
the CLPM beside it for comparison, improper solutions."""

from __future__ import annotations

import pandas as pd

from pipeline.findings.analysis import build_findings
from pipeline.findings.crosslag import select_paths
from pipeline.stats.emmeans import adjust_pvalues


def _lagged(model, est, lo, hi, p, role, analysis="connections_health", holm=None):
    """Two paths (gm -> qol, qol -> gm), stationary: the same row at both lags."""
    rows = []
    paths = (("group_memberships", "qol"), ("qol", "group_memberships"))
    for i, ((src, dst), e, a, b, pv) in enumerate(zip(paths, est, lo, hi, p)):
        for w0, w1 in (("T0", "T1"), ("T1", "T2")):
            row = dict(analysis=analysis, model=model, constraint="stationary",
                       **{"from": src, "to": dst}, from_wave=w0, to_wave=w1,
                       type="cross-lagged", est=e, se=1.0, pvalue=pv, ci_lower=a,
                       ci_upper=b, std_all=0.2, role=role)
            if holm is not None:
                row["pvalue_holm"] = holm[i]
            rows.append(row)
    return pd.DataFrame(rows)


def test_holm_adjusted_p_decides_clarity(settings):
    head = _lagged("riclpm", (2.4, 0.01), (0.1, -0.02), (4.7, 0.03), (0.04, 0.5), "headline",
                   holm=(0.08, 0.5))
    comp = _lagged("clpm", (2.4, 0.01), (0.8, -0.02), (4.0, 0.03), (0.001, 0.5), "comparison",
                   holm=(0.002, 0.5))
    status = pd.DataFrame([dict(analysis="connections_health", model=m, constraint="stationary",
                                status="ok", exploratory=False, message="", note="")
                           for m in ("riclpm", "clpm")])
    t = build_findings({"crosslag": pd.concat([head, comp]), "crosslag_status": status}, {},
                       settings).set_index("finding_id")
    p = t.loc["crosslag.connections_health.qol~group_memberships"]
    # the unadjusted CI excludes 0 but the Holm-adjusted p is 0.08: not clear
    assert p["evidence"] == "no_clear" and p["pvalue"] == 0.08
    assert p["ci_label"] == "95% CI (unadjusted)"
    assert p["question"] == ("After a wave in which someone scored higher than usual on group "
                             "memberships, do they score higher on quality of life (EQ VAS) at "
                             "the next wave?")
    assert "Holm-adjusted p = 0.08 over 2 paths" in p["sentence"]
    assert ("points on the 0\u2013100 EQ VAS per point on the 1\u20137 group memberships scale"
            in p["sentence"])
    c = t.loc["crosslag.connections_health.qol~group_memberships@clpm_stationary"]
    assert c["role"] == "sensitivity" and "clpm_confounds_stable_differences" in c["caveats"]
    assert c["agrees_with_primary"] == "clarity_differs"
    assert c["sentence"].startswith("For comparison only, the CLPM (which mixes stable "
                                    "differences between people with within-person change)")
    assert len(t.filter(like="crosslag.", axis=0)) == 4  # stationary: one row per path


def test_holm_computed_when_the_table_has_none():
    lag = _lagged("riclpm", (1, 1), (0, 0), (2, 2), (0.01, 0.04), "headline")
    sel = select_paths(lag, "headline")
    assert list(sel["pvalue_holm"]) == list(adjust_pvalues([0.01, 0.04], "holm"))
    assert list(sel["pvalue_holm"]) == [0.02, 0.04]  # R: p.adjust(c(.01, .04), "holm")
    # R: p.adjust(c(0.04, 0.5, 0.01, 0.2), "holm") -> 0.12 0.5 0.04 0.4
    assert list(adjust_pvalues([0.04, 0.5, 0.01, 0.2], "holm")) == [0.12, 0.5, 0.04, 0.4]


def test_improper_headline_is_not_estimable_and_never_suggests_the_clpm(settings):
    comp = _lagged("clpm", (2.4, 0.01), (0.8, -0.02), (4.0, 0.03), (0.001, 0.5), "comparison",
                   analysis="social_cure")
    status = pd.DataFrame([dict(analysis="social_cure", model="riclpm", constraint="free",
                                status="improper_solution", exploratory=True,
                                message="negative variance", note="")])
    t = build_findings({"crosslag": comp, "crosslag_status": status}, {},
                       settings).set_index("finding_id")
    p = t.loc["crosslag.social_cure"]
    assert p["status"] == "improper_solution" and p["evidence"] == "not_estimable"
    assert "Fewer constructs, equality constraints over time or more waves" in p["sentence"]
    assert "CLPM" not in p["sentence"].replace("RI-CLPM", "")


def test_fiml_stands_in_when_the_primary_method_is_mi(settings):
    import dataclasses
    s_mi = dataclasses.replace(settings, primary="mi")
    head = _lagged("riclpm", (2.4, 0.01), (0.1, -0.02), (4.7, 0.03), (0.04, 0.5), "headline",
                   holm=(0.08, 0.5))
    t = build_findings({"crosslag": head}, {}, s_mi).set_index("finding_id")
    p = t.loc["crosslag.connections_health.qol~group_memberships"]
    assert "stands_in:fiml" in p["caveats"]
    assert ("Multiple imputation, the primary method, could not give this estimate (the "
            "cross-lagged models are fitted by FIML only), so full-information maximum "
            "likelihood (FIML) stands in.") in p["sentence"]


def test_every_model_failed_names_the_analysis_and_its_reason(settings):
    """Found on a real REDCap export: with no model estimable the lagged-effects table has no
    rows, and the finding read "Within-person cross-lagged model (): ..." with a message about
    missing columns; each analysis of the status table now gets its row and reason."""
    from pipeline.findings.crosslag import crosslag_findings

    status = pd.DataFrame({"analysis": ["all_constructs"] * 2, "model": ["clpm", "riclpm"],
                           "constraint": "free", "status": "not_estimable",
                           "message": ["clpm: too few values", "riclpm: too few values"]})
    (row,) = crosslag_findings(pd.DataFrame(), status, settings)
    assert row["finding_id"] == "crosslag.all_constructs" and row["analysis"] == "all_constructs"
    assert row["message"] == "riclpm: too few values" and row["evidence"] == "not_estimable"


def test_a_broken_lagged_table_beside_models_that_ran_is_named_as_such(settings):
    """A reviewer: the "every model failed" branch must not hide a missing or malformed
    lagged-effects table when the models ran (status ok): that message names the file."""
    from pipeline.findings.crosslag import crosslag_findings

    status = pd.DataFrame({"analysis": ["a"], "model": ["riclpm"], "constraint": "free",
                           "status": "ok", "message": ""})
    (row,) = crosslag_findings(pd.DataFrame(), status, settings)
    assert "crosslag_lagged_effects.csv" in row["message"]
    only_clpm = status.assign(model="clpm", status="not_estimable", message="clpm: no data")
    (row,) = crosslag_findings(pd.DataFrame(), only_clpm, settings)
    assert row["message"] == "clpm: no data"
