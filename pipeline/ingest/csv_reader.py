"""Read a delimited text export (CSV/TSV, any supported encoding) into a :class:`RawTable`.

Values stay exactly as written (strings; empty cells missing). Row numbers are record numbers
as a spreadsheet shows them (header = row 1), even when quoted cells contain line breaks; error
messages also give the physical line in a text editor. Parsing is pandas' C parser on the whole
file; structure checks are one vectorised numpy pass (:mod:`records`).
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.errors import InputFileError

from .columns import refuse_duplicates
from .delimiter import NAMES as DELIMITER_NAMES
from .delimiter import sniff_delimiter
from .encoding import decode_to_utf8
from .qualtrics import looks_legacy
from .records import Records, map_records
from .result import RawTable

MAX_LISTED = 10
_DECIMAL_COMMA = r"[+-]?\d+,\d+"
_NUMBER_OR_DECIMAL_COMMA = r"[+-]?\d+(,\d+)?"


def read_csv_table(path: Path, id_column: str | None = None) -> RawTable:
    """Read every column of a delimited text file; refuse structural problems with line numbers.

    The header is the first non-blank line, or, when title lines come first, the first of the
    first 20 lines that has a cell equal to ``id_column``.
    """
    file = path.name
    buf, encoding, notes = _decoded_bytes(path)
    legacy_qualtrics = looks_legacy(buf)  # its row 2 names the id: the header is row 1
    title_lines = 0 if legacy_qualtrics else _lines_before_id_header(buf, id_column)
    delimiter = _find_delimiter(buf, title_lines, file=file)
    recs = map_records(buf, delimiter)
    if recs.unclosed_quote_line is not None:
        raise InputFileError(
            f"{file}, line {recs.unclosed_quote_line}: a quoted cell opens here and never closes, "
            "so the file is truncated or has a stray double quote. Export the file again (or fix "
            "the quote on that line) and run again."
        )
    blank = recs.blank | _whitespace_only(buf, recs)
    nonblank = np.flatnonzero(~blank & (recs.line > title_lines))
    h0 = int(nonblank[0])
    last = int(nonblank[-1])
    header = _parse_record(buf, recs, h0, delimiter)
    header_trailing = len(header) > 1 and header[-1] == ""
    names = header[:-1] if header_trailing else header
    refuse_duplicates(names, file=file, where=f"header (line {int(recs.line[h0])})")
    data_idx = np.arange(h0 + 1, last + 1)
    _refuse_ragged(recs, data_idx, blank, len(header), header_trailing, file=file)
    if h0 > 0:
        notes.append(f"header on line {int(recs.line[h0])}: {h0} line(s) above it skipped")
    if last + 1 < len(recs):
        notes.append(f"{len(recs) - last - 1} blank line(s) at the end of the file ignored")
    df = _read_frame(buf, delimiter, h0, len(data_idx), file=file)
    if header_trailing:
        extra = df.columns[-1]
        if df[extra].isna().all():
            df = df.drop(columns=extra)
            notes.append("every line ends with a delimiter: the empty unnamed last column dropped")
    elif (recs.n_fields[data_idx] == len(header) + 1).any():
        notes.append("some lines end with an extra delimiter: the empty extra field ignored")
    empty_rows = blank[data_idx]
    if empty_rows.any():
        # Whitespace-only lines: make them all-missing so they are dropped as empty rows.
        df.loc[empty_rows, :] = np.nan
    meta = {
        "format": "csv",
        "encoding": encoding,
        "delimiter": delimiter,
        "delimiter_name": DELIMITER_NAMES[delimiter],
        "decimal": ".",
        "header_row": h0 + 1,
        "header_line": int(recs.line[h0]),
        "notes": notes,
    }
    if legacy_qualtrics:
        meta["qualtrics_legacy"] = True
    return RawTable(data=df, rows=data_idx + 1, log=[], meta=meta)


def _decoded_bytes(path: Path) -> tuple[bytes, str, list[str]]:
    """The file as UTF-8 bytes with ``\n`` line breaks, its encoding and notes; refuses an empty
    or blank file."""
    file = path.name
    raw = path.read_bytes()
    if not raw:
        raise InputFileError(f"{file}: the file is empty (0 bytes). Export the wave again.")
    buf, encoding = decode_to_utf8(raw)
    del raw
    notes: list[str] = []
    if b"\n" not in buf and b"\r" in buf:
        buf = buf.replace(b"\r", b"\n")
        notes.append("old Mac line endings (CR only) read as line breaks")
    if not buf.strip():
        raise InputFileError(
            f"{file}: the file contains only blank lines, no header and no data. Export again."
        )
    return buf, encoding, notes


def _find_delimiter(buf: bytes, title_lines: int, *, file: str) -> str:
    """The delimiter sniffed from the header line on; refuses when none fits."""
    offset = _offset_of_line(buf, title_lines)
    delimiter = sniff_delimiter(buf[offset : offset + 65536].decode("utf-8", errors="ignore"))
    if delimiter is None:
        first = buf[offset:].split(b"\n", 1)[0][:120].decode("utf-8", errors="replace")
        raise InputFileError(
            f"{file}, line {title_lines + 1}: cannot find the column delimiter (tried comma, "
            f"semicolon, tab, pipe); the header reads {first!r}. Export as CSV with one column "
            "per question."
        )
    return delimiter


def _read_frame(buf: bytes, delimiter: str, h0: int, n_rows: int, *, file: str) -> pd.DataFrame:
    """pandas' C parser over the whole text, header at record ``h0``; the first ``n_rows`` data
    rows as strings (empty cells missing)."""
    try:
        df = pd.read_csv(
            io.BytesIO(buf),
            sep=delimiter,
            header=0,
            skiprows=h0,
            dtype=str,
            keep_default_na=False,
            na_values=[""],
            skip_blank_lines=False,
            index_col=False,
            quotechar='"',
            doublequote=True,
            engine="c",
        )
    except (pd.errors.ParserError, ValueError, UnicodeDecodeError) as exc:
        raise InputFileError(
            f"{file}: the file cannot be parsed as delimited text ({exc}). Open it in a "
            "spreadsheet, save it as CSV UTF-8 and run again."
        ) from None
    if len(df) < n_rows:
        raise InputFileError(  # pragma: no cover - safety net, structure checked above
            f"{file}: read {len(df)} data rows but the file has {n_rows}; the file's "
            "structure is unusual. Open it in a spreadsheet, save as CSV UTF-8 and run again."
        )
    return df.iloc[:n_rows].reset_index(drop=True)


def _lines_before_id_header(buf: bytes, id_column: str | None, max_lines: int = 20) -> int:
    """Lines above the first line holding an ``id_column`` cell (0 if none or the first)."""
    if not id_column:
        return 0
    target = id_column.strip().lower().encode("utf-8")
    for k, line in enumerate(buf[:65536].split(b"\n")[:max_lines]):
        cells = re.split(rb"[,;\t|]", line.strip().lower())
        if any(c.strip().strip(b'"').strip() == target for c in cells):
            return k
    return 0


def _offset_of_line(buf: bytes, k: int) -> int:
    """Byte offset where physical line ``k`` (0-based) starts."""
    offset = 0
    for _ in range(k):
        offset = buf.index(b"\n", offset) + 1
    return offset


def _parse_record(buf: bytes, recs: Records, i: int, delimiter: str) -> list[str]:
    text = buf[int(recs.start[i]) : int(recs.end[i])].decode("utf-8")
    row = next(csv.reader(io.StringIO(text), delimiter=delimiter), [])
    return row


def _whitespace_only(buf: bytes, recs: Records) -> np.ndarray:
    """Records of a single field made only of white space (counted as blank lines)."""
    out = np.zeros(len(recs), dtype=bool)
    for i in np.flatnonzero((recs.n_fields == 1) & ~recs.blank):
        if not buf[int(recs.start[i]) : int(recs.end[i])].strip():
            out[i] = True
    return out


def _refuse_ragged(
    recs: Records,
    data_idx: np.ndarray,
    blank: np.ndarray,
    n_header: int,
    header_trailing: bool,
    *,
    file: str,
) -> None:
    """Raise naming the lines whose number of fields differs from the header's."""
    n = recs.n_fields[data_idx]
    ok = n == n_header
    if header_trailing:
        ok |= n == n_header - 1
    else:
        ok |= (n == n_header + 1) & recs.trailing_delimiter[data_idx]
    bad = data_idx[~ok & ~blank[data_idx]]
    if not len(bad):
        return
    expected = n_header - 1 if header_trailing else n_header
    listed = []
    for i in bad[:MAX_LISTED]:
        where = f"line {int(recs.line[i])}"
        if int(recs.line[i]) != i + 1:
            where += f" (row {i + 1})"
        listed.append(f"{where}: {int(recs.n_fields[i])} fields")
    more = f" and {len(bad) - MAX_LISTED} more" if len(bad) > MAX_LISTED else ""
    truncated = bool(bad[-1] == data_idx[-1] and recs.n_fields[bad[-1]] < expected)
    hint = (
        " The last row is short: the file looks truncated (cut off while saving or copying)."
        if truncated
        else ""
    )
    raise InputFileError(
        f"{file}: {len(bad)} row(s) do not have the header's {expected} fields: "
        + "; ".join(listed)
        + more
        + "."
        + hint
        + " Usually a cell contains the delimiter without quotes or the export was cut off: "
        "export the file again (or fix those lines) and run again."
    )


def convert_decimal_commas(df: pd.DataFrame, columns: list[str]) -> tuple[pd.DataFrame, list[str]]:
    """Turn "3,5" into "3.5" in columns whose every non-empty cell is a number (decimal comma).

    Only called for semicolon-delimited files. Columns with any other text are left unchanged.
    Returns the frame (changed columns replaced) and the names of the converted columns.
    """
    converted = []
    for col in columns:
        s = df[col]
        present = s.dropna()
        if present.empty:
            continue
        stripped = present.astype(str).str.strip()
        if not stripped.str.fullmatch(_DECIMAL_COMMA).any():
            continue
        if not stripped.str.fullmatch(_NUMBER_OR_DECIMAL_COMMA).all():
            continue
        df[col] = s.str.replace(",", ".", regex=False)
        converted.append(col)
    return df, converted


def looks_like_decimal_comma(value: str) -> bool:
    """True for strings like "3,5" or "-12,25" (one comma between digits)."""
    return re.fullmatch(_DECIMAL_COMMA, value.strip()) is not None
