"""Tests for pipeline.clean.study: the whole clean stage on a small two-wave study (empty rows,
time order, ids as written, id_pattern; issue 13 items 3, 8 and 11)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml

from pipeline.clean.settings import from_config
from pipeline.clean.study import clean_study
from pipeline.config import config_from_dict
from pipeline.errors import InputFileError
from pipeline.qc import READ_LOG_COLUMNS

ROOT = Path(__file__).resolve().parents[2]
N = 30


def _settings(tmp_path, **cleaning):
    raw_cfg = yaml.safe_load((ROOT / "config" / "studies" / "demo.yaml").read_text())
    raw_cfg = {k: raw_cfg[k] for k in ("study", "seed", "pseudonymisation", "id_column",
                                       "label_maps", "disclosure")}
    raw_cfg["cleaning"] = {k: v for k, v in cleaning.items() if k != "id_pattern"}
    if "id_pattern" in cleaning:
        raw_cfg["id_pattern"] = cleaning["id_pattern"]
    raw_cfg["waves"] = [{"id": "T0", "file": "t0.csv", "months": 0, "date_column": "done"},
                        {"id": "T1", "file": "t1.csv", "months": 4, "date_column": "done"}]
    raw_cfg["scales"] = {"gm": {"items": ["gm1", "gm2"], "range": [1, 7]}}
    return from_config(config_from_dict(raw_cfg, root=tmp_path, with_sections=False))


def _wave(file, ids, gm, dates):
    return pd.DataFrame({"participant_id": ids, "gm1": gm, "gm2": gm, "done": dates,
                         "_source_file": file, "_source_row": range(2, len(ids) + 2)})


def _study(t1_ids=None, t1_gm=None, t1_dates=None):
    ids = [f"SP{i:04d}" for i in range(N)]
    t0 = _wave("t0.csv", ids, ["4"] * N, ["2024-01-10"] * N)
    t1 = _wave("t1.csv", t1_ids or ids, t1_gm or ["5"] * N, t1_dates or ["2024-05-10"] * N)
    return {"T0": t0, "T1": t1}


def _run(tmp_path, raw, **cleaning):
    s = _settings(tmp_path, **cleaning)
    paths = {}
    for w in raw:
        paths[w] = tmp_path / f"{w}.csv"
        paths[w].write_text(w)
    logs = [pd.DataFrame(columns=READ_LOG_COLUMNS) for _ in raw]
    return clean_study(s, raw, logs, {w: len(f) for w, f in raw.items()}, salt="s",
                       wave_paths=paths)


def test_empty_followup_rows_are_not_responses_and_are_counted(tmp_path):
    """Issue 13.3: REDCap-style empty event rows: dropped, logged, counted, responded false."""
    gm = ["5"] * (N - 4) + ["", "", "n/a", ""]
    out = _run(tmp_path, _study(t1_gm=gm))
    assert int(out.wide["responded_T1"].sum()) == N - 4
    dropped = out.qc[(out.qc["action"] == "row_dropped") & (out.qc["wave"] == "T1")]
    assert dropped["issue"].tolist() == ["no answers (0 of 2 items answered)"] * 4
    assert dropped["original_value"].tolist() == ["(no answers)"] * 4
    q = out.quality
    no_answers = q[(q["wave"] == "T1") & (q["measure"] == "rows_dropped")
                   & q["reason"].str.startswith("no answers")]
    assert int(no_answers["n"].sum()) == 4
    assert q.set_index(["wave", "measure"]).loc[("T1", "participants"), "n"] == N - 4


def test_followup_before_baseline_is_refused_or_logged(tmp_path):
    dates = ["2024-05-10"] * (N - 2) + ["2023-12-01", "2024-01-04"]
    with pytest.raises(InputFileError, match=r"2 follow-up row\(s\) were completed before"):
        _run(tmp_path, _study(t1_dates=dates))
    out = _run(tmp_path, _study(t1_dates=dates), time_order="log")
    flagged = out.qc[out.qc["issue"].astype(str).str.startswith("completed before baseline")]
    assert flagged["issue"].tolist() == ["completed before baseline (2023-12-01 < 2024-01-10)",
                                         "completed before baseline (2024-01-04 < 2024-01-10)"]
    assert (flagged["action"] == "flagged").all() and flagged["row"].tolist() == [N, N + 1]
    assert bool(out.wide["responded_T1"].all())  # kept


def test_swapped_wave_files_are_named_before_the_unmatched_advice(tmp_path):
    """Issue 13.8: the T1 export given for T0 and vice versa (fewer people at "baseline")."""
    ids = [f"SP{i:04d}" for i in range(N)]
    raw = {"T0": _wave("t1.csv", ids[:8], ["5"] * 8, ["2024-05-10"] * 8),
           "T1": _wave("t0.csv", ids, ["4"] * N, ["2024-01-10"] * N)}
    with pytest.raises(InputFileError, match=r"^waves swapped\? t1.csv \(wave T1"):
        _run(tmp_path, raw)


def test_unmatched_rows_logged_by_row_and_lost_zeros_are_repadded(tmp_path):
    """Issue 13.11: id_pattern re-pads ids that lost zeros; the QC log names rows, never ids."""
    t1_ids = [f"SP{i:04d}" for i in range(3, N)] + ["SP1", "sp2", "XY-77"]
    raw = _study(t1_ids=t1_ids)
    out = _run(tmp_path, raw, max_unmatched_share=0.5)
    unmatched = out.qc[out.qc["issue"].astype(str).str.startswith("id not seen at baseline")]
    assert len(unmatched) == 3
    out = _run(tmp_path, _study(t1_ids=t1_ids), max_unmatched_share=0.5, id_pattern=r"SP\d{4}")
    unmatched = out.qc[out.qc["issue"].astype(str).str.startswith("id not seen at baseline")]
    assert len(unmatched) == 1
    repadded = out.qc[out.qc["issue"] == "id re-padded to id_pattern"]
    assert repadded["original_value"].tolist() == ["(re-padded)", "(re-padded)"]
    assert not out.qc.astype(str).apply(lambda c: c.str.contains("XY-77|SP1|sp2")).any().any()
    assert int(out.wide["responded_T1"].sum()) == N - 1
    assert not out.long.astype(str).apply(lambda c: c.str.contains("SP0", case=False)).any().any()


def test_a_baseline_with_no_scale_answers_says_what_to_do():
    """Found on a real REDCap longitudinal export whose first event is an enrolment form: the
    message pointed to a QC log that is not written when the stage stops, with the literal path
    "results/<study>/...", and did not say that the event holds no scale items."""
    from types import SimpleNamespace

    from pipeline.clean.study import _refuse_empty_baseline
    from pipeline.errors import DataError

    s = SimpleNamespace(waves=[SimpleNamespace(id="T0", file="data.csv")], id_column="study_id")
    raw = {"T0": pd.DataFrame({"_source_file": ["data.csv"] * 2})}
    qc = pd.DataFrame({"wave": ["T0", "T0"], "action": ["row_dropped"] * 2,
                       "issue": ["no answers", "no answers"]})
    with pytest.raises(DataError) as e:
        _refuse_empty_baseline(s, raw, pd.DataFrame(), qc)
    msg = str(e.value)
    assert msg.startswith("data.csv (wave T0, baseline): none of its 2 row(s) is left after "
                          "cleaning (2 no answers).")
    assert "leave it out of `waves:`" in msg and "<study>" not in msg and "qc_log" not in msg
