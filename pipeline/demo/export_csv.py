"""CSV writer (T0 wave file and the defect manifest): UTF-8, comma, ``\\n`` line ends, no index."""

from __future__ import annotations

import pandas as pd

__all__ = ["csv_bytes"]


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """The CSV file's bytes (missing cells empty; text cells as written, labels included)."""
    return frame.to_csv(index=False, lineterminator="\n").encode("utf-8")
