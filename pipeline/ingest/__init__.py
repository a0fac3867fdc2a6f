"""Ingest: read evaluators' survey exports as they are, refuse files that cannot be right.

See pipeline/io/README.md for what happens in each situation.
"""

from .checks import (
    DateCheck,
    check_coding_shift,
    check_dates,
    check_id_format,
    check_id_overlap,
    check_same_file,
    check_text_answers,
    raise_problems,
)
from .ids import detect_lost_leading_zeros
from .longfile import baseline_carry, unassigned_events
from .reader import read_wave
from .result import LOG_COLUMNS, ReadResult
from .stat_reader import compare_value_labels
from .storage import parquet_safe

__all__ = [
    "LOG_COLUMNS",
    "DateCheck",
    "ReadResult",
    "baseline_carry",
    "check_coding_shift",
    "check_dates",
    "check_id_format",
    "check_id_overlap",
    "check_same_file",
    "check_text_answers",
    "compare_value_labels",
    "detect_lost_leading_zeros",
    "parquet_safe",
    "raise_problems",
    "read_wave",
    "unassigned_events",
]
