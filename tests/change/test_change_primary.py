"""pipeline.change.primary / methods: change under the primary missing-data method.

References: the complete-case row is the paired t interval (R ``t.test(y1, y0, paired = TRUE)``,
here scipy's ``ttest_rel``); the MI row is Rubin's rules written out by hand (R
``mice::pool.scalar``); the adjusted columns are Holm p-values (R ``p.adjust``) and Bonferroni
intervals computed by hand; the FIML rows come from pipeline.stats.fiml_means (tested against
lavaan in tests/stats/test_fiml_means.py).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from pipeline.change import methods as mth
from pipeline.change.figures import axis_start
from pipeline.change.primary import (
    MEANS_COLUMNS,
    PRIMARY_COLUMNS,
    ScaleUnits,
    change_primary,
    figure_means,
)
from pipeline.change.settings import from_config
from pipeline.config import Scale, load_config

ROOT = Path(__file__).resolve().parents[2]
WAVES = ["T0", "T1", "T2"]
COVS = {"age": "numeric", "gender": "categorical"}
UNITS = {"lon": ScaleUnits("Loneliness", 3, 9, "sum score"),
         "gm": ScaleUnits("Groups", 1, 7, "mean item score")}
EMPTY_LMM = {"means": pd.DataFrame(columns=["construct", "method", "wave"]),
             "contrasts": pd.DataFrame(columns=["construct", "wave"]),
             "status": pd.DataFrame(columns=["construct", "n_participants", "covariates"])}


def _settings(**kw):
    base = from_config(load_config(ROOT / "config" / "studies" / "demo.yaml"))
    return dataclasses.replace(base, **{"methods": ("fiml", "mi", "ipw", "complete_case"), **kw})


def _wide(n: int = 240, seed: int = 3) -> pd.DataFrame:
    """Two constructs at three waves; dropout at T1 depends on gm at T0 (MAR)."""
    rng = np.random.default_rng(seed)
    gm0 = rng.normal(4, 1, n)
    lon0 = 6 - 0.5 * (gm0 - 4) + rng.normal(0, 1, n)
    d = pd.DataFrame({"pid": [f"p{i}" for i in range(n)], "age": rng.normal(50, 10, n),
                      "gender": rng.choice(["Woman", "Man", "Other"], n, p=[.6, .3, .1]),
                      "gm_T0": gm0, "lon_T0": lon0})
    for k, w in enumerate(WAVES[1:], start=1):
        d[f"gm_{w}"] = gm0 + 0.3 * k + rng.normal(0, 0.6, n)
        d[f"lon_{w}"] = lon0 - 0.2 * k + rng.normal(0, 0.7, n)
    stay1 = rng.random(n) < 1 / (1 + np.exp(-(gm0 - 4)))
    stay2 = stay1 & (rng.random(n) < 0.6)
    for w, stay in (("T1", stay1), ("T2", stay2)):
        d.loc[~stay, [f"gm_{w}", f"lon_{w}"]] = np.nan
    return d


def _imputations(wide: pd.DataFrame, m: int = 5) -> pd.DataFrame:
    rng = np.random.default_rng(11)
    sets = []
    for i in range(m):
        d = wide.copy()
        for c in [c for c in d.columns if c[-3:] in ("_T1", "_T2")]:
            miss = d[c].isna()
            d.loc[miss, c] = d[c].mean() + rng.normal(0, d[c].std(), int(miss.sum()))
        sets.append(d.assign(_imp=i))
    return pd.concat(sets, ignore_index=True)


@pytest.fixture(scope="module")
def wide():
    return _wide()


@pytest.fixture(scope="module")
def result(wide):
    weights = pd.DataFrame({"pid": wide["pid"], "ipw_T1": 1.0 + wide["gm_T0"].rank() / 240,
                            "ipw_T2": 1.5})
    return change_primary(wide, UNITS, WAVES, COVS, _settings(), EMPTY_LMM,
                          imputations=_imputations(wide), weights=weights, min_cell=10)


def _row(table, construct, wave, method):
    t = table[(table["construct"] == construct) & (table["wave"] == wave)
              & (table["method"] == method)]
    assert len(t) == 1
    return t.iloc[0]


def test_columns_roles_and_order(result):
    table, means = result
    assert list(table.columns) == PRIMARY_COLUMNS and list(means.columns) == MEANS_COLUMNS
    assert list(table["construct"].unique()) == ["lon", "gm"]
    assert table.groupby(["construct", "wave"])["method"].first().eq("fiml").all()
    assert set(table.loc[table["method"] == "fiml", "role"]) == {"primary"}
    assert set(table.loc[table["method"] != "fiml", "role"]) == {"sensitivity"}
    assert (table["status"] == "ok").all() and (table["contrast"] == table["wave"] + " - T0").all()
    r = _row(table, "lon", "T1", "fiml")
    assert r["units"] == "points on the 3\u20139 Loneliness sum score"
    assert (r["scale_min"], r["scale_max"]) == (3, 9) and r["n_contributing"] == 240


def test_complete_case_is_the_paired_t_interval(result, wide):
    r = _row(result[0], "gm", "T2", "complete_case")
    pair = wide[["gm_T0", "gm_T2"]].dropna()
    ref = stats.ttest_rel(pair["gm_T2"], pair["gm_T0"])
    ci = ref.confidence_interval(0.95)
    assert r["est"] == pytest.approx((pair["gm_T2"] - pair["gm_T0"]).mean(), rel=1e-12)
    assert (r["ci_lower"], r["ci_upper"]) == pytest.approx((ci.low, ci.high), rel=1e-10)
    assert r["pvalue"] == pytest.approx(ref.pvalue, rel=1e-8)
    assert r["n_contributing"] == r["n_pairs"] == len(pair)
    d = pair["gm_T2"] - pair["gm_T0"]
    assert r["d_z"] == pytest.approx(d.mean() / d.std(ddof=1), rel=1e-10)


def test_mi_row_is_rubins_rules(result, wide):
    imp = _imputations(wide)
    q, u = [], []
    for _, d in imp.groupby("_imp"):
        x = d["lon_T1"] - d["lon_T0"]
        q.append(x.mean())
        u.append(x.var(ddof=1) / len(x))
    m, qbar, ubar, b = 5, np.mean(q), np.mean(u), np.var(q, ddof=1)
    t = ubar + (1 + 1 / m) * b
    r = _row(result[0], "lon", "T1", "mi")
    assert r["est"] == pytest.approx(qbar, rel=1e-12)
    assert r["se"] == pytest.approx(np.sqrt(t), rel=1e-10)
    # Barnard-Rubin df with dfcom = n - 1 (mice: pool.scalar(..., n = 240, k = 1))
    lam = (1 + 1 / m) * b / t
    dfold, dfobs = (m - 1) / lam**2, (239 + 1) / (239 + 3) * 239 * (1 - lam)
    assert r["df"] == pytest.approx(dfold * dfobs / (dfold + dfobs), rel=1e-8)
    assert r["n_contributing"] == 240


def test_adjusted_columns_holm_p_and_bonferroni_ci(result):
    table = result[0]
    rows = table[(table["construct"] == "gm") & (table["method"] == "fiml")]
    p = rows["pvalue"].to_numpy()
    order = np.argsort(p)
    holm = np.empty(2)
    holm[order] = np.maximum.accumulate(np.minimum([2 * p[order[0]], p[order[1]]], 1))
    assert rows["pvalue_adj"].to_numpy() == pytest.approx(holm, rel=1e-12)
    z = stats.norm.ppf(1 - 0.05 / 4)  # 2 contrasts: 97.5% two-sided
    assert rows["ci_lower_adj"].to_numpy() == pytest.approx(rows["est"] - z * rows["se"])
    assert rows["ci_adjusted"].all()
    assert set(rows["ci_label"]) == {"95% CI"}
    assert set(rows["ci_label_adj"]) == {"95% CI, Bonferroni-adjusted over 2 contrasts"}
    zu = stats.norm.ppf(0.975)
    assert rows["ci_upper"].to_numpy() == pytest.approx(rows["est"] + zu * rows["se"])


def test_no_adjustment_says_so(wide):
    table, _ = change_primary(wide, UNITS, WAVES, COVS, _settings(p_adjust="none",
                                                                    methods=("fiml",)),
                              EMPTY_LMM, min_cell=10)
    assert not table["ci_adjusted"].any() and set(table["ci_label_adj"]) == {"95% CI"}
    assert (table["ci_lower_adj"] == table["ci_lower"]).all()


def test_effect_sizes(result, wide):
    r = _row(result[0], "lon", "T2", "fiml")
    sd0 = wide["lon_T0"].std(ddof=1)
    assert r["baseline_sd"] == pytest.approx(sd0) and r["d"] == pytest.approx(r["est"] / sd0)
    assert r["d_ci_lower"] == pytest.approx(r["ci_lower"] / sd0)
    assert r["d_z"] == pytest.approx(r["est"] / r["sd_change"])
    assert r["funder_effect_size"] == "d"


def test_primary_that_cannot_be_estimated_names_its_stand_in(wide):
    table, means = change_primary(wide, UNITS, WAVES, COVS, _settings(primary="mi"), EMPTY_LMM,
                                  imputations=None, min_cell=10)
    r = _row(table, "gm", "T1", "mi")
    assert r["role"] == "primary" and r["status"] == "not_estimable" and np.isnan(r["est"])
    assert r["stands_in"] == "fiml"
    assert "no imputations" in r["message"] and r["message"].endswith(
        "fiml stands in for the primary method (mi)")
    fig, method, label = figure_means(means, pd.DataFrame(
        columns=["construct", "method", "wave", "wave_index", "months"]), "gm",
        _settings(primary="mi").change_methods)
    assert method == "fiml" and "stands in for mi" in label
    assert set(fig["method"]) == {"fiml"} and len(fig) == 3


def test_wave_with_fewer_than_min_cell_is_withheld(wide):
    few = wide.copy()
    keep = few.index[few["gm_T2"].notna()][:6]
    few.loc[~few.index.isin(keep), ["gm_T2", "lon_T2"]] = np.nan
    table, _ = change_primary(few, UNITS, WAVES, COVS, _settings(methods=("fiml",
                                                                           "complete_case")),
                              EMPTY_LMM, min_cell=10)
    t2 = table[table["wave"] == "T2"]
    assert (t2["status"] == "not_estimable").all() and t2["est"].isna().all()
    assert t2["message"].str.startswith("too few people answered at T2 (fewer than 10)").all()
    assert (table.loc[table["wave"] == "T1", "status"] == "ok").all()


def test_model_frame_and_auxiliaries(wide):
    frame = mth.model_frame(wide, COVS)
    assert {"gender_lvl2", "gender_lvl3"} <= set(frame.columns)  # levels Man < Other < Woman
    assert frame["gender_lvl2"].sum() == (wide["gender"] == "Other").sum()
    aux = mth.auxiliaries_for("gm", ["gm", "lon"], WAVES, COVS, "auto", frame)
    assert aux == ["lon_T0", "lon_T1", "lon_T2", "age", "gender_lvl2", "gender_lvl3"]
    assert mth.auxiliaries_for("gm", ["gm", "lon"], WAVES, COVS, "none", frame) == []
    assert mth.auxiliaries_for("gm", ["gm", "lon"], WAVES, COVS, ("gender", "gm_T1", "lon_T0"),
                               frame) == ["gender_lvl2", "gender_lvl3", "lon_T0"]


def test_joint_fit_equals_one_fit_per_construct(wide):
    """auxiliary: auto fits every construct in one saturated model: the same likelihood as one
    fit per construct with the others as auxiliaries, so the same numbers."""
    frame = mth.model_frame(wide, COVS)
    cov_cols = ["age", "gender_lvl2", "gender_lvl3"]
    joint = pd.DataFrame(mth.fiml_rows_joint(frame, ["gm", "lon"], WAVES, cov_cols, "robust",
                                             0.95))
    aux = mth.auxiliaries_for("gm", ["gm", "lon"], WAVES, COVS, "auto", frame)
    one = pd.DataFrame(mth.fiml_rows(frame, "gm", WAVES, aux, "robust", 0.95))
    j = joint[joint["construct"] == "gm"].reset_index(drop=True)
    assert j["est"].to_numpy() == pytest.approx(one["est"].to_numpy(), rel=1e-6)
    assert j["se"].to_numpy() == pytest.approx(one["se"].to_numpy(), rel=1e-4)


def test_scale_units_use_the_score_range():
    lon = Scale(key="loneliness", items=("a", "b", "c"), range=(1, 3), label="Loneliness (UCLA-3)",
                score="sum")
    u = ScaleUnits.from_scale(lon)
    assert (u.lo, u.hi) == (3, 9)
    assert u.units == "points on the 3\u20139 Loneliness (UCLA-3) sum score"
    vas = Scale(key="qol", items=("eq_vas",), range=(0, 100), label="EQ VAS")
    assert ScaleUnits.from_scale(vas).units == "points on the 0\u2013100 EQ VAS score"


@pytest.mark.parametrize("lo, hi, smin, expect", [
    (5.3, 6.4, 3.0, (3.0, False)),     # loneliness: the axis starts at the scale's 3
    (59.0, 70.0, 0.0, (59.0, True)),   # EQ VAS: the means would fill 16% of 0-70: cut, marked
    (0.5, 2.0, 1.0, (1.0, False)),
])
def test_axis_start(lo, hi, smin, expect):
    assert axis_start(lo, hi, smin) == expect


def test_mi_says_when_its_imputation_model_lacks_fiml_auxiliaries(wide):
    imp = _imputations(wide).drop(columns=["age"])
    table, _ = change_primary(wide, UNITS, WAVES, COVS, _settings(methods=("mi",), primary="mi"),
                              EMPTY_LMM, imputations=imp, min_cell=10)
    assert table["message"].str.contains("imputation model lacks auxiliaries of the FIML "
                                         "model: age").all()
    table, _ = change_primary(wide, UNITS, WAVES, COVS, _settings(methods=("mi",), primary="mi"),
                              EMPTY_LMM, imputations=_imputations(wide), min_cell=10)
    assert (table["message"] == "m = 5 imputations").all()


def test_mi_with_one_person_is_not_estimable_not_a_crash():
    """One participant: a mean has no standard error, so Rubin's rules cannot pool; the rows say
    so instead of stopping the stage (found on a real one-response Qualtrics export)."""
    wide = pd.DataFrame({"q_T0": [2.0], "q_T1": [3.0]})
    imps = pd.concat([wide.assign(_imp=i) for i in (1, 2, 3)], ignore_index=True)
    rows = mth.mi_rows(imps, wide, "q", ["T0", "T1"])
    assert rows and all(r["status"] == "not_estimable" for r in rows)
    assert "cannot be pooled" in rows[0]["message"]


def test_mi_rows_from_the_imputations_file_equal_the_stacked_sets(wide, tmp_path):
    """The change stage reads the imputed cells (pipeline.stage_io.read_imputed) and builds one
    completed data set at a time; the MI rows are exactly those of the stacked data sets."""
    from pipeline.missing_data.imputation import imputed_cells
    from pipeline.stage_io import read_imputed, write_imputed_cells
    from pipeline.stats.mice import mice

    cols = ["age", "gm_T0", "gm_T1", "gm_T2", "lon_T0", "lon_T1", "lon_T2"]
    res = mice(wide, cols, m=4, iterations=2, seed=7)
    cells, levels = imputed_cells(res)
    write_imputed_cells(cells, res.m, cols, levels, tmp_path / "i.parquet")
    stacked = pd.concat([d[["pid", *cols]].assign(_imp=i) for i, d in
                         enumerate(res.imputations)], ignore_index=True)
    lazy = read_imputed(tmp_path / "i.parquet", wide)
    for k in ("gm", "lon"):
        want = mth.mi_rows(stacked, wide, k, WAVES, auxiliaries=["age", "gender"])
        got = mth.mi_rows(lazy, wide, k, WAVES, auxiliaries=["age", "gender"])
        assert got == want and got[0]["status"] == "ok"
        assert "lacks auxiliaries of the FIML model: gender" in got[0]["message"]
