"""Multi-group SEM (pipeline.sem.multigroup) against lavaan 0.6-14 ``group =`` / ``group.equal =``.

References: ``tests/fixtures/multigroup/make_multigroup.R`` (run from the project root with
``Rscript tests/fixtures/multigroup/make_multigroup.R``); every fit is

    sem(model, data, group = <col>, missing = "ml", fixed.x = FALSE, meanstructure = TRUE,
        em.h1.tol = 1e-12, em.h1.iter.max = 200000, [group.equal = ...], [estimator = "MLR"])

with per-group labels ``c(a1.g1, a1.g2)*x`` where the defined effects must come per group
(``ind1.g1 := a1.g1*b1.g1``), ``c(a1, a1)*x`` for the equal model, and ``lavTestLRT`` /
``lavTestWald(constraints = "a1.g1 == a1.g2; ...")`` for the tests. Fits: (a) 2-group serial
mediation with missing data, free vs ``group.equal = "regressions"`` (+ MLR); (b) the 3-group
version (schemes; also regressions + residuals + intercepts); (c) a 2-group 2 x 3 CLPM, free vs
equal lagged paths; (d) a 2-group one-factor CFA, configural / loadings / loadings + intercepts
(latent mean freed in group 2); (e) a 2-group RI-CLPM (2 constructs x 4 waves), free vs
``group.equal = "regressions"``; MLR for the free and the equal mediation.

Tolerances: estimates 1e-5 absolute; SEs and std.all SEs 1e-4 relative; std.all 1e-5; fit
measures 1e-5 relative (log-likelihoods, chi-squares 1e-5 absolute). lavaan stops its optimiser
~1e-6 from the maximum, which bounds what can be checked.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipeline.errors import DataError, ModelError
from pipeline.sem.multigroup import (
    fit_multigroup,
    lr_test_groups,
    scaled_chisq_groups,
    scaled_lr_test_groups,
    wald_test_groups,
)

HERE = Path(__file__).resolve().parents[1] / "fixtures" / "multigroup"
MED = """m1 ~ a1*x
m2 ~ a2*x + d*m1
y ~ b1*m1 + b2*m2 + c*x
ind1 := a1*b1
ind2 := a2*b2
serial := a1*d*b2
total := c + a1*b1 + a2*b2 + a1*d*b2"""
PLAIN = "m1 ~ x\nm2 ~ x + m1\ny ~ m1 + m2 + x"
CLPM = "x2 ~ x1 + y1\ny2 ~ x1 + y1\nx3 ~ x2 + y2\ny3 ~ x2 + y2\nx2 ~~ y2\nx3 ~~ y3"
CFA = "f =~ i1 + i2 + i3 + i4"
W = range(1, 5)
RICLPM = "\n".join(
    ["RIx =~ 1*x1 + 1*x2 + 1*x3 + 1*x4", "RIy =~ 1*y1 + 1*y2 + 1*y3 + 1*y4"]
    + [f"wx{t} =~ 1*x{t}" for t in W] + [f"wy{t} =~ 1*y{t}" for t in W]
    + [f"x{t} ~~ 0*x{t}" for t in W] + [f"y{t} ~~ 0*y{t}" for t in W]
    + [f"wx{t} ~ wx{t - 1} + wy{t - 1}" for t in W if t > 1]
    + [f"wy{t} ~ wx{t - 1} + wy{t - 1}" for t in W if t > 1]
    + ["wx1 ~~ wy1"] + [f"wx{t} ~~ wy{t}" for t in W if t > 1]
    + ["RIx ~~ RIy", "RIx ~~ 0*wx1 + 0*wy1", "RIy ~~ 0*wx1 + 0*wy1"])
REG = ["regressions"]
# fit name -> (syntax, data file, group column, keyword arguments)
CASES = {
    "med2_free": (MED, "mediation2.csv", "scheme", {}),
    "med2_equal": (MED, "mediation2.csv", "scheme", {"group_equal": REG}),
    "med2_equal_plain": (PLAIN, "mediation2.csv", "scheme", {"group_equal": REG}),
    "med2_free_mlr": (MED, "mediation2.csv", "scheme", {"estimator": "MLR"}),
    "med3_free": (MED, "mediation3.csv", "scheme", {}),
    "med3_equal": (PLAIN, "mediation3.csv", "scheme", {"group_equal": REG}),
    "med3_eq_res_int": (PLAIN, "mediation3.csv", "scheme",
                        {"group_equal": ["regressions", "residuals", "intercepts"]}),
    "clpm2_free": (CLPM, "clpm2.csv", "arm", {}),
    "clpm2_equal": (CLPM, "clpm2.csv", "arm", {"group_equal": REG}),
    "cfa2_config": (CFA, "cfa2.csv", "grp", {}),
    "cfa2_loadings": (CFA, "cfa2.csv", "grp", {"group_equal": ["loadings"]}),
    "cfa2_scalar": (CFA, "cfa2.csv", "grp", {"group_equal": ["loadings", "intercepts"]}),
    "med2_equal_mlr": (PLAIN, "mediation2.csv", "scheme",
                       {"group_equal": REG, "estimator": "MLR"}),
    "riclpm2_free": (RICLPM, "riclpm2.csv", "arm", {}),
    "riclpm2_equal": (RICLPM, "riclpm2.csv", "arm", {"group_equal": REG}),
}
FIT_KEYS = ["npar", "chisq", "df", "baseline.chisq", "baseline.df", "cfi", "tli", "logl",
            "unrestricted.logl", "aic", "bic", "bic2", "ntotal", "rmsea", "rmsea.ci.lower",
            "rmsea.ci.upper", "rmsea.pvalue", "srmr", "fmin", "pvalue"]


@pytest.fixture(scope="module")
def fitted():
    cache: dict = {}

    def get(name):
        if name not in cache:
            syntax, file, group, kw = CASES[name]
            cache[name] = fit_multigroup(syntax, pd.read_csv(HERE / file), group, name=name,
                                         **kw)
        return cache[name]

    return get


def _reference(name: str, groups: list[str]) -> pd.DataFrame:
    """lavaan's rows of one fit; defined ``name.g<k>`` mapped to (group k, name); defined
    parameters of an equal model (one per model, ``ind1 := a1*b1`` with ``a1`` shared) repeated
    for every group, their std.all (lavaan: from group 1's standardized ``a1``, ``b1``) kept for
    group 1 only: ours are per group."""
    ref = pd.read_csv(HERE / "estimates.csv", keep_default_na=False, na_values=["NA"])
    ref = ref[ref["fit"] == name].copy()
    par = ref[ref["op"] != ":="].drop(columns="group").rename(columns={"group.label": "group"})
    out = [par]
    for r in ref[ref["op"] == ":="].itertuples():
        base, _, k = r.lhs.rpartition(".g")
        targets = [groups[int(k) - 1]] if base else groups
        for g in targets:
            row = {**r._asdict(), "group": g, "lhs": base or r.lhs, "rhs": ""}
            if not base and g != groups[0]:
                row["std.all"] = row["std.all.se"] = np.nan
            out.append(pd.DataFrame([row]))
    return pd.concat(out, ignore_index=True)[["group", "lhs", "op", "rhs", "est", "se",
                                               "std.all", "std.all.se"]]


def _merged(name, fitted):
    fit = fitted(name)
    assert fit.status == "ok", fit.message
    ours = fit.estimates.assign(rhs=lambda d: d["rhs"].where(d["op"] != ":=", ""))
    ref = _reference(name, fit.groups)
    m = ref.merge(ours, on=["group", "lhs", "op", "rhs"], how="outer", suffixes=("_ref", ""),
                  indicator=True)
    assert (m["_merge"] == "both").all(), m.loc[m["_merge"] != "both", ["group", "lhs", "op",
                                                                         "rhs", "_merge"]]
    return m


@pytest.mark.parametrize("name", sorted(CASES))
def test_estimates_and_standard_errors_match_lavaan(name, fitted):
    m = _merged(name, fitted)
    np.testing.assert_allclose(m["est"], m["est_ref"], atol=1e-5, rtol=0)
    free = m["se_ref"] > 0
    np.testing.assert_allclose(m.loc[free, "se"], m.loc[free, "se_ref"], rtol=1e-4)
    assert (m.loc[~free, "se"] == 0).all()


@pytest.mark.parametrize("name", sorted(CASES))
def test_standardized_solution_matches_lavaan(name, fitted):
    m = _merged(name, fitted)
    ok = m["std.all"].notna()
    np.testing.assert_allclose(m.loc[ok, "std_all"], m.loc[ok, "std.all"], atol=1e-5)
    sel = m["std.all.se"] > 1e-6
    np.testing.assert_allclose(m.loc[sel, "std_all_se"], m.loc[sel, "std.all.se"], rtol=1e-4)


@pytest.mark.parametrize("name", sorted(CASES))
def test_fit_measures_match_lavaan(name, fitted):
    ref = pd.read_csv(HERE / "fit.csv")
    ref = ref[ref["fit"] == name].set_index("measure")["value"]
    fit = fitted(name).fit
    for key in FIT_KEYS:
        if np.isnan(ref[key]):
            assert np.isnan(fit[key]) or fit["df"] == 0, key
        else:
            np.testing.assert_allclose(fit[key], ref[key], rtol=1e-5, atol=1e-5, err_msg=key)


def test_group_order_is_lavaans_first_appearance(fitted):
    assert fitted("med3_free").groups == ["east", "north", "central"]


@pytest.mark.parametrize("row", pd.read_csv(HERE / "lrt.csv").to_dict("records"),
                         ids=lambda r: r["restricted"])
def test_lr_test_matches_lavtestlrt(row, fitted):
    out = lr_test_groups(fitted(row["restricted"]), fitted(row["free"]))
    assert out["df_diff"] == row["df_diff"]
    np.testing.assert_allclose(out["chisq_diff"], row["chisq_diff"], atol=1e-5)
    np.testing.assert_allclose(out["pvalue"], row["pvalue"], rtol=1e-4)


@pytest.mark.parametrize("row", pd.read_csv(HERE / "wald.csv").to_dict("records"),
                         ids=lambda r: r["fit"])
def test_wald_test_matches_lavtestwald(row, fitted):
    out = wald_test_groups(fitted(row["fit"]))
    assert out["df"] == row["df"]
    np.testing.assert_allclose(out["chisq"], row["chisq"], rtol=1e-4)


def test_equal_regressions_mark_rows_and_defined_effects_equal(fitted):
    est = fitted("med2_equal").estimates
    assert est.loc[est["op"] == "~", "equal"].all()
    assert not est.loc[est["op"] == "~~", "equal"].any()
    defined = est[est["op"] == ":="]
    assert defined["equal"].all()
    wide = defined.pivot(index="lhs", columns="group", values="est")
    np.testing.assert_allclose(wide["east"], wide["north"], rtol=1e-12)
    # the standardized effects still differ: the groups' variances are free
    std = defined.pivot(index="lhs", columns="group", values="std_all")
    assert (np.abs(std["east"] - std["north"]) > 1e-4).any()


def _small(seed=5, n=80):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=2 * n)
    m = 0.4 * x + rng.normal(size=2 * n)
    y = 0.3 * m + rng.normal(size=2 * n)
    return pd.DataFrame({"g": np.repeat(["A", "B"], n), "x": x, "m": m, "y": y})


def test_rows_without_a_group_are_dropped_and_counted():
    df = _small()
    df.loc[[0, 90], "g"] = None
    res = fit_multigroup("m ~ x\ny ~ m", df, "g")
    assert res.ok and res.n_obs == {"A": 79, "B": 79} and res.n_dropped == 2
    assert "2 row(s)" in res.warnings[0]


def test_a_constant_variable_in_one_group_is_refused_naming_the_group():
    df = _small()
    df.loc[df["g"] == "B", "y"] = 1.0
    with pytest.raises(DataError, match=r"\[g = B\].*y.*constant"):
        fit_multigroup("m ~ x\ny ~ m", df, "g")


def test_counting_rule_over_all_groups():
    res = fit_multigroup("y ~ x + m\ny ~~ x\nx ~~ m", _small(), "g")
    assert res.status == "not_identified"
    assert "20 free parameters but only 18" in res.message


def test_problems_are_named_with_the_group_not_the_stacked_name():
    df = _small()
    res = fit_multigroup("y ~ x + m\ny ~~ x", df, "g")     # 18 = 18, but y ~ x vs y ~~ x
    assert res.status == "not_identified", res.status
    assert "__g" not in res.message and "[A]" in res.message and "[B]" in res.message


def test_refits_are_identical_and_options_checked():
    df = _small()
    syntax = "m ~ a*x\ny ~ b*m\nind := a*b"
    one = fit_multigroup(syntax, df, "g", group_equal=["regressions"])
    two = fit_multigroup(syntax, df, "g", group_equal=["regressions"])
    pd.testing.assert_frame_equal(one.estimates, two.estimates)
    assert one.fit == two.fit
    with pytest.raises(ModelError, match="estimator must be"):
        fit_multigroup(syntax, df, "g", estimator="WLSMV")


def test_partial_equality_equals_the_label_route():
    df = _small()
    syntax = "m ~ a*x\ny ~ b*m + c*x"
    part = fit_multigroup(syntax, df, "g", group_equal=["regressions"], group_partial=["y~x"])
    labels = fit_multigroup(syntax, df, "g", group_equal=["a", "b"])
    assert part.fit["df"] == labels.fit["df"] == 2
    np.testing.assert_allclose(part.fit["chisq"], labels.fit["chisq"], atol=1e-9)
    np.testing.assert_allclose(part.estimates["est"], labels.estimates["est"], atol=1e-8)


def test_lr_test_refuses_mlr_wrong_order_and_other_cases(fitted):
    with pytest.raises(ModelError, match="Satorra-Bentler"):
        lr_test_groups(fitted("med2_free_mlr"), fitted("med2_free_mlr"))
    with pytest.raises(ModelError, match="not more restricted"):
        lr_test_groups(fitted("med2_free"), fitted("med2_equal"))
    with pytest.raises(ModelError, match="same cases"):
        lr_test_groups(fitted("med3_equal"), fitted("med2_free"))


def test_scaled_lr_test_checks_its_pair_and_does_not_depend_on_the_estimator(fitted):
    # ML and MLR estimates are the same, so is the scaled chi-square (the fixture's lavaan
    # values of the scaled tests are in tests/comparison/test_comparison_armfits.py)
    ml, mlr = scaled_chisq_groups(fitted("med2_equal_plain")), scaled_chisq_groups(
        fitted("med2_equal_mlr"))
    assert ml["chisq.scaling.factor"] == pytest.approx(mlr["chisq.scaling.factor"], rel=1e-9)
    assert np.isfinite(ml["chisq.scaled"]) and ml["df.scaled"] > 0
    out = scaled_lr_test_groups(fitted("med2_equal_mlr"), fitted("med2_free_mlr"))
    assert out["df_diff"] == fitted("med2_equal_mlr").fit["df"]  # the free chain: df 0
    assert out["chisq_diff"] == pytest.approx(
        fitted("med2_equal_mlr").fit["chisq"] / out["scaling_restricted"])
    with pytest.raises(ModelError, match="not more restricted"):
        scaled_lr_test_groups(fitted("med2_free"), fitted("med2_equal"))
    with pytest.raises(ModelError, match="same cases"):
        scaled_lr_test_groups(fitted("med3_equal"), fitted("med2_free"))


def test_wald_test_of_named_rows_is_the_squared_z_of_the_difference(fitted):
    fit = fitted("med2_free")
    out = wald_test_groups(fit, ["m1 ~ x"])
    est = fit.estimates.set_index(["group", "lhs", "op", "rhs"])
    diff = est.loc[("east", "m1", "~", "x"), "est"] - est.loc[("north", "m1", "~", "x"), "est"]
    se2 = (est.loc[("east", "m1", "~", "x"), "se"] ** 2
           + est.loc[("north", "m1", "~", "x"), "se"] ** 2)   # groups independent
    assert out["df"] == 1
    np.testing.assert_allclose(out["chisq"], diff ** 2 / se2, rtol=1e-8)
    with pytest.raises(ModelError, match="no parameter"):
        wald_test_groups(fit, ["m1 ~ z"])


def test_lavaan_mode_with_every_row_written_equals_sem_mode():
    df = _small()
    full = "m ~ x\ny ~ m\nm ~~ m\ny ~~ y\nx ~~ x\nm ~ 1\ny ~ 1\nx ~ 1"
    lav = fit_multigroup(full, df, "g", mode="lavaan", group_equal=["regressions"])
    sem = fit_multigroup("m ~ x\ny ~ m", df, "g", group_equal=["regressions"])
    key = ["group", "lhs", "op", "rhs"]
    a = lav.estimates.sort_values(key).reset_index(drop=True)
    b = sem.estimates.sort_values(key).reset_index(drop=True)
    assert a[key].equals(b[key])
    np.testing.assert_allclose(a[["est", "se"]], b[["est", "se"]], rtol=1e-6, atol=1e-9)
    for k in ("chisq", "df", "cfi", "rmsea"):
        np.testing.assert_allclose(lav.fit[k], sem.fit[k], atol=1e-6)
