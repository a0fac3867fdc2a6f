"""The report's settings: defaults from the schema only, checked paths, config hash."""

from __future__ import annotations

import copy
from dataclasses import replace

import pytest
from report_helpers import ROOT, demo_config

from pipeline.errors import ConfigError
from pipeline.report.settings import TEMPLATE_DIR, config_hash, from_config


def _with(section: dict):
    """The demo config with a ``report:`` section (schema validation is the start-up check's
    job, tested with the other sections; here only from_config is exercised)."""
    cfg = demo_config()
    raw = copy.deepcopy(cfg.raw)
    raw["report"] = section
    return replace(cfg, raw=raw)


def test_defaults_come_from_the_schema():
    s = from_config(demo_config())
    assert s.language == "en-GB" and s.primary_colour == "#1F4E79"
    assert s.title.startswith("Evaluation report: ") and s.programme
    assert s.template is None and s.template_path(ROOT) == TEMPLATE_DIR / "report.typ"
    assert s.template_path(ROOT).exists() and (TEMPLATE_DIR / "report.css").exists()


def test_configured_values_are_used():
    s = from_config(_with({"organisation": "Some Trust", "title": "Our report",
                           "colours": {"primary": "#000000"}, "foreword": "Hello."}))
    assert (s.organisation, s.title, s.primary_colour, s.accent_colour, s.foreword) == (
        "Some Trust", "Our report", "#000000", "#8A3B12", "Hello.")


@pytest.mark.parametrize("key", ["logo", "template"])
def test_a_missing_file_is_refused_naming_the_key(key):
    with pytest.raises(ConfigError, match=f"report.{key}"):
        from_config(_with({key: "no/such/file.png"}))


def test_config_hash_changes_with_any_key():
    raw = copy.deepcopy(demo_config().raw)
    h = config_hash(raw)
    raw["seed"] += 1
    assert config_hash(raw) != h and len(h) == 12


def test_logo_foreword_and_colours_reach_both_renderings(demo_tree, tmp_path):
    from report_helpers import stage_io

    from pipeline.report import stage

    pytest.importorskip("PIL")
    from PIL import Image

    Image.new("RGB", (120, 40), (31, 78, 121)).save(tmp_path / "logo.png")
    cfg = _with({"organisation": "Some Trust", "logo": str(tmp_path / "logo.png"),
                 "foreword": "A word from the programme lead.",
                 "colours": {"primary": "#123456"}})
    io = stage_io(demo_tree, tmp_path / "out")
    stage.run(cfg, io)
    html = io.output("html").read_text(encoding="utf-8")
    assert 'alt="Logo of Some Trust"' in html and "data:image/png;base64," in html
    assert "A word from the programme lead." in html and "--primary: #123456" in html
    pikepdf = pytest.importorskip("pikepdf")
    from report_helpers import struct_elems

    with pikepdf.open(io.output("pdf")) as pdf:
        alts = [str(e.Alt) for e in struct_elems(pdf.Root.StructTreeRoot) if "/Alt" in e]
    assert "Logo of Some Trust" in alts


def test_config_hash_ignores_how_the_work_is_split_into_jobs():
    """A laptop run and a cluster run (more chain parts, more boot-MI blocks) print one hash."""
    raw = {"missing_data": {"m": 5}, "mediation": {"mi": {"B": 100}}}
    h = config_hash(raw)
    assert config_hash({"missing_data": {"m": 5, "chain_blocks": 8},
                        "mediation": {"mi": {"B": 100, "blocks": 3}}}) == h
    assert config_hash({"missing_data": {"m": 6}, "mediation": {"mi": {"B": 100}}}) != h
