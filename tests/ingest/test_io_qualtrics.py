"""Qualtrics exports: extra header rows, previews, metadata and personal data."""

from __future__ import annotations

import pandas as pd
import pytest
from io_helpers import FIXTURES

from pipeline.errors import ConfigError, InputFileError
from pipeline.ingest import read_wave
from pipeline.ingest.qualtrics import PRIVATE_COLUMNS, preview_rows

ITEMS = ["gm1", "gm2", "cb1", "lon1", "eq_vas"]


@pytest.fixture(params=["qualtrics.csv", "qualtrics.xlsx"])
def result(request):
    return read_wave(
        FIXTURES / request.param, wave_id="T1", id_column="participant_id", expected_columns=ITEMS
    )


def test_detected_and_header_rows_skipped_not_counted(result):
    assert result.meta["format"] in ("qualtrics_csv", "qualtrics_xlsx")
    skipped = result.log[result.log["action"] == "skipped"]
    assert list(skipped["row"]) == [2, 3]
    assert result.meta["n_rows_read"] == 5  # 5 responses; header rows are not data rows
    assert result.meta["n_rows_read"] == len(result.data) + result.n_dropped


def test_preview_response_dropped_with_reason(result):
    dropped = result.log[result.log["action"] == "row_dropped"]
    assert list(dropped["row"]) == [5]
    assert "preview" in dropped["issue"].iloc[0]
    assert "SP-0002" not in set(result.data["participant_id"])
    assert list(result.data["_source_row"]) == [4, 6, 7, 8]


def test_only_configured_id_and_date_columns_kept(result):
    assert list(result.data.columns) == [
        "participant_id",
        *ITEMS,
        "StartDate",
        "EndDate",
        "RecordedDate",
        "_source_file",
        "_source_row",
    ]
    assert "Duration (in seconds)" in result.meta["dropped_metadata_columns"]


def test_personal_data_never_passes(result):
    flat = result.data.astype(str).to_numpy().ravel().tolist()
    assert not any("example.org" in v or v.startswith("81.2.69") or v == "Smith" for v in flat)
    assert not set(PRIVATE_COLUMNS) & set(result.data.columns)
    assert set(result.meta["private_columns_removed"]) == set(PRIVATE_COLUMNS)
    assert not set(PRIVATE_COLUMNS) & set(result.log["column"].dropna())


def test_question_text_kept_in_meta_for_configured_columns(result):
    assert result.meta["question_text"]["cb1"] == "I feel I belong in my community"
    assert "IPAddress" not in result.meta["question_text"]


def test_explicit_qualtrics_format_on_a_plain_csv_is_refused():
    with pytest.raises(InputFileError, match="not Qualtrics' question"):
        read_wave(
            FIXTURES / "csv_utf8.csv",
            wave_id="T1",
            id_column="participant_id",
            expected_columns=ITEMS,
            format="qualtrics_csv",
        )


def test_qualtrics_file_with_only_header_rows_is_header_only(tmp_path):
    lines = (FIXTURES / "qualtrics.csv").read_text(encoding="utf-8-sig").splitlines(keepends=True)
    # Header + question text (spans two physical lines: a quoted line break) + ImportId row.
    (tmp_path / "q.csv").write_text("".join(lines[:4]), encoding="utf-8")
    with pytest.raises(InputFileError, match="header but no data rows"):
        read_wave(
            tmp_path / "q.csv", wave_id="T1", id_column="participant_id", expected_columns=ITEMS
        )


def test_preview_detection_by_text_and_numeric_status():
    df = pd.DataFrame(
        {
            "Status": ["IP Address", "Survey Preview", "0", "1", "Survey Test", "2", None],
            "DistributionChannel": [
                "anonymous",
                "preview",
                "email",
                "email",
                "test",
                "x",
                "preview",
            ],
        }
    )
    assert list(preview_rows(df)) == [False, True, False, True, True, True, True]


LEGACY_ITEMS = ["gm1", "gm2", "cb1"]
LEGACY_PRIVATE = {"Name", "EmailAddress", "IPAddress", "LocationLatitude", "LocationLongitude",
                  "LocationAccuracy"}  # fmt: skip


