"""pipeline.stats.fiml_means against lavaan 0.6 (FIML wave means with auxiliary variables).

Reference: tests/fixtures/change_fiml/make_reference.R (lavaan ``sem(..., missing = "ml",
fixed.x = FALSE)`` with every covariance written out, ``estimator = "ML"`` and ``"MLR"``; the
``qol_aux_semtools`` case is ``semTools::auxiliary()`` on the outcome-only model), values in
reference.csv. Data: fiml_wide.csv (the demo study's wide scores, MAR dropout).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipeline.errors import DataError
from pipeline.stats.fiml_means import FIML_COLUMNS, fiml_change, fiml_wave_means

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "change_fiml"
WAVES = ("T0", "T1", "T2")


def _cols(s: str) -> list[str]:
    return [f"{s}_{w}" for w in WAVES]


AUX_ALL = _cols("loneliness") + _cols("group_memberships") + ["age", "gender_man"]
CASES = {  # case -> (outcomes, auxiliaries, se)
    "qol_noaux_standard": ({"qol": _cols("qol")}, [], "standard"),
    "qol_aux_standard": ({"qol": _cols("qol")}, AUX_ALL, "standard"),
    "qol_aux_mlr": ({"qol": _cols("qol")}, AUX_ALL, "robust"),
    "joint_mlr": ({"qol": _cols("qol"), "loneliness": _cols("loneliness")},
                  _cols("group_memberships") + ["age", "gender_man"], "robust"),
}


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    return pd.read_csv(FIXTURE / "fiml_wide.csv")


@pytest.fixture(scope="module")
def reference() -> pd.DataFrame:
    return pd.read_csv(FIXTURE / "reference.csv")


def _labelled(table: pd.DataFrame, outcomes: dict) -> pd.DataFrame:
    """The table with lavaan's labels (m<i>_<k> means, d<i>_<k> contrasts) as index."""
    keys = list(outcomes)
    labels = []
    for r in table.itertuples():
        i, k = keys.index(r.outcome), outcomes[r.outcome].index(r.column)
        labels.append(f"{'m' if r.kind == 'mean' else 'd'}{i}_{k}")
    return table.assign(label=labels).set_index("label")


