"""``socialcure init`` (pipeline/ingest/starter*.py): a commented starter config guessed from the
headers of generated exports (CSV, .xlsx, .sav with value labels, a REDCap-like long CSV, a
Qualtrics-like CSV). The starter must say what it guessed, must not hold participant values, and
must validate, and run through ingest and clean, once its TODOs are filled."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pyreadstat
import pytest
import yaml

from pipeline.cli import main
from pipeline.errors import ConfigError
from pipeline.ingest.starter import guess_starter, item_groups
from pipeline.ingest.starter_yaml import render, write_starter
from pipeline.validate import validate_config

AGREE7 = ["Strongly disagree", "Disagree", "Somewhat disagree", "Neither agree nor disagree",
          "Somewhat agree", "Agree", "Strongly agree"]
UCLA = ["Hardly ever", "Some of the time", "Often"]
SECRET_NOTES = ["I feel lonely since my husband Fred died", "call me on 07700 900123"]


def _wave_frame(seed: int, n: int = 40, ids: list[str] | None = None) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    gm = rng.integers(1, 8, size=(n, 4)).astype(object)
    gm[0, 1] = "Agree"  # a label typed among the codes
    return pd.DataFrame({
        "participant_id": ids or [f"SC{i:04d}" for i in range(n)],
        "completed_at": [(dt.date(2021, 3, 1) + dt.timedelta(days=int(d))).isoformat()
                         for d in rng.integers(0, 60, n)],
        "age": rng.integers(18, 90, n),
        "gender": rng.choice(["Woman", "Man"], n),
        "first_name": [f"Name{i}" for i in range(n)],
        **{f"gm{j + 1}": gm[:, j] for j in range(4)},
        **{f"lon{j + 1}": rng.choice(UCLA, n) for j in range(3)},
        "notes": rng.choice(SECRET_NOTES + [""], n),
    })


def _fill_todos(text: str) -> str:
    """What an evaluator does: give the salt and the months (TODOs), keep every guess."""
    months = iter(range(4, 100, 4))
    text = text.replace("salt: null", "salt: a-long-secret-salt")
    return re.sub(r"months: TODO", lambda _: f"months: {next(months)}", text)


def _private_values(frames: list[pd.DataFrame]) -> list[str]:
    out = []
    for df in frames:
        for c in ("participant_id", "completed_at", "first_name", "notes", "record_id"):
            if c in df:
                out += [str(v) for v in df[c] if str(v).strip()]
    return out


@pytest.fixture
def study(tmp_path):
    """T0 as CSV, T1 as .xlsx (real dates), the same participants."""
    raw = tmp_path / "data" / "raw"
    raw.mkdir(parents=True)
    t0 = _wave_frame(0)
    t0.to_csv(raw / "t0.csv", index=False)
    t1 = _wave_frame(1, n=30, ids=list(t0["participant_id"][:30]))
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(list(t1.columns))
    for row in t1.itertuples(index=False):
        cells = list(row)
        cells[1] = dt.datetime.fromisoformat(cells[1]) + dt.timedelta(days=120)
        ws.append([c.item() if hasattr(c, "item") else c for c in cells])
    wb.save(raw / "t1.xlsx")
    return tmp_path, [t0, t1]


def test_csv_and_xlsx_guesses(study):
    root, _ = study
    st = guess_starter([root / "data/raw/t0.csv", root / "data/raw/t1.xlsx"])
    assert st.id_column == "participant_id" and "unique values" in st.id_note
    assert [w["date_column"] for w in st.waves] == ["completed_at", "completed_at"]
    scales = {g.key: g for g in st.scales}
    assert scales["gm"].items == ["gm1", "gm2", "gm3", "gm4"]
    assert scales["gm"].range == (1, 7) and scales["gm"].label_map == "agree7"
    assert scales["lon"].range == (1, 3) and scales["lon"].label_map == "ucla3"
    assert st.label_maps["ucla3"] == {"Hardly ever": 1.0, "Some of the time": 2.0, "Often": 3.0}
    assert st.covariates["age"]["type"] == "numeric"
    assert st.covariates["gender"]["levels"] == ["Man", "Woman"]
    assert "first_name" in st.personal and "notes" in st.unused


def test_starter_says_what_it_guessed_and_holds_no_participant_values(study):
    root, frames = study
    out = root / "config" / "my_study.yaml"
    write_starter([str(root / "data/raw/t0.csv"), str(root / "data/raw/t1.xlsx")], out)
    text = out.read_text(encoding="utf-8")
    assert text.count("TODO") >= 2 and "CHECK" in text and "GUESS" in text
    assert "# CHECK: guessed from its name and unique values." in text
    for value in _private_values(frames):
        assert value not in text, value
    for secret in SECRET_NOTES:
        assert secret not in text


def test_starter_refused_until_todos_filled_then_validates(study):
    root, _ = study
    out = root / "config" / "my_study.yaml"
    write_starter([str(root / "data/raw/t0.csv"), str(root / "data/raw/t1.xlsx")], out)
    text = out.read_text(encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        validate_config(yaml.safe_load(text), root)
    assert "pseudonymisation.salt" in str(err.value) and "waves.1.months" in str(err.value)
    cfg = validate_config(yaml.safe_load(_fill_todos(text)), root)
    assert cfg.wave_ids == ["T0", "T1"] and set(cfg.scales) == {"gm", "lon"}


def _run_ingest_and_clean(root: Path, cfg_text: str) -> list[int]:
    raw = yaml.safe_load(cfg_text)
    cfg_path = root / "effective.json"
    cfg_path.write_text(json.dumps(raw))
    interim, rcs = root / "interim", []
    for w in raw["waves"]:
        io = {"input": {"wave": str(root / w["file"])}, "wildcards": {"wave": w["id"]},
              "output": {"data": str(interim / f"raw_{w['id']}.parquet"),
                         "log": str(interim / f"read_log_{w['id']}.csv"),
                         "meta": str(interim / f"read_meta_{w['id']}.json")}}
        rcs.append(main(["ingest", "--config", str(cfg_path), "--root", str(root),
                         "--io", json.dumps(io)]))
    ids = [w["id"] for w in raw["waves"]]
    io = {"input": {k: [str(interim / f"{p}_{w}.{x}") for w in ids] for k, p, x in
                    (("data", "raw", "parquet"), ("logs", "read_log", "csv"),
                     ("meta", "read_meta", "json"))}
          | {"waves": [str(root / w["file"]) for w in raw["waves"]]},
          "wildcards": {}, "output": {k: str(root / "clean" / f"{k}.out") for k in
                                      ("long", "wide", "qc", "quality", "reliability")}}
    rcs.append(main(["clean", "--config", str(cfg_path), "--root", str(root),
                     "--io", json.dumps(io)]))
    return rcs


def test_filled_starter_runs_through_ingest_and_clean(study, monkeypatch):
    root, _ = study
    monkeypatch.chdir(root)
    assert main(["init", "data/raw/t0.csv", "data/raw/t1.xlsx", "--out",
                 "config/my_study.yaml"]) == 0
    text = _fill_todos((root / "config/my_study.yaml").read_text(encoding="utf-8"))
    assert _run_ingest_and_clean(root, text) == [0, 0, 0]
    wide = pd.read_parquet(root / "clean" / "wide.out")
    assert {"gm_T0", "lon_T1"} <= set(wide.columns)


def test_sav_value_labels_give_range_map_and_missing_codes(tmp_path):
    freq = ["Never", "Rarely", "Sometimes", "Often", "Always"]
    rng = np.random.default_rng(2)
    df = pd.DataFrame({"respondent_id": np.arange(1, 31, dtype=float),
                       **{f"wb_{j}": rng.integers(1, 6, 30).astype(float) for j in (1, 2, 3)},
                       "sex": rng.integers(1, 3, 30).astype(float)})
    df.loc[3, "wb_2"] = -99
    labels = {**{float(i + 1): t for i, t in enumerate(freq)}, -99.0: "Refused"}
    path = tmp_path / "w.sav"
    pyreadstat.write_sav(df, str(path),
                         variable_value_labels={"wb_1": labels, "wb_2": labels, "wb_3": labels,
                                                "sex": {1.0: "Female", 2.0: "Male"}},
                         missing_ranges={"wb_2": [-99]},
                         column_labels=["id", "I felt close to people", "q2", "q3", "sex"])
    st = guess_starter([path])
    (g,) = st.scales
    assert st.id_column == "respondent_id"
    assert g.key == "wb" and g.range == (1, 5) and g.missing_codes == [-99.0]
    assert g.label_map == "frequency5" and st.label_map_known["frequency5"] == "labels"
    assert g.question == "I felt close to people"
    assert st.covariates["gender"]["levels"] == ["Female", "Male"]
    text = render(st, tmp_path / "c.yaml")
    assert "missing_codes: [-99]" in text
    assert "range: [1, 5]  # CHECK: from the value labels" in text


def test_redcap_long_file_one_wave_per_event(tmp_path):
    rows = []
    for i in range(20):
        rows.append({"record_id": str(100 + i), "redcap_event_name": "baseline_arm_1",
                     "visit_date": f"2022-01-{i + 1:02d}", "age": 30 + i,
                     "pmq1": i % 4, "pmq2": (i + 1) % 4, "pmq3": (i + 2) % 4})
        rows.append({"record_id": str(100 + i), "redcap_event_name": "month6_arm_1",
                     "visit_date": f"2022-07-{i + 1:02d}", "age": None,
                     "pmq1": (i + 3) % 4, "pmq2": i % 4, "pmq3": 1})
    path = tmp_path / "redcap.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    st = guess_starter([path])
    assert st.id_column == "record_id" and "unique values" in st.id_note
    assert [(w["id"], w["event"], w["date_column"]) for w in st.waves] == [
        ("T0", "baseline_arm_1", "visit_date"), ("T1", "month6_arm_1", "visit_date")]
    assert st.covariates["age"]["event"] == "baseline_arm_1"
    assert st.scales[0].range == (0, 3)
    text = render(st, tmp_path / "c.yaml")
    assert "event: baseline_arm_1" in text and "100" not in text.split("# What init")[0]
    cfg = validate_config(yaml.safe_load(_fill_todos(text)), tmp_path)
    assert cfg.wave("T1").events == ("month6_arm_1",)


def test_qualtrics_export_uses_the_stored_participant_id(tmp_path):
    head = ["StartDate", "EndDate", "RecordedDate", "ResponseId", "IPAddress",
            "ExternalReference", "Q1_1", "Q1_2", "Q1_3", "Q2"]
    text_row = ["Start Date", "End Date", "Recorded Date", "Response ID", "IP Address",
                "External Reference", "How much do you agree? - I belong", "- q2", "- q3",
                "Anything else?"]
    import_row = ['{"ImportId":"%s"}' % h for h in head]
    rng = np.random.default_rng(4)
    body = [["2023-01-01 10:00:00", "2023-01-01 10:05:00", "2023-01-01 10:05:01",
             f"R_{i:08x}abc", f"10.0.0.{i}", f"P{i:03d}",
             *rng.choice(AGREE7[1:], 3), "some private remark" if i == 3 else ""]
            for i in range(15)]
    path = tmp_path / "qualtrics.csv"
    pd.DataFrame([text_row, import_row, *body], columns=head).to_csv(path, index=False)
    st = guess_starter([path])
    assert st.files[0].qualtrics
    assert st.id_column == "ExternalReference"
    assert st.waves[0]["date_column"] == "RecordedDate"
    (g,) = st.scales
    assert g.items == ["Q1_1", "Q1_2", "Q1_3"] and g.label_map == "agree7"
    assert g.question.startswith("How much do you agree?")
    assert "IPAddress" in st.personal
    out = render(st, tmp_path / "c.yaml")
    assert "private remark" not in out and "10.0.0." not in out and "P003" not in out


def test_same_files_give_the_same_starter_byte_for_byte(study):
    root, _ = study
    paths = [root / "data/raw/t0.csv", root / "data/raw/t1.xlsx"]
    assert render(guess_starter(paths), "a.yaml") == render(guess_starter(paths), "a.yaml")


def test_item_groups_by_prefix_and_reverse_suffix():
    groups = item_groups(["id", "gm1", "gm2", "ss_1", "ss_2", "ss_3r", "Q3_1", "Q3_2",
                          "height2", "gym___1", "gym___2", "attn1", "attn2"], {"id"})
    assert groups == {"gm": ["gm1", "gm2"], "ss": ["ss_1", "ss_2", "ss_3r"],
                      "q3": ["Q3_1", "Q3_2"]}


def test_cli_init_refuses_to_overwrite_and_bad_files(tmp_path, capsys):
    out = tmp_path / "c.yaml"
    out.write_text("mine")
    good = tmp_path / "w.csv"
    _wave_frame(0).to_csv(good, index=False)
    assert main(["init", str(good), "--out", str(out)]) == 2
    assert "already exists" in capsys.readouterr().err and out.read_text() == "mine"
    junk = tmp_path / "junk.csv"
    junk.write_bytes(b"\x00\x01\x02" * 100)
    assert main(["init", str(junk), "--out", str(tmp_path / "d.yaml")]) == 2
    assert "junk.csv" in capsys.readouterr().err
    assert main(["init", str(tmp_path / "missing.csv"), "--out", str(tmp_path / "e.yaml")]) == 2
    assert main(["init", str(good), "--out", str(out), "--force"]) == 0
    assert out.read_text().startswith("# Starter study configuration")


def test_free_text_repeated_by_one_person_is_not_written(tmp_path):
    """Two comment columns where one person typed the same private text twice: not an answer
    set, so neither the texts nor a label map appear in the starter."""
    n = 12
    df = pd.DataFrame({"participant_id": [f"A{i}" for i in range(n)],
                       "comment1": ["Mary Jones next door"] + ["fine"] * (n - 1),
                       "comment2": ["Mary Jones next door"] + ["good"] * (n - 1)})
    path = tmp_path / "c.csv"
    df.to_csv(path, index=False)
    text = render(guess_starter([path]), tmp_path / "c.yaml")
    assert "mary jones" not in text.lower() and "label_maps" not in text


def test_a_generic_file_name_takes_the_study_id_from_its_folder(study):
    """A real probe wrote `--out redcap/config.yaml` and got the title "Config"."""
    root, _ = study
    out = root / "pilot_scheme" / "config.yaml"
    out.parent.mkdir()
    write_starter([str(root / "data/raw/t0.csv")], out)
    raw = yaml.safe_load(out.read_text(encoding="utf-8"))
    assert raw["study"]["id"] == "pilot_scheme"
    out2 = root / "config" / "config.yaml"
    write_starter([str(root / "data/raw/t0.csv")], out2)
    assert yaml.safe_load(out2.read_text(encoding="utf-8"))["study"]["id"] == "my_study"
