"""Tests for pipeline.clean.covariates: categorical answers, codes and SPSS/Stata value labels
matched to the configured levels; a covariate left entirely missing stops the run."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.clean.covariates import check_covariates_present, clean_covariate, match_levels
from pipeline.clean.qc_log import Where
from pipeline.clean.values import Reading
from pipeline.config import Covariate, Wave
from pipeline.errors import DataError

ROOT = Path(__file__).resolve().parents[2]
LEVELS = ("Woman", "Man", "Non-binary / other")
GENDER = Covariate(key="gender", column="gender", type="categorical", levels=LEVELS)
MAPPED = Covariate(
    key="gender", column="gender", type="categorical", levels=LEVELS,
    level_map={"female": "Woman", "2": "Man", "other": "Non-binary / other",
               "Prefer not to say": None},
)
SPSS_LABELS = {"1.0": "Female", "2.0": "Male", "3.0": "Other", "4.0": "Prefer not to say"}
WAVES = (Wave(id="T0", file="t0.sav", months=0), Wave(id="T1", file="t1.sav", months=4))


def test_levels_match_ignoring_case_and_space_and_unknown_answers_are_named():
    m = match_levels(pd.Series([" woman", "Man", "x", None, "n/a"]), GENDER)
    assert m.value.tolist()[:2] == ["Woman", "Man"] and m.value.iloc[2:].isna().all()
    assert m.how.tolist() == ["respelled", "level", "unknown", "blank", "token"]
    assert m.issue.iloc[2] == "not a configured level (levels: Woman, Man, Non-binary / other)"
    assert m.issue.drop(2).isna().all()


def test_level_map_matches_text_and_codes_however_written():
    raw = pd.Series(["FEMALE ", 2, 2.0, "2", "2.0", " prefer NOT to say", "Other"], dtype=object)
    m = match_levels(raw, MAPPED)
    assert m.value.tolist()[:5] == ["Woman", "Man", "Man", "Man", "Man"]
    assert pd.isna(m.value.iloc[5]) and m.how.iloc[5] == "no_answer" and pd.isna(m.issue.iloc[5])
    assert m.value.iloc[6] == "Non-binary / other"
    assert m.via.iloc[0] == "level_map 'female' -> level 'Woman'"


def test_spss_codes_are_matched_through_the_files_value_labels():
    """Issue 13 item 5: codes 1-4 labelled female/male/... in the file."""
    raw = pd.Series([1.0, 2.0, 3.0, 4.0, np.nan, 5.0])
    plain = Covariate(key="gender", column="gender", type="categorical",
                      levels=("Female", "Male", "Other"))
    m = match_levels(raw, plain, value_labels=SPSS_LABELS)
    assert m.value.tolist()[:3] == ["Female", "Male", "Other"]
    assert m.via.iloc[0] == "value label 'Female' (code 1) -> level 'Female'"
    assert m.how.iloc[3] == "unknown"
    assert "value label 'Prefer not to say' (code 4)" in m.issue.iloc[3]
    assert m.how.iloc[5] == "unknown" and m.issue.iloc[5].startswith("not a configured level")
    # labels are then looked up in level_map as well
    mapped = match_levels(raw, MAPPED, value_labels=SPSS_LABELS)
    assert mapped.value.tolist()[:3] == ["Woman", "Man", "Non-binary / other"]
    assert mapped.how.iloc[3] == "no_answer" and pd.isna(mapped.issue.iloc[3])
    # a code that is itself a level_map key wins over the file's label
    assert mapped.how.iloc[1] == "level_map"


def test_configured_missing_words_and_no_levels_keep_answers_as_written():
    m = match_levels(pd.Series(["Refused", "n/a", "Woman"]), GENDER, missing_words=("refused",))
    assert m.how.tolist() == ["token", "unknown", "level"]
    free = Covariate(key="eth", column="eth", type="categorical")
    f = match_levels(pd.Series([1, " Mixed ", None], dtype=object), free,
                     value_labels={1: "White"})
    assert f.value.tolist()[:2] == ["White", "Mixed"] and f.issue.isna().all()


answers = st.one_of(
    st.none(), st.text(max_size=6), st.integers(-3, 9), st.floats(allow_nan=True),
    st.sampled_from(["woman", " MAN ", "female", "2", "2.0", "n/a", "", "Prefer not to say"]),
)
level_maps = st.dictionaries(st.one_of(st.text(max_size=5), st.sampled_from(["1", "2", "x"])),
                             st.one_of(st.none(), st.sampled_from(LEVELS)), max_size=4)
value_labels = st.dictionaries(st.sampled_from([1, 2.0, "3.0", "4", "x"]),
                               st.one_of(st.text(max_size=5), st.sampled_from(LEVELS)),
                               max_size=4)


@settings(max_examples=150, deadline=None)
@given(st.lists(answers, max_size=25), level_maps, value_labels,
       st.one_of(st.none(), st.lists(st.text(max_size=4), max_size=3)))
def test_matcher_never_raises_and_only_gives_configured_levels(cells, lmap, labels, words):
    cov = Covariate(key="g", column="g", type="categorical", levels=LEVELS, level_map=lmap)
    m = match_levels(pd.Series(cells, dtype=object), cov, value_labels=labels,
                     missing_words=None if words is None else tuple(words))
    assert set(m.value.dropna()) <= set(LEVELS)
    assert len(m.value) == len(cells) == len(m.issue) == len(m.how)
    # a cell has an issue exactly when it is an unknown answer, and then no value
    assert (m.issue.notna() == m.how.eq("unknown")).all()
    assert m.value[m.issue.notna()].isna().all()
    assert m.value[m.how.isin(["blank", "token", "no_answer"])].isna().all()


def _where(n: int) -> Where:
    return Where(pd.Series(["t0.sav"] * n), pd.Series(range(2, n + 2)),
                 pd.Series([f"p{i}" for i in range(n)]), "T0")


def test_clean_covariate_logs_each_value_label_recode_once():
    kept = pd.DataFrame({"gender": [1.0, 1.0, 2.0, 4.0, 9.0]})
    reading = Reading(value_labels={"gender": SPSS_LABELS})
    v, logs = clean_covariate(_where(5), kept, MAPPED, reading)
    assert v.tolist()[:3] == ["Woman", "Woman", "Man"] and v.iloc[3:].isna().all()
    log = pd.concat([x for x in logs if x is not None])
    recoded = log[log["action"] == "recoded"].set_index("issue")["original_value"]
    assert recoded["value label 'Female' (code 1) -> level 'Woman' via level_map"] == \
        "2 cells: '1' x2"
    assert recoded["level_map '2' -> level 'Man'"] == "1 cells: '2' x1"
    no_answer = log[log["issue"].str.contains("no answer", na=False)]
    assert no_answer["action"].tolist() == ["set_missing"]
    unknown = log[log["row"] != "all"]
    assert unknown["row"].tolist() == [6] and unknown["original_value"].tolist() == ["9"]


def _cleaned(values, key="gender"):
    return pd.DataFrame({key: pd.Series(values, dtype="string" if key == "gender" else float)})


def test_a_covariate_entirely_missing_stops_the_run_naming_what_was_there():
    """Issue 13 item 5: 642 gender cells set missing and the run went on."""
    raw = {"T0": pd.DataFrame({"gender": [1.0, 2.0, 2.0, 3.0, 4.0] * 3,
                               "_source_file": "t0.sav"}),
           "T1": pd.DataFrame({"_source_file": ["t1.sav"]})}
    cleaned = [_cleaned([None] * 15), _cleaned([None])]
    with pytest.raises(DataError) as exc:
        check_covariates_present(cleaned, raw, waves=WAVES, covariates={"gender": GENDER},
                                 value_labels={"T0": {"gender": SPSS_LABELS}})
    msg = str(exc.value)
    assert "covariate 'gender'" in msg and "column 'gender' of t0.sav (wave T0)" in msg
    assert "15 non-blank cells (as written: '1', '2', '3', '4')" in msg
    assert "1 = 'Female', 2 = 'Male'" in msg and "covariates.gender.level_map" in msg


def test_numeric_and_several_covariates_in_one_message():
    age = Covariate(key="age", column="age", type="numeric", range=(16, 110))
    raw = {"T0": pd.DataFrame({"age": ["16-24", "25-34"], "gender": ["", None],
                               "_source_file": "t0.csv"})}
    cleaned = [pd.DataFrame({"age": [np.nan, np.nan], "gender": pd.Series([None, None],
                                                                           dtype="string")})]
    with pytest.raises(DataError, match="2 covariate") as exc:
        check_covariates_present(cleaned, raw, waves=WAVES[:1],
                                 covariates={"age": age, "gender": GENDER})
    msg = str(exc.value)
    assert "'16-24', '25-34'" in msg and "range [16, 110]" in msg
    assert "column 'gender' of t0.csv (wave T0) is empty in all 2 rows" in msg


def test_the_wave_the_covariate_is_read_from_decides():
    raw = {"T0": pd.DataFrame({"gender": ["x", "Woman"], "_source_file": "t0.csv"})}
    check_covariates_present([_cleaned([None, "Woman"])], raw, waves=WAVES[:1],
                             covariates={"gender": GENDER})
    later = Covariate(key="gender", column="gender", type="categorical", levels=LEVELS, wave="T1")
    check_covariates_present([_cleaned([None]), _cleaned(["Man"])], raw, waves=WAVES,
                             covariates={"gender": later})
    with pytest.raises(DataError, match="no usable value in wave T0"):  # T1's values: not read
        check_covariates_present([_cleaned([None]), _cleaned(["Man"])], raw, waves=WAVES,
                                 covariates={"gender": GENDER})
    check_covariates_present([_cleaned([])], raw, waves=WAVES[:1], covariates={"gender": GENDER})


# --- through the clean stage: value labels from the read metas, covariates, coding shifts ------


def _study(tmp_path, gender_t0, gm_t1):
    """A two-wave study (40 participants) in the core config shape, and its readers' data."""
    import yaml

    from pipeline.clean.settings import from_config
    from pipeline.config import config_from_dict

    raw_cfg = yaml.safe_load((ROOT / "config" / "studies" / "demo.yaml").read_text())
    raw_cfg = {k: raw_cfg[k] for k in ("study", "seed", "pseudonymisation", "id_column",
                                       "label_maps", "cleaning", "disclosure")}
    raw_cfg["waves"] = [{"id": "T0", "file": "t0.sav", "months": 0},
                        {"id": "T1", "file": "t1.sav", "months": 4}]
    raw_cfg["scales"] = {"group_memberships": {"items": ["gm1", "gm2"], "range": [1, 7]}}
    raw_cfg["covariates"] = {"gender": {"column": "gender", "type": "categorical",
                                        "levels": list(LEVELS),
                                        "level_map": {"female": "Woman", "male": "Man"}}}
    s = from_config(config_from_dict(raw_cfg, root=tmp_path, with_sections=False))
    ids = [f"SP{i:04d}" for i in range(40)]
    gm = [1, 2, 3, 4, 5, 6, 7, 7] * 5
    t0 = pd.DataFrame({"participant_id": ids, "gm1": gm, "gm2": gm[::-1], "gender": gender_t0,
                       "_source_file": "t0.sav", "_source_row": range(2, 42)})
    t1 = pd.DataFrame({"participant_id": ids, "gm1": gm_t1, "gm2": gm_t1,
                       "_source_file": "t1.sav", "_source_row": range(2, 42)})
    paths = {}
    for w in ("T0", "T1"):
        paths[w] = tmp_path / f"{w}.sav"
        paths[w].write_text(w)
    return s, {"T0": t0.astype({"gender": float}), "T1": t1}, paths


