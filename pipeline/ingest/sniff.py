"""Tell what a file really is from its first bytes (not from its name).

Evaluators rename files, save a CSV with an ``.xlsx`` name, or point the config at a PDF. The
readers trust content, and refuse when the content contradicts the name (see README.md).
"""

from __future__ import annotations

import zipfile
from pathlib import Path

# What each kind is called in messages, and the file extension that belongs to it.
KIND_NAMES = {
    "text": "a text (CSV/TSV) file",
    "xlsx": "an Excel workbook (.xlsx)",
    "xls": "an old-style Excel workbook (.xls) or another Office/encrypted document",
    "ods": "an OpenDocument spreadsheet (.ods)",
    "zip": "a ZIP archive (or a Word/PowerPoint document)",
    "sav": "an SPSS data file (.sav)",
    "zsav": "a compressed SPSS data file (.zsav)",
    "dta": "a Stata data file (.dta)",
    "pdf": "a PDF document",
    "gzip": "a gzip-compressed file",
    "parquet": "a Parquet file",
    "binary": "a binary file (not text, not a known data format)",
    "empty": "an empty file (0 bytes)",
}

EXTENSION_KIND = {
    ".csv": "text",
    ".tsv": "text",
    ".txt": "text",
    ".tab": "text",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".xls": "xls",
    ".sav": "sav",
    ".zsav": "zsav",
    ".dta": "dta",
}

UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
MAGIC_BYTES = (
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "xls"),  # OLE2: old .xls or an encrypted workbook
    (b"$FL2", "sav"),
    (b"$FL3", "zsav"),
    (b"<stata_dta>", "dta"),  # Stata 117+
    (b"%PDF", "pdf"),
    (b"\x1f\x8b", "gzip"),
    (b"PAR1", "parquet"),
)
"""File signatures (first bytes) -> kind; none is a prefix of another, so order is free."""


def kind_from_bytes(head: bytes, path: Path | None = None) -> str:
    """Classify a file from its first bytes (``path`` lets ZIPs be looked inside)."""
    if not head:
        return "empty"
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return _zip_kind(path) if path is not None else "zip"
    for magic, kind in MAGIC_BYTES:
        if head.startswith(magic):
            return kind
    if len(head) >= 4 and head[0] in range(102, 116) and head[1] in (1, 2) and head[2] == 1:
        return "dta"  # Stata formats 102-115 (byte order 1/2, filetype 1)
    if head.startswith(UTF16_BOMS) or utf16_without_bom(head):
        return "text"
    if b"\x00" in head:
        return "binary"
    # Mostly printable bytes -> text; otherwise binary.
    control = sum(1 for b in head if b < 32 and b not in (9, 10, 13, 12))
    return "binary" if control > max(2, len(head) // 100) else "text"


def utf16_without_bom(head: bytes) -> str | None:
    """'utf-16-le'/'utf-16-be' when ``head`` looks like ASCII-range UTF-16 text without a BOM.

    Such text has a NUL in every other byte (odd positions little-endian, even big-endian).
    """
    n = len(head) - len(head) % 2
    if n < 8:
        return None
    even, odd = head[0:n:2], head[1:n:2]
    if odd.count(0) >= 0.9 * len(odd) and even.count(0) == 0:
        return "utf-16-le"
    if even.count(0) >= 0.9 * len(even) and odd.count(0) == 0:
        return "utf-16-be"
    return None


def _zip_kind(path: Path) -> str:
    try:
        with zipfile.ZipFile(path) as zf:
            names = zf.namelist()
    except (zipfile.BadZipFile, OSError):
        return "zip"
    if any(n.startswith("xl/") for n in names):
        return "xlsx"
    if "content.xml" in names and "mimetype" in names:
        return "ods"
    return "zip"


def sniff_kind(path: Path, n: int = 4096) -> str:
    """Classify the file at ``path`` by content."""
    with open(path, "rb") as fh:
        head = fh.read(n)
    return kind_from_bytes(head, path)


def describe(kind: str) -> str:
    """Human name of a kind, for messages."""
    return KIND_NAMES.get(kind, kind)
