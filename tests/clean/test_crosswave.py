"""Cross-wave checks of the clean stage: wrong cohort, same file twice, changed id format, too
many follow-up ids never seen at baseline -- all on one overlap measure (``id_overlap``)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.clean.crosswave import (
    _id_set,
    check_id_format,
    check_id_overlap,
    check_same_file,
    check_unmatched,
    id_overlap,
    id_shape,
)
from pipeline.config import Wave
from pipeline.errors import DataError, InputFileError

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "io"
BASE = [f"SP-{k:04d}" for k in range(1, 101)]


def test_id_overlap_counts_distinct_ids_and_ignores_blanks():
    ov = id_overlap(["a", "b", "c", None, ""], ["a", "a", " b ", "z", float("nan"), pd.NA])
    assert (ov.n_baseline, ov.n_followup, ov.n_shared) == (3, 3, 2)
    assert ov.share == pytest.approx(2 / 3) and ov.n_unmatched == 1
    assert ov.unmatched_share == pytest.approx(1 / 3)


def test_id_overlap_of_an_empty_followup_is_complete():
    ov = id_overlap(["a"], [])
    assert ov.share == 1.0 and ov.unmatched_share == 0.0


def test_id_shape():
    assert id_shape(" SP-0012 ") == "AA-9999"
    assert id_shape("Ab-\u0663\u00e9") == "AA-9\u00e9"  # a non-ASCII digit is a digit too


ID_VALUES = st.one_of(st.text(max_size=8), st.integers(-50, 10**6), st.none(),
                      st.floats(allow_nan=True, allow_infinity=False), st.just(pd.NA))


@given(st.lists(ID_VALUES, max_size=30))
def test_fast_id_set_and_shapes_equal_the_per_id_definitions(ids):
    """The vectorised forms (clean stage at 100,000 ids) give what the definitions say: each
    id not missing, as stripped text, blanks left out; digits -> 9, letters -> A."""
    expected = {str(i).strip() for i in ids if not pd.isna(i) and str(i).strip()}
    assert _id_set(ids) == expected
    assert _id_set(pd.Series(ids, dtype=object)) == expected
    for i in expected:
        assert id_shape(i) == re.sub(r"[A-Za-z]", "A", re.sub(r"\d", "9", i))


def test_id_overlap_ok_returns_share():
    assert check_id_overlap(
        BASE, BASE[:40] + ["SP-9999"], file="T1.csv", wave_id="T1", threshold=0.2
    ) == pytest.approx(40 / 41)


def test_id_overlap_refuses_another_cohort_with_numbers():
    other = [f"SP-{k:04d}" for k in range(500, 560)] + BASE[:5]
    with pytest.raises(InputFileError) as exc:
        check_id_overlap(BASE, other, file="T1.csv", wave_id="T1", threshold=0.2)
    msg = str(exc.value)
    assert (
        "only 5 of wave T1's 65 participant ids (8%)" in msg
        and "(100 ids)" in msg
        and "T1.csv" in msg
    )


def test_id_overlap_threshold_is_configurable():
    check_id_overlap(
        BASE,
        BASE[:5] + ["X"] * 1 + [f"Z{k}" for k in range(60)],
        file="f",
        wave_id="T1",
        threshold=0.05,
    )


def test_same_file_for_two_waves_is_refused(tmp_path):
    a = tmp_path / "T1.csv"
    shutil.copy(FIXTURES / "csv_utf8.csv", a)
    b = tmp_path / "T2_copy.csv"
    shutil.copy(FIXTURES / "csv_utf8.csv", b)
    with pytest.raises(
        InputFileError,
        match=r"wave T1 \(T1.csv\) and wave T2 \(T2_copy.csv\) have identical content",
    ):
        check_same_file([("T0", FIXTURES / "csv_pipe.csv"), ("T1", a), ("T2", b)])


def test_different_files_pass(tmp_path):
    check_same_file(
        [
            ("T0", FIXTURES / "csv_pipe.csv"),
            ("T1", FIXTURES / "csv_utf8.csv"),
            ("T2", tmp_path / "missing.csv"),
        ]
    )


def test_changed_id_format_refused_with_examples_and_diagnosis():
    follow = [str(k) for k in range(1, 40)]
    with pytest.raises(InputFileError) as exc:
        check_id_format(BASE, follow, file="T1.xlsx", wave_id="T1")
    msg = str(exc.value)
    assert "'SP-0001'" in msg and "'1'" in msg
    assert "numbers match" in msg and "format the id column as Text" in msg


def test_same_id_format_passes_even_with_case_differences():
    check_id_format(BASE, [i.lower() for i in BASE[:30]], file="f", wave_id="T1")




def test_pseudonymous_ids_of_another_cohort_are_refused():
    base = [f"p_{k:016x}" for k in range(3)]
    with pytest.raises(InputFileError, match="only 0 of wave T1's 3 participant ids"):
        check_id_overlap(base, ["p_q", "p_r", "p_s"], file="t1.csv", wave_id="T1", threshold=0.2)


WAVES = (Wave("T0", "data/raw/t0.csv", 0), Wave("T1", "data/raw/t1.csv", 3),
         Wave("T2", "data/raw/t2.csv", 6))


def _unmatched_setup(n_bad: int):
    """Baseline SP-0001..SP-0100; 50 at T1 of which the first ``n_bad`` re-typed ("12")."""
    ids0 = [f"SP-{i:04d}" for i in range(1, 101)]
    ids1 = [f"SP-{i:04d}" for i in range(1, 51)]
    ids1 = [str(int(x[3:])) if k < n_bad else x for k, x in enumerate(ids1)]
    raw = {
        "T0": pd.DataFrame({"participant_id": ids0, "_source_row": range(2, 102)}),
        "T1": pd.DataFrame({"participant_id": ids1, "_source_row": range(2, 52)}),
        "T2": pd.DataFrame({"participant_id": [], "_source_row": []}),
    }
    cleaned = [pd.DataFrame({"pid": [i.lower() for i in ids], "_source_row": rows})
               for ids, rows in ((ids0, range(2, 102)), (ids1, range(2, 52)))]
    cleaned.append(pd.DataFrame({"pid": pd.Series([], dtype="string"), "_source_row": []}))
    return cleaned, raw


def test_many_unmatched_followup_ids_are_refused_with_id_patterns():
    cleaned, raw = _unmatched_setup(20)
    with pytest.raises(DataError) as exc:
        check_unmatched(cleaned, raw, waves=WAVES, id_column="participant_id", limit=0.1)
    msg = str(exc.value)
    assert "t1.csv: 20 of the 50" in msg and "(40%)" in msg
    assert "'99' x" in msg and "'AA-9999'" in msg and "= 10%" in msg
    assert "SP-00" not in msg, "raw ids are not printed"


def test_a_few_unmatched_ids_pass_and_the_limit_is_configurable():
    cleaned, raw = _unmatched_setup(3)
    check_unmatched(cleaned, raw, waves=WAVES, id_column="participant_id", limit=0.1)  # 6%
    cleaned, raw = _unmatched_setup(5)
    check_unmatched(cleaned, raw, waves=WAVES, id_column="participant_id", limit=0.1)  # = 10%
    cleaned, raw = _unmatched_setup(20)
    check_unmatched(cleaned, raw, waves=WAVES, id_column="participant_id", limit=0.5)


def test_id_format_refusal_names_the_column_and_shows_ids_as_written():
    """Issue 13: the leading-zeros refusal names the id column and keeps the ids' case."""
    import pytest

    from pipeline.clean.crosswave import check_id_format
    from pipeline.clean.pseudonym import normalise_id
    from pipeline.errors import InputFileError

    base = pd.Series([f"SP-{i:04d}" for i in range(1, 41)])
    follow = pd.Series([str(i) for i in range(1, 31)])
    with pytest.raises(InputFileError) as exc:
        check_id_format(normalise_id(base), normalise_id(follow), file="t1.xlsx", wave_id="T1",
                        id_column="participant_id", shown=(base, follow))
    msg = str(exc.value)
    assert "column 'participant_id'" in msg and "'SP-0001'" in msg and "sp-0001" not in msg


