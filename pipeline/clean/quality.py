"""Data-quality summary of the ingest + clean stages (from the QC log; no ids of any kind)."""

from __future__ import annotations

import pandas as pd

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


def _reason(issue: pd.Series) -> pd.Series:
    """Issue text without row-specific detail ("duplicate id: kept row 7 (later)" ->
    "duplicate id")."""
    s = issue.astype("string").fillna("(no reason given)")
    return s.mask(s.str.startswith("duplicate id"), "duplicate id")


ACTION_MEASURES = {
    "row_dropped": "rows_dropped",
    "set_missing": "cells_set_missing",
    "recoded": "cells_recoded",
    "reverse_keyed": "cells_recoded",
    "id_normalised": "cells_recoded",
    "score_missing": "scores_missing",
    "kept_unmatched": "rows_kept_unmatched",
    "flagged": "cells_flagged",
}
"""QC-log action -> the measure of the quality table it counts towards."""

MEASURE_ORDER = [
    "rows_read",
    "rows_kept",
    "rows_dropped",
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


def _row_counts(raw_counts: dict[str, int], long: pd.DataFrame,
                waves_of: pd.Series) -> list[pd.DataFrame]:
    """``rows_read`` and ``rows_kept`` per file."""
    parts = [
        pd.DataFrame(
            {
                "file": list(raw_counts),
                "measure": "rows_read",
                "reason": "",
                "n": [int(v) for v in raw_counts.values()],
            }
        ),
        long.groupby("_source_file")
        .size()
        .rename("n")
        .reset_index()
        .rename(columns={"_source_file": "file"})
        .assign(measure="rows_kept", reason=""),
    ]
    for f in parts:
        f["wave"] = f["file"].astype(str).map(waves_of).fillna("")
    return parts


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


def quality_summary(
    raw_counts: dict[str, int], long: pd.DataFrame, log: pd.DataFrame
) -> pd.DataFrame:
    """Tidy data-quality table, one row per (wave, file, measure, reason):

    * ``rows_read`` (from ``raw_counts``), ``rows_kept`` (rows of ``long``),
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
    participants = (
        long.groupby("wave")["pid"]
        .nunique()
        .rename("n")
        .reset_index()
        .assign(file="all", measure="participants", reason="")
    )
    out = pd.concat([*_row_counts(raw_counts, long, waves_of), *_log_counts(lg), participants],
                    ignore_index=True)
    out["wave"] = out["wave"].astype(str)
    out["_o"] = out["measure"].map({m: i for i, m in enumerate(MEASURE_ORDER)}).fillna(
        len(MEASURE_ORDER))
    out = out.sort_values(["wave", "file", "_o", "reason"], kind="stable")
    return out[QUALITY_COLUMNS].reset_index(drop=True).astype({"n": "int64"})
