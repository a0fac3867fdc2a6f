"""Data-quality summary of the ingest + clean stages (from the QC log; no ids of any kind).

Rows are counted per wave and file (``rows_read``: the rows of the wave's events in the file;
``rows_kept``, ``rows_dropped`` by reason, ...). A long file feeding several waves, or holding
rows no wave uses, also gets rows with ``wave = "all"``: ``rows_read`` of the whole file once,
and the file-level rows by reason (``rows_dropped`` "event not used (enrolment_arm_1)",
``rows_covariate_source``, ``skipped`` empty rows). Identity per such file::

    rows_read(all) = sum over waves of rows_read(wave) + rows_dropped(all)
                     + rows_covariate_source(all) + skipped empty rows(all)
"""

from __future__ import annotations

import pandas as pd

from pipeline.clean.link import file_level_rows

QUALITY_COLUMNS = ["wave", "file", "measure", "reason", "n"]


def log_counts(log: pd.DataFrame) -> pd.Series:
    """Cells/rows each QC-log row stands for: 1 for a per-cell/per-row entry, the leading count
    of ``original_value`` ("12 cells", "3 participants") for summary rows (``row == "all"``)."""
    summary = log["row"].astype(str).eq("all")
    lead = pd.to_numeric(
        log["original_value"].astype("string").str.extract(r"^\s*(\d+)", expand=False),
        errors="coerce",
    )
    return lead.where(summary, 1).fillna(1).astype(int)


POOLED_REASONS = ("duplicate id", "no answers", "completed before baseline")
"""Issue prefixes whose texts carry row-level detail (rows, counts, dates): pooled to the prefix
(data_quality.csv is published: no participant's dates or rows in it)."""


def _reason(issue: pd.Series) -> pd.Series:
    """Issue text without row-specific detail ("duplicate id: kept row 7 (later)" ->
    "duplicate id"; "completed before baseline (2023-01-04 < ...)" -> "completed before
    baseline"; "excluded by rule 'Progress < 100' (Progress = 40)" -> "excluded by rule
    'Progress < 100'")."""
    s = issue.astype("string").fillna("(no reason given)")
    s = s.str.replace(r"^(excluded by rule '.*') \(.*\)$", r"\1", regex=True)  # no cell values
    for prefix in POOLED_REASONS:
        s = s.mask(s.str.startswith(prefix), prefix)
    return s


ACTION_MEASURES = {
    "row_dropped": "rows_dropped",
    "set_missing": "cells_set_missing",
    "recoded": "cells_recoded",
    "reverse_keyed": "cells_recoded",
    "id_normalised": "cells_recoded",
    "score_missing": "scores_missing",
    "kept_unmatched": "rows_kept_unmatched",
    "flagged": "cells_flagged",
    "covariate_source": "rows_covariate_source",
}
"""QC-log action -> the measure of the quality table it counts towards."""

MEASURE_ORDER = [
    "rows_read",
    "rows_kept",
    "rows_dropped",
    "rows_covariate_source",
    "skipped",
    "duplicates_resolved",
    "rows_kept_unmatched",
    "cells_set_missing",
    "cells_recoded",
    "cells_flagged",
    "scores_missing",
    "participants",
]


def _waves_of_files(long: pd.DataFrame, lg: pd.DataFrame) -> pd.Series:
    """File -> the wave(s) it feeds ("; "-joined), from ``long`` and the log's wave column."""
    file_wave = (
        pd.concat(
            [
                long[["_source_file", "wave"]].rename(columns={"_source_file": "file"}),
                lg.loc[lg["wave"].notna() & lg["file"].ne("all"), ["file", "wave"]]
                if "wave" in lg
                else pd.DataFrame(columns=["file", "wave"]),
            ]
        )
        .astype(str)
        .drop_duplicates()
    )
    return file_wave.groupby("file")["wave"].agg(lambda w: "; ".join(sorted(set(w))))


def _row_counts(raw_counts: dict, long: pd.DataFrame, waves_of: pd.Series) -> list[pd.DataFrame]:
    """``rows_read`` and ``rows_kept`` per (wave, file); ``raw_counts`` is keyed by
    ``(wave, file)`` (or, older form, by file: its waves then come from ``waves_of``)."""
    per_wave = all(isinstance(k, tuple) for k in raw_counts)
    kept = long.groupby(["wave", "_source_file"] if per_wave else ["_source_file"]).size()
    kept = kept.rename("n").reset_index().rename(columns={"_source_file": "file"})
    read = pd.DataFrame(
        {"wave": [k[0] for k in raw_counts] if per_wave else "",
         "file": [k[1] if per_wave else k for k in raw_counts],
         "n": [int(v) for v in raw_counts.values()]}
    )
    parts = [read.assign(measure="rows_read", reason=""),
             kept.assign(measure="rows_kept", reason="")]
    if not per_wave:
        for f in parts:
            f["wave"] = f["file"].astype(str).map(waves_of).fillna("")
    return parts


