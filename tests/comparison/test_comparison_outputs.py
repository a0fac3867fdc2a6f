"""pipeline.comparison.outputs: every table from a config and a wide table, in the paths the
workflow test does not take (randomised, no weighting, listed auxiliaries: one FIML fit per
outcome)."""

from __future__ import annotations

import yaml
from two_arm_study import two_arm_wide, write_two_arm_study

from pipeline.comparison.outputs import comparison_tables
from pipeline.comparison.settings import from_config
from pipeline.config import config_from_dict


def test_randomised_unweighted_with_listed_auxiliaries(tmp_path):
    raw = yaml.safe_load(write_two_arm_study(tmp_path, n=60).read_text())
    raw["comparison"] |= {"randomised": True, "weighting": "none"}
    raw["change"] = {"auxiliary": ["group_memberships_T0", "age"]}
    cfg = config_from_dict(raw, root=tmp_path)
    s = from_config(cfg)
    t = comparison_tables(cfg, s, two_arm_wide(300, 9))
    assert set(t.change["method"]) == {"fiml", "mi", "complete_case"}
    fiml = t.change[t.change["method"] == "fiml"]
    assert (fiml["status"] == "ok").all()
    # loneliness: group memberships at entry and age; group memberships: age only
    assert set(fiml["message"]) == {"2 auxiliary variables; robust SE",
                                    "1 auxiliary variables; robust SE"}
    assert (t.change["adjusted_for"] == "none").all()
    mi = t.change[t.change["method"] == "mi"]
    assert (mi["status"] == "not_estimable").all()  # no imputations given
    assert t.balance["smd_after"].isna().all() and (t.balance["status"] == "not_run").all()
    design = t.sentences.loc[t.sentences["kind"] == "design", "sentence"].iloc[0]
    assert "were randomised" in design
    assert len(t.flow) == 6 and set(t.flow_public.columns) == set(t.flow.columns)


def test_ipw_primary_says_fiml_stands_in(tmp_path):
    raw = yaml.safe_load(write_two_arm_study(tmp_path, n=60).read_text())
    raw["missing_data"]["primary"] = "ipw"
    raw["comparison"]["outcomes"] = ["loneliness"]
    cfg = config_from_dict(raw, root=tmp_path)
    t = comparison_tables(cfg, from_config(cfg), two_arm_wide(200, 2))
    prim = t.change[t.change["role"] == "primary"]
    assert (prim["method"] == "fiml").all()
    assert prim["message"].str.startswith("missing_data.primary is ipw").all()
