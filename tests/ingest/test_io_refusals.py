"""Files that cannot be right are refused with a message naming file, place, problem and fix."""

from __future__ import annotations

import re

import pytest
from io_helpers import EXPECTED, FIXTURES

from pipeline.errors import ConfigError, InputFileError, PipelineError
from pipeline.ingest import read_wave


def refuse(name: str, **kw) -> str:
    kw.setdefault("expected_columns", EXPECTED)
    with pytest.raises(InputFileError) as exc:
        read_wave(FIXTURES / name, wave_id="T1", id_column="participant_id", **kw)
    msg = str(exc.value)
    assert name in msg  # every message names the file
    return msg


def test_missing_file_suggests_similar_names():
    msg = refuse("csv_utf8.cvs")
    assert "not found" in msg and "csv_utf8.csv" in msg and "waves[T1].file" in msg


def test_folder_instead_of_file(tmp_path):
    (tmp_path / "T1.csv").mkdir()
    with pytest.raises(InputFileError, match="is a folder"):
        read_wave(
            tmp_path / "T1.csv", wave_id="T1", id_column="participant_id", expected_columns=[]
        )


def test_empty_file():
    assert "empty (0 bytes)" in refuse("empty.csv")


def test_blank_lines_only(tmp_path):
    p = tmp_path / "blank.csv"
    p.write_text("\n\n  \n", encoding="utf-8")
    with pytest.raises(InputFileError, match="only blank lines"):
        read_wave(p, wave_id="T1", id_column="participant_id", expected_columns=[])


def test_header_only():
    msg = refuse("header_only.csv")
    assert "wave T1 file has a header but no data rows — export again including responses" in msg


def test_truncated_mid_row_names_the_line():
    msg = refuse("truncated.csv")
    assert "line 7: 4 fields" in msg and "truncated" in msg


def test_ragged_rows_list_up_to_ten_lines():
    msg = refuse("ragged.csv")
    assert "13 row(s)" in msg
    lines = re.findall(r"line (\d+): 11 fields", msg)
    assert lines == [str(n) for n in range(3, 13)]
    assert "and 3 more" in msg


def test_ragged_row_after_embedded_newline_gives_line_and_row(tmp_path):
    p = tmp_path / "r.csv"
    p.write_text(
        'participant_id,gm1,comment\nSP-1,Agree,"two\nlines"\nSP-2,Agree\n', encoding="utf-8"
    )
    with pytest.raises(InputFileError, match=r"line 4 \(row 3\): 2 fields"):
        read_wave(p, wave_id="T1", id_column="participant_id", expected_columns=["gm1"])


def test_unclosed_quote_names_the_line():
    msg = refuse("unclosed_quote.csv")
    assert "line 8" in msg and "never closes" in msg


@pytest.mark.parametrize(
    "name, really",
    [("report_named.csv", "PDF"), ("binary.csv", "binary file")],
)
def test_not_a_data_file(name, really):
    msg = refuse(name)
    assert really in msg and "not a survey export" in msg


@pytest.mark.parametrize(
    "name, says, really",
    [
        ("csv_named.xlsx", "Excel workbook", "text (CSV/TSV)"),
        ("xlsx_named.csv", "text (CSV/TSV)", "Excel workbook"),
    ],
)
def test_renamed_file_says_what_it_really_is(name, says, really):
    msg = refuse(name)
    assert f"the name says an {says}" in msg or f"the name says a {says}" in msg
    assert f"really a {really}" in msg or f"really an {really}" in msg


def test_explicit_format_matching_content_overrides_the_extension():
    r = read_wave(
        FIXTURES / "csv_named.xlsx", wave_id="T1", id_column="participant_id",
        expected_columns=EXPECTED, format="csv",
    )  # fmt: skip
    assert len(r.data) == 6


def test_explicit_format_contradicting_content():
    msg = refuse("csv_utf8.csv", format="sav")
    assert "format is 'sav'" in msg and "really a text" in msg