def test_another_cohorts_ids_are_shown_as_written():
    """Issue 13.11: examples keep the case of the file, not the case-folded form."""
    from pipeline.clean.pseudonym import normalise_id

    other = pd.Series([f"AB-{k:04d}" for k in range(500, 560)])
    with pytest.raises(InputFileError) as exc:
        check_id_overlap(BASE, normalise_id(other), file="T1.csv", wave_id="T1",
                         threshold=0.2, shown=other)
    assert "AB-0500" in str(exc.value) and "ab-0500" not in str(exc.value)


def _raw_wave(ids, dates=None):
    n = len(ids)
    return pd.DataFrame({"participant_id": ids, "done": dates if dates is not None else
                         ["2024-01-01"] * n, "_source_row": range(2, n + 2)})


DATED = (Wave("T0", "data/raw/t0.csv", 0, date_column="done"),
         Wave("T1", "data/raw/t1.xlsx", 4, date_column="done"))


def test_id_pattern_repairs_lost_leading_zeros_so_the_format_check_passes(tmp_path):
    """Issue 13.11: ids that Excel turned from 0012 into 12 are re-padded to id_pattern and
    no longer refused as a changed id format; without the pattern they are."""
    from pipeline.clean.crosswave import cross_wave_checks

    raw = {"T0": _raw_wave([f"{k:04d}" for k in range(1, 41)]),
           "T1": _raw_wave([str(k) for k in range(1, 31)])}
    paths = {"T0": tmp_path / "no0.csv", "T1": tmp_path / "no1.csv"}
    kwargs = dict(waves=DATED, wave_paths=paths, id_column="participant_id", min_id_overlap=0.2)
    with pytest.raises(InputFileError, match="written differently from baseline"):
        cross_wave_checks(raw, **kwargs)
    cross_wave_checks(raw, **kwargs, id_pattern=r"\d{4}")


