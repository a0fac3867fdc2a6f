"""The QC-log record format shared by the ingest and clean wings.

Every action the pipeline takes on a cell or a row of a wave file is one log record. The readers
(ingest) write records with :data:`READ_LOG_COLUMNS`; the cleaner adds the pseudonymous id and
the wave (:data:`QC_LOG_COLUMNS`), and turns the reader logs into its own shape with
:func:`concat_logs`. ``action`` is one of :data:`ACTIONS`.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

__all__ = [
    "ACTIONS",
    "QC_LOG_COLUMNS",
    "READ_LOG_COLUMNS",
    "ROW_DROPPED",
    "SET_MISSING",
    "concat_logs",
    "empty_log",
]

READ_LOG_COLUMNS = ["file", "row", "column", "original_value", "issue", "action"]
"""Columns of a reader's log (``results/<study>/interim/read_log_<wave>.csv``)."""

QC_LOG_COLUMNS = ["file", "row", "pid", "wave", "column", "original_value", "issue", "action"]
"""Columns of the clean stage's QC log (``results/<study>/clean/qc_log.csv``)."""

ROW_DROPPED = "row_dropped"
SET_MISSING = "set_missing"
ACTIONS = (ROW_DROPPED, SET_MISSING, "skipped", "flagged", "recoded", "reverse_keyed",
           "id_normalised", "renamed_column", "kept_unmatched", "score_missing",
           "covariate_source")


def empty_log(columns: list[str] = QC_LOG_COLUMNS) -> pd.DataFrame:
    """A log with no rows: ``columns``, all object dtype."""
    return pd.DataFrame({c: np.empty(0, dtype=object) for c in columns})


def concat_logs(logs: Iterable[pd.DataFrame | None],
                columns: list[str] = QC_LOG_COLUMNS) -> pd.DataFrame:
    """Stack log frames into ``columns`` (None entries and empty frames are skipped).

    A column a frame lacks (e.g. ``pid``/``wave`` in a reader's log) is filled with None; the
    result is object dtype with None for missing values.
    """
    parts = [lg.reindex(columns=columns).astype(object)
             for lg in logs if lg is not None and len(lg)]
    if not parts:
        return empty_log(columns)
    out = pd.concat(parts, ignore_index=True)
    return out.where(out.notna(), None)
