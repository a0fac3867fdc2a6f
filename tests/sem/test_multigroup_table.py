"""The stacked multi-group model: groups, equality classes (lavaan ``lav_partable_labels``),
stacked syntax and data (pipeline.sem.multigroup_table)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.errors import DataError, ModelError
from pipeline.sem.multigroup_table import (
    equality_classes,
    group_levels,
    readable,
    stacked_frame,
    stacked_syntax,
)
from pipeline.sem.partable import build_partable
from pipeline.sem.syntax import parse_model

MED = "m ~ a*x\ny ~ b*m + x\nind := a*b"
CFA = "f =~ i1 + i2 + i3\nf ~ z"


def _pt(text, mode="sem"):
    return build_partable(parse_model(text), mode=mode)


def _rows(pt, free, g, op=None):
    tab = pt.table
    sel = np.ones(len(tab), bool) if op is None else (tab["op"] == op).to_numpy()
    return free[g, sel]


def test_groups_in_order_of_first_appearance_missing_dropped():
    df = pd.DataFrame({"s": ["b", None, "a", "b", "c", np.nan]})
    groups = group_levels(df, "s", None, "m")
    assert groups.labels == ["b", "a", "c"]
    assert [r.tolist() for r in groups.rows] == [[0, 3], [2], [4]]
    assert groups.n_missing == 2


def test_groups_follow_categories_and_group_order():
    df = pd.DataFrame({"s": pd.Categorical(["b", "a", "b"], categories=["z", "a", "b"])})
    assert group_levels(df, "s", None, "m").labels == ["a", "b"]   # empty category skipped
    num = pd.DataFrame({"arm": [2, 1, 2, 1]})
    groups = group_levels(num, "arm", [1, 2], "m")
    assert groups.labels == ["1", "2"]
    assert groups.rows[0].tolist() == [1, 3]
    coded = pd.DataFrame({"arm": [1.0, np.nan, 0.0, 1.0]})     # 0/1 with a missing value
    groups = group_levels(coded, "arm", [0.0, 1.0], "m")
    assert groups.labels == ["0", "1"] and groups.n_missing == 1
    assert groups.rows[1].tolist() == [0, 3]


@pytest.mark.parametrize("order, match", [(["a"], "in the data but not in group_order"),
                                          (["a", "b", "c"], "without cases"),
                                          (["a", "a", "b"], "twice")])
def test_group_order_must_list_every_group_once(order, match):
    df = pd.DataFrame({"s": ["a", "b"]})
    with pytest.raises((DataError, ModelError), match=match):
        group_levels(df, "s", order, "m")


def test_one_group_or_no_column_is_refused():
    with pytest.raises(DataError, match="at least 2"):
        group_levels(pd.DataFrame({"s": ["a", "a"]}), "s", None, "m")
    with pytest.raises(DataError, match="did you mean 'scheme'"):
        group_levels(pd.DataFrame({"scheme": ["a", "b"]}), "schem", None, "m")


def test_free_model_has_a_copy_per_group():
    pt = _pt(MED)
    free, shared = equality_classes(pt, 3)
    n = pt.n_free
    assert free.max() == 3 * n
    assert (free[1][free[1] > 0] == free[0][free[0] > 0] + n).all()
    assert not shared.any()


def test_regressions_equal_keeps_everything_else_free():
    pt = _pt(MED)
    free, shared = equality_classes(pt, 2, ("regressions",))
    reg = (pt.table["op"] == "~").to_numpy()
    assert (free[0, reg] == free[1, reg]).all() and shared[:, reg].all()
    assert (free[0, ~reg & (free[0] > 0)] != free[1, ~reg & (free[1] > 0)]).all()
    assert free.max() == 2 * pt.n_free - reg.sum()


def test_partial_and_label_routes():
    pt = _pt(MED)
    free_p, _ = equality_classes(pt, 2, ("regressions",), ("y ~ x",))
    tab = pt.table
    yx = ((tab["lhs"] == "y") & (tab["rhs"] == "x")).to_numpy()
    assert free_p[0, yx] != free_p[1, yx]
    free_l, _ = equality_classes(pt, 2, ("a", "b"))
    assert (free_l == free_p).all()


def test_intercepts_and_residuals_spare_the_exogenous_x():
    """lavaan: "intercepts" / "residuals" apply to ov.nox only (x's mean / variance stay free)."""
    pt = _pt(MED)
    free, shared = equality_classes(pt, 2, ("intercepts", "residuals"))
    tab = pt.table
    for r, f0, f1 in zip(tab.itertuples(), free[0], free[1], strict=True):
        if r.op in ("~1", "~~") and r.lhs == "x":
            assert f0 != f1
        elif r.op in ("~1", "~~"):
            assert f0 == f1


def test_scalar_invariance_frees_latent_means_of_later_groups():
    pt = _pt(CFA)
    tab = pt.table
    lv_mean = ((tab["op"] == "~1") & (tab["lhs"] == "f")).to_numpy()
    free, _ = equality_classes(pt, 3, ("loadings", "intercepts"))
    assert free[0, lv_mean] == 0 and (free[1:, lv_mean] > 0).all()
    assert free[1, lv_mean] != free[2, lv_mean]
    free_m, _ = equality_classes(pt, 3, ("loadings", "intercepts", "means"))
    assert (free_m[:, lv_mean] == 0).all()
    free_l, _ = equality_classes(pt, 3, ("loadings",))
    assert (free_l[:, lv_mean] == 0).all()


def test_unknown_requests_are_refused_with_the_choices():
    pt = _pt(MED)
    with pytest.raises(ModelError, match="neither a lavaan group.equal keyword.*'a', 'b'"):
        equality_classes(pt, 2, ("regression",))
    with pytest.raises(ModelError, match="group_partial entry 'y ~ z'"):
        equality_classes(pt, 2, ("regressions",), ("y ~ z",))


def test_stacked_syntax_round_trips_to_the_same_table():
    pt = _pt("f =~ i1 + 0.8*i2 + start(0.5)*i3\nf ~ c*z")
    free, _ = equality_classes(pt, 2, ("loadings",))
    text = stacked_syntax(pt, free)
    assert "i2__g2" in text and "0.8*" in text and "start(0.5)*" in text
    back = build_partable(parse_model(text), mode="lavaan").table
    assert len(back) == 2 * len(pt.table)
    np.testing.assert_array_equal(back["free"].to_numpy(), free.ravel())
    fixed = back["free"] == 0
    np.testing.assert_array_equal(back.loc[fixed, "ustart"],
                                  np.tile(pt.table["ustart"], 2)[fixed.to_numpy()])


def test_readable_names_groups():
    assert readable("negative variance m__g2 ~~ m__g2", ["A", "B"]) == (
        "negative variance m [B] ~~ m [B]")


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(0, 2), min_size=1, max_size=20),
       st.lists(st.one_of(st.none(), st.floats(-5, 5)), min_size=20, max_size=20))
def test_stacked_frame_puts_each_value_in_its_group_block(codes, vals):
    frames = [pd.DataFrame({"u": [v for c, v in zip(codes, vals) if c == g],
                            "w": [1.0 for c in codes if c == g]}) for g in range(3)]
    out = stacked_frame(frames, ["u", "w"])
    assert list(out.columns) == ["u__g1", "w__g1", "u__g2", "w__g2", "u__g3", "w__g3"]
    start = 0
    for g, f in enumerate(frames):
        block = out.iloc[start:start + len(f)]
        np.testing.assert_array_equal(block[f"u__g{g + 1}"].to_numpy(),
                                      f["u"].to_numpy(dtype=float, na_value=np.nan))
        others = [c for c in out.columns if not c.endswith(f"__g{g + 1}")]
        assert block[others].isna().all().all()
        start += len(f)
