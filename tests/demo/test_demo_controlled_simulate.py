"""pipeline.demo.controlled_simulate: reproducible frames, Ns per arm, the planted defects,
the column types of each file format."""

from __future__ import annotations

import pandas as pd
import pytest

from pipeline.demo.controlled_layout import ARMS, DEFECT_PLAN, ITEM_COLUMNS
from pipeline.demo.controlled_simulate import simulate_controlled


def _canon(ids: pd.Series) -> pd.Series:
    return ids.fillna("").astype(str).str.strip().str.upper()


def test_same_seed_same_frames_other_seed_differs():
    a, b = simulate_controlled(11, 200), simulate_controlled(11, 200)
    for w in a.frames:
        pd.testing.assert_frame_equal(a.frames[w], b.frames[w])
    pd.testing.assert_frame_equal(a.defects, b.defects)
    assert not a.frames["T0"].equals(simulate_controlled(12, 200).frames["T0"])


def test_too_small_n_is_refused():
    with pytest.raises(ValueError, match="n >= 150"):
        simulate_controlled(1, 100)


def test_ns_per_arm(controlled_study):
    lat = controlled_study.latent
    t0 = lat[(lat.wave == "T0") & lat.responded]
    assert t0.groupby("arm").size().to_dict() == {ARMS[0]: 500, ARMS[1]: 250}
    t1 = lat[(lat.wave == "T1") & lat.responded]
    assert len(t1) == 270 and t1["arm"].eq(ARMS[1]).sum() >= 60
    base = set(_canon(controlled_study.frames["T0"]["participant_id"])) - {""}
    assert len(base) == 750  # the T0 extra has no id; duplicates share one


def test_every_planned_defect_is_planted(controlled_study):
    d = controlled_study.defects
    counts = d.groupby(["wave", "defect"]).size().to_dict()
    for w, plan in DEFECT_PLAN.items():
        for kind, spec in plan.items():
            want = sum(c for _, c in spec) if kind in ("text_label", "level_spelling",
                                                       "user_missing") else (
                len(spec) if isinstance(spec, list) else spec)
            assert counts.get((w, kind), 0) == want, (w, kind)


def test_defects_are_where_the_manifest_says(controlled_study):
    f, d = controlled_study.frames, controlled_study.defects
    for _, r in d.iterrows():
        row = f[r.wave].iloc[r.data_row - 1]
        if r.defect in ("text_label", "level_spelling"):
            assert row[r.column] == r.value
        if r.defect == "level_spelling":
            assert row[r.column] not in ARMS
            assert row[r.column].strip().lower() in {a.lower() for a in ARMS}
        if r.defect in ("out_of_range", "user_missing"):
            assert float(row[r.column]) == float(r.value)
        if r.defect == "missing_date":
            assert pd.isna(row["completed_at"])


def test_column_types_per_format(controlled_study):
    f = controlled_study.frames
    assert f["T0"]["arm"].dropna().str.strip().str.lower().isin(
        [a.lower() for a in ARMS]).all()
    assert str(f["T1"]["gp_visits"].dtype) == "Int64"
    assert pd.api.types.is_datetime64_any_dtype(f["T1"]["completed_at"])
    assert f["T2"]["gp_visits"].dtype == float
    assert set(f["T2"]["gender"].dropna().unique()) <= {1.0, 2.0, 3.0}
    vals = pd.to_numeric(f["T1"]["gp_visits"], errors="coerce").dropna()
    assert (vals >= 0).all() and (vals == vals.round()).all()
    for w in f:  # the items, then (T0, T1) the group listing's columns
        cols = [c for c in f[w].columns if not c.startswith("grp_")]
        assert cols[-len(ITEM_COLUMNS):] == list(ITEM_COLUMNS)


def test_reformatted_ids_still_match_their_baseline_id(controlled_study):
    """id_format defects differ by case / white space only (the SC- prefix included), so a
    cleaner that trims and case-folds finds every one at baseline."""
    d = controlled_study.defects
    ids = d[d.defect == "id_format"]
    assert len(ids) == 5
    for value, canonical in zip(ids["value"], ids["canonical_id"]):
        assert value != canonical and value.strip().upper() == canonical
    base = set(_canon(controlled_study.frames["T0"]["participant_id"]))
    assert set(_canon(pd.Series(ids["value"].tolist()))) <= base
