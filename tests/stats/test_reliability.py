"""Tests for pipeline.stats.reliability against psych 2.2.9.

Reference values: tests/fixtures/psych/make_reference.R.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pipeline.config import Scale
from pipeline.stats.reliability import (
    RELIABILITY_COLUMNS,
    cronbach_alpha,
    mcdonald_omega,
    reliability_table,
)

FIX = __import__("pathlib").Path(__file__).resolve().parents[1] / "fixtures" / "psych"
REF = pd.read_csv(FIX / "reference.csv")
CASES = REF["case"].tolist()


@pytest.mark.parametrize("case", CASES)
def test_alpha_and_cis_match_psych(case):
    ref = REF.set_index("case").loc[case]
    x = pd.read_csv(FIX / f"{case}.csv")
    a = cronbach_alpha(x)
    assert a["n"] == ref["n"] and a["n_items"] == ref["n_items"]
    for key in ["alpha", "ase", "feldt_lower", "feldt_upper", "duhachek_lower", "duhachek_upper"]:
        assert a[key] == pytest.approx(ref[key], abs=1e-6), key


@pytest.mark.parametrize("case", CASES)
def test_omega_total_matches_psych(case):
    ref = REF.set_index("case").loc[case]
    x = pd.read_csv(FIX / f"{case}.csv")
    # psych's optim() stops at its default tolerance; 1e-4 is the documented tolerance
    # (measured agreement ~1e-8).
    assert mcdonald_omega(x) == pytest.approx(ref["omega_total"], abs=1e-4)


def test_rows_without_answers_do_not_change_results():
    x = pd.read_csv(FIX / "three_items.csv")
    padded = pd.concat([x, pd.DataFrame(np.nan, index=range(5), columns=x.columns)])
    assert cronbach_alpha(padded) == cronbach_alpha(x)


def test_alpha_undefined_cases_are_nan():
    assert np.isnan(cronbach_alpha(pd.DataFrame({"a": [1.0, 2, 3]}))["alpha"])
    never_together = pd.DataFrame({"a": [1, 2, np.nan, np.nan], "b": [np.nan, np.nan, 3, 4]})
    assert np.isnan(cronbach_alpha(never_together)["alpha"])
    assert np.isnan(mcdonald_omega(pd.DataFrame({"a": [1.0, 2, 3], "b": [2.0, 1, 3]})))


def _long(wave, **cols):
    return pd.DataFrame({"wave": wave, **cols})


def test_reliability_table_statuses():
    x = pd.read_csv(FIX / "four_items.csv")
    long = pd.concat(
        [
            _long("T0", **{c: x[c] for c in x}),
            _long("T1", i1=[1.0, 2.0], i2=[2.0, 3.0], i3=[1.0, 1.0], i4=[3.0, 2.0]),
            _long("T2", i1=[1.0, 2, 3, 4], i2=[4.0, 4, 4, 4], i3=[1.0, 2, 3, 3], i4=[2.0, 2, 3, 4]),
        ],
        ignore_index=True,
    )
    long["vas"] = 50.0
    scales = {
        "four": Scale(key="four", items=("i1", "i2", "i3", "i4"), range=(1.0, 7.0)),
        "vas": Scale(key="vas", items=("vas",), range=(0.0, 100.0)),
    }
    tab = reliability_table(long, scales, ["T0", "T1", "T2"])
    assert list(tab.columns) == RELIABILITY_COLUMNS
    t = tab.set_index(["scale", "wave"])
    ref = REF.set_index("case").loc["four_items"]
    assert t.loc[("four", "T0"), "status"] == "ok"
    assert t.loc[("four", "T0"), "alpha"] == pytest.approx(ref["alpha"], abs=1e-6)
    assert t.loc[("four", "T0"), "alpha_ci_lower"] == pytest.approx(ref["feldt_lower"], abs=1e-6)
    assert t.loc[("four", "T0"), "ci_method"] == "feldt"
    assert t.loc[("four", "T0"), "omega"] == pytest.approx(ref["omega_total"], abs=1e-4)
    assert t.loc[("four", "T1"), "status"] == "not_estimable"
    assert "need at least 3" in t.loc[("four", "T1"), "message"]
    assert "i2" in t.loc[("four", "T2"), "message"]
    assert (t.loc["vas", "status"] == "not_estimable").all()
    bad = tab[tab["status"] != "ok"]
    assert bad[["alpha", "alpha_ci_lower", "alpha_ci_upper", "omega"]].isna().all().all()
    d = reliability_table(long, {"four": scales["four"]}, ["T0"], ci_method="duhachek")
    assert d["alpha_ci_upper"].iloc[0] == pytest.approx(ref["duhachek_upper"], abs=1e-6)


def test_an_index_score_gets_no_alpha():
    """A value-set index (EQ-5D-5L) is not parallel items: alpha would be computed from the five
    dimension codes and read as the index's reliability. Its row is not_run, not applicable."""
    rng = np.random.default_rng(5)
    dims = {f"d{i}": rng.integers(1, 6, 40).astype(float) for i in range(1, 6)}
    long = _long("T0", **dims)
    scales = {
        "eq5d": Scale(key="eq5d", items=tuple(dims), range=(1.0, 5.0), score="index"),
        "dims": Scale(key="dims", items=tuple(dims), range=(1.0, 5.0), score="sum"),
    }
    t = reliability_table(long, scales, ["T0"]).set_index("scale")
    assert t.loc["eq5d", "status"] == "not_run" and t.loc["eq5d", "n"] == 40
    assert t.loc["eq5d", "n_items"] == 5
    assert t.loc["eq5d", "message"].startswith("not applicable (index score)")
    assert t.loc["eq5d", ["alpha", "alpha_ci_lower", "alpha_ci_upper", "omega"]].isna().all()
    assert t.loc["dims", "status"] == "ok" and np.isfinite(t.loc["dims", "alpha"])
