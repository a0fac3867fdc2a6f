"""Property: any CSV a survey tool could write is read back exactly, every row accounted for."""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.errors import InputFileError
from pipeline.ingest import read_wave

NAME = st.from_regex(r"[a-z][a-z0-9_]{0,7}", fullmatch=True)
# Values: letters, accents, spaces, every candidate delimiter, quotes and line breaks (no digits,
# so semicolon files never look like decimal commas; no braces, so never like Qualtrics).
VALUE = st.text(alphabet=st.sampled_from(list("abcXYZ éü–,;|\t\"'\n-")), max_size=8)
ID = st.from_regex(r"[A-Z]{0,2}-?[0-9]{1,5}", fullmatch=True)


@st.composite
def tables(draw):
    names = draw(
        st.lists(NAME, min_size=1, max_size=5, unique=True).filter(lambda n: "pid" not in n)
    )
    n_rows = draw(st.integers(1, 12))
    rows = []
    for _ in range(n_rows):
        if draw(st.integers(0, 9)) == 0:
            rows.append([""] * (len(names) + 1))  # an all-empty row
        else:
            rows.append([draw(ID)] + [draw(VALUE) for _ in names])
    return ["pid", *names], rows


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    tables(),
    st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16"]),
    st.sampled_from([",", ";", "\t", "|"]),
    st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL]),
    st.sampled_from(["\n", "\r\n"]),
)
def test_rows_accounted_for_and_values_round_trip(table, encoding, delimiter, quoting, eol):
    header, rows = table
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, quoting=quoting, lineterminator=eol)
    writer.writerow(header)
    writer.writerows(rows)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "wave.csv"
        path.write_bytes(out.getvalue().encode(encoding))
        if not any(any(row) for row in rows):  # nothing but empty rows: refused, not accepted
            with pytest.raises(InputFileError, match="none is a participant's response"):
                read_wave(path, wave_id="T0", id_column="pid", expected_columns=header[1:])
            return
        r = read_wave(path, wave_id="T0", id_column="pid", expected_columns=header[1:])
    assert r.meta["n_rows_read"] == len(rows) == len(r.data) + r.n_dropped
    kept = [(i, row) for i, row in enumerate(rows) if any(row)]
    assert list(r.data["_source_row"]) == [i + 2 for i, _ in kept]  # header is row 1
    dropped = r.log[r.log["action"] == "row_dropped"]
    assert sorted(dropped["row"]) == [i + 2 for i, row in enumerate(rows) if not any(row)]
    for col_idx, col in enumerate(header):
        got = ["" if pd.isna(v) else v for v in r.data[col]]
        assert got == [row[col_idx] for _, row in kept]