def test_a_wave_where_most_ids_miss_the_pattern_is_refused_naming_ids_as_written():
    from pipeline.clean.crosswave import check_id_pattern
    from pipeline.clean.pseudonym import apply_id_pattern

    ids = pd.Series(["Ab-1", "Ab-2", "Ab-3", "SP0001", None])
    with pytest.raises(InputFileError) as exc:
        check_id_pattern(apply_id_pattern(ids, r"SP\d{4}"), r"SP\d{4}", file="t1.csv",
                         wave_id="T1", id_column="participant_id")
    msg = str(exc.value)
    assert "t1.csv (wave T1): 3 of the 4 participant ids in column 'participant_id'" in msg
    assert "'Ab-1'" in msg and "id_pattern 'SP\\d{4}'" in msg
    few = pd.Series(["Ab-1", "SP0001", "SP0002", "sp3"])
    check_id_pattern(apply_id_pattern(few, r"SP\d{4}"), r"SP\d{4}", file="t1.csv",
                     wave_id="T1", id_column="participant_id")  # 1 of 4: flagged per row only


def test_swapped_waves_are_said_before_any_id_overlap_advice(tmp_path):
    """Issue 13.8: the follow-up export given as baseline and vice versa. The ids overlap too
    little for the overlap check, yet the message is "waves swapped?"."""
    from pipeline.clean.crosswave import cross_wave_checks

    real_t0 = [f"SP-{k:04d}" for k in range(1, 201)]
    t0_dates = [f"2023-{1 + k % 6:02d}-{1 + k % 28:02d}" for k in range(200)]
    real_t1, t1_dates = real_t0[:30], [f"2023-{8 + k % 4:02d}-10" for k in range(30)]
    raw = {"T0": _raw_wave(real_t1, t1_dates), "T1": _raw_wave(real_t0, t0_dates)}
    paths = {"T0": tmp_path / "no0.csv", "T1": tmp_path / "no1.csv"}
    with pytest.raises(InputFileError) as exc:
        cross_wave_checks(raw, waves=DATED, wave_paths=paths, id_column="participant_id",
                          min_id_overlap=0.2)
    msg = str(exc.value)
    assert msg.startswith("waves swapped? t1.xlsx (wave T1") and "t0.csv (wave T0" in msg
    assert "30 of the 30 participants in both waves (100%)" in msg


def test_unmatched_check_says_swapped_when_the_dates_say_so():
    """Issue 13.8: on the unmatched-id path (cleaned waves), swapped dates are named first."""
    cleaned, raw = _unmatched_setup(20)
    late, early = pd.Timestamp("2024-06-01"), pd.Timestamp("2024-01-01")
    cleaned[0] = cleaned[0].assign(date=late)
    cleaned[1] = cleaned[1].assign(date=early)
    cleaned[2] = cleaned[2].assign(date=pd.Series([], dtype="datetime64[ns]"))
    with pytest.raises(InputFileError, match="waves swapped"):
        check_unmatched(cleaned, raw, waves=WAVES, id_column="participant_id", limit=0.1)
    cleaned[1] = cleaned[1].assign(date=late + pd.Timedelta(days=120))
    with pytest.raises(DataError, match="never seen at baseline"):
        check_unmatched(cleaned, raw, waves=WAVES, id_column="participant_id", limit=0.1)


def test_lost_zeros_refusal_suggests_an_id_pattern_only_when_it_would_repair():
    base = [f"SP-{i:04d}" for i in range(1, 41)]
    with pytest.raises(InputFileError) as exc:
        check_id_format(base, [f"SP-{i}" for i in range(1, 31)], file="t1.xlsx", wave_id="T1")
    assert "id_pattern: 'SP-\\d{4}'" in str(exc.value)
    with pytest.raises(InputFileError) as exc:
        check_id_format(base, [str(i) for i in range(1, 31)], file="t1.xlsx", wave_id="T1")
    assert "id_pattern" not in str(exc.value)  # the prefix is gone too: re-padding cannot help