def _run(s, raw, paths, value_labels=None):
    from pipeline.clean.study import clean_study
    from pipeline.qc import READ_LOG_COLUMNS

    logs = [pd.DataFrame(columns=READ_LOG_COLUMNS) for _ in raw]
    return clean_study(s, raw, logs, {w: len(f) for w, f in raw.items()}, salt="s",
                       wave_paths=paths, value_labels=value_labels)


def test_clean_study_reads_spss_codes_through_value_labels_or_stops(tmp_path):
    codes = [1.0, 2.0, 3.0, 4.0] * 10
    s, raw, paths = _study(tmp_path, codes, [1, 2, 3, 4, 5, 6, 7, 7] * 5)
    labels = {"T0": {"gender": {"1.0": "Female", "2.0": "Male", "3.0": "Non-binary / other",
                                "4.0": "Prefer not to say"}}}
    out = _run(s, raw, paths, labels)
    assert out.wide["gender"].value_counts().to_dict() == {
        "Woman": 10, "Man": 10, "Non-binary / other": 10}
    assert (out.qc["issue"] == "value label 'Female' (code 1) -> level 'Woman' via level_map").any()
    with pytest.raises(DataError, match="covariate 'gender'"):
        _run(s, raw, paths)  # without the file's labels: codes 1-4 are no level at all


def test_clean_study_refuses_a_follow_up_exported_one_code_lower(tmp_path):
    s, raw, paths = _study(tmp_path, [1.0] * 40, [0, 1, 2, 3, 4, 5, 6, 6] * 5)
    labels = {"T0": {"gender": {"1.0": "Female"}}}
    with pytest.raises(DataError, match="group_memberships at T1: codes 0-6"):
        _run(s, raw, paths, labels)
