"""Clean a whole study: every wave cleaned, linked to baseline, scored, with one QC trail.

Steps (each a function of its own module):

1. cross-wave checks on the readers' data (:func:`pipeline.clean.crosswave.cross_wave_checks`:
   ids against ``id_pattern``, swapped waves, id format, id overlap); follow-up scales coded
   a whole code off the baseline refused (:func:`pipeline.clean.coding.check_coding_shifts`);
2. each wave cleaned (:func:`pipeline.clean.cleaner.clean_wave`), its reader log given pids;
   follow-ups completed before the participant's baseline refused or logged
   (:func:`pipeline.clean.timeorder.check_time_order`, ``cleaning.time_order``); a covariate
   left with no usable value refused (:func:`pipeline.clean.covariates.check_covariates_present`);
3. follow-up waves linked to baseline (:func:`pipeline.clean.link.link_waves`) and too many
   unmatched ids refused (:func:`pipeline.clean.crosswave.check_unmatched`);
4. scales scored (:func:`pipeline.clean.score.score_scales`); group listings' derived counts
   (groups maintained, gained, lost; :func:`pipeline.clean.listings.add_listings`);
5. row accounting per wave (:func:`pipeline.clean.link.check_accounting`), the wide table, the
   data-quality summary and reliability (alpha, omega) per scale and wave.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from pipeline.clean.cleaner import clean_wave
from pipeline.clean.coding import check_coding_shifts
from pipeline.clean.covariates import check_covariates_present
from pipeline.clean.crosswave import check_unmatched, cross_wave_checks
from pipeline.clean.link import check_accounting, link_waves, to_wide
from pipeline.clean.listings import add_listings
from pipeline.clean.qc_log import concat_logs, reader_log, with_pids
from pipeline.clean.quality import quality_summary
from pipeline.clean.score import score_scales
from pipeline.clean.settings import CleanSettings
from pipeline.clean.timeorder import check_time_order
from pipeline.clean.values import Reading
from pipeline.config_listings import GroupListing
from pipeline.errors import DataError
from pipeline.stats.reliability import reliability_table

__all__ = ["CleanStudy", "clean_study", "report_changes"]

log = logging.getLogger("pipeline.clean")


@dataclass(frozen=True)
class CleanStudy:
    """The clean stage's tables: ``long`` (one row per participant and wave, with provenance
    columns), ``wide`` (one row per baseline participant), the QC log, the data-quality summary
    and the reliability table."""

    long: pd.DataFrame
    wide: pd.DataFrame
    qc: pd.DataFrame
    quality: pd.DataFrame
    reliability: pd.DataFrame


CONFLICT = ("duplicate id whose dropped row's answers differ from the kept row's: check that "
            "the id is one person's")


def report_changes(qc: pd.DataFrame, limit: int = 25,
                   qc_path: str = "the clean stage's qc_log.csv") -> None:
    """Say on the terminal (and in the rule log) what cleaning set missing or dropped, counted by
    wave, column and reason, so that nothing changes silently; details are in the QC log."""
    acted = qc[qc["action"].isin(["set_missing", "row_dropped"])]
    if acted.empty:
        return
    issue = acted["issue"].astype(str)
    conflict = issue.str.match(r"^duplicate id:.*; answers differ from row")
    issue = issue.str.replace(r"^duplicate id:.*", "duplicate id", regex=True)
    acted = acted.assign(issue=issue.mask(conflict, CONFLICT))
    counts = acted.groupby(["wave", "action", "column", "issue"], dropna=False).size()
    log.warning("cleaning changed %d cell(s)/row(s); see %s:", len(acted), qc_path)
    for (wave, action, column, issue), n in list(counts.items())[:limit]:
        what = "rows dropped" if action == "row_dropped" else f"cells of '{column}' set missing"
        log.warning("  wave %s: %d %s (%s)", wave, n, what, issue)
    if len(counts) > limit:
        log.warning("  ... and %d more kinds (see the QC log)", len(counts) - limit)


def _clean_waves(s: CleanSettings, raw: dict[str, pd.DataFrame], read_logs: list[pd.DataFrame],
                 salt: str, value_labels: dict[str, dict] | None = None,
                 ) -> tuple[list[pd.DataFrame], list[pd.DataFrame]]:
    """Step 2: (cleaned waves, their QC logs: reader log with pids, then the cleaner's)."""
    cleaned, logs = [], []
    for i, w in enumerate(s.waves):
        reading = Reading(missing_words=s.cleaning.missing_words,
                          value_labels=(value_labels or {}).get(w.id) or {})
        cw = clean_wave(
            raw[w.id], wave_id=w.id, wave_index=i, months=w.months, id_column=s.id_column,
            scales=s.scales, covariates=s.covariates, date_column=w.date_column,
            salt=salt, is_baseline=i == 0, duplicates=s.cleaning.duplicates,
            min_answered=s.cleaning.min_answered, id_pattern=s.cleaning.id_pattern,
            reading=reading,
        )
        cleaned.append(cw.data)
        logs.append(with_pids(reader_log(read_logs[i], w.id, s.id_column), cw.data, cw.log))
        logs.append(cw.log)
        log.info("wave %s: %d rows in, %d after cleaning (before linking to baseline)", w.id,
                 len(raw[w.id]), len(cw.data))
    return cleaned, logs


def _refuse_empty_baseline(s: CleanSettings, raw: dict[str, pd.DataFrame], baseline: pd.DataFrame,
                           qc: pd.DataFrame) -> None:
    """A baseline wave with nobody left after cleaning cannot start a study: say why (rows
    without an id, rows without an answer, ...) instead of writing analyses of nobody."""
    if len(baseline):
        return
    w = s.waves[0]
    file = (str(raw[w.id]["_source_file"].iloc[0]) if len(raw[w.id]) else Path(w.file).name)
    dropped = qc[(qc["wave"] == w.id) & (qc["action"] == "row_dropped")]
    why = dropped["issue"].astype(str).str.replace(r" \(.*", "", regex=True).value_counts()
    reasons = "; ".join(f"{n} {issue}" for issue, n in why.items()) or "no rows were read"
    # (no QC log is written when the stage stops here: the message says what it would hold)
    advice = (f"Check id_column ('{s.id_column}'), the scales' items and the export.")
    if any("no answers" in str(issue) for issue in why.index):
        advice = ("Its rows answer no item of the configured scales: if this wave (a REDCap "
                  "event, a form) holds no scale items, e.g. an enrolment or demographics form, "
                  "leave it out of `waves:` and start the waves at the first one that has them "
                  "(a covariate can still be read from it with `covariates.<name>.event`); "
                  "otherwise check the scales' item names against the export's columns. "
                  + advice)
    raise DataError(
        f"{file} (wave {w.id}, baseline): none of its {len(raw[w.id])} row(s) is left after "
        f"cleaning ({reasons}). {advice}"
    )


def _check_accounting(s: CleanSettings, raw: dict[str, pd.DataFrame], rows_read: dict[str, int],
                      long: pd.DataFrame, qc: pd.DataFrame) -> None:
    """Invariant: per (file, wave), rows read = rows kept + rows logged as dropped (rows of a
    long file that no wave takes are the file's: ``link.file_level_rows``, ``quality``)."""
    for w in s.waves:
        f = str(raw[w.id]["_source_file"].iloc[0]) if len(raw[w.id]) else Path(w.file).name
        check_accounting({f: rows_read[w.id]}, long[long["wave"] == w.id], qc[qc["wave"] == w.id])
    if long.empty:
        raise DataError("no participant is left after cleaning; see the QC log.")


def _unasked(listings: Mapping[str, GroupListing], waves: list[str]) -> list[str]:
    """Wide columns of derived listing counts at waves that could not have them (a wave that
    did not ask the listing; maintained / gained / lost at entry)."""
    out = []
    for lst in listings.values():
        count, *changes = lst.derived
        out += [f"{count}_{w}" for w in waves if w not in lst.waves]
        out += [f"{c}_{w}" for c in changes for w in waves if w not in lst.waves[1:]]
    return out


def clean_study(
    s: CleanSettings,
    raw: dict[str, pd.DataFrame],
    read_logs: list[pd.DataFrame],
    rows_read: dict[str, int],
    *,
    salt: str,
    wave_paths: dict[str, Path],
    value_labels: dict[str, dict] | None = None,
    listings: Mapping[str, GroupListing] | None = None,
    qc_path: str = "the clean stage's qc_log.csv",
) -> CleanStudy:
    """Steps 1-5 of the module docstring.

    ``raw``: wave id -> the reader's data; ``read_logs``: the readers' logs in wave order;
    ``rows_read``: wave id -> ``n_rows_read`` of its read meta; ``wave_paths``: wave id -> its
    export (for the same-file check); ``value_labels``: wave id -> its read meta's
    ``value_labels`` (SPSS/Stata; for categorical covariates); ``listings``: the config's
    ``group_listings`` (derived columns in ``long`` and ``wide``, :mod:`.listings`);
    ``qc_path``: where the QC log will be written, for the terminal's summary of changes.
    """
    cross_wave_checks(raw, waves=s.waves, wave_paths=wave_paths, id_column=s.id_column,
                      min_id_overlap=s.cleaning.min_id_overlap, id_pattern=s.cleaning.id_pattern)
    check_coding_shifts(raw, waves=s.waves, scales=s.scales,
                        missing_words=s.cleaning.missing_words)
    cleaned, logs = _clean_waves(s, raw, read_logs, salt, value_labels)
    _refuse_empty_baseline(s, raw, cleaned[0], concat_logs(logs))
    check_covariates_present(cleaned, raw, waves=s.waves, covariates=s.covariates,
                             value_labels=value_labels)
    logs.append(check_time_order(cleaned, raw, waves=s.waves, id_column=s.id_column,
                                 mode=s.cleaning.time_order))
    long, link_log = link_waves(cleaned, unmatched_followup=s.cleaning.unmatched_followup)
    check_unmatched(cleaned, raw, waves=s.waves, id_column=s.id_column,
                    limit=s.cleaning.max_unmatched_share)
    logs.append(link_log)
    for w in s.wave_ids:
        log.info("wave %s: %d participants after linking to baseline", w,
                 int((long["wave"] == w).sum()))
    long, score_log = score_scales(long, s.scales)
    logs.append(score_log)
    long, listing_log = add_listings(long, raw, listings or {}, s.cleaning.missing_words)
    logs.append(listing_log)
    qc = concat_logs(logs)
    report_changes(qc, qc_path=qc_path)
    _check_accounting(s, raw, rows_read, long, qc)

    raw_counts = {(w.id, Path(w.file).name): rows_read[w.id] for w in s.waves}  # per wave
    cov_waves = {k: c.wave for k, c in s.covariates.items() if c.wave}
    derived = [d for lst in (listings or {}).values() for d in lst.derived]
    wide = to_wide(long, list(s.scales) + derived, list(s.covariates), s.wave_ids, cov_waves)
    wide = wide.drop(columns=_unasked(listings or {}, s.wave_ids))
    return CleanStudy(
        long=long.drop(columns=["_source_file", "_source_row"]),
        wide=wide,
        qc=qc,
        quality=quality_summary(raw_counts, long, qc),
        reliability=reliability_table(long, s.scales, s.wave_ids),
    )
