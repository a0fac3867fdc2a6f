"""Which analyses run (pipeline/plan.py), and start-up validation of a study that grows wave by
wave (issue 13): a one-wave study is not refused, sections can be switched off, and nothing of
the demo study is assumed by a section left out."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from pipeline.errors import ConfigError
from pipeline.plan import active_stages, study_plan, waits_for_waves
from pipeline.status import Status
from pipeline.validate import stage_settings_json, validate_config

ROOT = Path(__file__).resolve().parent.parent
ANALYSES = ("change", "attrition", "impute", "mediation", "crosslag")
SECTION = {"change": "change", "attrition": "attrition", "impute": "missing_data",
           "mediation": "mediation", "crosslag": "crosslag", "findings": "findings",
           "report": "report"}


@pytest.fixture
def raw():
    return yaml.safe_load((ROOT / "config" / "studies" / "demo.yaml").read_text())


def _one_wave(raw: dict) -> dict:
    r = copy.deepcopy(raw)
    r["waves"] = r["waves"][:1]
    return r


# wings the single-group demo study configures nothing for: no comparison arm, no count
# outcome, no identification item (they run for config/studies/demo_controlled.yaml)
UNCONFIGURED = {"comparison", "healthcare", "moderation"}


def test_demo_study_runs_everything(raw):
    plan = study_plan(validate_config(raw, root=ROOT))
    assert all(p.runs and p.reason == "" for st, p in plan.items() if st not in UNCONFIGURED)
    assert all(plan[st].status is Status.NOT_RUN for st in UNCONFIGURED if st in plan)
    assert plan["comparison"].reason.startswith("single group, no comparison")
    assert active_stages(validate_config(raw, root=ROOT)) == tuple(
        st for st in plan if st not in UNCONFIGURED)


def test_controlled_demo_study_runs_everything():
    raw = yaml.safe_load((ROOT / "config" / "studies" / "demo_controlled.yaml").read_text())
    plan = study_plan(validate_config(raw, root=ROOT))
    assert all(p.runs and p.reason == "" for p in plan.values()), {
        st: p.reason for st, p in plan.items() if not p.runs}


def test_one_wave_study_is_not_refused_and_its_analyses_wait(raw):
    # the demo's own sections name T1 (mediation chain, sensitivity.wave): they are not refused
    # while only T0 is configured, and every analysis that needs a follow-up waits for it
    cfg = validate_config(_one_wave(raw), root=ROOT)
    plan = study_plan(cfg)
    for stage in ANALYSES:
        assert plan[stage].status is Status.WAITS_FOR_DATA, stage
        assert plan[stage].reason.startswith("waits for a second wave ("), plan[stage].reason
    assert plan["ingest"].runs and plan["clean"].runs
    assert plan["findings"].runs and plan["report"].runs
    # the change rule still runs, for the baseline descriptives only
    assert '"descriptives_only": true' in stage_settings_json(cfg, "change")


def test_adding_the_second_wave_makes_the_analyses_run(raw):
    r = copy.deepcopy(raw)
    r["waves"] = r["waves"][:2]
    plan = study_plan(validate_config(r, root=ROOT))
    assert all(plan[s].runs for s in ANALYSES)


@pytest.mark.parametrize("stage", list(SECTION))
def test_every_section_can_be_switched_off(raw, stage):
    r = copy.deepcopy(raw)
    r.setdefault(SECTION[stage], {})["enabled"] = False
    plan = study_plan(validate_config(r, root=ROOT))
    assert plan[stage].status is Status.NOT_RUN
    assert f"{SECTION[stage]}.enabled: false" in plan[stage].reason
    others = [s for s in ANALYSES if s != stage]
    assert all(plan[s].runs for s in others)


def test_report_is_not_built_without_findings(raw):
    r = copy.deepcopy(raw)
    r["findings"] = {"enabled": False}
    plan = study_plan(validate_config(r, root=ROOT))
    assert not plan["report"].runs and "findings table" in plan["report"].reason


def test_switched_off_section_is_not_cross_checked_but_its_keys_are(raw):
    r = copy.deepcopy(raw)
    r["mediation"]["enabled"] = False
    r["mediation"]["analyses"]["social_cure_chain"]["y"]["construct"] = "qoll"
    validate_config(r, root=ROOT)  # not refused: the section does not run
    r["mediation"]["bootstrp"] = {"B": 100}
    with pytest.raises(ConfigError, match="did you mean 'bootstrap'"):
        validate_config(r, root=ROOT)


def test_one_wave_study_still_refuses_typos_in_sections(raw):
    r = _one_wave(raw)
    r["crosslag"]["modles"] = ["clpm"]
    r["change"]["conf_level"] = "high"
    with pytest.raises(ConfigError) as exc:
        validate_config(r, root=ROOT)
    assert "did you mean 'models'" in str(exc.value) and "change.conf_level" in str(exc.value)


def test_running_section_naming_a_missing_wave_is_refused(raw):
    r = copy.deepcopy(raw)
    r["waves"] = r["waves"][:2]
    r["mediation"]["analyses"]["social_cure_chain"]["y"]["wave"] = "T2"
    with pytest.raises(ConfigError, match="T2"):
        validate_config(r, root=ROOT)


@pytest.mark.parametrize("given", [{}, None])
def test_no_mediation_analyses_is_no_chain(raw, given):
    r = copy.deepcopy(raw)
    if given is None:
        r["mediation"].pop("analyses")
    else:
        r["mediation"]["analyses"] = given
    cfg = validate_config(r, root=ROOT)
    plan = study_plan(cfg)
    assert plan["mediation"].status is Status.NOT_RUN
    assert "no mediation analyses configured" in plan["mediation"].reason
    assert "social_cure_chain" not in stage_settings_json(cfg, "findings")


def test_a_section_left_out_assumes_nothing_of_the_demo(raw):
    r = copy.deepcopy(raw)
    for section in ("mediation", "missing_data", "crosslag", "change", "attrition"):
        r.pop(section)
    cfg = validate_config(r, root=ROOT)
    plan = study_plan(cfg)
    assert plan["mediation"].status is Status.NOT_RUN
    params = stage_settings_json(cfg, "impute")
    assert '"outcome": null' in params and "missing_data.sensitivity.outcome" in params


def test_riclpm_waits_for_a_third_wave(raw):
    from pipeline.crosslag.settings import from_config

    r = copy.deepcopy(raw)
    r["waves"] = r["waves"][:2]
    s = from_config(validate_config(r, root=ROOT))
    status, why = s.riclpm_wait
    assert status is Status.WAITS_FOR_DATA and why.startswith("waits for a third wave")
    assert "riclpm" not in s.fitted_models("social_cure")
    r["waves"] = raw["waves"]
    r["crosslag"]["waves"] = ["T0", "T1"]  # chosen, not waiting: not estimable on these
    status, why = from_config(validate_config(r, root=ROOT)).riclpm_wait
    assert status is Status.NOT_ESTIMABLE and "crosslag.waves selects 2" in why


def test_waits_for_waves_words():
    assert waits_for_waves(2, 2, "x") is None
    assert waits_for_waves(3, 2, "x") == (Status.WAITS_FOR_DATA, "waits for a third wave (x)")
