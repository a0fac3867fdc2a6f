"""Time order across waves: swapped wave files and follow-ups completed before baseline.

Waves are listed in time order under config ``waves``. Two checks use the completion dates:

* **Swapped waves** (:func:`swapped_waves_problem`, :func:`check_swapped_waves`). Wave *k* is
  diagnosed "waves swapped?" against wave *k-1* when its median completion date is earlier
  and, among participants in both waves with both dates, more than half completed wave *k*
  before wave *k-1* (:data:`BACKWARDS_SHARE`). With fewer than :data:`MIN_PAIRS` such
  participants (ids that do not match, e.g. re-typed) the dates alone decide: at least 90% of
  wave *k*'s dates precede the earliest tenth of wave *k-1*'s. A follow-up subset that
  responded early (an interim export) has an earlier median but forward-going pairs, so it is
  not flagged. The check runs before the id-overlap and unmatched-id checks: swapped files
  look like re-typed ids (most "follow-up" ids are not in the "baseline"), and raising
  ``cleaning.max_unmatched_share`` as that check advises would drop the real baseline.
* **Completed before baseline** (:func:`check_time_order`), per participant after cleaning:
  a follow-up completion date earlier than the same participant's baseline date is refused
  (``cleaning.time_order: refuse``, up to 10 examples with ids as written, both dates, files
  and rows) or kept and logged per row (``time_order: log``; action ``flagged``, issue
  "completed before baseline (2023-01-04 < 2023-02-10)"). Rows without either date are not
  compared.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from pipeline.clean.qc_log import make_log
from pipeline.clean.responses import date_text, dates_text
from pipeline.config import Wave
from pipeline.errors import InputFileError

__all__ = [
    "BACKWARDS_SHARE",
    "MIN_PAIRS",
    "WaveDates",
    "check_swapped_waves",
    "check_time_order",
    "swapped_waves_problem",
]

BACKWARDS_SHARE = 0.5
MIN_PAIRS = 5
MAX_EXAMPLES = 10


@dataclass(frozen=True)
class WaveDates:
    """One wave's participants and completion dates: ``ids`` (any consistent key: normalised
    ids or pids) and ``dates`` (aligned; NaT = unknown), its id and the file name."""

    wave_id: str
    file: str
    ids: pd.Series
    dates: pd.Series


def _range(dates: pd.Series) -> str:
    return f"{date_text(dates.min())} to {date_text(dates.max())}"


def _pair_dates(prev: WaveDates, cur: WaveDates) -> pd.DataFrame:
    """Participants in both waves with both dates: columns ``prev``, ``cur``."""
    a = pd.Series(prev.dates.to_numpy(), index=prev.ids.to_numpy()).dropna()
    b = pd.Series(cur.dates.to_numpy(), index=cur.ids.to_numpy()).dropna()
    a = a[a.index.notna() & ~a.index.duplicated(keep="last")]
    b = b[b.index.notna() & ~b.index.duplicated(keep="last")]
    return pd.concat({"prev": a, "cur": b}, axis=1, join="inner")


def swapped_waves_problem(prev: WaveDates, cur: WaveDates) -> str | None:
    """The "waves swapped?" message for ``cur`` following ``prev``, or None (module doc)."""
    dp, dc = prev.dates.dropna(), cur.dates.dropna()
    if dp.empty or dc.empty or dc.median() >= dp.median():
        return None
    pairs = _pair_dates(prev, cur)
    n_back = int((pairs["cur"] < pairs["prev"]).sum())
    if len(pairs) >= MIN_PAIRS:
        if n_back / len(pairs) <= BACKWARDS_SHARE:
            return None
        evidence = (f"{n_back} of the {len(pairs)} participants in both waves "
                    f"({n_back / len(pairs):.0%}) completed wave {cur.wave_id} before wave "
                    f"{prev.wave_id}")
    else:
        early = float((dc < dp.quantile(0.1)).mean())
        if early < 0.9:
            return None
        evidence = (f"{early:.0%} of wave {cur.wave_id}'s dates precede the earliest tenth of "
                    f"wave {prev.wave_id}'s")
    med_c, med_p = (date_text(x.median().floor("D")) for x in (dc, dp))
    one_file = prev.file == cur.file  # a long file (REDCap): the events are swapped
    what = ("that each wave's event (or wave value) is that wave's" if one_file
            else "that the file of each wave is that wave's export")
    parts = "events" if one_file else "files"
    return (
        f"waves swapped? {cur.file} (wave {cur.wave_id}, completed {_range(dc)}, median "
        f"{med_c}) comes before {prev.file} (wave {prev.wave_id}, completed {_range(dp)}, "
        f"median {med_p}): {evidence}. Waves must be listed in "
        f"time order under config 'waves': check {what} (the {parts} of {prev.wave_id} and "
        f"{cur.wave_id} look swapped) and that the waves are in the right order, then run "
        "again. (Do not raise "
        "cleaning.max_unmatched_share or lower cleaning.min_id_overlap for this.)"
    )


def check_swapped_waves(waves: Sequence[WaveDates]) -> None:
    """Refuse (InputFileError) at the first wave that looks swapped with the one before it."""
    for prev, cur in zip(waves, waves[1:]):
        problem = swapped_waves_problem(prev, cur)
        if problem:
            raise InputFileError(problem)


def _backwards(cleaned: Sequence[pd.DataFrame], waves: Sequence[Wave]) -> pd.DataFrame:
    """Follow-up rows completed before the same participant's baseline, in wave order:
    columns pid, date, file, row (the follow-up), date_base, file_base, row_base, wave,
    column (the wave's date column)."""
    cols = ["pid", "date", "_source_file", "_source_row"]
    names = {"_source_file": "file", "_source_row": "row"}
    base = cleaned[0].dropna(subset=["pid", "date"]).drop_duplicates("pid", keep="last")
    base = base[cols].rename(columns=names)
    out = [pd.DataFrame(columns=["pid", "date", "file", "row", "date_base", "file_base",
                                 "row_base", "wave", "column"])]
    for i, w in enumerate(waves[1:], start=1):
        f = cleaned[i].dropna(subset=["pid", "date"])[cols].rename(columns=names)
        f = f.merge(base, on="pid", how="inner", suffixes=("", "_base"), sort=False)
        f = f[f["date"] < f["date_base"]]
        out.append(f.assign(wave=w.id, column=w.date_column))
    return pd.concat([o for o in out if len(o)] or out[:1], ignore_index=True)


def _as_written(raw: dict[str, pd.DataFrame], wave_id: str, id_column: str, row: int) -> str:
    src = raw[wave_id]
    hit = src.loc[src["_source_row"].astype(int) == int(row), id_column]
    return str(hit.iloc[0]) if len(hit) else "?"


def check_time_order(
    cleaned: Sequence[pd.DataFrame],
    raw: dict[str, pd.DataFrame],
    *,
    waves: Sequence[Wave],
    id_column: str,
    mode: str = "refuse",
) -> pd.DataFrame:
    """Follow-up rows completed before the same participant's baseline (module doc).

    ``cleaned``: the cleaned waves (``pid``, ``date``, ``_source_file``, ``_source_row``) in
    the order of ``waves``; ``raw``: wave id -> the reader's data (ids as written for the
    message). ``mode`` ``"refuse"`` raises InputFileError; ``"log"`` returns the QC-log rows
    (``flagged``), an empty log when every follow-up comes after baseline.
    """
    back = _backwards(cleaned, waves)
    if back.empty or mode == "log":
        issue = ("completed before baseline (" + dates_text(back["date"]) + " < "
                 + dates_text(back["date_base"]) + ")")
        return make_log(
            len(back), file=back["file"].to_numpy(),
            row=back["row"].to_numpy().astype(int), pid=back["pid"].to_numpy(),
            wave=back["wave"].to_numpy(), column=back["column"].to_numpy(),
            original_value=dates_text(back["date"]).to_numpy(), issue=issue.to_numpy(),
            action="flagged",
        )
    base_id = waves[0].id
    examples = [
        f"'{_as_written(raw, r.wave, id_column, r.row)}' (wave {r.wave} "
        f"{date_text(r.date)}, {r.file} row {int(r.row)} < wave {base_id} "
        f"{date_text(r.date_base)}, {r.file_base} row {int(r.row_base)})"
        for r in back.head(MAX_EXAMPLES).itertuples()
    ]
    more = f"; and {len(back) - MAX_EXAMPLES} more" if len(back) > MAX_EXAMPLES else ""
    raise InputFileError(
        f"{len(back)} follow-up row(s) were completed before the same participant's baseline "
        f"(wave {base_id}): " + "; ".join(examples) + more + ". A follow-up cannot precede "
        "baseline: check the completion dates and that each wave's file under config 'waves' "
        "is that wave's export (or an id typed for the wrong person). To keep these rows and "
        "list them in the QC log instead, set cleaning.time_order: log."
    )
