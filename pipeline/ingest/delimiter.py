"""Guess the delimiter of a text export among comma, semicolon, tab and pipe."""

from __future__ import annotations

import csv
import io

CANDIDATES = (",", ";", "\t", "|")
NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}


def sniff_delimiter(text_sample: str) -> str | None:
    """Return the candidate that splits the header into most fields *consistently*.

    A candidate is consistent when at least 90% of the sampled non-blank records have the same
    number of fields as the header (or one more, for trailing delimiters). Returns ``None`` when
    no candidate gives the header at least two fields.
    """
    # Cut the sample at its last line break so a partial last record does not count.
    cut = text_sample.rfind("\n")
    sample = text_sample[: cut + 1] if cut > 0 else text_sample
    best: tuple[int, float, str] | None = None
    for cand in CANDIDATES:
        try:
            rows = [r for r in csv.reader(io.StringIO(sample), delimiter=cand) if r]
        except csv.Error:
            continue
        if not rows or len(rows[0]) < 2:
            continue
        h = len(rows[0])
        body = rows[1:50] or rows[:1]
        ok = sum(1 for r in body if len(r) in (h, h + 1)) / len(body)
        key = (1, h) if ok >= 0.9 else (0, ok)
        if best is None or key > best[:2]:
            best = (key[0], key[1], cand)
    return best[2] if best else None
