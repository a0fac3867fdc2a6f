"""Tests for pipeline.change.analysis: all change tables end to end and their public copies."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pipeline.change.analysis import TABLES, change_tables, public_baseline
from pipeline.change.settings import ChangeSettings

WAVES = ["T0", "T1", "T2"]


def _settings(**kw) -> ChangeSettings:
    base = dict(time="wave", p_adjust="holm", reml=True, optimizers=("lbfgs", "bfgs", "powell"),
                covariate_weights="proportional", conf_level=0.95, rci_criterion=1.96,
                higher_is_better={}, reliability={})
    return ChangeSettings(**(base | kw))


def _panel(seed=3, n=60):
    rng = np.random.default_rng(seed)
    u = rng.normal(0, 1, n)
    rows = []
    for w, k, mo, shift in (("T0", n, 0, 0), ("T1", 30, 4, 0.6), ("T2", 20, 7, 0.9)):
        rows.append(pd.DataFrame({
            "pid": [f"p{i}" for i in range(k)], "wave": w, "months": mo,
            "age": 30 + np.arange(k) % 40, "gender": np.where(np.arange(k) % 3, "Woman", "Man"),
            "qol": 60 + 10 * (shift + u[:k]) + rng.normal(0, 6, k),
            "loneliness": 6 - shift - u[:k] + rng.normal(0, 0.8, k),
        }))
    return pd.concat(rows, ignore_index=True)


def test_change_tables_end_to_end():
    long = _panel()
    s = _settings(reliability={"qol": 0.7}, higher_is_better={"loneliness": False})
    tabs = change_tables(long, {"qol": 8.0, "loneliness": None}, WAVES,
                         {"age": "numeric", "gender": "categorical"}, s,
                         reliability={"loneliness": 0.8}, min_cell=10)
    assert set(tabs) == {"means", "contrasts", "effect_sizes", "rci_shares", "rci_individual",
                         "status"}
    assert (tabs["status"]["status"] == "ok").all()
    sh = tabs["rci_shares"]
    assert set(sh.query("construct == 'qol'")["category"]) >= {"mid_improved"}
    assert (sh.query("construct == 'qol'")["reliability_source"] == "configured").all()
    assert (sh.query("construct == 'loneliness'")["reliability_source"] == "alpha").all()
    # loneliness fell: reliable changes in the good direction count as improvements
    lon = sh.query("construct == 'loneliness' and wave == 'T2'").set_index("category")
    assert lon.loc["reliably_improved", "count"] > lon.loc["reliably_deteriorated", "count"]
    assert set(TABLES) | {"rci_individual"} == set(tabs)
    assert {"status", "message", "pvalue_adj", "ci_lower_adj"} <= set(tabs["contrasts"].columns)


def test_change_tables_with_one_person_at_follow_up():
    """Audit case c04a: one participant at T2 -> nothing about T2 is reported as a number."""
    long = _panel()
    long = long[(long["wave"] != "T2") | (long["pid"] == "p0")]
    s = _settings(reliability={"qol": 0.7})
    tabs = change_tables(long, {"qol": 8.0, "loneliness": None}, WAVES,
                         {"age": "numeric", "gender": "categorical"}, s,
                         reliability={"loneliness": 0.8}, min_cell=10)
    assert (tabs["status"]["status"] == "ok").all()  # the model is fitted (T2 kept in the fit)
    assert tabs["status"]["message"].str.contains("too few people answered at T2").all()
    msg = "too few people answered at T2 (fewer than 10); change is not estimated"
    c = tabs["contrasts"].set_index(["construct", "wave"])
    for k in ("qol", "loneliness"):
        t2 = c.loc[(k, "T2")]
        assert t2["status"] == "not_estimable" and t2["message"] == msg and t2["n"] == 1
        assert t2[["est", "se", "z", "pvalue", "pvalue_adj", "ci_lower", "ci_upper",
                   "ci_lower_adj", "ci_upper_adj", "observed_completer_diff"]].isna().all()
        assert c.loc[(k, "T1"), "status"] == "ok" and np.isfinite(c.loc[(k, "T1"), "est"])
        # the one reported contrast is the whole multiplicity family
        assert c.loc[(k, "T1"), "pvalue_adj"] == pytest.approx(c.loc[(k, "T1"), "pvalue"])
    m = tabs["means"].query("wave == 'T2'")
    assert (m["status"] == "not_estimable").all() and m[["est", "se", "ci_lower", "ci_upper",
                                                         "sd"]].isna().all().all()
    e = tabs["effect_sizes"].query("wave == 'T2'")
    assert (e["status"] == "not_estimable").all() and e[["est", "ci_lower",
                                                         "ci_upper"]].isna().all().all()
    assert (e.query("measure == 'd'")["message"] == msg).all()
    r = tabs["rci_shares"].query("wave == 'T2'")
    assert (r["status"] == "not_estimable").all()
    assert r[["count", "share", "ci_lower", "ci_upper"]].isna().all().all()


def test_public_copies_suppress_small_counts():
    # reliable-change shares: pipeline.change.rci.public_rci_shares (test_change_rci.py)
    base = pd.DataFrame({"group": "baseline", "variable": ["gender", "gender", "age"],
                         "level": ["a", "b", ""], "type": ["categorical", "categorical",
                                                           "numeric"],
                         "n": [50, 50, 50], "count": [3.0, 47.0, np.nan],
                         "percent": [6.0, 94.0, np.nan], "mean": [np.nan, np.nan, 40.0]})
    pub = public_baseline(base, 10)
    assert pub.loc[0, "count"] == "<10" and pub.loc[1, "count"] == "41-49"
    assert pub.loc[2, "mean"] == 40.0 and pd.isna(pub.loc[2, "count"])


def test_public_baseline_leaves_out_the_retained_groups():
    """With the whole sample, retained_<wave> rows would give back the hidden retained-vs-lost
    cells of the attrition wing (tests/test_disclosure_attack.py)."""
    base = pd.DataFrame({"group": ["baseline", "baseline", "retained_T1", "retained_T1"],
                         "variable": ["gender", "gender", "gender", "gender"],
                         "level": ["a", "b", "a", "b"], "type": "categorical",
                         "n": [50, 50, 20, 20], "count": [25.0, 25.0, 12.0, 8.0],
                         "percent": [50.0, 50.0, 60.0, 40.0]})
    pub = public_baseline(base, 10)
    assert list(pub["group"]) == ["baseline", "baseline"] and list(pub["count"]) == [25, 25]
