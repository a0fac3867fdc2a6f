"""pipeline.demo.write and the format writers: byte-reproducible files, the committed files in
data/raw/ are what the generator writes, and each format reads back as intended."""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

import pipeline.demo as demo
from pipeline.demo.export_xlsx import XLSX_CREATOR

ROOT = Path(__file__).resolve().parents[2]
SEED = demo.DEFAULT_SEED
HINT = f"stale: re-run python -m pipeline.demo --out data/raw --seed {SEED}"


def test_written_files_are_byte_identical(written):
    first, second = written
    assert set(first) == {"T0", "T1", "T2", "defects", "readme"}
    for key in first:
        h1 = hashlib.sha256(first[key].read_bytes()).hexdigest()
        h2 = hashlib.sha256(second[key].read_bytes()).hexdigest()
        assert h1 == h2, f"{key}: {first[key].name} differs between two writes with the same seed"


def test_committed_files_match_the_generator(written):
    """data/raw/ holds what `python -m pipeline.demo --out data/raw` writes (text files byte for
    byte; the Excel and SPSS files by content, so a newer openpyxl/pyreadstat does not fail)."""
    import pyreadstat

    first, _ = written
    raw = ROOT / "data" / "raw"
    for key, path in first.items():
        committed = raw / path.name
        assert committed.exists(), (
            f"{committed} missing: run python -m pipeline.demo --out data/raw"
        )
        if key in {"T0", "defects", "readme"}:
            assert committed.read_bytes() == path.read_bytes(), f"{committed} {HINT}"
    pd.testing.assert_frame_equal(
        pd.read_excel(raw / first["T1"].name),
        pd.read_excel(first["T1"]),
        obj=f"{first['T1'].name} {HINT}",
    )
    # the document properties too (the creator string is part of the committed bytes)
    with zipfile.ZipFile(raw / first["T1"].name) as zc, zipfile.ZipFile(first["T1"]) as zg:
        assert zc.read("docProps/core.xml") == zg.read("docProps/core.xml"), HINT
    a, _ = pyreadstat.read_sav(raw / first["T2"].name, user_missing=True)
    b, _ = pyreadstat.read_sav(first["T2"], user_missing=True)
    pd.testing.assert_frame_equal(a, b, obj=f"{first['T2'].name} {HINT}")


def test_xlsx_metadata_is_fixed(written):
    first, _ = written
    with zipfile.ZipFile(first["T1"]) as z:
        core = z.read("docProps/core.xml").decode("utf-8")
        assert {i.date_time for i in z.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    assert f"<dc:creator>{XLSX_CREATOR}</dc:creator>" in core
    assert core.count("2020-05-21T09:00:00Z") == 2


def test_file_formats_read_back(written, study):
    import pyreadstat

    paths, _ = written
    t0 = pd.read_csv(paths["T0"], dtype=str, keep_default_na=False)
    assert len(t0) == len(study.frames["T0"])
    assert (t0["gm1"].str.contains("[A-Za-z]", regex=True)).sum() == 2
    t1 = pd.read_excel(paths["T1"], sheet_name=demo.XLSX_SHEET)
    assert len(t1) == len(study.frames["T1"])
    assert pd.api.types.is_datetime64_any_dtype(t1["completed_at"])
    np.testing.assert_array_equal(
        t1["eq_vas"].to_numpy(float), study.frames["T1"]["eq_vas"].to_numpy(float, na_value=np.nan)
    )
    t2, meta = pyreadstat.read_sav(paths["T2"], user_missing=True)
    assert meta.variable_value_labels["cb1"][7.0] == "Strongly agree"
    assert meta.variable_value_labels["lon2"] == {
        1.0: "Hardly ever",
        2.0: "Some of the time",
        3.0: "Often",
    }
    assert meta.variable_value_labels["gender"][3.0] == "Non-binary / other"
    assert meta.variable_value_labels["eq_vas"] == {-99.0: "Refused"}
    assert set(meta.missing_ranges) == {"eq_vas", "lon1"}
    assert meta.column_names_to_labels["ss4"] == "Support item 4 (reverse keyed)"
    assert (t2[["eq_vas", "lon1"]] == -99).sum().sum() == 3
    plain, _ = pyreadstat.read_sav(paths["T2"])  # default: user-missing -> NaN
    assert not (plain[list(demo.ITEM_COLUMNS)] == -99).any().any()


def test_sav_header_holds_the_data_stamp(written):
    first, _ = written
    head = first["T2"].read_bytes()[:109]
    assert head[:4] == b"$FL2"
    assert head[92:109] == b"21 May 2009:00:00"
