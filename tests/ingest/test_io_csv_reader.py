"""CSV exports in the encodings, delimiters and shapes evaluators actually produce."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from io_helpers import EXPECTED, FIXTURES

from pipeline.ingest import read_wave
from pipeline.ingest.csv_reader import convert_decimal_commas, looks_like_decimal_comma

PLAIN = pd.read_csv(FIXTURES / "csv_utf8.csv", dtype=str, keep_default_na=False)


def read(name: str, **kw):
    return read_wave(
        FIXTURES / name, wave_id="T1", id_column="participant_id", expected_columns=EXPECTED, **kw
    )


@pytest.mark.parametrize(
    "name, encoding, delimiter",
    [
        ("csv_utf8.csv", "utf-8", ","),
        ("csv_utf8_bom_crlf.csv", "utf-8-sig", ","),
        ("csv_cp1252.csv", "cp1252", ","),
        ("csv_utf16_tab.txt", "utf-16", "\t"),
        ("csv_pipe.csv", "utf-8", "|"),
    ],
)
def test_encodings_and_delimiters_give_the_same_values(name, encoding, delimiter):
    r = read(name)
    assert r.meta["encoding"] == encoding
    assert r.meta["delimiter"] == delimiter
    assert list(r.data["_source_row"]) == [2, 3, 4, 5, 6, 7]
    got = r.data[["participant_id", *EXPECTED]].fillna("")
    pd.testing.assert_frame_equal(
        got.reset_index(drop=True),
        PLAIN[got.columns].astype(got.dtypes.to_dict()),
        check_dtype=False,
    )
    assert "Café group helped" in set(r.data["comment"])  # accents survive every encoding
    assert "Walking club – great" in set(r.data["comment"])  # the cp1252 en dash too


def test_values_are_strings_exactly_as_written_and_empty_is_missing():
    r = read("csv_utf8.csv")
    assert r.data.loc[0, "age"] == "26"
    assert pd.isna(r.data.loc[2, "comment"])
    assert r.meta["n_rows_read"] == 6 and len(r.log) == 0


def test_semicolon_file_with_decimal_commas_is_converted_and_noted():
    r = read("csv_semicolon_decimal.csv")
    assert r.meta["delimiter"] == ";"
    assert r.meta["decimal"] == ","
    assert r.meta["decimal_comma_columns"] == ["eq_vas"]
    assert r.data.loc[0, "eq_vas"] == "80.5"
    assert r.data.loc[0, "gm1"] == "Strongly disagree"  # text columns untouched


def test_decimal_commas_only_in_all_numeric_columns():
    df = pd.DataFrame({"a": ["3,5", "4", None], "b": ["3,5", "a lot", "2"]}, dtype=object)
    out, cols = convert_decimal_commas(df.copy(), ["a", "b"])
    assert cols == ["a"]
    assert list(out["a"].fillna("-")) == ["3.5", "4", "-"]
    assert list(out["b"]) == ["3,5", "a lot", "2"]
    assert looks_like_decimal_comma(" -1,25 ") and not looks_like_decimal_comma("1,2,3")


def test_comma_file_is_never_decimal_converted(tmp_path):
    p = tmp_path / "t.csv"
    p.write_text('participant_id,eq_vas\nSP-1,"3,5"\n', encoding="utf-8")
    r = read_wave(p, wave_id="T0", id_column="participant_id", expected_columns=["eq_vas"])
    assert r.data.loc[0, "eq_vas"] == "3,5"
    assert r.meta["decimal"] == "."


def test_trailing_delimiter_column_is_dropped_and_noted():
    r = read("csv_trailing_delimiter.csv")
    assert list(r.data.columns[:10]) == ["participant_id", *EXPECTED]
    assert not any(c.startswith("Unnamed") for c in r.data.columns)
    assert any("ends with a delimiter" in n for n in r.meta["notes"])
    assert r.meta["dropped_columns"] == []


def test_data_rows_with_trailing_delimiter_but_header_without(tmp_path):
    p = tmp_path / "t.csv"
    p.write_text("participant_id,gm1\nSP-1,Agree,\nSP-2,Disagree,\n", encoding="utf-8")
    r = read_wave(p, wave_id="T0", id_column="participant_id", expected_columns=["gm1"])
    assert list(r.data["participant_id"]) == ["SP-1", "SP-2"]  # not shifted into an index
    assert list(r.data["gm1"]) == ["Agree", "Disagree"]


def test_embedded_newlines_keep_row_numbers_right():
    r = read("csv_embedded_newlines.csv")
    assert list(r.data["_source_row"]) == [2, 3, 4, 5, 6, 7]
    assert r.data.loc[1, "comment"] == "Line one\nline two"
    assert r.data.loc[3, "comment"] == 'She said "it helped"\r\nand more\nthird line'
    assert r.data.loc[4, "participant_id"] == "SP-0005"


def test_blank_and_all_empty_rows_are_dropped_and_logged():
    r = read("csv_blank_rows.csv")
    dropped = r.log[r.log["action"] == "row_dropped"]
    assert list(dropped["row"]) == [4, 7]
    assert set(dropped["issue"]) == {"empty row (every cell blank)"}
    assert list(r.data["_source_row"]) == [2, 3, 5, 6, 8, 9]
    assert r.meta["n_rows_read"] == len(r.data) + r.n_dropped == 8
    assert any("end of the file" in n for n in r.meta["notes"])


def test_whitespace_only_line_counts_as_empty(tmp_path):
    p = tmp_path / "t.csv"
    p.write_text("participant_id,gm1\nSP-1,Agree\n   \nSP-2,Agree\n", encoding="utf-8")
    r = read_wave(p, wave_id="T0", id_column="participant_id", expected_columns=["gm1"])
    assert list(r.data["_source_row"]) == [2, 4]
    assert list(r.log["row"]) == [3]


def test_old_mac_line_endings(tmp_path):
    p = tmp_path / "t.csv"
    p.write_bytes(b"participant_id,gm1\rSP-1,Agree\rSP-2,Often\r")
    r = read_wave(p, wave_id="T0", id_column="participant_id", expected_columns=["gm1"])
    assert list(r.data["gm1"]) == ["Agree", "Often"]


def test_unconfigured_columns_are_not_passed_on_but_listed():
    r = read_wave(
        FIXTURES / "csv_utf8.csv",
        wave_id="T1",
        id_column="participant_id",
        expected_columns=["gm1"],
    )
    assert list(r.data.columns) == ["participant_id", "gm1", "_source_file", "_source_row"]
    assert "comment" in r.meta["dropped_columns"]


def test_case_and_space_differences_in_headers_are_matched_and_logged():
    r = read("case_renamed.csv")
    assert "gm1" in r.data.columns
    assert r.meta["renamed_columns"] == {"GM1 ": "gm1"}
    assert list(r.log["action"]) == ["renamed_column"]


def test_column_map_renames_a_column(tmp_path):
    p = tmp_path / "t.csv"
    p.write_text("participant_id,gm_1\nSP-1,Agree\n", encoding="utf-8")
    r = read_wave(
        p,
        wave_id="T0",
        id_column="participant_id",
        expected_columns=["gm1"],
        column_map={"gm_1": "gm1"},
    )
    assert r.data.loc[0, "gm1"] == "Agree"


@pytest.mark.parametrize(
    "name",
    ["csv_utf8.csv", "csv_semicolon_decimal.csv", "csv_blank_rows.csv", "csv_utf16_tab.txt"],
)
def test_meta_is_json_serialisable(name):
    r = read(name)
    json.dumps(r.meta)
    assert r.data["_source_row"].dtype == np.int64


def test_utf16_without_bom_file(tmp_path):
    p = tmp_path / "t.txt"
    p.write_bytes("participant_id\tgm1\r\nSP-1\tAgree\r\n".encode("utf-16-le"))
    r = read_wave(p, wave_id="T0", id_column="participant_id", expected_columns=["gm1"])
    assert r.meta["encoding"] == "utf-16-le" and r.data.loc[0, "gm1"] == "Agree"


def test_title_lines_above_the_header(tmp_path):
    p = tmp_path / "t.csv"
    p.write_text(
        "Follow-up survey export;;\nDownloaded 2024-06-01;;\n\n"
        "participant_id;gm1;eq_vas\nSP-1;Agree;7\n",
        encoding="utf-8",
    )
    r = read_wave(p, wave_id="T1", id_column="participant_id", expected_columns=["gm1"])
    assert list(r.data["participant_id"]) == ["SP-1"] and list(r.data["_source_row"]) == [5]
    assert r.meta["header_row"] == 4 and r.meta["n_rows_read"] == 1
    assert any("3 line(s) above it skipped" in n for n in r.meta["notes"])
