"""The vectorised record map agrees with Python's csv module."""

from __future__ import annotations

import csv
import io

from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.ingest.records import map_records


def test_simple_map():
    buf = b'a,b\r\n1,"x\ny"\n\n3,4,\n'
    r = map_records(buf, ",")
    assert list(r.n_fields) == [2, 2, 1, 3]
    assert list(r.line) == [1, 2, 4, 5]
    assert list(r.last_line) == [1, 3, 4, 5]
    assert list(r.blank) == [False, False, True, False]
    assert list(r.trailing_delimiter) == [False, False, False, True]
    assert buf[r.start[0] : r.end[0]] == b"a,b"  # CR removed
    assert r.unclosed_quote_line is None


def test_unclosed_quote_line():
    assert map_records(b'a,b\n1,2\n3,"oops\n4,5\n', ",").unclosed_quote_line == 3


def test_no_trailing_newline_and_empty_input():
    assert len(map_records(b"a,b\n1,2", ",")) == 2
    assert len(map_records(b"", ",")) == 1


cells = st.text(alphabet=st.sampled_from(list('ab ,;"\n|\té')), max_size=6)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.lists(cells, min_size=1, max_size=4), min_size=1, max_size=8),
    st.sampled_from([",", ";", "\t", "|"]),
    st.sampled_from(["\n", "\r\n"]),
)
def test_field_counts_and_lines_match_csv_module(table, delimiter, eol):
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator=eol).writerows(table)
    text = out.getvalue()
    r = map_records(text.encode("utf-8"), delimiter)
    parsed = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    assert len(r) == len(parsed)
    # csv.reader returns [] for an empty line; the map counts 1 (empty) field there.
    assert [len(p) or 1 for p in parsed] == list(r.n_fields)
    # Each record starts on the line after the previous record's last line.
    assert r.line[0] == 1 and all(r.line[1:] == r.last_line[:-1] + 1)
