from __future__ import annotations

import pytest
from conftest import reference_estimates

from pipeline.errors import ModelError
from pipeline.sem.partable import build_partable
from pipeline.sem.syntax import parse_model


def _pt(text, **kw):
    return build_partable(parse_model(text), **kw)


def test_sem_mode_defaults_match_lavaan_rows_and_fixed_flags():
    """Rows, and which are fixed, as lavaan's parTable for the CFA reference model."""
    from conftest import LAVAAN_DIR
    pt = _pt((LAVAAN_DIR / "models" / "cfa_2f.lav").read_text())
    ref = reference_estimates("cfa_2f_fiml")
    ours = pt.table
    assert list(zip(ours.lhs, ours.op, ours.rhs)) == list(zip(ref.lhs, ref.op, ref.rhs))
    assert ((ours.free == 0).to_numpy() == (ref.se == 0).to_numpy()).all()
    assert pt.n_free == 18  # 19 free rows, two share label l2


def test_exogenous_x_are_random_with_covariances():
    pt = _pt("y ~ x1 + x2")
    t = pt.table
    assert pt.ov_x == ["x1", "x2"]
    rows = set(zip(t.lhs, t.op, t.rhs))
    assert {("x1", "~~", "x1"), ("x1", "~~", "x2"), ("x2", "~~", "x2")} <= rows
    assert (t.free > 0).all()  # all free, including x means/variances


def test_auto_cov_y_only_between_pure_outcomes():
    t = _pt("m ~ x\ny1 ~ m\ny2 ~ m").table
    covs = {(a, b) for a, o, b in zip(t.lhs, t.op, t.rhs) if o == "~~" and a != b}
    assert covs == {("y1", "y2")}


def test_lavaan_mode_fixes_default_variances_and_respects_int_ov_free():
    t = _pt("f =~ 1*x1 + 1*x2\nf ~~ f", mode="lavaan", int_ov_free=False).table
    var = t[(t.op == "~~") & t.lhs.isin(["x1", "x2"])]
    assert (var.free == 0).all() and (var.ustart == 0).all()
    assert (t[t.op == "~1"].free == 0).all()
    t2 = _pt("f =~ 1*x1 + 1*x2\nf ~~ f", mode="lavaan", int_ov_free=True).table
    assert (t2[(t2.op == "~1") & t2.lhs.isin(["x1", "x2"])].free > 0).all()


def test_first_loading_fixed_unless_freed_and_single_indicator_rule():
    t = _pt("f =~ NA*x1 + x2 + x3\nf ~~ 1*f").table
    assert (t[t.op == "=~"].free > 0).all()
    t = _pt("g =~ x1\ny ~ g").table
    x1var = t[(t.lhs == "x1") & (t.op == "~~")]
    assert x1var.free.iloc[0] == 0 and x1var.ustart.iloc[0] == 0


def test_shared_labels_share_one_parameter():
    t = _pt("y1 ~ b*x\ny2 ~ b*x").table
    reg = t[t.op == "~"]
    assert reg.free.nunique() == 1 and reg.free.iloc[0] > 0


def test_definition_with_unknown_label_is_refused():
    with pytest.raises(ModelError, match="unknown label"):
        _pt("y ~ a*x\nab := a*b")
    with pytest.raises(ModelError, match="mode"):
        _pt("y ~ x", mode="cfa")
