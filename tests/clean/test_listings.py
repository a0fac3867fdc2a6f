"""pipeline.clean.listings: groups maintained, gained and lost from entry / follow-up group
listings (config ``group_listings``): the derivation's identities (property tests), a missing
listing is missing and never 0, unreadable answers are logged, and the whole clean stage
carries the derived columns into long and wide."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from pipeline.clean.listings import derive_changes, read_listing
from pipeline.clean.settings import from_config
from pipeline.clean.study import clean_study
from pipeline.config import config_from_dict
from pipeline.config_listings import GroupListing
from pipeline.errors import InputFileError
from pipeline.qc import READ_LOG_COLUMNS

ROOT = Path(__file__).resolve().parents[2]
BOXES = GroupListing("groups", "Groups", ("T0", "T1"), columns=("g_sport", "g_faith", "g_art"),
                     none_column="g_none")
TEXT = GroupListing("groups", "Groups", ("T0", "T1"), column="groups",
                    options=("Sport", "Faith", "Art"), delimiter=";")


@st.composite
def _pair(draw):
    n, k = draw(st.integers(1, 12)), draw(st.integers(1, 6))
    a = draw(arrays(float, (n, k), elements=st.sampled_from([0.0, 1.0])))
    b = draw(arrays(float, (n, k), elements=st.sampled_from([0.0, 1.0])))
    miss_a = draw(arrays(bool, n))
    miss_b = draw(arrays(bool, n))
    a[miss_a], b[miss_b] = np.nan, np.nan
    return a, b, miss_a | miss_b


@settings(max_examples=200, deadline=None)
@given(_pair())
def test_derived_counts_add_up_and_missing_stays_missing(pair):
    a, b, missing = pair
    d = derive_changes(a, b)
    for v in d.values():
        assert np.isnan(v[missing]).all()  # a missing listing at either wave: never 0
        assert not np.isnan(v[~missing]).any()
    ok = ~missing
    assert np.array_equal(d["maintained"][ok] + d["lost"][ok], np.nansum(a, axis=1)[ok])
    assert np.array_equal(d["maintained"][ok] + d["gained"][ok], np.nansum(b, axis=1)[ok])
    back = derive_changes(b, a)  # gained one way is lost the other
    assert np.array_equal(back["gained"][ok], d["lost"][ok])
    assert (d["maintained"][ok] >= 0).all() and (d["gained"][ok] <= a.shape[1]).all()


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(st.sampled_from(["1", "0", "", "yes", "no", 1.0, 0.0, np.nan, "2"]),
                         min_size=4, max_size=4), min_size=1, max_size=15))
def test_indicator_reading_never_turns_unanswered_or_unreadable_into_zero(cells):
    raw = pd.DataFrame(cells, columns=[*BOXES.columns, "g_none"], dtype=object)
    m, issues = read_listing(raw, BOXES)
    ticked = raw.map(lambda v: str(v) in ("1", "yes", "1.0"))
    unticked = raw.map(lambda v: str(v) in ("0", "no", "0.0"))
    unreadable = raw.map(lambda v: str(v) == "2").any(axis=1)
    both = ticked["g_none"] & ticked[list(BOXES.columns)].any(axis=1)
    groups = list(BOXES.columns)  # an unticked "none" box alone is not an answer
    answered = (ticked[groups] | unticked[groups]).any(axis=1) | ticked["g_none"]
    expect_missing = ~answered | unreadable | both
    assert m.isna().any(axis=1).equals(expect_missing)
    assert (m.dropna().to_numpy() == ticked[list(BOXES.columns)][~expect_missing]
            .to_numpy()).all()
    logged = pd.concat([i.notna() for i in issues.values()], axis=1).any(axis=1)
    assert logged.equals(unreadable | both)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(st.sampled_from(["Sport", " faith ", "ART", "Chess"]), max_size=3)
                .map(";".join), min_size=1, max_size=12))
def test_text_reading_matches_options_and_logs_unknown_groups(texts):
    raw = pd.DataFrame({"groups": texts})
    m, issues = read_listing(raw, TEXT, ("", "n/a", "none"))
    for i, t in enumerate(texts):
        toks = {x.strip().lower() for x in t.split(";") if x.strip()}
        if not toks or "chess" in toks:
            assert m.iloc[i].isna().all()
            assert (issues["groups"].iloc[i] is not None) == ("chess" in toks)
        else:
            assert list(m.iloc[i]) == [float(o.lower() in toks) for o in TEXT.options]


def test_none_of_these_is_an_answer_of_no_groups():
    raw = pd.DataFrame({"groups": ["None", "none of these", "", "n/a", "Sport; none"]})
    m, issues = read_listing(raw, TEXT, ("", "n/a", "none"))  # "none" also a missing word
    assert m.iloc[0].tolist() == [0, 0, 0] and m.iloc[1].tolist() == [0, 0, 0]
    assert m.iloc[2:].isna().all(axis=1).all()
    assert "'none' beside a group" in issues["groups"].iloc[4]
    boxes = pd.DataFrame({"g_sport": ["", 1], "g_faith": ["", ""], "g_art": ["", ""],
                          "g_none": [1, ""]})
    m, _ = read_listing(boxes, BOXES)
    assert m.to_numpy().tolist() == [[0, 0, 0], [1, 0, 0]]  # blank = unticked when answered


# ---- the whole clean stage ---------------------------------------------------------------

def _settings(tmp_path, listing):
    raw_cfg = yaml.safe_load((ROOT / "config" / "studies" / "demo.yaml").read_text())
    raw_cfg = {k: raw_cfg[k] for k in ("study", "seed", "pseudonymisation", "id_column",
                                       "disclosure")}
    raw_cfg["waves"] = [{"id": "T0", "file": "t0.csv", "months": 0},
                        {"id": "T1", "file": "t1.csv", "months": 4}]
    raw_cfg["scales"] = {"gm": {"items": ["gm1"], "range": [1, 7]}}
    raw_cfg["group_listings"] = {"groups": listing}
    cfg = config_from_dict(raw_cfg, root=tmp_path, with_sections=False)
    return from_config(cfg), cfg.group_listings


def _wave(file, boxes):
    n = len(boxes)
    d = pd.DataFrame(boxes, columns=["g_sport", "g_faith", "g_art"], dtype=object)
    d.insert(0, "participant_id", [f"SP{i:03d}" for i in range(n)])
    d["gm1"] = "4"
    return d.assign(_source_file=file, _source_row=range(2, n + 2))


def _clean(tmp_path, raw, listing):
    s, listings = _settings(tmp_path, listing)
    paths = {}
    for w in raw:
        paths[w] = tmp_path / f"{w}.csv"
        paths[w].write_text(w)
    logs = [pd.DataFrame(columns=READ_LOG_COLUMNS) for _ in raw]
    return clean_study(s, raw, logs, {w: len(f) for w, f in raw.items()}, salt="s",
                       wave_paths=paths, listings=listings)


def test_clean_stage_derives_maintained_gained_lost_per_person(tmp_path):
    t0 = _wave("t0.csv", [[1, 1, ""], [1, "", ""], ["", "", ""], [1, "", ""], [1, 2, ""]])
    t1 = _wave("t1.csv", [[1, "", 1], ["", "", ""], [1, "", ""], [0, 0, 0], [1, "", ""]])
    out = _clean(tmp_path, {"T0": t0, "T1": t1}, {"columns": ["g_sport", "g_faith", "g_art"]})
    w = out.wide
    assert w["groups_count_T0"].tolist()[:2] == [2, 1] and np.isnan(w["groups_count_T0"][2])
    assert w["groups_count_T1"].tolist()[::3] == [2, 0]
    assert w["groups_maintained_T1"].tolist()[0] == 1  # sport kept
    assert w["groups_gained_T1"].tolist()[0] == 1  # art joined
    assert w["groups_lost_T1"].tolist()[0] == 1  # faith left
    assert w.loc[3, ["groups_maintained_T1", "groups_gained_T1", "groups_lost_T1"]].tolist() \
        == [0, 0, 1]  # explicit zeros: an answer of no groups
    for person in (1, 2, 4):  # nothing ticked at T1; nothing at T0; unreadable "2" at T0
        assert w.loc[person, ["groups_maintained_T1", "groups_gained_T1"]].isna().all()
    assert "groups_maintained_T0" not in w.columns
    qc = out.qc
    cell = qc[(qc["action"] == "set_missing") & (qc["column"] == "g_faith")]
    assert cell["row"].tolist() == [6] and cell["original_value"].tolist() == ["2"]
    summary = qc[(qc["action"] == "score_missing") & qc["column"].astype(str)
                 .str.startswith("groups")]
    said = dict(zip(summary["wave"] + " " + summary["issue"], summary["original_value"]))
    assert said == {
        "T0 score missing: group listing not answered (nothing ticked)": "1 participants",
        "T1 score missing: group listing not answered (nothing ticked)": "1 participants",
        "T1 score missing: no group listing at entry (T0) to compare with": "2 participants"}


def test_a_listing_column_missing_from_a_wave_file_names_file_and_column(tmp_path):
    t0 = _wave("t0.csv", [[1, 1, ""]] * 3)
    t1 = _wave("t1.csv", [[1, 1, ""]] * 3).drop(columns="g_art")
    with pytest.raises(InputFileError, match=r"t1.csv \(wave T1\): no column\(s\) \['g_art'\]"):
        _clean(tmp_path, {"T0": t0, "T1": t1}, {"columns": ["g_sport", "g_faith", "g_art"]})


def test_without_listings_the_clean_data_are_unchanged(tmp_path):
    t0 = _wave("t0.csv", [[1, 1, ""]] * 3)
    t1 = _wave("t1.csv", [[1, 1, ""]] * 3)
    s, _ = _settings(tmp_path, {"columns": ["g_sport"]})
    logs = [pd.DataFrame(columns=READ_LOG_COLUMNS)] * 2
    out = clean_study(s, {"T0": t0, "T1": t1}, logs, {"T0": 3, "T1": 3}, salt="s",
                      wave_paths={"T0": tmp_path / "a", "T1": tmp_path / "b"})
    assert not [c for c in out.wide.columns if c.startswith("groups")]
