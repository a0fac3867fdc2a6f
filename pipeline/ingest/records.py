"""Vectorised map of a delimited text file's records (rows), honouring quotes.

One pass of numpy over the bytes gives, for every record: where it starts and ends, how many
fields it has, on which physical line it starts, and whether it ends with a delimiter. This is
what lets the reader name the exact lines of ragged rows and keep row numbers right when quoted
fields contain newlines, without a Python loop over rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

QUOTE = ord('"')
LF = ord("\n")
CR = ord("\r")


@dataclass(frozen=True)
class Records:
    """Per-record arrays (index 0 is the first record of the file)."""

    start: np.ndarray  # byte offset of the record's first byte
    end: np.ndarray  # byte offset one past the last byte (before the line feed, before any CR)
    n_fields: np.ndarray  # delimiters outside quotes + 1
    line: np.ndarray  # 1-based physical line on which the record starts
    last_line: np.ndarray  # 1-based physical line on which the record ends
    blank: np.ndarray  # record has no bytes (an empty line)
    trailing_delimiter: np.ndarray  # last byte of the record is a delimiter outside quotes
    unclosed_quote_line: int | None  # line where a quote opens that never closes (truncation)

    def __len__(self) -> int:
        return len(self.start)


def map_records(buf: bytes, delimiter: str) -> Records:
    """Map the records of UTF-8 (or any ASCII-compatible) bytes split by ``delimiter``."""
    arr = np.frombuffer(buf, dtype=np.uint8)
    n = len(arr)
    is_quote = arr == QUOTE
    # A byte is inside a quoted field when an odd number of quotes precede it ("" escapes add
    # two, so parity stays right).
    inside = np.logical_xor.accumulate(is_quote) if n else np.zeros(0, dtype=bool)
    unclosed_line = None
    if n and inside[-1]:
        opening = int(np.flatnonzero(is_quote & inside)[-1])
        unclosed_line = int(np.count_nonzero(arr[:opening] == LF)) + 1
    del is_quote
    is_lf = arr == LF
    all_lf = np.flatnonzero(is_lf)
    record_lf = np.flatnonzero(is_lf & ~inside)
    del is_lf
    starts = np.concatenate(([0], record_lf + 1)).astype(np.int64)
    ends = np.concatenate((record_lf, [n])).astype(np.int64)
    if len(starts) > 1 and starts[-1] >= n:  # file ends with a line feed: no record after it
        starts, ends = starts[:-1], ends[:-1]
    # Drop a CR before the LF (CRLF files).
    has_cr = (
        (ends > starts) & (arr[np.maximum(ends - 1, 0)] == CR) if n else np.zeros(len(ends), bool)
    )
    ends = ends - has_cr.astype(np.int64)
    is_delim = (arr == ord(delimiter)) & ~inside
    del inside
    delim_pos = np.flatnonzero(is_delim)
    # Delimiters between a record's start and the next record's start (only CR/LF lie between
    # its end and the next start), found by binary search: fast and without a Python loop.
    bounds = np.searchsorted(delim_pos, np.append(starts, n))
    delim_counts = np.diff(bounds).astype(np.int64)
    empty = ends <= starts
    trailing = ~empty & is_delim[np.clip(ends - 1, 0, max(n - 1, 0))] if n else empty & False
    line = np.searchsorted(all_lf, starts, side="left") + 1
    last_line = np.searchsorted(all_lf, np.maximum(ends - 1, starts), side="left") + 1
    return Records(
        start=starts,
        end=ends,
        n_fields=delim_counts + 1,
        line=line,
        last_line=last_line,
        blank=empty,
        trailing_delimiter=trailing,
        unclosed_quote_line=unclosed_line,
    )
