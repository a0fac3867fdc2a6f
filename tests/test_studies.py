"""pipeline.studies: the studies of a run, each its own file merged over shared defaults."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.errors import ConfigError
from pipeline.studies import (
    deep_merge,
    effective_config_path,
    load_studies,
    results_path,
    study_configs,
)

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "config" / "studies" / "demo.yaml"


def _demo() -> dict:
    return yaml.safe_load(DEMO.read_text(encoding="utf-8"))


def _write(path: Path, cfg: dict) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(cfg, sort_keys=False), encoding="utf-8")
    return path


def test_the_shipped_config_lists_the_demo_study_unchanged():
    """config/config.yaml lists the demo; its merged config is exactly the demo file, so the
    demo's numbers do not move."""
    config = yaml.safe_load((ROOT / "config" / "config.yaml").read_text(encoding="utf-8"))
    (study,) = load_studies(config, ROOT)
    assert study.name == "demo" and study.raw == _demo()
    assert study.cfg.study_id == "demo" and "mediation" in study.runs


def test_a_single_study_config_is_one_study_named_by_its_id():
    cfg = _demo()
    cfg["study"]["id"] = "pilot"
    configs = study_configs(cfg, ROOT)
    assert list(configs) == ["pilot"] and configs["pilot"][1] == cfg
    (study,) = load_studies(cfg, ROOT)
    assert study.name == "pilot" and study.source == ""


def test_defaults_go_under_the_study_file_and_overrides_over_it(tmp_path):
    demo = _demo()
    del demo["study"]["id"]  # filled in from the file name
    demo["disclosure"] = {"min_cell": 7}
    del demo["change"]["conf_level"]
    _write(tmp_path / "config" / "studies" / "pilot.yaml", demo)
    config = {"studies": ["pilot"],
              "defaults": {"disclosure": {"min_cell": 5}, "seed": 1,
                           "change": {"conf_level": 0.9}},
              "seed": 99}  # a top-level key beside studies: what --config seed=99 adds
    (study,) = load_studies(config, tmp_path)
    assert study.raw["study"]["id"] == "pilot"
    assert study.raw["disclosure"] == {"min_cell": 7}  # the study's own value wins
    assert study.raw["seed"] == 99  # the override wins over both
    assert study.raw["change"]["conf_level"] == 0.9  # a default the file lacks
    assert study.raw["change"]["higher_is_better"] == demo["change"]["higher_is_better"]


def test_an_entry_may_be_a_path_whose_stem_names_the_study(tmp_path):
    demo = _demo()
    demo["study"]["id"] = "other"
    path = _write(tmp_path / "elsewhere" / "other.yaml", demo)
    configs = study_configs({"studies": [str(path), "demo"]}, ROOT)
    assert list(configs) == ["other", "demo"]


@pytest.mark.parametrize(
    ("config", "words"),
    [
        ({"studies": []}, ["non-empty list"]),
        ({"studies": "demo"}, ["non-empty list"]),
        ({"studies": ["demo", "demo"]}, ["listed twice"]),
        ({"studies": ["nosuch"]}, ["nosuch", "does not exist", "remove 'nosuch'"]),
        ({"studies": ["demo"], "waves": []}, ["both 'studies'", "waves"]),
        ({"studies": ["demo"], "defaults": [1]}, ["defaults", "mapping"]),
        ({"studies": [3]}, ["entry 3"]),
        ({"studies": ["a b"]}, ["'a b'", "letters, digits"]),
    ],
)
def test_a_malformed_studies_list_is_refused_plainly(config, words):
    with pytest.raises(ConfigError) as err:
        study_configs(config, ROOT)
    for word in words:
        assert word in str(err.value)


def test_a_copied_file_naming_another_study_is_refused(tmp_path):
    """pilot.yaml still saying study.id: demo would write over the demo's results."""
    _write(tmp_path / "config" / "studies" / "pilot.yaml", _demo())
    with pytest.raises(ConfigError, match=r"pilot\.yaml.*study\.id is 'demo'.*'pilot'"):
        study_configs({"studies": ["pilot"]}, tmp_path)


def test_unreadable_or_empty_study_files_are_refused(tmp_path):
    folder = tmp_path / "config" / "studies"
    folder.mkdir(parents=True)
    (folder / "bad.yaml").write_text("waves: [unclosed", encoding="utf-8")
    (folder / "empty.yaml").write_text("", encoding="utf-8")
    with pytest.raises(ConfigError, match="bad.yaml cannot be read as YAML"):
        study_configs({"studies": ["bad"]}, tmp_path)
    with pytest.raises(ConfigError, match="empty.yaml is empty"):
        study_configs({"studies": ["empty"]}, tmp_path)


def test_every_problem_of_every_study_comes_in_one_message(tmp_path):
    a, b = _demo(), _demo()
    a["study"]["id"], b["study"]["id"] = "a", "b"
    a["seed"] = "x"
    b["mediation"]["analyses"]["social_cure_chain"]["y"]["construct"] = "qoll"
    _write(tmp_path / "a.yaml", a)
    _write(tmp_path / "b.yaml", b)
    with pytest.raises(ConfigError) as err:
        load_studies({"studies": [str(tmp_path / "a.yaml"), str(tmp_path / "b.yaml")]}, ROOT)
    text = str(err.value)
    assert "study 'a'" in text and "seed" in text
    assert "study 'b'" in text and "qoll" in text


def test_paths_of_a_study():
    assert results_path("pilot", "tables/findings.csv") == "results/pilot/tables/findings.csv"
    assert effective_config_path("pilot") == Path(
        ".snakemake/socialcure/pilot/effective_config.json")


def test_load_config_finds_the_project_root_from_a_study_file():
    """Data paths of config/studies/demo.yaml resolve under the project root."""
    from pipeline.config import load_config

    cfg = load_config(DEMO)
    assert cfg.root == ROOT and cfg.path(cfg.waves[0].file).exists()


_values = st.recursive(
    st.one_of(st.integers(), st.text(max_size=3), st.lists(st.integers(), max_size=2)),
    lambda inner: st.dictionaries(st.sampled_from("abc"), inner, max_size=3),
    max_leaves=8,
)
_maps = st.dictionaries(st.sampled_from("abcd"), _values, max_size=4)


@settings(max_examples=200, deadline=None)
@given(_maps, _maps)
def test_deep_merge_properties(base, over):
    """Every key of either side is kept; a non-mapping value of ``over`` wins whole; mappings
    merge key by key; neither argument is changed; merging into {} copies."""
    import copy

    b0, o0 = copy.deepcopy(base), copy.deepcopy(over)
    merged = deep_merge(base, over)
    assert base == b0 and over == o0
    assert set(merged) == set(base) | set(over)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            assert merged[key] == deep_merge(base[key], value)
        else:
            assert merged[key] == value
    for key in set(base) - set(over):
        assert merged[key] == base[key]
    assert deep_merge({}, over) == over and deep_merge(base, {}) == base
