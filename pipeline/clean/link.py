"""Linking cleaned waves: the long table, the wide table and the row-accounting invariant."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.clean.qc_log import ROW_DROPPED, make_log
from pipeline.errors import DataError


def link_waves(
    waves: list[pd.DataFrame],
    *,
    unmatched_followup: str = "drop",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Stack cleaned waves into the long table, checking follow-up ids against baseline.

    The baseline is the wave with the lowest ``wave_index``. A follow-up row whose pid was not
    seen at baseline is dropped (``"drop"``, logged ``row_dropped``) or kept (``"keep"``,
    logged ``kept_unmatched``). How many may be unmatched is checked before (another cohort's
    file, :func:`pipeline.clean.crosswave.check_id_overlap`) and after linking (re-typed ids,
    :func:`pipeline.clean.crosswave.check_unmatched`).
    """
    if unmatched_followup not in ("drop", "keep"):
        raise DataError(
            f"cleaning.unmatched_followup must be 'drop' or 'keep', got '{unmatched_followup}'."
        )
    if not waves:
        raise DataError("link_waves: no cleaned waves were given; check config 'waves'.")
    long = pd.concat(waves, ignore_index=True)
    base_index = long["wave_index"].min()
    base_pids = set(long.loc[long["wave_index"] == base_index, "pid"].dropna())
    follow = long["wave_index"] != base_index
    unmatched = follow & ~long["pid"].isin(base_pids)
    action = ROW_DROPPED if unmatched_followup == "drop" else "kept_unmatched"
    u = long[unmatched]
    base_wave = (
        str(long.loc[long["wave_index"] == base_index, "wave"].iloc[0])
        if (~follow).any()
        else "baseline"
    )
    log = make_log(
        len(u),
        file=u["_source_file"].to_numpy(),
        row=u["_source_row"].to_numpy().astype(int),
        pid=u["pid"].to_numpy(),
        wave=u["wave"].to_numpy(),
        column="pid",
        issue=f"id not seen at baseline ({base_wave})",
        action=action,
    )
    if unmatched_followup == "drop":
        long = long[~unmatched]
    long = long.sort_values(["wave_index", "_source_file", "_source_row"], kind="stable")
    return long.reset_index(drop=True), log


def to_wide(
    long: pd.DataFrame,
    scale_keys: list[str],
    covariate_keys: list[str],
    wave_ids: list[str],
    covariate_waves: dict[str, str] | None = None,
) -> pd.DataFrame:
    """Wide table: one row per baseline participant (first of ``wave_ids``) with covariates
    (from baseline, or from ``covariate_waves[key]``), ``<scale>_<wave>`` scores and
    ``responded_<wave>`` booleans (True when the participant has a row in that wave; a row is
    kept only when it answered at least ``cleaning.min_answered`` items,
    :mod:`pipeline.clean.responses`, so an empty event row is not a response)."""
    missing = [k for k in [*scale_keys, *covariate_keys] if k not in long.columns]
    if missing:
        raise DataError(
            f"to_wide: column(s) {missing} are not in the long table; score the scales "
            "(pipeline.clean.score.score_scales) before reshaping."
        )
    base = long[long["wave"] == wave_ids[0]]
    wide = base[["pid"]].drop_duplicates().reset_index(drop=True)
    for key in covariate_keys:
        src = (covariate_waves or {}).get(key) or wave_ids[0]
        vals = long.loc[long["wave"] == src, ["pid", key]].drop_duplicates("pid")
        wide = wide.merge(vals, on="pid", how="left")
    scores = (
        long[long["pid"].isin(wide["pid"])].pivot_table(
            index="pid", columns="wave", values=scale_keys, aggfunc="first", dropna=False
        )
        if scale_keys
        else None
    )
    # the scores lined up with the wide rows once (not one pid lookup per column: at 100,000
    # participants x 5 waves the lookups were a tenth of the clean stage)
    aligned = scores.reindex(wide["pid"]) if scores is not None else None
    columns: dict[str, object] = {}
    for sc in scale_keys:
        for w in wave_ids:
            has = aligned is not None and (sc, w) in aligned.columns
            columns[f"{sc}_{w}"] = aligned[(sc, w)].to_numpy().astype(float) if has else np.nan
    for w in wave_ids:
        columns[f"responded_{w}"] = (
            wide["pid"].isin(long.loc[long["wave"] == w, "pid"]).astype(bool).to_numpy())
    return pd.concat([wide, pd.DataFrame(columns, index=wide.index)], axis=1)


FILE_LEVEL_ISSUES = ("event not used (", "instance not used (", "row not used (",
                     "empty row in a long file")
"""Issue texts of the rows of a long file that belong to no wave (written by
``pipeline.ingest.filerows`` / ``reader`` in the ingest of the first wave reading the file)."""


def file_level_rows(log: pd.DataFrame) -> pd.Series:
    """Log rows standing for rows of a long file that no wave takes: unused events or
    instances (``row_dropped``), covariate sources (``covariate_source``) and empty rows
    (``skipped``). They are counted once per file, not in any wave's rows read."""
    issue = log["issue"].astype("string").fillna("")
    return (issue.str.startswith(FILE_LEVEL_ISSUES) & log["action"].isin([ROW_DROPPED, "skipped"])
            | log["action"].eq("covariate_source"))


def check_accounting(raw_counts: dict[str, int], kept: pd.DataFrame, log: pd.DataFrame) -> None:
    """Invariant: for every raw file, rows read = rows kept + rows logged ``row_dropped``,
    and no (file, row) is both kept and dropped. Raises DataError naming the file otherwise.
    Rows of a long file that no wave takes (:func:`file_level_rows`) are not counted here:
    they belong to the file, not to the wave whose ingest logged them (see
    ``pipeline.clean.quality`` for the per-file identity)."""
    dropped = log[(log["action"] == ROW_DROPPED) & ~file_level_rows(log)]
    n_kept = kept["_source_file"].astype(str).value_counts()
    n_drop = dropped["file"].astype(str).value_counts()
    unknown = sorted(set(n_kept.index) - set(raw_counts))
    if unknown:
        raise DataError(
            f"row accounting: kept rows come from file(s) {unknown} that were not read."
        )
    for f, n in raw_counts.items():
        k, d = int(n_kept.get(f, 0)), int(n_drop.get(f, 0))
        if k + d != int(n):
            raise DataError(
                f"row accounting failed for {f}: {n} rows read but {k} kept + {d} dropped = "
                f"{k + d}. This is a pipeline bug; please report it with the QC log."
            )
    both = pd.MultiIndex.from_arrays(
        [kept["_source_file"].astype(str), kept["_source_row"].astype(int)]
    ).intersection(
        pd.MultiIndex.from_arrays(
            [
                dropped["file"].astype(str),
                pd.to_numeric(dropped["row"], errors="coerce").fillna(-1).astype(int),
            ]
        )
    )
    if len(both):
        f, r = both[0]
        raise DataError(
            f"row accounting failed for {f}: row {r} is both kept and logged as dropped."
        )
