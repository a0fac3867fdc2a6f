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
    waves_of = file_wave.groupby("file")["wave"].agg(lambda w: "; ".join(sorted(set(w))))
    if "wave" not in lg:
        lg["wave"] = pd.NA
    lg["wave"] = lg["wave"].astype("string").fillna(lg["file"].map(waves_of)).fillna("")

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
    actions = {
        "row_dropped": "rows_dropped",
        "set_missing": "cells_set_missing",
        "recoded": "cells_recoded",
        "reverse_keyed": "cells_recoded",
        "id_normalised": "cells_recoded",
        "score_missing": "scores_missing",
        "kept_unmatched": "rows_kept_unmatched",
        "flagged": "cells_flagged",
    }
    lg["measure"] = lg["action"].astype("string").map(actions).fillna(lg["action"].astype("string"))
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
    participants = (
        long.groupby("wave")["pid"]
        .nunique()
        .rename("n")
        .reset_index()
        .assign(file="all", measure="participants", reason="")
    )
    out = pd.concat([*parts, by_reason, dup_counts, participants], ignore_index=True)
    out["wave"] = out["wave"].astype(str)
    order = [
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
    out["_o"] = out["measure"].map({m: i for i, m in enumerate(order)}).fillna(len(order))
    out = out.sort_values(["wave", "file", "_o", "reason"], kind="stable")
    return out[QUALITY_COLUMNS].reset_index(drop=True).astype({"n": "int64"})
