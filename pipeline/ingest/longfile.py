"""Long files holding several waves: REDCap longitudinal exports or a plain wave column.

Row accounting is per (file, wave): the rows of a wave are the rows :class:`Selection` picks
(event(s), repeat instance); rows of other events belong to other waves and are counted in
``meta['event_counts']``. Rows no wave takes are logged once per file by the first wave reading
it (:mod:`pipeline.ingest.filerows`); across all waves read from one file, rows in the file =
sum over waves of ``n_rows_read`` + unused rows + covariate-source rows + empty rows.
:func:`unassigned_events` lists events no wave is configured for.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipeline.errors import InputFileError, closest_names, config_name

from .result import RawTable

REDCAP_EVENT = "redcap_event_name"
REDCAP_REPEAT = ("redcap_repeat_instrument", "redcap_repeat_instance")


@dataclass(frozen=True)
class Selection:
    """Which rows of a long file form one wave: rows whose ``column`` value is one of ``events``
    (several = arms pooled; ``()`` = no event selection) and, with ``instance``, whose
    ``redcap_repeat_instance`` is it (and ``redcap_repeat_instrument`` is ``instrument``)."""

    wave_id: str
    column: str | None = None
    events: tuple[str, ...] = ()
    instrument: str | None = None
    instance: int | None = None

    @property
    def is_long(self) -> bool:
        return self.column is not None or self.instance is not None


def _clean(values: pd.Series) -> pd.Series:
    """Cells as stripped text; blank or missing -> NA (vectorised: long files can be large)."""
    text = values.astype("string").str.strip()
    return text.mask(text.eq(""))


def _instances(df: pd.DataFrame) -> pd.Series:
    return pd.to_numeric(df[REDCAP_REPEAT[1]], errors="coerce")


def selection_mask(df: pd.DataFrame, sel: Selection) -> np.ndarray:
    """Rows of ``df`` that ``sel`` selects (missing columns select nothing)."""
    keep = np.ones(len(df), dtype=bool)
    if sel.column is not None:
        if sel.column not in df.columns:
            return np.zeros(len(df), dtype=bool)
        keep &= _clean(df[sel.column]).isin(sel.events).fillna(False).to_numpy(dtype=bool)
    if sel.instance is not None:
        if REDCAP_REPEAT[1] not in df.columns:
            return np.zeros(len(df), dtype=bool)
        keep &= (_instances(df) == sel.instance).to_numpy()
        if sel.instrument is not None:
            instr = _clean(df[REDCAP_REPEAT[0]]) if REDCAP_REPEAT[0] in df.columns else None
            keep &= False if instr is None else (
                instr == sel.instrument).fillna(False).to_numpy(dtype=bool)
    return keep


def _missing_column(column: str, df: pd.DataFrame, what: str, *, file: str) -> InputFileError:
    close = closest_names(column, [str(c) for c in df.columns])
    return InputFileError(
        f"{file}: {what}, but the file has no column '{column}'"
        + (f" (closest: {', '.join(repr(c) for c in close)})" if close else "")
        + f". Fix the wave's entry in {config_name()} (event, wave_column/event_column, "
        "instance) or export the file with that column."
    )


def _check_events(df: pd.DataFrame, sel: Selection, *, file: str, rows) -> dict[str, int]:
    """Refuse blank event cells and configured events no row has; the event counts."""
    column = str(sel.column)
    if column not in df.columns:
        raise _missing_column(column, df, f"wave {sel.wave_id} takes rows with {column} = "
                              f"{_events_text(sel.events)}", file=file)
    values = _clean(df[column])
    blank = values.isna().to_numpy()
    if blank.any():
        listed = ", ".join(str(int(r)) for r in np.asarray(rows)[blank][:10])
        raise InputFileError(
            f"{file}: {int(blank.sum())} row(s) have no value in '{column}' (rows {listed}), so "
            "they cannot be given to a wave. Fill in the event/wave or delete those rows in the "
            "export, then run again."
        )
    counts = {str(k): int(v) for k, v in values.value_counts().items()}
    for event in sel.events:
        if event not in counts:
            present = sorted(counts)
            close = closest_names(event, present)
            raise InputFileError(
                f"{file}: wave {sel.wave_id} is configured as {column} = '{event}', but no row "
                f"has that value. Values present: {', '.join(present)}"
                + (f" (did you mean '{close[0]}'?)" if close else "")
                + f". Fix the wave's 'event' in {config_name()}."
            )
    return counts


def _check_instance(df: pd.DataFrame, sel: Selection, *, file: str) -> None:
    what = f"wave {sel.wave_id} takes REDCap repeat instance {sel.instance}"
    for col in REDCAP_REPEAT[1:] + ((REDCAP_REPEAT[0],) if sel.instrument else ()):
        if col not in df.columns:
            raise _missing_column(col, df, what, file=file)
    instr = _clean(df[REDCAP_REPEAT[0]]) if REDCAP_REPEAT[0] in df.columns else None
    if sel.instrument and instr is not None and not (instr == sel.instrument).any():
        present = sorted(set(instr.dropna()))
        close = closest_names(sel.instrument, present)
        raise InputFileError(
            f"{file}: {what} of instrument '{sel.instrument}', but no row has "
            f"{REDCAP_REPEAT[0]} = '{sel.instrument}'. Instruments present: "
            f"{', '.join(present) or '(none)'}"
            + (f" (did you mean '{close[0]}'?)" if close else "")
            + f". Fix the wave's 'repeat_instrument' in {config_name()}."
        )
    if not selection_mask(df, sel).any():
        present = sorted({int(i) for i in _instances(df).dropna()})
        raise InputFileError(
            f"{file}: {what}"
            + (f" of instrument '{sel.instrument}'" if sel.instrument else "")
            + (f" in event(s) {_events_text(sel.events)}" if sel.events else "")
            + ", but no row has it. Instances present: "
            + (f"{present[0]}-{present[-1]}" if present else "(none)")
            + f". Fix the wave's 'instance' in {config_name()}."
        )


def _events_text(events: tuple[str, ...]) -> str:
    return " or ".join(f"'{e}'" for e in events)


def select_rows(table: RawTable, sel: Selection, *, file: str) -> RawTable:
    """Keep the rows ``sel`` selects; refuse unknown events/instances and blank event cells."""
    df = table.data
    counts = _check_events(df, sel, file=file, rows=table.rows) if sel.column else {}
    if sel.instance is not None:
        _check_instance(df, sel, file=file)
    keep = selection_mask(df, sel)
    meta = dict(table.meta)
    meta.update(n_rows_file=len(df), n_rows_other_waves=int((~keep).sum()))
    notes = list(meta.get("notes", []))
    if sel.column:
        meta.update(event=sel.events[0] if len(sel.events) == 1 else list(sel.events),
                    event_column=sel.column, event_counts=counts)
        notes.append(f"long file: {int(keep.sum())} of {len(df)} rows have {sel.column} = "
                     f"{_events_text(sel.events)}")
        if len(sel.events) > 1:
            notes.append(f"events pooled into wave {sel.wave_id}: " + ", ".join(
                f"{e} ({counts.get(e, 0)} rows)" for e in sel.events))
    if sel.instance is not None:
        meta.update(instance=sel.instance, repeat_instrument=sel.instrument)
        notes.append(f"REDCap repeat instance {sel.instance}"
                     + (f" of '{sel.instrument}'" if sel.instrument else "")
                     + f": {int(keep.sum())} row(s)")
    meta["notes"] = notes
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
