"""Settings of the pooled report (pipeline/report/pooled_settings.py): it runs with the pooled
analysis, can be switched off, and reads its title and date from ``pooled.report``; the
registry's run-level stage ``pooled_report`` finds it. Studies are the demo's config under
other names (start-up checks only, no data)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from pipeline.errors import ConfigError
from pipeline.registry import RUN_WINGS, settings_module, stage_module, wing
from pipeline.report.pooled_settings import NO_DATE, from_programme, inactive, scheme_labels
from pipeline.status import Status
from pipeline.studies import load_programme, load_studies

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "config" / "studies" / "demo.yaml"


def _programme(tmp: Path, names=("north", "south"), pooled=None, dates=()):
    paths = []
    for i, n in enumerate(names):
        cfg = yaml.safe_load(DEMO.read_text(encoding="utf-8"))
        del cfg["study"]["id"]
        if i < len(dates):
            cfg.setdefault("report", {})["date"] = dates[i]
        path = tmp / f"{n}.yaml"
        path.write_text(yaml.safe_dump(cfg, sort_keys=False), encoding="utf-8")
        paths.append(str(path))
    config = {"studies": paths, "defaults": {}}
    if pooled is not None:
        config["pooled"] = pooled
    return load_programme(config, load_studies(config, ROOT))


def test_registered_as_a_run_level_stage_of_the_report_wing():
    w = wing("pooled_report")
    assert w in RUN_WINGS and w.name == "report" and w.section is None
    assert settings_module(w).__name__ == "pipeline.report.pooled_settings"
    assert stage_module(w).__name__ == "pipeline.report.pooled_stage"
    assert wing("report").prefix == ""  # the study report is still the report wing's stage


def test_runs_with_the_pooled_analysis(tmp_path):
    prog, plans = _programme(tmp_path)
    assert plans["pooled_report"].runs and inactive(prog) is None
    s = from_programme(prog)
    assert s.title == "Pooled evaluation report: 2 schemes"
    assert list(s.schemes) == ["north", "south"]
    assert s.schemes["north"].endswith("(north)")
    assert s.date == NO_DATE and s.min_cell == 10
    assert s.constructs["loneliness"] == ("Loneliness (UCLA-3)", 3.0, 9.0, "sum")


def test_not_built_without_the_pooled_analysis_or_when_switched_off(tmp_path):
    prog, plans = _programme(tmp_path, names=("north",))
    assert not plans["pooled_report"].runs
    assert "the pooled analysis does not run" in plans["pooled_report"].reason
    prog, plans = _programme(tmp_path, pooled={"report": {"enabled": False}})
    assert plans["pooled"].runs and not plans["pooled_report"].runs
    assert inactive(prog) == (Status.NOT_RUN,
                              "switched off in the config (pooled.report.enabled: false)")


def test_title_and_date_from_the_config_else_the_latest_study_date(tmp_path):
    prog, _ = _programme(tmp_path, pooled={"report": {"title": "Across our schemes",
                                                      "date": "2026-12-01"}})
    s = from_programme(prog)
    assert (s.title, s.date) == ("Across our schemes", "2026-12-01")
    prog, _ = _programme(tmp_path, dates=("2026-03-01", "2026-05-02"))
    assert from_programme(prog).date == "2026-05-02"


def test_an_unknown_key_under_pooled_report_is_named(tmp_path):
    with pytest.raises(ConfigError, match=r"pooled\.report: unknown key 'titel' \(did you mean "
                                          r"'title'\?\)"):
        _programme(tmp_path, pooled={"report": {"titel": "x"}})


def test_scheme_labels():
    assert scheme_labels({"north": "North pathway", "south": "", "east": "east"}) == {
        "north": "North pathway (north)", "south": "south", "east": "east"}
