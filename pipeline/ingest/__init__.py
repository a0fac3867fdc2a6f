"""Ingest: read evaluators' survey exports as they are, refuse files that cannot be right.

See pipeline/ingest/README.md for what happens in each situation.
"""

from .checks import (
    check_coding_shift,
    check_label_answers,
    check_scale_coding,
    check_text_answers,
    raise_problems,
)
from .dates import DateCheck, check_dates
from .ids import detect_lost_leading_zeros
from .labels import check_value_labels, compare_value_labels
from .longfile import baseline_carry, unassigned_events
from .reader import read_wave
from .result import LOG_COLUMNS, ReadResult
from .storage import parquet_safe

__all__ = [
    "LOG_COLUMNS",
    "DateCheck",
    "ReadResult",
    "baseline_carry",
    "check_coding_shift",
    "check_dates",
    "check_label_answers",
    "check_scale_coding",
    "check_text_answers",
    "check_value_labels",
    "compare_value_labels",
    "detect_lost_leading_zeros",
    "parquet_safe",
    "raise_problems",
    "read_wave",
    "unassigned_events",
]
