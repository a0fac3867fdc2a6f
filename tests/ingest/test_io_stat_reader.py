"""SPSS and Stata files: user-missing codes never become numbers; value labels are kept."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyreadstat
from io_helpers import FIXTURES, read_sav

from pipeline.ingest import read_wave
from pipeline.ingest.stat_reader import apply_user_missing


def test_user_missing_codes_become_missing_with_logged_reason():
    r = read_sav()
    assert (
        pd.isna(r.data.loc[1, "gm1"])
        and pd.isna(r.data.loc[4, "gm2"])
        and pd.isna(r.data.loc[2, "age"])
    )
    assert not (r.data[["gm1", "gm2", "age"]] < 0).any().any()
    log = r.log.set_index("column")
    assert log.loc["gm1", "issue"] == "user_missing: Refused"
    assert log.loc["gm1", "original_value"] == "-99" and log.loc["gm1", "row"] == 2
    assert log.loc["gm2", "issue"] == "user_missing: Don't know"
    assert log.loc["age", "issue"] == "user_missing: -99"  # a range without a label
    assert set(r.log["action"]) == {"set_missing"} and set(r.log["file"]) == {
        "sav_user_missing.sav"
    }


def test_sav_rows_are_case_numbers_and_values_are_stored_codes():
    r = read_sav()
    assert list(r.data["_source_row"]) == [1, 2, 3, 4, 5, 6]
    assert r.data.loc[0, "gm1"] == 1.0
    assert r.meta["format"] == "sav" and r.meta["n_rows_read"] == 6


def test_value_labels_returned_in_meta():
    r = read_sav()
    assert r.meta["value_labels"]["gm1"][7.0] == "Strongly agree"
    assert r.meta["user_missing"]["gm1"] == [{"lo": -99.0, "hi": -99.0}, {"lo": -98.0, "hi": -98.0}]


def test_dta_numeric_ids_as_text():
    r = read_wave(
        FIXTURES / "dta_basic.dta",
        wave_id="T2",
        id_column="pid",
        expected_columns=["gm1", "eq_vas"],
    )
    assert list(r.data["pid"]) == ["1", "2", "3", "4", "5", "6"]
    assert r.meta["format"] == "dta" and r.meta["value_labels"]["gm1"][7] == "Strongly agree"


def test_stata_tagged_missing_letters_are_set_missing():
    df = pd.DataFrame({"gm1": [1.0, "a", 3.0, None]}, dtype=object)
    out, log = apply_user_missing(
        df, np.arange(1, 5), {}, {}, file="f.dta", columns=["gm1"], stata=True
    )
    assert pd.isna(out.loc[1, "gm1"]) and out.loc[2, "gm1"] == 3.0
    assert [(e["row"], e["issue"]) for e in log] == [(2, "user_missing: .a")]


def test_string_user_missing_values(tmp_path):
    df = pd.DataFrame({"participant_id": ["A", "B"], "gender": ["Woman", "REF"]})
    pyreadstat.write_sav(df, tmp_path / "s.sav", missing_ranges={"gender": ["REF"]})
    r = read_wave(
        tmp_path / "s.sav", wave_id="T0", id_column="participant_id", expected_columns=["gender"]
    )
    assert r.data.loc[0, "gender"] == "Woman" and pd.isna(r.data.loc[1, "gender"])
    assert list(r.log["original_value"]) == ["REF"]


def test_single_letter_text_in_spss_is_not_stata_missing():
    df = pd.DataFrame({"sex": ["m", "f", None]}, dtype=object)
    out, log = apply_user_missing(df, np.arange(1, 4), {}, {}, file="f.sav", columns=["sex"])
    assert list(out["sex"].fillna("-")) == ["m", "f", "-"] and log == []


def test_dta_declared_tagged_missing_is_logged_with_its_label():
    r = read_wave(
        FIXTURES / "dta_basic.dta", wave_id="T2", id_column="pid", expected_columns=["gm1"]
    )
    assert pd.isna(r.data.loc[2, "gm1"])
    assert r.log[["row", "column", "original_value", "issue", "action"]].values.tolist() == [
        [3, "gm1", "a", "user_missing: Refused", "set_missing"]
    ]


def test_huge_user_missing_codes_are_logged_as_written(tmp_path):
    df = pd.DataFrame({"participant_id": [1.0, 2.0, 3.0], "gm1": [1.7e38, 4.0, 1.5e38]})
    pyreadstat.write_sav(
        df, tmp_path / "T2.sav", missing_ranges={"gm1": [{"lo": 1e38, "hi": 2e38}]}
    )
    r = read_wave(tmp_path / "T2.sav", wave_id="T2", id_column="participant_id",
                  expected_columns=["gm1"])  # fmt: skip
    logged = r.log.loc[r.log["action"] == "set_missing", "original_value"].tolist()
    assert logged == ["1.7e+38", "1.5e+38"]
    assert r.data["gm1"].isna().tolist() == [True, False, True]