def test_unknown_format_is_a_config_error():
    with pytest.raises(ConfigError, match="unknown format 'excel'"):
        read_wave(
            FIXTURES / "csv_utf8.csv",
            wave_id="T1",
            id_column="participant_id",
            expected_columns=[],
            format="excel",
        )


def test_duplicate_column_names_are_all_listed():
    msg = refuse("duplicate_columns.csv")
    assert "'age' (columns C, J)" in msg and "'gm1' (columns E, F)" in msg


def test_id_column_absent_suggests_closest():
    msg = refuse("no_id_column.csv")
    assert "no id column 'participant_id'" in msg and "'Participant ID'" in msg
    assert "column_map" in msg


def test_all_missing_items_are_listed_with_likely_matches():
    msg = refuse("renamed_items.csv")
    assert "lacks 3 configured column(s)" in msg
    assert "'gm1' (likely match: 'gm_1')" in msg
    assert "'cb1' (likely match: 'cb1_r')" in msg
    assert "'lon1' (likely match: 'loneliness1')" in msg


def test_item_with_no_similar_column():
    msg = refuse("csv_utf8.csv", expected_columns=["gm1", "zzz_unrelated"])
    assert "'zzz_unrelated' (no similar column)" in msg


def test_personal_data_columns_cannot_be_configured():
    with pytest.raises(ConfigError, match="IPAddress"):
        read_wave(
            FIXTURES / "qualtrics.csv",
            wave_id="T1",
            id_column="participant_id",
            expected_columns=["IPAddress"],
        )


def test_no_delimiter_found(tmp_path):
    p = tmp_path / "one.csv"
    p.write_text("participant_id\nSP-1\n", encoding="utf-8")
    with pytest.raises(InputFileError, match="cannot find the column delimiter"):
        read_wave(p, wave_id="T1", id_column="participant_id", expected_columns=[])


def test_every_refusal_is_a_pipeline_error_not_a_traceback(tmp_path):
    p = tmp_path / "garbage.xlsx"
    p.write_bytes(b"PK\x03\x04" + b"\x00" * 100)  # looks like a zip, is not one
    with pytest.raises(PipelineError):
        read_wave(p, wave_id="T1", id_column="participant_id", expected_columns=[])


def test_likely_match_never_points_at_configured_items_or_noise(tmp_path):
    f = tmp_path / "T1.csv"
    f.write_text("participant_id,sup1,sup2,sup4,religion,sup_3\nP1,1,2,3,x,4\n")
    with pytest.raises(InputFileError) as exc:
        read_wave(f, wave_id="T1", id_column="participant_id",
                  expected_columns=["sup1", "sup2", "sup3", "sup4", "lon1"])  # fmt: skip
    msg = str(exc.value)
    assert "lacks 2 configured column(s)" in msg
    assert "'sup3' (likely match: 'sup_3')" in msg  # not the configured 'sup4'
    assert "'lon1' (no similar column)" in msg  # not 'religion'
    assert "match: 'sup4'" not in msg and "religion" not in msg


def test_likely_match_cutoff_and_abbreviations():
    from pipeline.ingest.columns import likely_match

    assert likely_match("lon1", ["religion"]) is None
    assert likely_match("lon1", ["religion", "loneliness1"]) == "loneliness1"
    assert likely_match("sup3", ["SUP_3", "age"]) == "SUP_3"
    assert likely_match("gm1", ["gender", "eq_vas"]) is None


def test_missing_item_is_not_matched_to_a_present_configured_item():
    from pipeline.ingest.columns import refuse_missing_items

    with pytest.raises(InputFileError, match=r"'sup3' \(no similar column\)"):
        refuse_missing_items(["sup3"], ["participant_id", "sup1", "sup2", "sup4"], file="f",
                             wave_id="T1", configured=["participant_id", "sup1", "sup2", "sup3",
                                                       "sup4"])  # fmt: skip
