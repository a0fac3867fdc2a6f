"""Content sniffing, encodings and delimiters."""

from __future__ import annotations

import pytest
from io_helpers import FIXTURES

from pipeline.ingest.delimiter import sniff_delimiter
from pipeline.ingest.encoding import decode_to_utf8
from pipeline.ingest.sniff import kind_from_bytes, sniff_kind


@pytest.mark.parametrize(
    "name, kind",
    [
        ("csv_utf8.csv", "text"),
        ("csv_utf16_tab.txt", "text"),
        ("xlsx_header_row3.xlsx", "xlsx"),
        ("xlsx_named.csv", "xlsx"),
        ("sav_user_missing.sav", "sav"),
        ("dta_basic.dta", "dta"),
        ("report_named.csv", "pdf"),
        ("binary.csv", "binary"),
        ("empty.csv", "empty"),
    ],
)
def test_sniff_kind_of_fixtures(name, kind):
    assert sniff_kind(FIXTURES / name) == kind


@pytest.mark.parametrize(
    "head, kind",
    [
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1rest", "xls"),
        (b"\x1f\x8b\x08", "gzip"),
        (b"PAR1xxxx", "parquet"),
        (b"\x72\x02\x01\x00", "dta"),  # Stata 114, little endian
        (b"$FL3", "zsav"),
    ],
)
def test_kind_from_bytes(head, kind):
    assert kind_from_bytes(head) == kind


@pytest.mark.parametrize(
    "raw, enc",
    [
        ("a,é\n".encode(), "utf-8"),
        ("\ufeffa,é\n".encode("utf-8"), "utf-8-sig"),
        ("a,é–\n".encode("cp1252"), "cp1252"),
        ("a\té\n".encode("utf-16"), "utf-16"),
        (b"a,\x81\n", "latin-1"),  # 0x81 is undefined in cp1252
    ],
)
def test_decode_to_utf8(raw, enc):
    buf, name = decode_to_utf8(raw)
    assert name == enc
    assert buf.decode("utf-8").startswith("a")
    assert not buf.startswith(b"\xef\xbb\xbf")


@pytest.mark.parametrize(
    "sample, delim",
    [
        ("a,b,c\n1,2,3\n", ","),
        ("a;b;c\n1,5;2;3\n", ";"),
        ("a\tb\n1,2\t3\n", "\t"),
        ("a|b\n1|2\n", "|"),
        ('a,"b;c"\n1,2\n', ","),
        ("abc\n1\n", None),
    ],
)
def test_sniff_delimiter(sample, delim):
    assert sniff_delimiter(sample) == delim


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_without_bom_is_text_and_decoded(codec):
    raw = "participant_id\tgm1\nSP-1\tAgree é\n".encode(codec)
    assert kind_from_bytes(raw) == "text"
    buf, name = decode_to_utf8(raw)
    assert name == codec and buf.decode("utf-8").endswith("Agree é\n")


def test_nul_bytes_in_otherwise_binary_data_are_not_utf16():
    assert kind_from_bytes(b"\x00\x01\x02\x03" * 8) == "binary"