@pytest.mark.parametrize("id_column", ["participant_id", "ResponseID"])
def test_legacy_export_recognised_in_auto_mode(id_column):
    r = read_wave(FIXTURES / "qualtrics_legacy.csv", wave_id="T1", id_column=id_column,
                  expected_columns=LEGACY_ITEMS)  # fmt: skip
    assert r.meta["format"] == "qualtrics_csv" and r.meta["header_row"] == 1
    skipped = r.log[r.log["action"] == "skipped"]
    assert list(skipped["row"]) == [2] and "legacy" in skipped["issue"].iloc[0]
    dropped = r.log[r.log["action"] == "row_dropped"]
    assert list(dropped["row"]) == [5] and "preview" in dropped["issue"].iloc[0]
    assert list(r.data["_source_row"]) == [3, 4, 6]
    assert r.meta["n_rows_read"] == 4 == len(r.data) + r.n_dropped
    assert r.data["gm1"].iloc[0] == "Somewhat disagree"  # values, not question text
    assert r.meta["question_text"]["cb1"] == "I feel I belong in my community"
    expected_ids = {"participant_id": "SP-0001", "ResponseID": "R_0000legacy"}
    assert r.data[id_column].iloc[0] == expected_ids[id_column]
    assert {"StartDate", "EndDate"} <= set(r.data.columns)


def test_legacy_export_personal_data_never_passes():
    r = read_wave(FIXTURES / "qualtrics_legacy.csv", wave_id="T1", id_column="participant_id",
                  expected_columns=LEGACY_ITEMS)  # fmt: skip
    flat = r.data.astype(str).to_numpy().ravel().tolist()
    assert not any("example.org" in v or v.startswith(("81.2.70", "Doe")) for v in flat)
    assert not LEGACY_PRIVATE & set(r.data.columns)
    assert set(r.meta["private_columns_removed"]) == LEGACY_PRIVATE
    assert not any(c.startswith("V") and c[1:].isdigit() for c in r.meta["dropped_columns"])


@pytest.mark.parametrize("private", ["Name", "EmailAddress", "LocationAccuracy", "IPAddress"])
def test_legacy_export_private_columns_cannot_be_configured(private):
    with pytest.raises(ConfigError, match=private):
        read_wave(FIXTURES / "qualtrics_legacy.csv", wave_id="T1", id_column="participant_id",
                  expected_columns=[*LEGACY_ITEMS, private])  # fmt: skip


def test_legacy_export_accepted_with_explicit_qualtrics_format():
    r = read_wave(FIXTURES / "qualtrics_legacy.csv", wave_id="T1", id_column="participant_id",
                  expected_columns=LEGACY_ITEMS, format="qualtrics_csv")  # fmt: skip
    assert len(r.data) == 3


def test_plain_csv_starting_with_v_columns_is_not_legacy_qualtrics(tmp_path):
    f = tmp_path / "T1.csv"
    f.write_text("participant_id,V1,V2\nSP1,1,2\nSP2,3,4\n")
    r = read_wave(f, wave_id="T1", id_column="participant_id", expected_columns=["V1", "V2"])
    assert r.meta["format"] == "csv" and len(r.data) == 2


def _legacy_xlsx(tmp_path):
    """The legacy CSV fixture saved as a workbook (the legacy .xlsx export: same two rows)."""
    import csv

    import openpyxl

    with open(FIXTURES / "qualtrics_legacy.csv", encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    wb = openpyxl.Workbook()
    for r in rows:
        wb.active.append([v if v != "" else None for v in r])
    path = tmp_path / "legacy.xlsx"
    wb.save(path)
    return path


@pytest.mark.parametrize("id_column", ["participant_id", "ResponseID"])
def test_legacy_xlsx_recognised_like_the_csv(tmp_path, id_column):
    r = read_wave(_legacy_xlsx(tmp_path), wave_id="T1", id_column=id_column,
                  expected_columns=LEGACY_ITEMS)  # fmt: skip
    assert r.meta["format"] == "qualtrics_xlsx" and r.meta["header_row"] == 1
    skipped = r.log[r.log["action"] == "skipped"]
    assert list(skipped["row"]) == [2] and "legacy" in skipped["issue"].iloc[0]
    assert list(r.data["_source_row"]) == [3, 4, 6]  # row 5 is a preview
    assert r.meta["question_text"]["cb1"] == "I feel I belong in my community"
    expected_ids = {"participant_id": "SP-0001", "ResponseID": "R_0000legacy"}
    assert r.data[id_column].iloc[0] == expected_ids[id_column]
    flat = r.data.astype(str).to_numpy().ravel().tolist()
    assert not any("example.org" in v or v.startswith(("81.2.70", "Doe")) for v in flat)
    assert set(r.meta["private_columns_removed"]) == LEGACY_PRIVATE


@pytest.mark.parametrize("private", ["Name", "EmailAddress", "IPAddress"])
def test_legacy_xlsx_private_columns_cannot_be_configured(tmp_path, private):
    with pytest.raises(ConfigError, match=private):
        read_wave(_legacy_xlsx(tmp_path), wave_id="T1", id_column="participant_id",
                  expected_columns=[*LEGACY_ITEMS, private], format="qualtrics_xlsx")
