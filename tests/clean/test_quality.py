"""Tests for pipeline.clean.quality."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.clean.cleaner import clean_wave, concat_logs, link_waves
from pipeline.clean.quality import QUALITY_COLUMNS, log_counts, quality_summary
from pipeline.config import Scale

SC = {"s": Scale(key="s", items=("a", "b"), range=(1.0, 5.0), reverse=("b",), min_items=1)}


def _wave(ids, a, file, wave, index):
    raw = pd.DataFrame(
        {
            "id": ids,
            "a": a,
            "b": ["2"] * len(ids),
            "_source_file": file,
            "_source_row": np.arange(2, len(ids) + 2),
        }
    )
    return clean_wave(
        raw,
        wave_id=wave,
        wave_index=index,
        months=float(index),
        id_column="id",
        scales=SC,
        covariates={},
        date_column=None,
        salt="s",
        is_baseline=index == 0,
    )


def test_log_counts_uses_summary_counts():
    log = pd.DataFrame(
        {"row": [3, "all", "all"], "original_value": ["x", "12 cells", "3 cells: 'n/a' x3"]}
    )
    assert log_counts(log).tolist() == [1, 12, 3]


def test_quality_summary():
    t0 = _wave(["A", "B", "B", "", "C"], ["1", "9", "n/a", "2", "x"], "t0.csv", "T0", 0)
    t1 = _wave(["A", "Z"], ["3", "4"], "t1.csv", "T1", 1)
    long, llog = link_waves([t0.data, t1.data])
    log = concat_logs([t0.log, t1.log, llog])
    q = quality_summary({"t0.csv": 5, "t1.csv": 2}, long, log)
    assert list(q.columns) == QUALITY_COLUMNS
    def get(w, f, m, r=""):
        return q[(q.wave == w) & (q.file == f) & (q.measure == m) & (q.reason == r)]["n"].sum()

    assert get("T0", "t0.csv", "rows_read") == 5
    assert get("T0", "t0.csv", "rows_kept") == 3
    assert get("T0", "t0.csv", "rows_dropped", "missing id") == 1
    assert get("T0", "t0.csv", "rows_dropped", "duplicate id") == 1
    assert get("T0", "t0.csv", "duplicates_resolved") == 1
    assert get("T0", "t0.csv", "cells_set_missing", "out of range [1, 5]") == 1
    assert get("T0", "t0.csv", "cells_set_missing", "not a number") == 1
    assert get("T0", "t0.csv", "cells_set_missing", "missing-value text") == 1
    assert get("T0", "t0.csv", "cells_recoded", "reverse keyed: 6 - x") == 4
    assert get("T1", "t1.csv", "rows_dropped", "id not seen at baseline (T0)") == 1
    assert get("T0", "all", "participants") == 3 and get("T1", "all", "participants") == 1
    for f, n in {"t0.csv": 5, "t1.csv": 2}.items():
        kept = q[(q.file == f) & (q.measure == "rows_kept")]["n"].sum()
        dropped = q[(q.file == f) & (q.measure == "rows_dropped")]["n"].sum()
        assert kept + dropped == n
    assert "p_" not in q.to_csv()  # no pseudonymous (or raw) ids


def test_long_file_counts_per_wave_and_per_file(tmp_path):
    """A REDCap file feeding two waves: rows read per wave, the whole file once (wave "all")
    with its unused-event and covariate-source rows, and the identity per file."""
    from pipeline.clean.link import check_accounting
    from pipeline.clean.qc_log import reader_log, with_pids
    from tests.ingest.test_filerows import COVS, LONG_WAVES, _config, _ingest_all, redcap_long

    path = redcap_long(tmp_path / "long.csv")
    out = _ingest_all(_config(path, LONG_WAVES, COVS), path)
    cleaned, logs = [], []
    for i, (w, r) in enumerate(out.items()):
        raw = r.data.rename(columns={"record_id": "id"}).assign(a=r.data["q1"], b=r.data["q2"])
        cw = clean_wave(raw, wave_id=w, wave_index=i, months=float(i), id_column="id",
                        scales=SC, covariates={}, date_column=None, salt="s",
                        is_baseline=i == 0)
        cleaned.append(cw.data)
        logs += [with_pids(reader_log(r.log, w, "record_id"), cw.data, cw.log), cw.log]
        check_accounting({"long.csv": r.meta["n_rows_read"]}, cw.data,
                         concat_logs([reader_log(r.log, w, "record_id"), cw.log]))
    long, llog = link_waves(cleaned)
    q = quality_summary({(w, "long.csv"): r.meta["n_rows_read"] for w, r in out.items()}, long,
                        concat_logs([*logs, llog]))

    def get(w, m, r=None):
        sel = q[(q.wave == w) & (q.file == "long.csv") & (q.measure == m)]
        return int(sel[sel.reason == r]["n"].sum() if r is not None else sel["n"].sum())

    assert get("T0", "rows_read") == 5 and get("T1", "rows_read") == 3
    assert get("all", "rows_read") == 17
    assert get("all", "rows_dropped", "event not used (dose_arm_1)") == 2
    assert get("all", "rows_covariate_source") == 4 and get("all", "skipped") == 1
    assert get("T0", "rows_dropped") == 1  # the contact-log row of visit 1
    file_level = sum(get("all", m) for m in ("rows_dropped", "rows_covariate_source", "skipped"))
    assert get("all", "rows_read") == get("T0", "rows_read") + get("T1", "rows_read") + file_level
    for w in ("T0", "T1"):
        assert get(w, "rows_read") == get(w, "rows_kept") + get(w, "rows_dropped")


def test_rule_exclusions_counted_per_rule_not_per_value():
    long = pd.DataFrame({"wave": ["T0"], "pid": ["p1"], "_source_file": ["q.csv"],
                         "_source_row": [2]})
    log = concat_logs([pd.DataFrame({
        "file": "q.csv", "row": [3, 4, 5], "pid": None, "wave": "T0", "column": "Progress",
        "original_value": ["40", "55", "0"], "action": "row_dropped",
        "issue": ["excluded by rule 'Progress < 100' (Progress = 40)",
                  "excluded by rule 'Progress < 100' (Progress = 55)",
                  "excluded by rule 'Finished == 0' (Finished = 0)"]})])
    q = quality_summary({("T0", "q.csv"): 4}, long, log)
    dropped = q[q.measure == "rows_dropped"].set_index("reason")["n"].to_dict()
    assert dropped == {"excluded by rule 'Progress < 100'": 2,
                       "excluded by rule 'Finished == 0'": 1}
    assert not (q.wave == "all").any()  # a plain file gets no whole-file rows


def test_reasons_with_dates_or_counts_are_pooled():
    from pipeline.clean.quality import _reason

    issues = pd.Series(["no answers (0 of 17 items answered)",
                        "no answers (1 of 17 items answered; cleaning.min_answered = 2)",
                        "completed before baseline (2023-01-04 < 2023-02-10)",
                        "duplicate id: tie, kept", None])
    assert _reason(issues).tolist() == ["no answers", "no answers", "completed before baseline",
                                        "duplicate id", "(no reason given)"]
