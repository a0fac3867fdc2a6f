"""A one-wave study's report (issue 13): each section whose analysis waits for a second wave
says so in the findings table's words; the scores at entry are shown; nothing is called "not
estimable" and no table of "NA" rows appears."""

from __future__ import annotations

import copy
from pathlib import Path

import pandas as pd
import yaml

from pipeline.config import config_from_dict
from pipeline.findings.analysis import build_findings
from pipeline.findings.settings import from_config as findings_settings
from pipeline.report.build import build_report
from pipeline.report.html_render import to_html
from pipeline.report.inputs import FINDINGS_COLUMNS, ReportInputs, WaveInfo
from pipeline.report.model import Notice, Table
from pipeline.report.settings import from_config as report_settings

ROOT = Path(__file__).resolve().parents[2]


def _cfg():
    raw = yaml.safe_load((ROOT / "config" / "studies" / "demo.yaml").read_text())
    raw = copy.deepcopy(raw)
    raw["waves"] = raw["waves"][:1]
    return config_from_dict(raw, root=ROOT)


def _baseline(cfg) -> pd.DataFrame:
    rows = [{"group": "baseline", "variable": "participants", "level": "", "type": "count",
             "n": 630, "n_missing": 0, "mean": None, "sd": None, "count": 630, "percent": None}]
    rows += [{"group": "baseline", "variable": f"{k}_T0", "level": "", "type": "numeric",
              "n": 620, "n_missing": 10, "mean": 4.25, "sd": 1.5, "count": None,
              "percent": None} for k in cfg.scales]
    return pd.DataFrame(rows)


def _report():
    cfg = _cfg()
    findings = build_findings({}, {}, findings_settings(cfg)).reindex(columns=FINDINGS_COLUMNS)
    inp = ReportInputs(findings=findings, waves=(WaveInfo("T0", "Pathway entry", 0.0),),
                       scales=cfg.scales, min_cell=cfg.min_cell,
                       tables={"descriptives_baseline_public": _baseline(cfg)})
    return build_report(inp, report_settings(cfg), ROOT)


def _blocks(section):
    out = list(section.blocks)
    for sub in section.subsections:
        out += _blocks(sub)
    return out


def test_sections_say_what_waits():
    report = _report()
    by_key = {s.key: s for s in report.sections}
    for key, words in (("summary", "Change over time: waits for a second wave"),
                       ("flow", "Participant flow and attrition: waits for a second wave"),
                       ("change", "Change over time: waits for a second wave"),
                       ("mechanisms", "Mediation: waits for a second wave")):
        notices = [b for b in _blocks(by_key[key]) if isinstance(b, Notice)]
        assert any(words in n.text and n.kind == "not_run" for n in notices), key
    texts = [b.text for s in report.sections if s.key in ("summary", "flow", "change",
                                                           "mechanisms", "limitations")
             for b in _blocks(s) if isinstance(b, Notice)]
    assert texts and not any("not estimable" in t for t in texts)


def test_scores_at_entry_and_no_empty_findings_table():
    report = _report()
    tables = {b.key: b for s in report.sections for b in _blocks(s) if isinstance(b, Table)}
    entry = tables["entry_scores"]
    assert entry.caption == "Scores at entry (T0, Pathway entry)"
    assert entry.rows[0][1:] == ("1\u20137", "620", "4.25", "1.50")
    assert "findings_all" not in tables  # no "Every finding" table of NA rows
    html = to_html(report)
    assert "waits for a second wave" in html and "630 people answered the first survey" in html
    assert "Only the first wave has been analysed" in html
    assert "No analysis has a result yet" in html and "main findings in one line" not in html
