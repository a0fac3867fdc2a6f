"""The by-arm models against lavaan 0.6-14 (tests/fixtures/comparison_arms/make_comparison_arms.R).

The R script generates a two-arm serial chain with missing data like demo_controlled's
(chain_data.csv: x -> m1 -> m2 -> y, age as covariate, 420 people) and fits, with
``group = "arm", group.label = c("Usual care", "Social prescribing")``, ``missing = "ml"``,
``fixed.x = FALSE``:

    free     <- sem(<per-group labels c(a1.g1, a1.g2)*x ...>)            # ML
    equal    <- sem(<c(a1, a1)*x ...>)                                   # chain's paths equal
    free_mlr <- sem(<per-group labels>, estimator = "MLR")
    lavTestLRT(equal, free); lavTestWald(free_mlr, "a1.g1 == a1.g2; ...; cp.g1 == cp.g2")

and, on tests/fixtures/multigroup/clpm2.csv and riclpm2.csv renamed to ``x_T1``..., the CLPM
(``sem``) and RI-CLPM (``lavaan(..., int.ov.free = TRUE)``) by arm with
``group.equal = "regressions", group.partial = <autoregressive rows>`` against the free model
(LR) and the robust Wald test of the cross-lagged rows. Tolerances: estimates 1e-5, SEs 1e-4
relative, test statistics 1e-4.

The scaled LR tests (tests/fixtures/comparison_arms/make_scaled_tests.R, scaled_tests.csv):
the same models with ``estimator = "MLR"``, then

    fitMeasures(fit, c("chisq", "df", "chisq.scaled", "chisq.scaling.factor", "pvalue.scaled"))
    lavTestLRT(equal, free)            # MLR: method = "satorra.bentler.2001"
    lavaan:::lav_test_diff_SatorraBentler2001(free, equal)$scaling.factor   # cd

Tolerance 1e-5 relative (measured: 8e-8 for the chain's and 1e-7 for the panels' differences,
6e-7 for the models' scaled chi-squares; the EM and optimiser tolerances).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipeline.comparison.armfits import ARM_GROUP
from pipeline.comparison.chains import chain_by_arm, mediation_tables
from pipeline.comparison.panels import panel_by_arm
from pipeline.comparison.settings import ArmPanel
from pipeline.mediation.spec import Binding, MediationSpec

HERE = Path(__file__).resolve().parents[1] / "fixtures"
FIX = HERE / "comparison_arms"
ARMS = ("Usual care", "Social prescribing")
SPEC = MediationSpec(name="chain", x=Binding("x", "T1"),
                     mediators=(Binding("m1", "T1"), Binding("m2", "T1")),
                     y=Binding("y", "T1"), covariates=("age",), label="x -> m1 -> m2 -> y")


def chain_wide() -> pd.DataFrame:
    d = pd.read_csv(FIX / "chain_data.csv")
    return d.rename(columns={v: f"{v}_T1" for v in ("x", "m1", "m2", "y")})


@pytest.fixture(scope="module")
def chain():
    fits, notes = chain_by_arm(chain_wide(), SPEC, "arm", ARMS, robust=True)
    assert fits.ok, fits.message
    med, test = mediation_tables([(SPEC, fits, notes)], 0.95, 2000, 1)
    return fits, med, test


def _tests(analysis: str) -> dict[str, pd.Series]:
    t = pd.read_csv(FIX / "tests.csv")
    return {r["test"]: r for _, r in t[t["analysis"] == analysis].iterrows()}


def test_chain_tests_match_lavtestlrt_and_lavtestwald(chain):
    _, _, test = chain
    ref = _tests("chain")
    lr = test[test["test"].str.startswith("likelihood")].iloc[0]
    wald = test[test["test"].str.startswith("robust Wald")].iloc[0]
    assert lr["chisq"] == pytest.approx(ref["lr"]["chisq"], abs=1e-4)
    assert lr["df"] == ref["lr"]["df"] == 6
    assert lr["pvalue"] == pytest.approx(ref["lr"]["pvalue"], abs=1e-5)
    assert wald["chisq"] == pytest.approx(ref["wald_mlr"]["chisq"], abs=1e-4)
    assert wald["pvalue"] == pytest.approx(ref["wald_mlr"]["pvalue"], abs=1e-5)
    scaled = test[test["test"].str.startswith("scaled")].iloc[0]
    sb = _scaled("chain")["sb2001"]
    assert scaled["chisq"] == pytest.approx(sb["chisq"], rel=1e-5)
    assert scaled["df"] == sb["df"] == 6
    assert scaled["pvalue"] == pytest.approx(sb["pvalue_scaled"], rel=1e-5)
    assert scaled["scaling_factor"] == pytest.approx(sb["scaling_factor"], rel=1e-5)
    assert scaled["estimator"] == "MLR" and scaled["status"] == "ok"
    # under MLR the scaled LR test is the headline, the ML LR and robust Wald tests beside it
    assert bool(scaled["headline"]) and not bool(wald["headline"]) and not bool(lr["headline"])
    assert test["headline"].astype(bool).sum() == 1
    assert (test["n_programme"] + test["n_reference"] == 420).all()


def _scaled(analysis: str) -> dict[str, pd.Series]:
    t = pd.read_csv(FIX / "scaled_tests.csv")
    return {r["model"]: r for _, r in t[t["analysis"] == analysis].iterrows()}


def test_chain_scaled_chisq_of_each_model_matches_fitmeasures(chain):
    from pipeline.sem.multigroup import scaled_chisq_groups

    fits, _, _ = chain
    ref = _scaled("chain")
    got = scaled_chisq_groups(fits.equal)
    assert got["chisq.scaled"] == pytest.approx(ref["equal"]["chisq_scaled"], rel=1e-5)
    assert got["chisq.scaling.factor"] == pytest.approx(ref["equal"]["scaling_factor"],
                                                        rel=1e-5)
    # the free chain is saturated: df 0, no scaling factor (lavaan NA), c1 = 1 in the difference
    free = scaled_chisq_groups(fits.free)
    assert fits.free.fit["df"] == 0 and np.isnan(free["chisq.scaling.factor"])
    assert np.isnan(fits.scaled["scaling_free"])


def test_a_negative_difference_scaling_factor_hands_the_headline_to_the_wald_test(chain):
    from dataclasses import replace

    from pipeline.comparison.armfits import arm_test_rows

    fits, _, _ = chain
    bad = replace(fits, scaled={**fits.scaled, "chisq_diff": np.nan, "pvalue": np.nan,
                                "scaling_factor": np.nan,
                                "message": "the difference's scaling factor is negative"})
    rows = {r["test"].split(" ")[0]: r for r in arm_test_rows(bad, "chain", "m", "a1")}
    assert rows["scaled"]["status"] == "not_estimable" and not rows["scaled"]["headline"]
    assert "negative" in rows["scaled"]["message"]
    assert rows["robust"]["headline"] and not rows["likelihood"]["headline"]


def test_chain_per_arm_and_equal_estimates_match_lavaan(chain):
    _, med, _ = chain
    ref = pd.read_csv(FIX / "chain_estimates.csv")
    ref = ref[ref["label"].notna()].copy()
    suffix = ref["label"].str.extract(r"\.g(\d)$")[0]  # defined rows: group from the label
    ref["group"] = ref["group"].fillna(suffix.map(lambda g: ARMS[int(g) - 1]
                                                  if isinstance(g, str) else None))
    ref["label"] = ref["label"].str.replace(r"\.g\d$", "", regex=True)
    free = ref[ref["model"] == "free_mlr"]
    ours = med[med["model"] == "free"].set_index(["arm", "label"])
    assert len(free) == 2 * 10  # 6 paths + 4 defined effects per arm
    for _, r in free.iterrows():
        row = ours.loc[(r["group"], r["label"])]
        assert row["est"] == pytest.approx(r["est"], abs=1e-5), r["label"]
        assert row["se"] == pytest.approx(r["se"], rel=1e-4), r["label"]
        assert row["estimator"] == "MLR"
    equal = ref[ref["model"] == "equal_ml"].drop_duplicates("label")
    ours = med[med["model"] == "equal"].set_index("label")
    for _, r in equal.iterrows():
        assert ours.loc[r["label"], "est"] == pytest.approx(r["est"], abs=1e-5)
        assert ours.loc[r["label"], "se"] == pytest.approx(r["se"], rel=1e-4)


def _panel_data(file: str, waves: int) -> pd.DataFrame:
    d = pd.read_csv(HERE / "multigroup" / file)
    d = d.rename(columns={f"{v}{t}": f"{v}_T{t}" for v in "xy" for t in range(1, waves + 1)})
    return d


@pytest.mark.parametrize("model,file,waves", [("clpm", "clpm2.csv", 3),
                                              ("riclpm", "riclpm2.csv", 4)])
def test_panel_tests_match_lavaan_partial_equality(model, file, waves):
    panel = ArmPanel("p", ("x", "y"), tuple(f"T{t}" for t in range(1, waves + 1)), (model,))
    fits = panel_by_arm(_panel_data(file, waves), panel, model, "arm",
                        ("control", "intervention"), robust=True)
    assert fits.ok, fits.message
    ref = _tests(model)
    assert fits.lr["chisq_diff"] == pytest.approx(ref["lr"]["chisq"], abs=1e-4)
    assert fits.lr["df_diff"] == ref["lr"]["df"]
    assert fits.wald["chisq"] == pytest.approx(ref["wald_mlr"]["chisq"], abs=1e-4)
    assert fits.wald["df"] == ref["wald_mlr"]["df"]
    sc = _scaled(model)
    assert fits.scaled["chisq_diff"] == pytest.approx(sc["sb2001"]["chisq"], rel=1e-5)
    assert fits.scaled["df_diff"] == sc["sb2001"]["df"]
    assert fits.scaled["pvalue"] == pytest.approx(sc["sb2001"]["pvalue_scaled"], rel=1e-5)
    assert fits.scaled["scaling_factor"] == pytest.approx(sc["sb2001"]["scaling_factor"],
                                                          rel=1e-5)
    assert fits.scaled["scaling_restricted"] == pytest.approx(sc["equal"]["scaling_factor"],
                                                              rel=1e-5)
    assert fits.scaled["scaling_free"] == pytest.approx(sc["free"]["scaling_factor"], rel=1e-5)
    # the autoregressive paths stay free, the cross-lagged ones are equal
    est = fits.equal.estimates
    reg = est[est["op"] == "~"]
    ar = reg["lhs"].str[-4] == reg["rhs"].str[-4]
    assert reg.loc[~ar, "equal"].all() and not reg.loc[ar, "equal"].any()


def test_arm_group_column_is_the_arm_name():
    from pipeline.comparison.chains import chain_frame

    frame, covs = chain_frame(chain_wide(), SPEC, "arm")
    assert covs == ["age"]
    assert set(frame[ARM_GROUP]) == set(ARMS)
    assert np.isfinite(frame["x_T1"]).all()


def test_a_failing_scaled_test_leaves_the_model_and_the_other_tests(monkeypatch):
    import pipeline.comparison.armfits as armfits
    from pipeline.errors import ModelError

    def boom(*_):
        raise ModelError("scaled LR test: the saturated information is singular.")

    monkeypatch.setattr(armfits, "scaled_lr_test_groups", boom)
    fits, _ = chain_by_arm(chain_wide(), SPEC, "arm", ARMS, robust=True)
    assert fits.ok and fits.lr and fits.wald
    rows = {r["test"].split(" ")[0]: r for r in armfits.arm_test_rows(fits, "c", "m", "a")}
    assert rows["scaled"]["status"] == "not_estimable"
    assert "singular" in rows["scaled"]["message"] and rows["scaled"]["df"] == 6
    assert rows["robust"]["headline"] and not rows["scaled"]["headline"]
