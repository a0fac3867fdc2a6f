"""REDCap long files: arms pooled, covariates from another event, repeat instances as waves,
every row of the file accounted once (pipeline.ingest.filerows, longfile, reader)."""

from __future__ import annotations

import copy
import csv
import json
from pathlib import Path

import pandas as pd
import pytest
import yaml

from pipeline.clean.link import file_level_rows
from pipeline.config import config_from_dict
from pipeline.errors import ConfigError, InputFileError
from pipeline.ingest import read_wave
from pipeline.ingest.settings import from_config, wave_params
from pipeline.ingest.stage import ingest_wave

ROOT = Path(__file__).resolve().parents[2]
RAW = yaml.safe_load((ROOT / "config" / "studies" / "demo.yaml").read_text())
LONG_HEADER = ["record_id", "redcap_event_name", "redcap_repeat_instrument",
               "redcap_repeat_instance", "age", "sex", "q1", "q2"]


def redcap_long(path: Path) -> Path:
    """Two arms; age/sex only on the enrolment events; visits; a dose event no wave uses; one
    empty row; a repeating contact-log row inside a visit (row without the items)."""
    rows = []
    for rid, arm in (("1", 1), ("2", 1), ("3", 2), ("4", 2)):
        rows.append([rid, f"enrolment_arm_{arm}", "", "", str(30 + int(rid)), "1", "", ""])
        rows.append([rid, f"dose_arm_{arm}", "", "", "", "", "", ""])
        rows.append([rid, f"visit_1_arm_{arm}", "", "", "", "", "3", "4"])
        if rid != "4":
            rows.append([rid, f"visit_2_arm_{arm}", "", "", "", "", "2", "5"])
    rows.insert(3, ["1", "visit_1_arm_1", "contact_log", "1", "", "", "", ""])
    rows.insert(7, [""] * len(LONG_HEADER))
    with open(path, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([LONG_HEADER, *rows])
    return path


def redcap_repeating(path: Path, n: int = 3, instances: int = 3) -> Path:
    """Classic project: one non-repeating row (gender) and ``instances`` appointment rows."""
    rows = [["patient_id", "redcap_repeat_instrument", "redcap_repeat_instance", "gender", "q1",
             "q2"]]
    for p in range(1, n + 1):
        rows.append([str(1000 + p), "", "", "2", "", ""])
        for i in range(1, instances + 1):
            rows.append([str(1000 + p), "appointment", str(i), "", str(i), str(i + 1)])
    with open(path, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)
    return path


def _config(file: Path, waves: list[dict], covariates: dict, id_column: str = "record_id"):
    raw = copy.deepcopy(RAW)
    raw["id_column"] = id_column
    raw["waves"] = [{"file": str(file), "months": 3 * i, **w} for i, w in enumerate(waves)]
    raw["scales"] = {"s": {"items": ["q1", "q2"], "range": [1, 7]}}
    raw.pop("label_maps", None)
    raw["covariates"] = covariates
    return config_from_dict(raw, root=ROOT)


LONG_WAVES = [{"id": "T0", "event": ["visit_1_arm_1", "visit_1_arm_2"]},
              {"id": "T1", "event": ["visit_2_arm_1", "visit_2_arm_2"]}]
COVS = {"age": {"column": "age", "type": "numeric", "first_nonempty": True},
        "sex": {"column": "sex", "type": "categorical", "event": "enrolment_arm_1"}}


def _ingest_all(cfg, path):
    s = from_config(cfg)
    return {w.id: ingest_wave(s, w.id, path) for w in s.waves}


def test_arms_pooled_covariates_carried_and_every_row_accounted(tmp_path):
    path = redcap_long(tmp_path / "long.csv")
    out = _ingest_all(_config(path, LONG_WAVES, COVS), path)
    t0, t1 = out["T0"], out["T1"]
    assert sorted(t0.data["record_id"]) == ["1", "2", "3", "4"]
    assert set(t0.data["redcap_event_name"]) == {"visit_1_arm_1", "visit_1_arm_2"}
    assert any("events pooled into wave T0" in n for n in t0.meta["notes"])
    ages = dict(zip(t0.data["record_id"], t0.data["age"]))
    assert ages == {"1": "31", "2": "32", "3": "33", "4": "34"}  # first non-empty, both arms
    sexes = dict(zip(t0.data["record_id"], t0.data["sex"].fillna("-")))
    assert sexes == {"1": "1", "2": "1", "3": "-", "4": "-"}  # event of arm 1 only
    log = t0.log
    # ... and the arm-2 records' missing sex is said, per row (not silently missing)
    gap = log[log["issue"].astype(str).str.startswith("covariate sex: this record has no row")]
    assert len(gap) == 2 and (gap["action"] == "flagged").all()
    assert "enrolment_arm_1" in gap["issue"].iloc[0] and "first_nonempty" in gap["issue"].iloc[0]
    unused = log[log["issue"].astype(str).str.startswith("event not used")]
    assert sorted(unused["issue"].unique()) == ["event not used (dose_arm_1)",
                                                "event not used (dose_arm_2)"]
    assert (unused["action"] == "row_dropped").all() and len(unused) == 4
    sources = log[log["action"] == "covariate_source"]
    assert len(sources) == 4
    assert set(sources["issue"]) == {
        "covariate source (event enrolment_arm_1; first non-empty value)",
        "covariate source (first non-empty value)",
    }
    # the later wave logs none of the file's rows
    assert not file_level_rows(t1.log).any()
    assert t1.meta.get("n_rows_unused") is None
    # identity: rows in file = waves' rows + unused + covariate sources + empty rows
    m = t0.meta
    in_file = m["n_rows_file"] + m["n_empty_rows_file"]
    assert in_file == 17  # 4 records x 3 + 3 second visits + contact log + empty row
    assert in_file == (t0.meta["n_rows_read"] + t1.meta["n_rows_read"] + m["n_rows_unused"]
                       + m["n_rows_covariate_source"] + m["n_empty_rows_file"])
    assert t0.meta["n_rows_read"] + m["n_rows_unused"] == len(t0.data) + t0.n_dropped
    assert t1.meta["n_rows_read"] == len(t1.data) + t1.n_dropped
    # the contact-log row lies in visit_1_arm_1: the wave's row, dropped there
    assert (t0.log["issue"] == "REDCap repeating-instrument row without this wave's items").sum()
    # every logged file row is logged once
    rows = pd.concat([t0.log, t1.log])
    level = rows[file_level_rows(rows)]
    assert level["row"].is_unique


def test_first_wave_params_name_the_other_waves_of_the_file(tmp_path):
    path = redcap_long(tmp_path / "long.csv")
    cfg = _config(path, LONG_WAVES, COVS)
    p0, p1 = json.loads(wave_params(cfg, "T0")), json.loads(wave_params(cfg, "T1"))
    assert [w["events"] for w in p0["file_waves"]] == [
        ["visit_1_arm_1", "visit_1_arm_2"], ["visit_2_arm_1", "visit_2_arm_2"]]
    assert p1["file_first_wave"] == "T0" and "file_waves" not in p1


def test_unknown_event_in_a_pooled_list_is_refused(tmp_path):
    path = redcap_long(tmp_path / "long.csv")
    with pytest.raises(InputFileError, match="did you mean 'visit_1_arm_2'"):
        read_wave(path, wave_id="T0", id_column="record_id", expected_columns=["q1"],
                  event=["visit_1_arm_1", "visit_1_arm2"])


def test_covariate_event_on_a_wave_of_a_plain_file_is_refused():
    raw = copy.deepcopy(RAW)
    raw["covariates"]["age"]["event"] = "enrolment_arm_1"
    with pytest.raises(ConfigError, match=r"covariates\.age\.event: wave T0 .* not read from a "
                                          "long file"):
        from_config(config_from_dict(raw, root=ROOT))


REPEAT_WAVES = [{"id": f"T{i - 1}", "repeat_instrument": "appointment", "instance": i}
                for i in (1, 2)]


def test_repeat_instances_form_waves(tmp_path):
    path = redcap_repeating(tmp_path / "rep.csv")
    cov = {"gender": {"column": "gender", "type": "categorical", "first_nonempty": True}}
    out = _ingest_all(_config(path, REPEAT_WAVES, cov, id_column="patient_id"), path)
    t0, t1 = out["T0"], out["T1"]
    assert list(t0.data["q1"]) == ["1"] * 3 and list(t1.data["q1"]) == ["2"] * 3
    assert list(t0.data["gender"]) == ["2"] * 3  # from the non-repeating row
    issues = t0.log.groupby(["action", "issue"]).size().to_dict()
    assert issues == {("covariate_source", "covariate source (first non-empty value)"): 3,
                      ("row_dropped", "instance not used (appointment 3)"): 3}
    m = t0.meta
    assert m["n_rows_file"] == 12 == (m["n_rows_read"] + t1.meta["n_rows_read"]
                                      + m["n_rows_unused"] + m["n_rows_covariate_source"])


def test_non_repeating_row_without_covariates_is_not_used(tmp_path):
    path = redcap_repeating(tmp_path / "rep.csv", instances=2)
    out = _ingest_all(_config(path, REPEAT_WAVES, {}, id_column="patient_id"), path)
    issues = out["T0"].log["issue"].value_counts().to_dict()
    assert issues == {"row not used (not a repeat instance)": 3}


def test_repeats_without_instance_are_refused_with_the_fix(tmp_path):
    path = redcap_repeating(tmp_path / "rep.csv")
    with pytest.raises(InputFileError, match=r"3 record\(s\) with several REDCap repeat "
                                             r"instances.*'instance: 1'"):
        read_wave(path, wave_id="T0", id_column="patient_id", expected_columns=["q1"])


def test_unknown_instance_or_instrument_is_refused(tmp_path):
    path = redcap_repeating(tmp_path / "rep.csv")
    with pytest.raises(InputFileError, match="Instances present: 1-3"):
        read_wave(path, wave_id="T0", id_column="patient_id", expected_columns=["q1"],
                  instance=7)
    with pytest.raises(InputFileError, match="did you mean 'appointment'"):
        read_wave(path, wave_id="T0", id_column="patient_id", expected_columns=["q1"],
                  instance=1, repeat_instrument="appointmnt")


def test_two_waves_taking_the_same_rows_are_refused(tmp_path):
    path = redcap_long(tmp_path / "long.csv")
    waves = [LONG_WAVES[0], {"id": "T1", "event": ["visit_1_arm_2", "visit_2_arm_1"]}]
    with pytest.raises(ConfigError, match=r"waves T0 and T1 both take the rows of visit_1_arm_2"):
        from_config(_config(path, waves, {}))


def test_bad_row_filter_stops_the_start_up_check():
    from pipeline.validate import validate_config

    raw = copy.deepcopy(RAW)
    raw["waves"][2]["exclude_if"] = ["Finished = 0"]
    with pytest.raises(ConfigError, match=r"waves \(T2\)\.exclude_if\[0\]: 'Finished = 0'"):
        validate_config(raw, ROOT)
