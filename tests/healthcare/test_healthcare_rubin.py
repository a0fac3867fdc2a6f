"""pipeline.healthcare.rubin (and the MI rows of pipeline.healthcare.mediation): the count chain
fitted on each imputed set and pooled by Rubin's rules, matched to mice ``pool()`` on the same
completed sets; which rows are primary; when the complete cases stay and what they then say.

R (tests/fixtures/healthcare_rubin/make_healthcare_rubin.R; mice 3.15.0, MASS)::

    imp <- mice(dd, m = 5, method = "pmm", maxit = 10, seed = 11)   # written to completed.csv
    dat <- lapply(1:5, function(i) { z <- complete(imp, i)
        z$x <- z$group_memberships_T1 - z$group_memberships_T0
        z$arm_sp <- as.numeric(z$arm == "sp"); z })
    tight <- glm.control(epsilon = 1e-14, maxit = 100)
    eqs <- list(m1 = function(z) lm(belonging_T1 ~ x + age + arm_sp, data = z),
                m2 = function(z) lm(loneliness_T1 ~ x + age + arm_sp + belonging_T1, data = z),
                poisson = function(z) glm(gp_visits_T1 ~ x + age + arm_sp + belonging_T1 +
                                          loneliness_T1, family = poisson, data = z,
                                          control = tight),
                negbin = function(z) glm.nb(gp_visits_T1 ~ x + age + arm_sp + belonging_T1 +
                                            loneliness_T1, data = z, control = tight))
    for (e in names(eqs)) summary(pool(as.mira(lapply(dat, eqs[[e]]))), conf.int = TRUE)

Both sides pool the same completed sets (read back from completed.csv), so the comparison is
of the analysis and the pooling. lm and Poisson agree to 1e-8; NB2 estimates and SEs to 1e-6,
its df and fmi to 1e-5 relative: ``glm.nb`` stops theta's Newton steps at
``.Machine$double.eps^0.25`` (theta.ml's default, not reachable from glm.nb).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import pipeline.healthcare.mediation as med
from pipeline.healthcare import rubin
from pipeline.healthcare.chain import chain_columns
from pipeline.healthcare.settings import Binding, CountChain, CountOutcome, HealthcareSettings
from pipeline.stage_io import imp_column, read_imputed, write_imputed_cells

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "healthcare_rubin"
GP = CountOutcome("gp", "gp_visits", "GP visits in the last 3 months", 3.0)
CHAIN = CountChain("gp_chain", "GP chain", Binding("group_memberships", change=("T0", "T1")),
                   (Binding("belonging", wave="T1"), Binding("loneliness", wave="T1")),
                   "gp", "gp_visits", "T1", (("age", "age", ()), ("arm", "arm", ("usual", "sp"))))
R_TERMS = {"(Intercept)": "(Intercept)", "<x>": "x", "age": "age", "arm_sp": "arm_sp",
           "<m1>": "belonging_T1", "<m2>": "loneliness_T1"}
ALL = ("group_memberships_T0", "group_memberships_T1", "belonging_T1", "loneliness_T1",
       "gp_visits_T1", "age", "arm")


def _settings(primary="fiml", model="auto", columns=ALL, impute=True, B=100, draws=4000):
    return HealthcareSettings({"gp": GP}, model, "auto", 0.95, B, (CHAIN,), ("T0", "T1"),
                              primary, seed=9, mc_draws=draws, impute_runs=impute,
                              imputation_columns=columns,
                              imputation_model={"columns": columns} if impute else {})


@pytest.fixture(scope="module")
def data():
    return pd.read_csv(FIX / "data.csv")


@pytest.fixture(scope="module")
def sets():
    comp = pd.read_csv(FIX / "completed.csv")
    return [g.drop(columns=".imp").reset_index(drop=True) for _, g in comp.groupby(".imp")]


def _mi(sets, data, model, draws=2000, seed=1):
    return rubin.mi_chain(sets, data, CHAIN, chain_columns(CHAIN, data.columns), model, 0.95,
                          draws, seed)


@pytest.mark.parametrize("model", ["poisson", "negbin"])
def test_pooled_coefficients_match_mice_pool(data, sets, model):
    ref = pd.read_csv(FIX / "pooled.csv")
    ours = _mi(sets, data, model).pooled
    eq = ours["term"].str.split(":").str[0].replace({"y": model})
    ours = ours.assign(equation=eq, term=ours["term"].str.split(":").str[1].map(R_TERMS))
    both = ours.merge(ref, on=["equation", "term"], suffixes=("", "_r"))
    assert len(both) == 15 and set(both["equation"]) == {"m1", "m2", model}
    tight = 1e-8 if model == "poisson" else 1e-6
    np.testing.assert_allclose(both["estimate"], both["estimate_r"], rtol=0, atol=tight)
    np.testing.assert_allclose(both["se"], both["std.error"], rtol=0, atol=tight)
    rel = 1e-8 if model == "poisson" else 1e-5
    np.testing.assert_allclose(both["df"], both["df_r"], rtol=rel)
    np.testing.assert_allclose(both["fmi"], both["fmi_r"], rtol=rel)
    np.testing.assert_allclose(both["ci_lower"], both["conf.low"], rtol=0, atol=10 * tight)


def test_effects_are_products_of_the_pooled_coefficients(data, sets):
    r = _mi(sets, data, "negbin")
    q = r.pooled.set_index("term")["estimate"]
    ax1, ax2, d21 = q["m1:<x>"], q["m2:<x>"], q["m2:<m1>"]
    tx, t1, t2 = q["y:<x>"], q["y:<m1>"], q["y:<m2>"]
    assert r.point["direct"] == pytest.approx(tx, abs=1e-14)
    assert r.point["ind_m1"] == pytest.approx(ax1 * t1, abs=1e-14)
    assert r.point["ind_m1_m2"] == pytest.approx(ax1 * d21 * t2, abs=1e-14)
    assert r.point["total"] == pytest.approx(tx + ax1 * t1 + ax2 * t2 + ax1 * d21 * t2)
    # Monte Carlo draws centre on the product and are seeded
    assert np.median(r.draws["direct"]) == pytest.approx(tx, abs=0.01)
    again, other = _mi(sets, data, "negbin"), _mi(sets, data, "negbin", seed=2)
    np.testing.assert_array_equal(again.draws["total"], r.draws["total"])
    assert not np.array_equal(other.draws["total"], r.draws["total"])


def test_auto_keeps_one_family_for_every_set(data, sets):
    r = _mi(sets, data, "auto")
    assert r.family == "negbin" and "in 5 of 5 imputed sets" in r.reason


def test_imputed_sets_from_the_impute_stage_file_give_the_same_pooling(data, sets, tmp_path):
    """The ImputedSets path (the stage's) equals the list-of-frames path."""
    cells = []
    for var in data.columns[data.isna().any()]:
        rows = np.flatnonzero(data[var].isna())
        part = pd.DataFrame({"variable": var, "pid": data["pid"].iloc[rows].to_numpy()})
        for i, s in enumerate(sets):
            part[imp_column(i)] = s[var].iloc[rows].to_numpy(float)
        cells.append(part)
    path = tmp_path / "imputations.parquet"
    write_imputed_cells(cells, len(sets), [c for c in data.columns if c != "pid"], {}, path)
    via_file = _mi(read_imputed(path, data), data, "negbin")
    pd.testing.assert_frame_equal(via_file.pooled, _mi(sets, data, "negbin").pooled)


@pytest.mark.parametrize("primary,mi_role,words", [
    ("fiml", "primary", "multiple imputation stands in for the primary method (FIML)"),
    ("mi", "primary", "multiple imputation (the primary method)"),
    ("complete_case", "sensitivity", "multiple imputation, a sensitivity analysis")])
def test_roles_follow_the_primary_method(data, sets, primary, mi_role, words):
    tab = med.count_mediation(data, _settings(primary), {}, sets)
    mi, cc = tab[tab["method"] == "mi"], tab[tab["method"] == "complete_case"]
    assert len(mi) == len(cc) == 6 and (mi["status"] == "ok").all()
    assert (mi["role"] == mi_role).all() and (cc["role"] != mi_role).all()
    assert tab["role"].iloc[0] == "primary"  # the primary rows come first
    msg = mi["message"].iloc[0]
    assert words in msg and "Rubin's rules (Barnard-Rubin df)" in msg
    assert "m = 5 imputed data sets" in msg and "4000 draws" in msg
    assert (mi["n"] == len(data)).all() and (cc["n"] < len(data)).all()
    assert (mi["B"] == 4000).all() and (mi["model"] == "negbin").all()
    ok = (mi["ci_lower"] <= mi["rate_ratio"]) & (mi["rate_ratio"] <= mi["ci_upper"])
    assert ok.all()
    if primary == "fiml":
        assert "missing at random" in msg
        assert "complete cases, a sensitivity analysis" in cc["message"].iloc[0]


def test_count_outside_the_imputation_model_keeps_complete_cases(data, sets):
    s = _settings(columns=tuple(c for c in ALL if c != "gp_visits_T1"))
    tab = med.count_mediation(data, s, {}, sets)
    assert set(tab["method"]) == {"complete_case"} and (tab["role"] == "primary").all()
    msg = tab["message"].iloc[0]
    assert "add ['gp_visits_T1'] to the imputation model (config key missing_data.columns)" \
        in msg and "complete cases stand in for the primary method (FIML)" in msg


def test_no_impute_stage_says_so(data):
    tab = med.count_mediation(data, _settings(impute=False), {})
    assert set(tab["method"]) == {"complete_case"}
    assert "the impute stage does not run" in tab["message"].iloc[0]


def test_a_variable_still_missing_in_the_sets_falls_back(data, sets):
    holed = [s.assign(loneliness_T1=data["loneliness_T1"]) for s in sets]
    tab = med.count_mediation(data, _settings(), {}, holed)
    assert set(tab["method"]) == {"complete_case"} and (tab["role"] == "primary").all()
    msg = tab["message"].iloc[0]
    assert "['loneliness_T1'] still have missing values" in msg
    assert "missing_data.columns" in msg


def test_one_imputed_set_is_not_estimable(data, sets):
    tab = med.count_mediation(data, _settings(), {}, sets[:1])
    mi = tab[tab["method"] == "mi"]
    assert mi["status"].tolist() == ["not_estimable"] and mi["role"].iloc[0] == "primary"
    assert "at least 2 imputed sets" in mi["message"].iloc[0]
    assert (tab.loc[tab["method"] == "complete_case", "role"] == "sensitivity").all()


def test_fractional_imputed_counts_fall_back_with_the_fix(data, sets):
    """A non-pmm method can impute 1.5 visits: the count models refuse it, so the complete
    cases stay and the message names the setting that keeps counts whole."""
    holes = data["gp_visits_T1"].isna().to_numpy()
    odd = [s.assign(gp_visits_T1=np.where(holes, s["gp_visits_T1"] + 0.5, s["gp_visits_T1"]))
           for s in sets]
    tab = med.count_mediation(data, _settings(), {}, odd)
    assert set(tab["method"]) == {"complete_case"}
    assert "missing_data.method: pmm" in tab["message"].iloc[0]