@pytest.mark.parametrize("case", list(CASES))
def test_matches_lavaan(case, data, reference):
    outcomes, aux, se = CASES[case]
    got = _labelled(fiml_wave_means(data, outcomes, aux, se=se), outcomes)
    ref = reference[reference["case"] == case].set_index("label")
    assert set(got.index) == set(ref.index)
    ref = ref.loc[got.index]
    assert (got["status"] == "ok").all()
    for col in ("est", "ci_lower", "ci_upper"):
        np.testing.assert_allclose(got[col], ref[col], rtol=1e-5, atol=1e-5, err_msg=col)
    np.testing.assert_allclose(got["se"], ref["se"], rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(got["sd"], ref["sd"], rtol=1e-5)
    np.testing.assert_allclose(got["pvalue"], ref["pvalue"], rtol=1e-3, atol=1e-6)
    assert (got["n_contributing"] == ref["n_contributing"]).all()


@pytest.mark.parametrize("copies", [1, 2])
@pytest.mark.parametrize("case", ["qol_aux_standard", "joint_mlr"])
def test_newton_steps_match_lavaan(case, copies, data, reference, monkeypatch):
    """A model linear in its parameters (these saturated ones) is fitted by Newton steps on the
    observed information (pipeline.sem.estimate.fisher_scoring). The fixture's 630 rows (and
    written twice, 1,260 cases: the same ML estimates, standard errors 1/sqrt(2) of lavaan's,
    bread and meat both double): held against the lavaan reference, in a handful of steps
    where scoring and BFGS took ~400 on the demo's 630 and ~150 at 100,000 cases."""
    import pipeline.sem.fit as fit_module

    steps = []
    real = fit_module.fisher_scoring

    def counted(*args, **kwargs):
        opt = real(*args, **kwargs)
        steps.append(opt.iterations)
        return opt

    monkeypatch.setattr(fit_module, "fisher_scoring", counted)
    outcomes, aux, se = CASES[case]
    many = pd.concat([data] * copies, ignore_index=True)
    got = _labelled(fiml_wave_means(many, outcomes, aux, se=se), outcomes)
    ref = reference[reference["case"] == case].set_index("label").loc[got.index]
    assert (got["status"] == "ok").all()
    np.testing.assert_allclose(got["est"], ref["est"], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(got["se"] * np.sqrt(copies), ref["se"], rtol=1e-4, atol=1e-5)
    assert (got["n_contributing"] == copies * ref["n_contributing"]).all()
    assert steps and max(steps) <= 15, steps


def test_saturated_correlates_equals_semtools_auxiliary(data, reference):
    """Graham's saturated correlates (semTools::auxiliary) is the saturated model here."""
    got = _labelled(fiml_wave_means(data, {"qol": _cols("qol")}, AUX_ALL, se="standard"),
                    {"qol": _cols("qol")})
    ref = reference[reference["case"] == "qol_aux_semtools"].set_index("label").loc[got.index]
    np.testing.assert_allclose(got["est"], ref["est"], rtol=1e-5)
    np.testing.assert_allclose(got["se"], ref["se"], rtol=1e-4)


def test_auxiliaries_move_the_estimate(data):
    """Under MAR dropout the auxiliaries matter (the test could fail if they were ignored)."""
    plain = fiml_change(data, _cols("qol"), [], se="standard")
    aux = fiml_change(data, _cols("qol"), AUX_ALL, se="standard")
    d_plain = plain.loc[plain["kind"] == "contrast", "est"].to_numpy()
    d_aux = aux.loc[aux["kind"] == "contrast", "est"].to_numpy()
    assert np.all(np.abs(d_plain - d_aux) > 0.5)


def test_table_shape_and_counts(data):
    out = fiml_change(data, _cols("qol"), AUX_ALL, conf=0.9)
    assert list(out.columns) == FIML_COLUMNS
    assert list(out["kind"]) == ["mean"] * 3 + ["contrast"] * 2
    assert list(out["term"][3:]) == ["qol_T1 - qol_T0", "qol_T2 - qol_T0"]
    assert out["se_type"].eq("robust").all() and out["conf"].eq(0.9).all()
    assert list(out["n_observed"][:3]) == [int(data[c].notna().sum()) for c in _cols("qol")]
    both = int((data["qol_T1"].notna() & data["qol_T0"].notna()).sum())
    assert out["n_observed"].iloc[3] == both
    # 90% CI: est +/- 1.645 se
    r = out.iloc[3]
    assert r["ci_upper"] - r["est"] == pytest.approx(1.6448536 * r["se"], rel=1e-6)


def test_useless_auxiliary_left_out_and_said(data):
    d = data.assign(const=1.0, empty=np.nan)
    out = fiml_change(d, _cols("qol"), ["loneliness_T0", "const", "empty"])
    assert out["n_auxiliaries"].eq(1).all()
    assert "const" in out["message"].iloc[0] and "empty" in out["message"].iloc[0]


def test_auxiliary_constant_among_late_responders_left_out(data):
    """A rare category nobody observed at T2 belongs to: covariance not identified -> left out."""
    rare = np.where(data["qol_T2"].isna() & (np.arange(len(data)) % 25 == 0), 1.0, 0.0)
    out = fiml_change(data.assign(rare=rare), _cols("qol"), ["loneliness_T0", "rare"])
    assert out["status"].eq("ok").all() and out["n_auxiliaries"].eq(1).all()
    assert "rare (no variation among the people observed on qol_T2)" in out["message"].iloc[0]


def test_refuses_text_and_missing_columns(data):
    with pytest.raises(DataError, match="not numeric"):
        fiml_change(data.assign(g="a"), _cols("qol"), ["g"])
    with pytest.raises(DataError, match="not in the data"):
        fiml_change(data, _cols("qol"), ["nope"])
    with pytest.raises(DataError, match="two wave columns"):
        fiml_change(data, ["qol_T0"], [])
