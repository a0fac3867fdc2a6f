"""Analysis frames, identifiability checks and estimability (pipeline/mediation/frame.py)."""

from __future__ import annotations

import numpy as np
import pytest
from mediation_helpers import complete_case, reference_spec, wide_from_chain

from pipeline.errors import DataError
from pipeline.mediation.frame import (
    chain_data,
    check_design,
    derive_frame,
    estimability,
    model_columns,
)


def _design(wide):
    data = chain_data(wide, reference_spec())
    return data.Z, data.names, "chain"


def test_derive_frame_change_scores_and_dummies():
    wide = wide_from_chain()
    spec = reference_spec()
    frame = derive_frame(wide, spec)
    assert list(frame.columns) == ["group_memberships_change_T0_T1", "age", "gender_Man",
                                   "gender_Non_binary_other", "belonging_T1", "support_T1",
                                   "loneliness_T1", "qol_T1"]
    change = wide["group_memberships_T1"] - wide["group_memberships_T0"]
    np.testing.assert_allclose(frame.iloc[:, 0], change)
    assert set(frame["gender_Man"]) == {0.0, 1.0}
    assert "group_memberships_T0" in model_columns(spec)


def test_absent_level_dummy_is_dropped_with_a_note():
    data = chain_data(wide_from_chain(), reference_spec())
    assert data.names[1:3] == ("age", "gender_Man") and data.n_cov == 2
    assert "Non-binary / other" in data.notes[0]


def test_unknown_category_and_missing_column_raise():
    wide = wide_from_chain()
    wide.loc[0, "gender"] = "Other"
    with pytest.raises(DataError, match="not among its configured levels"):
        derive_frame(wide, reference_spec())
    with pytest.raises(DataError, match=r"\['qol_T1'\] are not in the data"):
        derive_frame(wide_from_chain().drop(columns="qol_T1"), reference_spec())


def not_estimable_message(wide) -> str:
    """The DataError of an analysis becomes a not_estimable status row with its message."""
    res = complete_case(seed=1, B=200).fit(wide, reference_spec())
    assert res.status["status"].iloc[0] == "not_estimable" and res.table.empty
    return res.status["message"].iloc[0]


def test_constant_mediator_is_a_data_error():
    wide = wide_from_chain()
    wide["support_T1"] = 4.0
    with pytest.raises(DataError, match="'support_T1' is constant"):
        check_design(*_design(wide))
    assert "'support_T1' is constant" in not_estimable_message(wide)


def test_mediator_collinear_with_x_raises_data_error():
    wide = wide_from_chain()
    x = wide["group_memberships_T1"] - wide["group_memberships_T0"]
    wide["belonging_T1"] = 2 * x + 1 + 1e-4 * np.random.default_rng(0).normal(size=len(wide))
    with pytest.raises(DataError, match=r"'belonging_T1' is \(almost\) a linear function"):
        check_design(*_design(wide))
    assert "'belonging_T1' is (almost) a linear function" in not_estimable_message(wide)


def test_too_few_complete_cases_is_not_estimable_without_numbers():
    wide = wide_from_chain()
    wide.loc[wide.index[15:], "qol_T1"] = np.nan     # 15 complete cases, 8 coefficients
    # a threshold, not the count (a count beside a range printed elsewhere gives back the few)
    assert "fewer than 17 complete cases" in not_estimable_message(wide)


def test_estimability_rules():
    assert estimability(100, 8, 10, 30) == ("ok", "")
    status, msg = estimability(25, 8, 10, 30)
    assert status == "ok" and "fewer than 30" in msg and "25" not in msg
    assert estimability(17, 8, 10, 30)[0] == "not_estimable"
    assert estimability(18, 8, 10, 30)[0] == "ok"
