"""Excel workbooks: header below title rows, several sheets, numeric ids."""

from __future__ import annotations

from datetime import datetime

import openpyxl
import pytest
from io_helpers import EXPECTED, FIXTURES

from pipeline.errors import InputFileError
from pipeline.ingest import read_wave


def read(name: str, **kw):
    return read_wave(
        FIXTURES / name, wave_id="T1", id_column="participant_id", expected_columns=EXPECTED, **kw
    )


def test_header_found_below_title_rows_and_excel_row_numbers():
    r = read("xlsx_header_row3.xlsx")
    assert r.meta["header_row"] == 3 and r.meta["sheet"] == "Responses"
    assert list(r.data["_source_row"]) == [4, 5, 6, 7, 8, 9, 11]
    assert list(r.log["row"]) == [10] and list(r.log["action"]) == ["row_dropped"]
    assert r.meta["n_rows_read"] == len(r.data) + r.n_dropped


def test_numeric_ids_become_text_without_decimal_point_and_are_reported():
    r = read("xlsx_header_row3.xlsx")
    assert list(r.data["participant_id"]) == ["1", "2", "0003", "4", "5", "6", "7"]
    assert r.meta["ids_numeric"] is True
    assert r.meta["ids_lost_leading_zeros"] is True


def test_stored_values_are_kept():
    r = read("xlsx_header_row3.xlsx")
    assert r.data.loc[0, "age"] == 26 and isinstance(r.data.loc[0, "age"], int)
    assert r.data.loc[0, "completed_at"] == datetime(2024, 3, 28)
    assert r.data.loc[0, "gm1"] == "Strongly disagree"


def test_only_sheet_with_the_id_column_is_used():
    r = read("xlsx_header_row3.xlsx")
    assert r.meta["sheets"] == ["Responses", "Notes"]


def test_ambiguous_sheets_are_refused_naming_them():
    with pytest.raises(InputFileError, match=r"Responses, Responses \(old\)"):
        read("xlsx_two_sheets_with_ids.xlsx")


@pytest.mark.parametrize("sheet", ["Responses", 1])
def test_configured_sheet_by_name_or_number(sheet):
    r = read("xlsx_two_sheets_with_ids.xlsx", sheet=sheet)
    assert r.meta["sheet"] == "Responses" and len(r.data) == 6


def test_unknown_sheet_suggests_closest():
    with pytest.raises(InputFileError, match="did you mean 'Responses'"):
        read("xlsx_two_sheets_with_ids.xlsx", sheet="Responses ")


def test_sheet_number_out_of_range():
    with pytest.raises(InputFileError, match="sheet number 7 does not exist"):
        read("xlsx_two_sheets_with_ids.xlsx", sheet=7)


def test_header_only_workbook(tmp_path):
    wb = openpyxl.Workbook()
    wb.active.append(["participant_id", "gm1"])
    wb.save(tmp_path / "h.xlsx")
    with pytest.raises(InputFileError, match="header but no data rows"):
        read_wave(
            tmp_path / "h.xlsx", wave_id="T1", id_column="participant_id", expected_columns=["gm1"]
        )


def test_empty_workbook(tmp_path):
    openpyxl.Workbook().save(tmp_path / "e.xlsx")
    with pytest.raises(InputFileError, match="is empty"):
        read_wave(
            tmp_path / "e.xlsx", wave_id="T1", id_column="participant_id", expected_columns=[]
        )


def test_duplicate_headers_in_workbook(tmp_path):
    wb = openpyxl.Workbook()
    wb.active.append(["participant_id", "gm1", "gm1"])
    wb.active.append(["SP-1", 1, 2])
    wb.save(tmp_path / "d.xlsx")
    with pytest.raises(InputFileError, match=r"'gm1' \(columns B, C\)"):
        read_wave(
            tmp_path / "d.xlsx", wave_id="T1", id_column="participant_id", expected_columns=["gm1"]
        )


def test_lost_leading_zeros_note_names_the_id_column():
    r = read("xlsx_header_row3.xlsx")
    note = [n for n in r.meta["notes"] if "leading zeros" in n]
    assert len(note) == 1 and "id column 'participant_id'" in note[0]
    assert "'1'" in note[0] and "'0003'" in note[0]
