"""Bad input through the CLI: exit status 2 and one clear message (file, column, what to do),
never a bare traceback. Each case starts from the shipped config and demo files."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from pipeline.cli import main

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def study(tmp_path):
    """A copy of the demo study (config + raw files) in a temporary project root."""
    (tmp_path / "data" / "raw").mkdir(parents=True)
    for p in (ROOT / "data" / "raw").glob("demo_*"):
        if p.is_file():  # data/raw/demo_controlled/ is the other demo study
            shutil.copy(p, tmp_path / "data" / "raw" / p.name)
    cfg = yaml.safe_load((ROOT / "config" / "studies" / "demo.yaml").read_text())
    return tmp_path, cfg


def _ingest(root: Path, cfg: dict, wave: str, capsys) -> tuple[int, str]:
    cfg_path = root / "effective.json"
    cfg_path.write_text(json.dumps(cfg))
    out = root / "out"
    file = next(w["file"] for w in cfg["waves"] if w["id"] == wave)
    io = {"input": {"wave": str(root / file)}, "wildcards": {"wave": wave},
          "output": {"data": str(out / "d.parquet"), "log": str(out / "l.csv"),
                     "meta": str(out / "m.json")}}
    return _run("ingest", root, cfg_path, io, out / "ingest.log", capsys)


def _run(stage: str, root: Path, cfg_path: Path, io: dict, log: Path, capsys) -> tuple[int, str]:
    rc = main([
        stage, "--config", str(cfg_path), "--root", str(root), "--io", json.dumps(io),
        "--log", str(log),
    ])
    err = capsys.readouterr().err
    return rc, err


def _clean(root: Path, cfg: dict, capsys) -> tuple[int, str]:
    """Ingest every wave, then run the clean stage on the interim files (as rule ``clean``)."""
    ids = [w["id"] for w in cfg["waves"]]
    interim = root / "interim"
    for w in ids:
        rc, err = _ingest(root, cfg, w, capsys)
        assert rc == 0, err
        for src, dst in (("d.parquet", f"raw_{w}.parquet"), ("l.csv", f"read_log_{w}.csv"),
                         ("m.json", f"read_meta_{w}.json")):
            interim.mkdir(exist_ok=True)
            (root / "out" / src).replace(interim / dst)
    out = root / "clean"
    io = {"input": {"data": [str(interim / f"raw_{w}.parquet") for w in ids],
                    "logs": [str(interim / f"read_log_{w}.csv") for w in ids],
                    "meta": [str(interim / f"read_meta_{w}.json") for w in ids],
                    "waves": [str(root / w["file"]) for w in cfg["waves"]]},
          "wildcards": {},
          "output": {k: str(out / f"{k}.x") for k in
                     ("long", "wide", "qc", "quality", "reliability")}}
    return _run("clean", root, root / "effective.json", io, out / "clean.log", capsys)


def test_demo_wave_ingests(study, capsys):
    root, cfg = study
    rc, err = _ingest(root, cfg, "T0", capsys)
    assert rc == 0, err
    assert (root / "out" / "d.parquet").exists()


def test_demo_study_cleans(study, capsys):
    root, cfg = study
    rc, err = _clean(root, cfg, capsys)
    assert rc == 0, err
    assert (root / "clean" / "long.x").exists() and (root / "clean" / "reliability.x").exists()


def test_unmatched_follow_up_ids_over_the_limit_refused_by_clean(study, capsys):
    """The demo has 2 follow-up ids at T1 never seen at baseline: over a limit of 0%."""
    root, cfg = study
    cfg["cleaning"]["max_unmatched_share"] = 0.0
    rc, err = _clean(root, cfg, capsys)
    assert rc == 2 and "Traceback" not in err
    assert "2 of the" in err and "participants of wave T1" in err
    assert "cleaning.max_unmatched_share = 0%" in err


def test_configured_item_absent_names_closest_columns(study, capsys):
    root, cfg = study
    cfg["scales"]["support"]["items"] = ["ss1", "ss2", "ss3", "ss_4"]
    cfg["scales"]["support"]["reverse"] = ["ss_4"]
    rc, err = _ingest(root, cfg, "T0", capsys)
    assert rc == 2
    assert "ss_4" in err and "ss4" in err and "demo_T0_entry.csv" in err
    assert "Traceback" not in err


def test_empty_wave_file(study, capsys):
    root, cfg = study
    (root / "data" / "raw" / "demo_T0_entry.csv").write_bytes(b"")
    rc, err = _ingest(root, cfg, "T0", capsys)
    assert rc == 2 and "demo_T0_entry.csv" in err and "empty" in err.lower()


def test_header_only_wave_file(study, capsys):
    root, cfg = study
    p = root / "data" / "raw" / "demo_T0_entry.csv"
    p.write_text(p.read_text().splitlines()[0] + "\n")
    rc, err = _ingest(root, cfg, "T0", capsys)
    assert rc == 2 and "no data rows" in err


def test_missing_id_column(study, capsys):
    root, cfg = study
    cfg["id_column"] = "record_id"
    rc, err = _ingest(root, cfg, "T0", capsys)
    assert rc == 2 and "record_id" in err and "id_column" in err


def test_messages_name_the_studys_own_config_file(study, capsys, monkeypatch):
    """The Snakefile passes --config-name (the study's file, e.g. config/studies/<name>.yaml);
    a message that says where to fix something names that file, not config/config.yaml."""
    import pipeline.errors as errors

    monkeypatch.setattr(errors, "_CONFIG_NAME", ["your study's config file"])
    root, cfg = study
    cfg["id_column"] = "record_id"
    cfg_path = root / "effective.json"
    cfg_path.write_text(json.dumps(cfg))
    out = root / "out"
    io = {"input": {"wave": str(root / cfg["waves"][0]["file"])}, "wildcards": {"wave": "T0"},
          "output": {"data": str(out / "d.parquet"), "log": str(out / "l.csv"),
                     "meta": str(out / "m.json")}}
    rc = main(["ingest", "--config", str(cfg_path), "--root", str(root), "--io", json.dumps(io),
               "--log", str(out / "i.log"), "--config-name", "config/studies/pilot.yaml"])
    err = capsys.readouterr().err
    assert rc == 2 and "set 'id_column' in config/studies/pilot.yaml" in err
    assert "config/config.yaml" not in err


def test_unknown_text_answers_listed_together(study, capsys):
    root, cfg = study
    p = root / "data" / "raw" / "demo_T0_entry.csv"
    lines = p.read_text().splitlines()
    header = lines[0].split(",")
    for i, (row, value) in enumerate([(1, "Quite agree"), (2, "Totally")]):
        cells = lines[row].split(",")
        cells[header.index("cb1" if i == 0 else "gm2")] = value
        lines[row] = ",".join(cells)
    p.write_text("\n".join(lines) + "\n")
    rc, err = _ingest(root, cfg, "T0", capsys)
    assert rc == 2
    assert "Quite agree" in err and "Totally" in err and "label map" in err


def test_invalid_config_value(study, capsys):
    root, cfg = study
    cfg["scales"]["qol"]["range"] = [100, 0]
    rc, err = _ingest(root, cfg, "T0", capsys)
    assert rc == 2 and "scales.qol.range" in err


def _rewrite_sav_labels(path: Path, column: str, labels: dict) -> None:
    import pyreadstat

    df, meta = pyreadstat.read_sav(str(path), user_missing=True)
    vl = dict(meta.variable_value_labels)
    vl[column] = labels
    pyreadstat.write_sav(df, str(path), variable_value_labels=vl)


AGREE = {1: "Strongly disagree", 2: "Disagree", 3: "Somewhat disagree",
         4: "Neither agree nor disagree", 5: "Somewhat agree", 6: "Agree", 7: "Strongly agree"}


def test_spss_label_with_a_different_code_is_refused(study, capsys):
    root, cfg = study
    for w in cfg["waves"]:
        w["file"] = str(root / w["file"])
    swapped = {**AGREE, 6: "Strongly agree", 7: "Agree"}
    _rewrite_sav_labels(root / "data" / "raw" / "demo_T2_7months.sav", "gm1", swapped)
    rc, err = _ingest(root, cfg, "T2", capsys)
    assert rc == 2
    assert "gm1" in err and "'Agree'" in err and "code 7" in err


def test_spss_label_unknown_to_config_is_reported_not_dropped(study, capsys):
    root, cfg = study
    for w in cfg["waves"]:
        w["file"] = str(root / w["file"])
    _rewrite_sav_labels(root / "data" / "raw" / "demo_T2_7months.sav", "cb1",
                        {**AGREE, 9: "Not applicable"})
    rc, err = _ingest(root, cfg, "T2", capsys)
    assert rc == 0, err
    assert "Not applicable" in err
    log = (root / "out" / "l.csv").read_text()
    assert "Not applicable" in log and "flagged" in log


def test_scale_recoded_0_to_6_in_one_wave_is_refused(study, capsys):
    """Regression (audit c07b): items of one scale shifted down by one each had too few zeros to
    trip the per-item check, and the run went on with every answer one point too low."""
    import pandas as pd

    root, cfg = study
    p = root / "data" / "raw" / "demo_T0_entry.csv"
    df = pd.read_csv(p, dtype=str, keep_default_na=False)
    rng = __import__("numpy").random.default_rng(0)
    for c in ("cb1", "cb2", "cb3"):
        num = pd.to_numeric(df[c], errors="coerce")
        shifted = (num - 1).where(num.notna())
        # a realistic recode: no 7s left, and only a few people at the new bottom code 0
        shifted = shifted.where(shifted > 0, rng.choice([0.0, 1.0], size=len(df), p=[0.3, 0.7]))
        df[c] = shifted.map(lambda v: "" if pd.isna(v) else str(int(v)))
    df.to_csv(p, index=False)
    rc, err = _ingest(root, cfg, "T0", capsys)
    assert rc == 2 and "shifted" in err and "belonging" in err


def test_missing_or_broken_config_file_is_a_plain_message(tmp_path, capsys):
    io = json.dumps({"input": {}, "output": {}, "wildcards": {"wave": "T0"}})
    rc = main(["ingest", "--config", str(tmp_path / "nope.json"), "--io", io])
    err = capsys.readouterr().err
    assert rc == 2 and "nope.json cannot be read" in err and "Traceback" not in err
    bad = tmp_path / "bad.yaml"
    bad.write_text("waves: [unclosed\n")
    rc = main(["ingest", "--config", str(bad), "--io", io])
    err = capsys.readouterr().err
    assert rc == 2 and "bad.yaml cannot be read" in err and "Traceback" not in err
    bad.write_text("- just a list\n")
    assert main(["ingest", "--config", str(bad), "--io", io]) == 2
    assert "not a mapping" in capsys.readouterr().err


def test_a_bug_is_said_plainly_and_its_traceback_kept_in_the_log(study, capsys, monkeypatch):
    """Safety net: an exception that is not a PipelineError is a bug. The terminal gets one
    plain sentence (exit 3); the traceback goes to the rule's log for the maintainers."""
    import pipeline.cli as cli

    class Broken:
        @staticmethod
        def run(cfg, io):
            raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(cli, "stage_module", lambda w: Broken)
    root, cfg = study
    (root / "effective.json").write_text(json.dumps(cfg))
    log = root / "logs" / "x.log"
    rc = main(["change", "--config", str(root / "effective.json"), "--root", str(root),
               "--io", json.dumps({"input": {}, "output": {}}), "--log", str(log)])
    err = capsys.readouterr().err
    assert rc == 3
    assert "stage change stopped on an internal error (ZeroDivisionError" in err
    assert "bug in the pipeline" in err and str(log) in err and "Traceback" not in err
    assert "Traceback" in log.read_text() and "ZeroDivisionError" in log.read_text()
