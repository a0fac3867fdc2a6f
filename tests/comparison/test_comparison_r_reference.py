"""The comparison wing's estimates against R (tests/fixtures/comparison/).

Data: make_data.py (the design frame of a generated two-arm study, n = 300, and five
completed data sets in mice's long format). R (make_reference.R, abridged)::

    fit <- sem(model, d, missing = "ml", fixed.x = FALSE, estimator = "MLR")  # and "ML"
    #   model: y_k ~ b_k*programme_arm + age + gender_lvl2; y_k ~ i_k*1; residuals and
    #   exogenous covariances free; group memberships T0-T2 ~~ everything (auxiliaries);
    #   did_k := b_k - b0; cr_k := i_k - i0; cp_k := i_k + b_k - i0 - b0
    lm(I(y_k - y_0) ~ programme_arm + age + gender_lvl2, d)                 # complete cases
    ps <- glm(programme_arm ~ age + gender_lvl2 + loneliness_T0, binomial)
    w  <- ifelse(P == 1, 1 - e, e)        # overlap; ipw: 1/e, 1/(1 - e)
    fit <- lm(I(y_k - y_0) ~ programme_arm, weights = w); sandwich::vcovHC(fit, "HC0")
    imp <- as.mids(long); pool(as.mira(lapply(1:5, function(i) lm(f, complete(imp, i)))))

Tolerances: FIML estimates 2e-5 absolute and SEs 1e-5 relative (measured: 5e-6 and 2e-6; both
optimise to lavaan's tolerance); least squares, sandwich and Rubin's rules 1e-8.
"""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipeline.comparison.balance import propensity_weights
from pipeline.comparison.fiml import fiml_arm_rows
from pipeline.comparison.regression import cc_rows, mi_rows, weighted_rows
from pipeline.stats.ipw import kish_ess

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "comparison"
WAVES = ["T0", "T1", "T2"]
COVS = ("age", "gender_lvl2")
AUX = [f"group_memberships_{w}" for w in WAVES]
KEY = {"did": "did", "chg_ref": "cr", "chg_prog": "cp", "mean_ref": "mean_ref"}


@pytest.fixture(scope="module")
def data():
    return pd.read_csv(FIX / "two_arm.csv")


@pytest.fixture(scope="module")
def ref():
    return pd.read_csv(FIX / "reference.csv").set_index(["method", "estimand", "wave"])


def _compare(rows, ref, method, rtol_est, rtol_se, estimands=KEY):
    checked = 0
    for r in rows:
        key = (method, estimands.get(r["estimand"], ""), WAVES[r["k"]])
        if key not in ref.index:
            continue
        exp = ref.loc[key]
        assert r["est"] == pytest.approx(exp["est"], abs=rtol_est), key
        assert r["se"] == pytest.approx(exp["se"], rel=rtol_se), key
        if np.isfinite(exp["df"]):
            assert r["df"] == pytest.approx(exp["df"], rel=1e-6), key
        checked += 1
    return checked


@pytest.mark.parametrize("se,method", [("robust", "fiml_robust"), ("standard", "fiml_standard")])
def test_fiml_matches_lavaan(data, ref, se, method):
    rows = fiml_arm_rows(data, {"loneliness": [f"loneliness_{w}" for w in WAVES]},
                         "programme_arm", COVS, AUX, se=se)
    assert {r["status"] for r in rows} == {"ok"}
    assert _compare(rows, ref, method, 2e-5, 1e-5) == 9


def test_complete_cases_match_lm(data, ref):
    rows = cc_rows(data, "loneliness", WAVES, "programme_arm", COVS)
    assert _compare([r | {"k": r["k"]} for r in rows], ref, "complete_case", 1e-8, 1e-8) == 6


@pytest.mark.parametrize("scheme", ["overlap", "ipw"])
def test_weighted_matches_lm_with_hc0_sandwich(data, ref, scheme):
    frame = data.copy()
    w, status, _ = propensity_weights(frame, "programme_arm",
                                      [*COVS, "loneliness_T0"], scheme)
    assert status == "ok"
    frame["ps_weight"] = w
    rows = weighted_rows(frame, "loneliness", WAVES, "programme_arm", "ps_weight", scheme)
    assert _compare(rows, ref, f"weighted_{scheme}", 1e-8, 1e-7) == 4
    if scheme == "overlap":
        ess = pd.read_csv(FIX / "reference_ess.csv")["ess_programme"].iloc[0]
        assert kish_ess(w[(frame["programme_arm"] == 1) & w.notna()].to_numpy()) == \
            pytest.approx(ess, rel=1e-9)


def test_mi_matches_mice_pool(ref):
    long = pd.read_csv(FIX / "two_arm_imputed.csv")
    obs = long[long[".imp"] == 0]
    age_mean, man_mean = obs["age_raw"].mean(), obs["man"].mean()

    def frames():
        for i in range(1, 6):
            d = long[long[".imp"] == i]
            yield d.assign(age=d["age_raw"] - age_mean, gender_lvl2=d["man"] - man_mean)

    rows = mi_rows(frames, "loneliness", WAVES, "programme_arm", COVS, 5)
    assert _compare(rows, ref, "mi", 1e-8, 1e-8, {"did": "did", "chg_ref": "cr"}) == 4
