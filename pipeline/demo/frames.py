"""From working rows to what the files hold: row order, column types and the defect manifest.

Rows are ordered as a survey export would list them: by completion date, then id; a partial
duplicate sits just before (or, if submitted later, after) its complete copy; a row whose date
was blanked keeps the position of its true date. Column types follow the file format: T0 CSV
holds ISO text dates and object item cells (numbers or text labels), T1 Excel date and integer
cells, T2 SPSS dates and doubles (NaN = system missing); later waves (``--waves`` > 3) are
follow-up CSV files: ISO text dates and integer cells.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pandas as pd

from pipeline.demo.defects import WaveRows
from pipeline.demo.layout import DATE_COLUMN, ID_COLUMN, ITEM_COLUMNS, T2_HAS_GENDER, wave_file

__all__ = ["finish_wave", "typed", "file_cell"]


def _sort_key(r: dict, by_key: dict[int, dict]) -> tuple:
    if "_dup_of" in r:
        src = by_key[r["_dup_of"]]
        d = r[DATE_COLUMN] or src[DATE_COLUMN]
        return (d, src["_pid"], 0 if r["_dup_before"] else 2)
    d = r[DATE_COLUMN]
    if d is None:  # missing date: keep the position of the (unknown) true date
        d = r["_true_date"] if "_true_date" in r else dt.date(1900, 1, 1)
    return (d, r["_pid"], 1)


def _columns(wave: str) -> list[str]:
    cols = [ID_COLUMN, DATE_COLUMN] + (["age", "gender"] if wave == "T0" else [])
    if wave == "T2" and T2_HAS_GENDER:
        cols.append("gender")
    return cols + list(ITEM_COLUMNS)


def finish_wave(
    wv: WaveRows,
    columns: list[str] | None = None,
    type_frame: Callable[[pd.DataFrame, str], pd.DataFrame] | None = None,
    file: str | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Order rows as a survey export would, build the typed frame and the defect manifest.

    Another study passes its own ``columns``, column typing ``type_frame(raw, wave)`` and
    ``file`` name (defaults: the demo's).
    """
    rows = list(wv.rows)
    by_key = {r["_key"]: r for r in rows}
    rows.sort(key=lambda r: _sort_key(r, by_key))
    data_row = {r["_key"]: i + 1 for i, r in enumerate(rows)}
    cols = columns or _columns(wv.wave)
    raw = pd.DataFrame([{c: r.get(c) for c in cols} for r in rows], columns=cols)
    frame = (type_frame or typed)(raw, wv.wave)
    man = pd.DataFrame(wv.defects)
    man.insert(0, "wave", wv.wave)
    man.insert(1, "file", file or wave_file(wv.wave))
    man.insert(2, "data_row", [data_row[k] for k in man["_key"]])
    man.insert(3, "participant_id", [by_key[k][ID_COLUMN] for k in man["_key"]])
    man = man.drop(columns="_key").sort_values(["data_row", "defect", "column"], kind="stable")
    return frame, man.reset_index(drop=True)


def typed(raw: pd.DataFrame, wave: str) -> pd.DataFrame:
    """Column types as the file will hold them."""
    out = pd.DataFrame(index=raw.index)
    out[ID_COLUMN] = pd.Series(raw[ID_COLUMN].tolist(), dtype=object).where(
        raw[ID_COLUMN].notna(), None
    )
    if wave not in ("T1", "T2"):  # CSV (T0 and waves after T2): ISO text dates
        out[DATE_COLUMN] = pd.Series(
            [d.isoformat() if d is not None else None for d in raw[DATE_COLUMN]],
            index=raw.index,
            dtype=object,
        )
    if wave not in ("T0", "T1", "T2"):  # later-wave CSV: integer cells
        for col in ITEM_COLUMNS:
            out[col] = pd.array([file_cell(v) for v in raw[col]], dtype="Int64")
    elif wave == "T0":  # item columns may hold text labels
        out["age"] = raw["age"].astype("Int64")
        out["gender"] = pd.Series(raw["gender"].tolist(), index=raw.index, dtype=object)
        for col in ITEM_COLUMNS:
            out[col] = pd.Series([file_cell(v) for v in raw[col]], index=raw.index, dtype=object)
    elif wave == "T1":  # Excel: date cells, integer cells
        out[DATE_COLUMN] = pd.to_datetime(
            pd.Series(raw[DATE_COLUMN].tolist(), dtype=object)
        ).astype("datetime64[s]")
        for col in ITEM_COLUMNS:
            out[col] = pd.array([file_cell(v) for v in raw[col]], dtype="Int64")
    else:  # SPSS: dates, numeric doubles with NaN = system missing
        out[DATE_COLUMN] = pd.Series(raw[DATE_COLUMN].tolist(), dtype=object)
        if T2_HAS_GENDER:
            out["gender"] = raw["gender"].astype(float)
        for col in ITEM_COLUMNS:
            out[col] = raw[col].astype(float)
    return out


def file_cell(v):
    """A cell as the CSV/Excel file holds it: text kept, missing -> None, numbers -> int."""
    if isinstance(v, float):  # the common case first (NaN is the only value unequal to itself)
        return None if v != v else int(v)
    if isinstance(v, str):
        return v
    if v is None:
        return None
    return int(v)
