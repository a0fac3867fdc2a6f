"""Clean stage: cross-wave checks, cleaning, linking, scoring, reliability and the QC trail."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pandas as pd

from pipeline.clean.cleaner import (
    LOG_COLUMNS,
    check_accounting,
    clean_wave,
    concat_logs,
    link_waves,
    to_wide,
)
from pipeline.config import Config
from pipeline.errors import DataError
from pipeline.ingest import check_id_format, check_id_overlap, check_same_file
from pipeline.clean.pseudonym import normalise_id
from pipeline.clean.quality import quality_summary
from pipeline.stats.reliability import reliability_table
from pipeline.clean.score import score_scales
from pipeline.tables import write_parquet, write_table

log = logging.getLogger("pipeline.clean.cleaner")


def add_arguments(p) -> None:
    p.add_argument("--interim", required=True, help="folder with raw_<wave>.parquet etc.")
    p.add_argument("--out-long", required=True)
    p.add_argument("--out-wide", required=True)
    p.add_argument("--out-qc", required=True)
    p.add_argument("--out-quality", required=True)
    p.add_argument("--out-reliability", required=True)


def _read_log(frame: pd.DataFrame, wave: str, id_column: str) -> pd.DataFrame:
    """Reader log in the QC-log shape (no pid at that stage; raw ids never copied)."""
    out = frame.copy()
    out["pid"] = None
    out["wave"] = wave
    out.loc[out["column"] == id_column, "original_value"] = None
    return out[LOG_COLUMNS]


def with_pids(read_log: pd.DataFrame, cw) -> pd.DataFrame:
    """Fill the pseudonymous id into reader-log rows (e.g. SPSS user-missing codes) from the
    cleaned wave, matching on (file, row); rows dropped before an id was read keep none."""
    if read_log.empty:
        return read_log
    known = pd.concat([
        cw.data[["_source_file", "_source_row", "pid"]].rename(
            columns={"_source_file": "file", "_source_row": "row"}),
        cw.log.loc[cw.log["pid"].notna(), ["file", "row", "pid"]],
    ], ignore_index=True)
    known = known[pd.to_numeric(known["row"], errors="coerce").notna()]
    key = known["file"].astype(str) + "#" + known["row"].astype(int).astype(str)
    lookup = dict(zip(key, known["pid"]))
    rows = pd.to_numeric(read_log["row"], errors="coerce")
    rkey = read_log["file"].astype(str) + "#" + rows.fillna(-1).astype(int).astype(str)
    out = read_log.copy()
    out["pid"] = out["pid"].where(out["pid"].notna(), rkey.map(lookup))
    return out


def report_changes(qc: pd.DataFrame, limit: int = 25) -> None:
    """Say on the terminal (and in the rule log) what cleaning set missing or dropped, counted by
    wave, column and reason, so that nothing changes silently; details are in the QC log."""
    acted = qc[qc["action"].isin(["set_missing", "row_dropped"])]
    if acted.empty:
        return
    acted = acted.assign(issue=acted["issue"].astype(str).str.replace(r": kept row.*", "",
                                                                     regex=True))
    counts = acted.groupby(["wave", "action", "column", "issue"], dropna=False).size()
    log.warning("cleaning changed %d cell(s)/row(s); see results/clean/qc_log.csv:", len(acted))
    for (wave, action, column, issue), n in list(counts.items())[:limit]:
        what = "rows dropped" if action == "row_dropped" else f"cells of '{column}' set missing"
        log.warning("  wave %s: %d %s (%s)", wave, n, what, issue)
    if len(counts) > limit:
        log.warning("  ... and %d more kinds (see the QC log)", len(counts) - limit)


def check_unmatched(cfg: Config, cleaned: list[pd.DataFrame], link_log: pd.DataFrame,
                    raw: dict[str, pd.DataFrame]) -> None:
    """Refuse a follow-up wave in which more than ``cleaning.max_unmatched_share`` of the
    participants have ids never seen at baseline: usually ids re-typed or re-formatted for part
    of the file (e.g. "12" for "SP-0012"), which would silently drop real respondents."""
    from pipeline.ingest.checks import id_shape

    limit = float((cfg.raw.get("cleaning") or {}).get("max_unmatched_share", 0.1))
    for i, w in enumerate(cfg.waves[1:], start=1):
        n = len(cleaned[i])
        bad = link_log[(link_log["wave"] == w.id)]
        if n == 0 or len(bad) / n <= limit:
            continue
        rows = pd.to_numeric(bad["row"], errors="coerce").dropna().astype(int)
        src = raw[w.id].set_index("_source_row")[cfg.id_column]
        shapes = src.reindex(rows).dropna().astype(str).map(id_shape).value_counts()
        base_shapes = raw[cfg.wave_ids[0]][cfg.id_column].dropna().astype(str).map(id_shape)
        base_shapes = base_shapes.value_counts()
        raise DataError(
            f"{Path(w.file).name}: {len(bad)} of the {n} participants of wave {w.id} "
            f"({len(bad) / n:.0%}) have ids that were never seen at baseline (limit "
            f"cleaning.max_unmatched_share = {limit:.0%}). Their id patterns: "
            + ", ".join(f"'{k}' x{v}" for k, v in shapes.head(3).items())
            + "; baseline ids look like "
            + ", ".join(f"'{k}'" for k in base_shapes.head(2).index)
            + " (9 = digit, A = letter). Correct the ids in the export (or raise "
            "cleaning.max_unmatched_share if these really are new people); the rows are listed "
            "in the QC log of a run with a higher limit."
        )


def cross_wave_checks(cfg: Config, raw: dict[str, pd.DataFrame]) -> None:
    """Refuse follow-up files that cannot belong to this cohort (same file twice, ids that
    barely overlap baseline, a changed id format)."""
    check_same_file([(w.id, cfg.path(w.file)) for w in cfg.waves if not w.event])
    base_id = cfg.wave_ids[0]
    base_ids = normalise_id(raw[base_id][cfg.id_column]).dropna()
    for w in cfg.waves[1:]:
        ids = normalise_id(raw[w.id][cfg.id_column]).dropna()
        file = Path(w.file).name
        check_id_format(base_ids, ids, file=file, wave_id=w.id)
        check_id_overlap(base_ids, ids, file=file, wave_id=w.id, threshold=cfg.min_id_overlap)


def run(cfg: Config, args) -> None:
    interim = Path(args.interim)
    raw, read_logs, meta = {}, [], {}
    for w in cfg.wave_ids:
        raw[w] = pd.read_parquet(interim / f"raw_{w}.parquet")
        read_logs.append(_read_log(pd.read_csv(interim / f"read_log_{w}.csv", dtype=object),
                                   w, cfg.id_column))
        meta[w] = json.loads((interim / f"read_meta_{w}.json").read_text(encoding="utf-8"))
    cross_wave_checks(cfg, raw)

    cleaned, logs = [], []
    for i, w in enumerate(cfg.waves):
        cw = clean_wave(
            raw[w.id], wave_id=w.id, wave_index=i, months=w.months, id_column=cfg.id_column,
            scales=cfg.scales, covariates=cfg.covariates, date_column=w.date_column,
            salt=cfg.salt, is_baseline=i == 0,
        )
        cleaned.append(cw.data)
        logs.append(with_pids(read_logs[i], cw))
        logs.append(cw.log)
        log.info("wave %s: %d rows in, %d after cleaning (before linking to baseline)", w.id,
                 len(raw[w.id]), len(cw.data))
    long, link_log = link_waves(cleaned, unmatched_followup=cfg.unmatched_followup)
    check_unmatched(cfg, cleaned, link_log, raw)
    logs.append(link_log)
    for w in cfg.wave_ids:
        log.info("wave %s: %d participants after linking to baseline", w,
                 int((long["wave"] == w).sum()))
    long, score_log = score_scales(long, cfg.scales)
    logs.append(score_log)
    qc = concat_logs(logs)
    report_changes(qc)

    # Invariant: per (file, wave), rows read = rows kept + rows logged as dropped.
    for w in cfg.wave_ids:
        n_read = int(meta[w]["n_rows_read"])
        f = str(raw[w]["_source_file"].iloc[0]) if len(raw[w]) else Path(cfg.wave(w).file).name
        check_accounting({f: n_read}, long[long["wave"] == w], qc[qc["wave"] == w])
    if long.empty:
        raise DataError("no participant is left after cleaning; see the QC log.")

    raw_counts = {Path(cfg.wave(w).file).name: int(meta[w]["n_rows_read"]) for w in cfg.wave_ids}
    cov_waves = {k: c.wave for k, c in cfg.covariates.items() if c.wave}
    wide = to_wide(long, list(cfg.scales), list(cfg.covariates), cfg.wave_ids, cov_waves)
    long_out = long.drop(columns=["_source_file", "_source_row"])
    write_parquet(long_out, args.out_long)
    write_parquet(wide, args.out_wide)
    write_table(qc, args.out_qc)
    write_table(quality_summary(raw_counts, long, qc), args.out_quality)
    write_table(reliability_table(long, cfg.scales, cfg.wave_ids), args.out_reliability)
    log.info("clean data: %d participants at baseline; %d QC log rows", len(wide), len(qc))
