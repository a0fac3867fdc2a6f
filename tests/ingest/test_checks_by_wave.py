"""Per-wave ingest checks with the wave known: every shifted scale named at once, a declared
``range_by_wave`` respected (codes and SPSS value labels), configured "no answer" words."""

from __future__ import annotations

import pandas as pd
import pytest

from pipeline.config import Scale
from pipeline.errors import InputFileError
from pipeline.ingest.checks import (
    check_label_answers,
    check_scale_coding,
    check_text_answers,
    coding_shift_problem,
)
from pipeline.ingest.labels import value_label_problems

AGREE = {"Strongly disagree": 1.0, "Disagree": 2.0, "Agree": 6.0, "Strongly agree": 7.0}
GM = Scale(key="gm", items=("gm1", "gm2"), range=(1.0, 7.0), label_map=AGREE,
           range_by_wave={"T1": (0.0, 6.0)})
CB = Scale(key="cb", items=("cb1",), range=(1.0, 7.0))
SHIFTED = [0, 1, 2, 3, 4, 5, 6] * 5  # 0-6: five zeros, no 7


def test_every_shifted_item_and_scale_is_named_in_one_message():
    data = pd.DataFrame({"gm1": SHIFTED, "gm2": SHIFTED, "cb1": SHIFTED})
    with pytest.raises(InputFileError) as exc:
        check_scale_coding(data, {"gm": GM, "cb": CB}, file="t2.csv", wave="T2")
    msg = str(exc.value)
    assert msg.startswith("t2.csv: 4 item(s)/scale(s) whose coding looks shifted")
    for name in ("column 'gm1'", "column 'gm2'", "column 'scale gm (gm1, gm2)'", "column 'cb1'"):
        assert name in msg
    assert "range_by_wave" in msg


def test_a_declared_wave_range_is_checked_against_that_range():
    data = pd.DataFrame({"gm1": SHIFTED, "gm2": SHIFTED})
    check_scale_coding(data, {"gm": GM}, file="t1.csv", wave="T1")  # declared 0-6: fine
    with pytest.raises(InputFileError, match="column 'gm1'"):
        check_scale_coding(data, {"gm": GM}, file="t0.csv", wave="T0")
    with pytest.raises(InputFileError):
        check_scale_coding(data, {"gm": GM}, file="t1.csv")  # wave unknown: the scale's range
    one_up = pd.DataFrame({"gm1": [x + 1 for x in SHIFTED] * 1, "gm2": [1, 2, 3, 4, 5, 6, 7] * 5})
    with pytest.raises(InputFileError, match="answers run 1-7 .* configured range is 0-6"):
        check_scale_coding(one_up, {"gm": GM}, file="t1.csv", wave="T1")


def test_missing_codes_are_not_answers_in_the_shift_check():
    coded = Scale(key="cb", items=("cb1",), range=(1.0, 7.0), missing_codes=(0.0,))
    data = pd.DataFrame({"cb1": [0] * 10 + [1, 2, 3, 4, 5, 6] * 3})
    check_scale_coding(data, {"cb": coded}, file="t0.csv")
    assert coding_shift_problem(data["cb1"], column="cb1", lo=1, hi=7) is not None


def test_configured_missing_words_replace_the_default_set():
    df = pd.DataFrame({"gm1": ["Refused", "n/a", "Agree"], "_source_row": [2, 3, 4]})
    assert check_text_answers(df, {"gm1": AGREE}) == [
        "column 'gm1': 'Refused' (1x, rows 2) is not in the label map"]
    assert check_text_answers(df, {"gm1": AGREE}, missing_words=("refused",)) == [
        "column 'gm1': 'n/a' (1x, rows 3) is not in the label map"]
    with pytest.raises(InputFileError, match="'n/a'"):
        check_label_answers(df, {"gm": GM}, file="t.csv", missing_words=("REFUSED ",))


def test_value_labels_of_a_declared_wave_range_are_compared_after_the_shift():
    labels = {"gm1": {"0.0": "Strongly disagree", "1.0": "Disagree", "6.0": "Strongly agree"}}
    conflicts, unknown = value_label_problems(labels, {}, {"gm": GM}, "T1")
    assert conflicts == [] and unknown == []
    conflicts, _ = value_label_problems(labels, {}, {"gm": GM}, "T0")
    assert len(conflicts) == 3
    assert "has code 0 in the file but 1 in the config" in conflicts[0]
    wrong = {"gm1": {"1.0": "Strongly disagree"}}
    conflicts, _ = value_label_problems(wrong, {}, {"gm": GM}, "T1")
    assert conflicts == ["column 'gm1': value label 'Strongly disagree' has code 1 in the file "
                         "(2 after range_by_wave) but 1 in the config label map"]
