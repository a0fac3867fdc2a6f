"""The ``pooled:`` section: top level of config/config.yaml only, resolved against the studies.

Studies are the demo's config under other names (no data is read: start-up checks only).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from pipeline.errors import ConfigError
from pipeline.pooled.settings import from_programme, inactive, params_json
from pipeline.status import Status
from pipeline.studies import load_programme, load_studies

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "config" / "studies" / "demo.yaml"


def _study(tmp: Path, name: str, **changes) -> str:
    cfg = yaml.safe_load(DEMO.read_text(encoding="utf-8"))
    del cfg["study"]["id"]
    cfg.update(changes)
    path = tmp / f"{name}.yaml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False), encoding="utf-8")
    return str(path)


def _programme(tmp: Path, names=("north", "south"), pooled=None, **changes):
    config = {"studies": [_study(tmp, n, **changes.get(n, {})) for n in names], "defaults": {}}
    if pooled is not None:
        config["pooled"] = pooled
    return load_programme(config, load_studies(config, ROOT))


def test_runs_with_two_studies_and_pools_every_shared_scale(tmp_path):
    prog, plans = _programme(tmp_path)
    assert plans["pooled"].runs
    s = from_programme(prog)
    assert s.studies == ("north", "south")
    assert [c.key for c in s.constructs] == ["group_memberships", "belonging", "support",
                                             "loneliness", "qol"]
    loneliness = next(c for c in s.constructs if c.key == "loneliness")
    assert (loneliness.lo, loneliness.hi, loneliness.score) == (3.0, 9.0, "sum")
    assert s.mediation is None and s.min_schemes == 2 and s.conf_level == 0.95


def test_one_study_does_not_run_and_says_why(tmp_path):
    prog, plans = _programme(tmp_path, names=("north",))
    assert not plans["pooled"].runs
    assert plans["pooled"].status is Status.NOT_RUN
    assert "two or more studies" in plans["pooled"].reason and "north" in plans["pooled"].reason


def test_switched_off(tmp_path):
    prog, plans = _programme(tmp_path, pooled={"enabled": False})
    assert inactive(prog)[1] == "switched off in the config (pooled.enabled: false)"


def test_a_differently_scored_scale_is_left_out_by_default_and_refused_when_named(tmp_path):
    demo = yaml.safe_load(DEMO.read_text(encoding="utf-8"))
    scales = demo["scales"]
    scales["loneliness"] = {**scales["loneliness"], "score": "mean"}
    prog, _ = _programme(tmp_path, south={"scales": scales})
    s = from_programme(prog)
    assert "loneliness" not in [c.key for c in s.constructs]
    (key, why), = s.skipped
    assert key == "loneliness" and "scored differently" in why and "south" in why
    with pytest.raises(ConfigError, match="pooled.constructs: 'loneliness' is scored"):
        _programme(tmp_path, pooled={"constructs": ["loneliness"]}, south={"scales": scales})


def test_problems_name_the_key(tmp_path):
    with pytest.raises(ConfigError, match=r"pooled.constructs: 'lonelyness' is not a scale of "
                                          r"north, south \(did you mean 'loneliness'\?\)"):
        _programme(tmp_path, pooled={"constructs": ["lonelyness"]})
    with pytest.raises(ConfigError, match=r"unknown key 'min_scheme' \(did you mean "
                                          r"'min_schemes'\?\)"):
        _programme(tmp_path, pooled={"min_scheme": 3})
    with pytest.raises(ConfigError, match="pooled.min_schemes"):
        _programme(tmp_path, pooled={"min_schemes": 1})
    with pytest.raises(ConfigError, match="'chain' is not a mediation analysis of study "
                                          "'north'"):
        _programme(tmp_path, pooled={"mediation": "chain"})


def test_the_mediation_chain_must_be_alike_in_every_study(tmp_path):
    prog, _ = _programme(tmp_path, pooled={"mediation": "social_cure_chain"})
    assert from_programme(prog).mediation == "social_cure_chain"
    assert "chains" in params_json(prog)
    demo = yaml.safe_load(DEMO.read_text(encoding="utf-8"))
    med = demo["mediation"]
    med["analyses"]["social_cure_chain"]["covariates"] = []
    with pytest.raises(ConfigError, match="differs between the studies"):
        _programme(tmp_path, pooled={"mediation": "social_cure_chain"},
                   south={"mediation": med})


def test_a_study_named_pooled_is_refused_while_the_wing_runs(tmp_path):
    with pytest.raises(ConfigError, match="study name 'pooled' is taken"):
        _programme(tmp_path, names=("north", "pooled"))
    _programme(tmp_path, names=("north", "pooled"), pooled={"enabled": False})


@pytest.mark.parametrize("where", ["study", "defaults", "single"])
def test_pooled_belongs_beside_studies_not_in_a_study(tmp_path, where):
    if where == "study":
        config = {"studies": [_study(tmp_path, "north", pooled={"enabled": True})]}
    elif where == "defaults":
        config = {"studies": [_study(tmp_path, "north")], "defaults": {"pooled": {}}}
    else:
        config = {**yaml.safe_load(DEMO.read_text(encoding="utf-8")), "pooled": {}}
    with pytest.raises(ConfigError, match="'pooled:' section.*Move it to the top level of "
                                          "config/config.yaml"):
        load_studies(config, ROOT)


def test_the_run_level_section_is_not_merged_into_the_studies(tmp_path):
    config = {"studies": [_study(tmp_path, "north"), _study(tmp_path, "south")],
              "pooled": {"min_schemes": 2}}
    studies = load_studies(config, ROOT)
    assert all("pooled" not in s.raw for s in studies)


def test_the_run_config_file_round_trips_and_a_bad_one_is_refused(tmp_path):
    from pipeline.studies import read_programme_config, write_programme_config

    prog, _ = _programme(tmp_path, pooled={"min_schemes": 2})
    path = tmp_path / "run" / "run_config.json"
    write_programme_config(prog, path)
    again = read_programme_config(path, ROOT)
    assert again.names == ["north", "south"] and again.sections == prog.sections
    assert from_programme(again) == from_programme(prog)
    path.write_text("{", encoding="utf-8")
    with pytest.raises(ConfigError, match="run config file .* cannot be read"):
        read_programme_config(path, ROOT)


def test_pooled_crosslag_on_the_waves_every_study_models(tmp_path):
    cfg = yaml.safe_load(DEMO.read_text(encoding="utf-8"))
    two = {"waves": cfg["waves"][:2]}
    prog, _ = _programme(tmp_path, pooled={"crosslag": "social_cure"}, south=two)
    s = from_programme(prog)
    assert s.crosslag == "social_cure" and len(s.crosslag_constructs) == 5
    assert s.crosslag_waves == ("T0", "T1")
    assert dict(s.crosslag_left_out) == {"north": ("T2",), "south": ()}
    assert set(s.crosslag_models) == {"clpm", "riclpm"}


def test_pooled_crosslag_must_exist_alike_in_every_study(tmp_path):
    with pytest.raises(ConfigError, match=r"pooled\.crosslag: 'social_cur' is not a "
                                          r"cross-lagged analysis of study 'north' \(did you "
                                          r"mean 'social_cure'\?\)") as err:
        _programme(tmp_path, pooled={"crosslag": "social_cur"})
    assert str(err.value).count("social_cur'") == 1  # said once (not again by the report)
    other = {"crosslag": {"analyses": {"social_cure": {"constructs": ["loneliness",
                                                                      "belonging"]}}}}
    with pytest.raises(ConfigError, match="different constructs in the studies"):
        _programme(tmp_path, pooled={"crosslag": "social_cure"}, south=other)


def test_pooled_crosslag_of_constructs_scored_differently_is_refused(tmp_path):
    cfg = yaml.safe_load(DEMO.read_text(encoding="utf-8"))
    scales = cfg["scales"]
    key = next(k for k, v in scales.items() if k == "qol")
    changed = dict(scales)
    changed[key] = dict(scales[key]) | {"range": [0, 10]}
    with pytest.raises(ConfigError, match=r"constructs scored differently across the "
                                          r"studies \(qol: range or scoring differ\)"):
        _programme(tmp_path, pooled={"crosslag": "social_cure", "constructs": ["loneliness"]},
                   south={"scales": changed})
