"""pipeline.comparison.frame: the programme indicator, centred covariates, auxiliaries."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from two_arm_study import two_arm_wide

from pipeline.comparison.frame import ARM, build_design
from pipeline.errors import DataError

TYPES = {"age": "numeric", "gender": "categorical", "arm": "categorical"}
LEVELS = {"gender": ["Woman", "Man"], "arm": ["Social prescribing", "Usual care"]}
SCALES, WAVES = ["loneliness", "group_memberships"], ["T0", "T1", "T2"]


def _design(wide, **kw):
    args = dict(group="arm", reference="Usual care", programme=None, adjust_for=["age", "gender"],
                covariate_types=TYPES, covariate_levels=LEVELS, scales=SCALES, waves=WAVES,
                outcomes=["loneliness"])
    return build_design(wide, **(args | kw))


def test_programme_is_one_and_covariates_are_centred():
    wide = two_arm_wide(120, 1)
    d = _design(wide)
    f = d.frame
    assert (d.reference, d.programme) == ("Usual care", "Social prescribing")
    assert (f[ARM] == (wide["arm"] == "Social prescribing").astype(float)).all()
    assert d.covariates == ("age", "gender_lvl2")
    assert f["age"].mean() == pytest.approx(0, abs=1e-12)
    assert f["gender_lvl2"].mean() == pytest.approx(0, abs=1e-12)
    assert f["age"].isna().sum() == wide["age"].isna().sum()  # missing stays missing (FIML)
    assert d.auxiliaries == tuple(f"group_memberships_{w}" for w in WAVES)


def test_given_centre_is_used_for_completed_data_sets():
    wide = two_arm_wide(120, 1)
    d = _design(wide, centre={"age": 50.0, "gender_lvl2": 0.5})
    assert np.allclose(d.frame["age"] + 50.0, wide["age"], equal_nan=True)


def test_unknown_arm_is_left_out_and_counted():
    wide = two_arm_wide(120, 1)
    wide.loc[[3, 4], "arm"] = None
    d = _design(wide)
    assert len(d.frame) == 118 and d.dropped == 2


@pytest.mark.parametrize("arms,words", [
    (["A", "B", "C"], "3 arm(s)"), (["A", "A", "A"], "1 arm(s)")])
def test_not_two_arms_in_the_data_is_a_data_error(arms, words):
    wide = two_arm_wide(30, 1)
    wide["arm"] = (arms * 10)[:30]
    with pytest.raises(DataError) as err:
        _design(wide, reference=None)
    assert words in str(err.value) and "'arm'" in str(err.value)


def test_reference_nobody_is_in_is_a_data_error():
    wide = two_arm_wide(30, 1)
    with pytest.raises(DataError, match="reference arm 'Control'"):
        _design(wide, reference="Control")


def test_auxiliary_none_and_list():
    wide = two_arm_wide(60, 1)
    assert _design(wide, auxiliary="none").auxiliaries == ()
    d = _design(wide, auxiliary=["group_memberships_T0"])
    assert d.auxiliaries == ("group_memberships_T0",)
    assert isinstance(d.frame, pd.DataFrame)