def _file_rows(raw_counts: dict, lg: pd.DataFrame) -> pd.DataFrame | None:
    """``rows_read`` of the whole file (wave "all") for files feeding several waves or holding
    file-level rows: the waves' rows read + the file-level rows of the log."""
    if not all(isinstance(k, tuple) for k in raw_counts):
        return None
    per_file: dict[str, list[int]] = {}
    for (_, f), n in raw_counts.items():
        per_file.setdefault(str(f), []).append(int(n))
    level = lg[lg["wave"].eq("all")].groupby("file")["n"].sum()
    rows = [(f, sum(ns) + int(level.get(f, 0))) for f, ns in per_file.items()
            if len(ns) > 1 or f in level.index]
    if not rows:
        return None
    return pd.DataFrame({"wave": "all", "file": [f for f, _ in rows], "measure": "rows_read",
                         "reason": "", "n": [n for _, n in rows]})


def _log_counts(lg: pd.DataFrame) -> list[pd.DataFrame]:
    """Log-based measures by reason, and ``duplicates_resolved`` per (wave, file)."""
    lg["measure"] = lg["action"].astype("string").map(ACTION_MEASURES).fillna(
        lg["action"].astype("string"))
    by_reason = (
        lg.groupby(["wave", "file", "measure", "reason"], dropna=False)["n"].sum().reset_index()
    )
    dups = lg[(lg["action"] == "row_dropped") & (lg["reason"] == "duplicate id")]
    dup_counts = (
        dups.groupby(["wave", "file"])["n"]
        .sum()
        .reset_index()
        .assign(measure="duplicates_resolved", reason="")
    )
    return [by_reason, dup_counts]


def quality_summary(raw_counts: dict, long: pd.DataFrame, log: pd.DataFrame) -> pd.DataFrame:
    """Tidy data-quality table, one row per (wave, file, measure, reason):

    * ``rows_read`` (from ``raw_counts``: ``(wave, file) -> rows of the wave in the file``, or
      ``file -> rows``), ``rows_kept`` (rows of ``long``); for long files also ``rows_read`` of
      the whole file and its file-level rows under wave ``"all"`` (module docstring);
      ``rows_dropped`` by reason (log ``action == "row_dropped"``; duplicates pooled as
      "duplicate id"), ``duplicates_resolved`` (rows dropped as duplicates);
    * ``cells_set_missing`` and ``cells_recoded`` (label decoding, spelling, reverse keying,
      id normalisation) and ``cells_flagged`` (e.g. blank completion dates) by reason,
      counting summary log rows by their cell count;
    * ``participants`` per wave (distinct pids in ``long``; ``file`` = "all").

    ``wave`` of a file is taken from ``long``/the log; files feeding several waves list them
    joined by "; ". Missing-score counts (action ``score_missing``) appear with ``file`` = "all".
    """
    lg = log.copy()
    lg["n"] = log_counts(lg)
    lg["reason"] = _reason(lg["issue"])
    lg["file"] = lg["file"].astype("string").fillna("all")
    waves_of = _waves_of_files(long, lg)
    if "wave" not in lg:
        lg["wave"] = pd.NA
    lg["wave"] = lg["wave"].astype("string").fillna(lg["file"].map(waves_of)).fillna("")
    lg.loc[file_level_rows(lg), "wave"] = "all"
    participants = (
        long.groupby("wave")["pid"]
        .nunique()
        .rename("n")
        .reset_index()
        .assign(file="all", measure="participants", reason="")
    )
    out = pd.concat([*_row_counts(raw_counts, long, waves_of), _file_rows(raw_counts, lg),
                     *_log_counts(lg), participants], ignore_index=True)
    out["wave"] = out["wave"].astype(str)
    out["_o"] = out["measure"].map({m: i for i, m in enumerate(MEASURE_ORDER)}).fillna(
        len(MEASURE_ORDER))
    out = out.sort_values(["wave", "file", "_o", "reason"], kind="stable")
    return out[QUALITY_COLUMNS].reset_index(drop=True).astype({"n": "int64"})
