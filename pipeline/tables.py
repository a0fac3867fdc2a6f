"""Writing result tables so that the same inputs give byte-identical files."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

FLOAT_FORMAT = "%.10g"


def write_table(df: pd.DataFrame, path: str | Path) -> None:
    """Write ``df`` as CSV with a fixed float format, ``\\n`` line endings and no index."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    df = df.copy()
    for col in df.columns[df.dtypes == object]:  # noqa: E721 (pandas dtype comparison)
        # mixed columns (e.g. counts with suppression marks): same number format as floats
        df[col] = df[col].map(lambda v: FLOAT_FORMAT % v if isinstance(v, float) and v == v else v)
    df.to_csv(path, index=False, float_format=FLOAT_FORMAT, lineterminator="\n")


def write_parquet(df: pd.DataFrame, path: str | Path) -> None:
    """Write ``df`` as Parquet without the pandas index."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    df.to_parquet(path, index=False)
