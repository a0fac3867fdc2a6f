"""pipeline.demo.defects: every planted defect is in the frames, as many as planned, and the
manifest points at the right rows."""

from __future__ import annotations

import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

import pipeline.demo as demo
from pipeline.demo.defects import id_variant, label_variant


def _canon(ids: pd.Series) -> pd.Series:
    """Normalised ids (trim, upper case); '' for a missing or blank id."""
    return ids.fillna("").astype(str).str.strip().str.upper()


def _numeric_cells(frame: pd.DataFrame, col: str) -> pd.Series:
    return pd.to_numeric(
        frame[col].where(frame[col].map(lambda v: not isinstance(v, str))), errors="coerce"
    )


def test_variants_cycle_and_keep_the_canonical_form():
    assert [label_variant("Some of the time", k) for k in range(5)] == [
        "Some of the time",
        "some of the time",
        "SOME OF THE TIME",
        " Some of the time ",
        "Some Of The Time",
    ]
    ids = [id_variant("SP-0042", k) for k in range(6)]
    assert ids == ["sp-0042 ", " SP-0042", "Sp-0042", "sp-0042", "SP-0042  ", " sp-0042"]
    assert {i.strip().upper() for i in ids} == {"SP-0042"}


def test_duplicates_and_id_defects(study):
    f, d = study.frames, study.defects
    counts = d.groupby(["wave", "defect"]).size().to_dict()
    base = set(_canon(f["T0"]["participant_id"])) - {""}
    for w, expected in [("T0", 3), ("T1", 2), ("T2", 0)]:
        ids = _canon(f[w]["participant_id"])
        dup_ids = ids[ids.duplicated() & (ids != "")].unique()
        assert len(dup_ids) == expected == counts.get((w, "duplicate_submission"), 0)
        for pid in dup_ids:
            answered = f[w].loc[ids == pid, list(demo.ITEM_COLUMNS)].notna().sum(axis=1)
            assert answered.min() < answered.max()
    for w, expected in [("T1", 4), ("T2", 2)]:
        raw = f[w]["participant_id"].dropna().astype(str)
        odd = raw[(raw != raw.str.strip().str.upper()) & raw.str.strip().str.upper().isin(base)]
        assert len(odd) == expected == counts[(w, "id_format")]
        assert odd.str.strip().str.upper().isin(set(f["T0"]["participant_id"].dropna())).all()
    assert f["T0"]["participant_id"].isna().sum() == 1
    assert (f["T1"]["participant_id"].astype(str).str.strip() == "").sum() == 1
    for w, expected in [("T1", 2), ("T2", 1)]:
        ids = set(_canon(f[w]["participant_id"])) - {""}
        assert len(ids - base) == expected == counts[(w, "unmatched_followup")]
    assert f["T0"]["completed_at"].isna().sum() == 1
    assert f["T1"]["completed_at"].isna().sum() == 1
    assert f["T2"]["completed_at"].isna().sum() == 0


def test_cell_defects(study, demo_cfg):
    f, d = study.frames, study.defects
    counts = d.groupby(["wave", "defect"]).size().to_dict()
    for w in demo.WAVES:
        n_bad = 0
        for sc in demo_cfg.scales.values():
            lo, hi = sc.range
            for it in sc.items:
                v = _numeric_cells(f[w], it)
                n_bad += int(((v < lo) | (v > hi)).sum() - (v == -99).sum())
        assert (
            n_bad == counts.get((w, "out_of_range"), 0) == len(demo.DEFECT_PLAN[w]["out_of_range"])
        )
    assert (_numeric_cells(f["T0"], "eq_vas") == 150).sum() == 1
    texts = [(it, v) for it in demo.ITEM_COLUMNS for v in f["T0"][it] if isinstance(v, str)]
    assert len(texts) == 12 == counts[("T0", "text_label")]
    for it, v in texts:
        sc = next(s for s in demo_cfg.scales.values() if it in s.items)
        assert v.strip().lower() in {k.lower() for k in sc.label_map}, v
    assert any(v not in demo.AGREE7 + demo.UCLA3 for _, v in texts), "no odd-case labels planted"
    for w in ("T1", "T2"):
        assert not any(isinstance(v, str) for it in demo.ITEM_COLUMNS for v in f[w][it])
    assert (
        int((f["T2"][list(demo.ITEM_COLUMNS)] == -99).sum().sum())
        == 3
        == counts[("T2", "user_missing")]
    )


def test_manifest_points_at_the_rows(study):
    f, d = study.frames, study.defects
    assert len(d) < 0.01 * sum(fr.size for fr in f.values())
    assert list(d.columns[:4]) == ["wave", "file", "data_row", "participant_id"]
    for _, r in d.iterrows():
        row = f[r["wave"]].iloc[r["data_row"] - 1]
        assert r["file"] == demo.FILES[r["wave"]]
        if r["defect"] in {"id_format", "unmatched_followup", "duplicate_submission"}:
            assert row["participant_id"] == r["participant_id"]
        if r["defect"] in {"text_label", "out_of_range", "user_missing"}:
            assert str(row[r["column"]]).removesuffix(".0") == r["value"]


@given(prefix=st.from_regex(r"[A-Z]{1,4}", fullmatch=True), num=st.integers(1, 9999),
       k=st.integers(0, 50))
def test_id_variants_of_any_prefix_normalise_to_the_canonical_id(prefix, num, k):
    """Every study's ids (SP- for the demo, SC- for demo_controlled) keep their prefix: a
    variant differs by case and white space only."""
    pid = f"{prefix}-{num:04d}"
    assert id_variant(pid, k).strip().upper() == pid
