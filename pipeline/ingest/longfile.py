"""Long files holding several waves: REDCap longitudinal exports or a plain wave column.

Row accounting is per (file, wave): the rows of a wave are the rows whose event/wave value is
the wave's ``event``; rows of other events belong to other waves and are counted in
``meta['event_counts']``, not logged as dropped. Across all waves read from one file,
rows read = sum over waves of ``n_rows_read`` + rows of events no wave is configured for (see
:func:`unassigned_events`) + empty rows (``meta['n_empty_rows_file']``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.errors import InputFileError, closest_names

from .result import RawTable

REDCAP_EVENT = "redcap_event_name"
REDCAP_REPEAT = ("redcap_repeat_instrument", "redcap_repeat_instance")


def select_event(table: RawTable, *, column: str, event: str, file: str, wave_id: str) -> RawTable:
    """Keep the rows of one event/wave value; refuse an unknown event or blank event cells."""
    df = table.data
    if column not in df.columns:
        close = closest_names(column, [str(c) for c in df.columns])
        raise InputFileError(
            f"{file}: wave {wave_id} takes rows with {column} = '{event}', but the file has no "
            f"column '{column}'"
            + (f" (closest: {', '.join(repr(c) for c in close)})" if close else "")
            + ". Set 'wave_column' (or the event column) for this wave in config/config.yaml."
        )
    values = df[column].astype(object).map(lambda v: str(v).strip() if pd.notna(v) else None)
    blank = values.isna().to_numpy()
    if blank.any():
        listed = ", ".join(str(int(r)) for r in np.asarray(table.rows)[blank][:10])
        raise InputFileError(
            f"{file}: {int(blank.sum())} row(s) have no value in '{column}' (rows {listed}), so "
            "they cannot be given to a wave. Fill in the event/wave or delete those rows in the "
            "export, then run again."
        )
    counts = values.value_counts().to_dict()
    keep = (values == str(event).strip()).to_numpy()
    if not keep.any():
        present = sorted(counts)
        close = closest_names(str(event), present)
        raise InputFileError(
            f"{file}: wave {wave_id} is configured as {column} = '{event}', but no row has that "
            f"value. Values present: {', '.join(present)}"
            + (f" (did you mean '{close[0]}'?)" if close else "")
            + ". Fix the wave's 'event' in config/config.yaml."
        )
    meta = dict(table.meta)
    meta.update(
        event=event,
        event_column=column,
        event_counts={str(k): int(v) for k, v in counts.items()},
        n_rows_file=len(df),
        n_rows_other_waves=int((~keep).sum()),
    )
    meta["notes"] = list(meta.get("notes", [])) + [
        f"long file: {int(keep.sum())} of {len(df)} rows have {column} = '{event}'"
    ]
    return RawTable(
        data=df[keep].reset_index(drop=True),
        rows=np.asarray(table.rows)[keep],
        log=list(table.log),
        meta=meta,
    )


def unassigned_events(event_counts: dict[str, int], configured: list[str]) -> list[str]:
    """Problems for event values present in a long file that no wave is configured for."""
    return [
        f"event '{e}' has {n} row(s) but no wave is configured with event: '{e}'"
        for e, n in sorted(event_counts.items())
        if e not in set(configured)
    ]


def baseline_carry(
    df_event: pd.DataFrame,
    df_baseline: pd.DataFrame,
    id_column: str,
    columns: list[str],
) -> pd.DataFrame:
    """Fill ``columns`` of a follow-up event's rows from the same id's baseline row.

    REDCap stores baseline-only variables (age, gender) on the baseline event row; follow-up
    rows have them empty. Values present in ``df_event`` are kept; only missing cells are
    filled. Baseline ids appearing more than once are not guessed between: their values are
    not carried (the cleaner reports duplicates). Returns a new frame.
    """
    out = df_event.copy()
    base = df_baseline[[id_column] + [c for c in columns if c in df_baseline.columns]]
    base = base[base[id_column].notna()]
    base = base[~base[id_column].duplicated(keep=False)].set_index(id_column)
    for col in columns:
        if col not in base.columns:
            continue
        carried = out[id_column].map(base[col])
        if col in out.columns:
            out[col] = out[col].astype(object).where(out[col].notna(), carried.astype(object))
        else:
            out[col] = carried
    return out
