"""Tests for pipeline.change.trajectory: one construct's model, means and contrasts end to end.

The whole chain (model frame, lme4-like fit, emmeans-like means/contrasts) is checked against
lme4/emmeans (tests/fixtures/change/make_reference.R); the pieces have their own tests in
tests/stats/test_mixed.py and tests/stats/test_emmeans.py.

Agreement required: estimates within 1e-4 (absolute), SEs within 1% (relative; observed ~1e-6).
emmeans was run with lmer.df = "asymptotic" so both sides use z-based CIs and p-values.
Model-based means: ref_emmeans.csv uses weights = "proportional" (the default,
covariate_weights="proportional"); ref_emmeans_equal.csv emmeans' default weights = "equal".
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import pipeline.change.trajectory as cm
import pipeline.stats.mixed as mx
from pipeline.errors import DataError

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "change"
WAVES = ["T0", "T1", "T2"]
MODELS = {
    "wave_age": ({"age": "numeric"}, "wave"),
    "wave_age_gender": ({"age": "numeric", "gender": "categorical"}, "wave"),
    "months_age": ({"age": "numeric"}, "months"),
}


@pytest.fixture(scope="module")
def sim() -> pd.DataFrame:
    d = pd.read_csv(FIX / "sim_long.csv", dtype={"pid": str, "wave": str})
    d["gender"] = pd.Categorical(d["gender"], ["Woman", "Man", "Non-binary / other"])
    return d


@pytest.fixture(scope="module")
def fits(sim) -> dict[str, cm.Trajectory]:
    return {
        m: cm.fit_trajectory(sim, "score", WAVES, cov, time=time)
        for m, (cov, time) in MODELS.items()
    }


@pytest.mark.parametrize("model", list(MODELS))
@pytest.mark.slow
def test_means_match_emmeans(fits, model):
    ref = pd.read_csv(FIX / "ref_emmeans.csv").query("model == @model").set_index("wave")
    got = fits[model].means.query("method == 'lmm_reml'").set_index("wave").loc[ref.index]
    np.testing.assert_allclose(got["est"], ref["emmean"], atol=1e-4, rtol=0)
    np.testing.assert_allclose(got["se"], ref["se"], rtol=0.01)
    np.testing.assert_allclose(got["ci_lower"], ref["ci_lower"], atol=1e-3)
    np.testing.assert_allclose(got["ci_upper"], ref["ci_upper"], atol=1e-3)
    # measured agreement is far tighter than the requirement
    assert np.max(np.abs(got["se"] / ref["se"] - 1)) < 1e-4


@pytest.mark.parametrize("model", list(MODELS))
@pytest.mark.slow
def test_means_equal_weights_match_emmeans_default(sim, model):
    cov, time = MODELS[model]
    res = cm.fit_trajectory(sim, "score", WAVES, cov, time=time, covariate_weights="equal")
    ref = pd.read_csv(FIX / "ref_emmeans_equal.csv").query("model == @model").set_index("wave")
    got = res.means.query("method == 'lmm_reml'").set_index("wave").loc[ref.index]
    np.testing.assert_allclose(got["est"], ref["emmean"], atol=1e-4, rtol=0)
    np.testing.assert_allclose(got["se"], ref["se"], rtol=0.01)
    np.testing.assert_allclose(got["ci_lower"], ref["ci_lower"], atol=1e-3)
    np.testing.assert_allclose(got["ci_upper"], ref["ci_upper"], atol=1e-3)
    assert np.max(np.abs(got["se"] / ref["se"] - 1)) < 1e-4


@pytest.mark.slow
def test_proportional_weights_describe_the_sample(sim, fits):
    """Proportional means = average prediction over the model rows; equal weights differ when
    a rare level (5% non-binary) has a different mean; contrasts do not depend on weights."""
    prop = fits["wave_age_gender"]
    eq = cm.fit_trajectory(sim, "score", WAVES, MODELS["wave_age_gender"][0],
                           covariate_weights="equal")
    pm = prop.means.query("method == 'lmm_reml'").set_index("wave")
    em = eq.means.query("method == 'lmm_reml'").set_index("wave")
    assert np.all(np.abs(pm["est"] - em["est"]) > 1.0)  # rare level overweighted by "equal"
    assert np.all(pm["se"] < em["se"])
    # without gender the means barely move: the sample's gender mix is what proportional keeps
    np.testing.assert_allclose(pm["est"], fits["wave_age"].means.query(
        "method == 'lmm_reml'").set_index("wave")["est"], atol=0.1)
    cols = ["est", "se", "z", "pvalue", "pvalue_adj", "ci_lower", "ci_upper", "ci_lower_adj",
            "ci_upper_adj"]
    np.testing.assert_allclose(prop.contrasts[cols].to_numpy(float),
                               eq.contrasts[cols].to_numpy(float), rtol=1e-10, atol=1e-10)
    with pytest.raises(DataError, match="covariate_weights"):
        cm.fit_trajectory(sim, "score", WAVES, {"age": "numeric"}, covariate_weights="cells")


@pytest.mark.parametrize("model", list(MODELS))
@pytest.mark.slow
def test_contrasts_match_emmeans(fits, model):
    ref = pd.read_csv(FIX / "ref_contrasts.csv").query("model == @model").set_index("contrast")
    got = fits[model].contrasts.set_index("contrast").loc[ref.index]
    np.testing.assert_allclose(got["est"], ref["est"], atol=1e-4, rtol=0)
    np.testing.assert_allclose(got["se"], ref["se"], rtol=0.01)
    np.testing.assert_allclose(got["z"], ref["z"], rtol=1e-3)
    np.testing.assert_allclose(got["pvalue"], ref["p"], rtol=1e-2)
    np.testing.assert_allclose(got["pvalue_adj"], ref["p_holm"], rtol=1e-2)
    np.testing.assert_allclose(got["ci_lower"], ref["ci_lower"], atol=1e-3)
    np.testing.assert_allclose(got["ci_upper_adj"], ref["ci_upper_bonf"], atol=1e-3)
    np.testing.assert_allclose(got["ci_lower_adj"], ref["ci_lower_bonf"], atol=1e-3)


@pytest.mark.parametrize("model", list(MODELS))
@pytest.mark.slow
def test_variance_components_and_n_match_lme4(fits, model):
    ref = pd.read_csv(FIX / "ref_varcomp.csv").set_index("model").loc[model]
    st = fits[model].status.iloc[0]
    assert st["status"] == "ok"
    assert st["sd_participant"] == pytest.approx(ref["sd_pid"], rel=1e-4)
    assert st["sd_residual"] == pytest.approx(ref["sd_resid"], rel=1e-4)
    assert st["loglik"] == pytest.approx(ref["reml_loglik"], abs=1e-4)
    assert st["n_obs"] == ref["n_obs"] and st["n_participants"] == ref["n_pid"]
    assert "missing covariate" in st["message"]  # the 5 people without age are logged


@pytest.mark.slow
def test_observed_means(sim, fits):
    obs = fits["wave_age"].means.query("method == 'observed_all'").set_index("wave")
    raw = sim.dropna(subset=["score"]).groupby("wave")["score"]
    np.testing.assert_allclose(obs.loc[WAVES, "est"], raw.mean().loc[WAVES], rtol=1e-12)
    assert list(obs.loc[WAVES, "n"]) == list(raw.count().loc[WAVES])
    comp = fits["wave_age"].means.query("method == 'observed_completers'")
    n_waves = sim.dropna(subset=["score"]).groupby("pid")["wave"].nunique()
    assert (comp["n"] == (n_waves == 3).sum()).all()
    con = fits["wave_age"].contrasts.set_index("wave")
    cm_ = comp.set_index("wave")["est"]
    assert con.loc["T2", "observed_completer_diff"] == pytest.approx(cm_["T2"] - cm_["T0"])


def _small_panel(n=80, n_t1=40, n_t2=6, seed=1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    u = rng.normal(0, 1, n)
    rows = []
    for w, k, months, shift in (("T0", n, 0, 0.0), ("T1", n_t1, 4, 0.5), ("T2", n_t2, 7, 0.8)):
        idx = np.arange(k)
        rows.append(pd.DataFrame({"pid": [f"p{i}" for i in idx], "wave": w, "months": months,
                                  "age": 40 + idx % 30, "s": 4 + shift + u[idx]
                                  + rng.normal(0, 0.7, k)}))
    return pd.concat(rows, ignore_index=True)


def test_small_wave_is_fitted_but_not_reported():
    d = _small_panel()
    res = cm.fit_trajectory(d, "s", WAVES, {"age": "numeric"}, min_cell=10)
    msg = "too few people answered at T2 (fewer than 10)"
    m = res.means.query("method == 'lmm_reml'").set_index("wave")
    assert m.loc["T2", "flag"] == "small_n" and m.loc["T2", "status"] == "not_estimable"
    assert m.loc["T2", ["est", "se", "ci_lower", "ci_upper"]].isna().all()
    assert m.loc["T2", "message"] == msg + "; the mean is not reported"
    assert m.loc["T1", "flag"] == "" and m.loc["T2", "n"] == 6 and m.loc["T1", "status"] == "ok"
    c = res.contrasts.set_index("wave")
    assert c.loc["T2", "flag"] == "small_n" and c.loc["T2", "status"] == "not_estimable"
    assert c.loc["T2", "message"] == msg + "; change is not estimated"
    assert c.loc["T2", ["est", "se", "z", "pvalue", "pvalue_adj", "ci_lower", "ci_upper",
                        "ci_lower_adj", "ci_upper_adj"]].isna().all()
    # the wave stays in the fit: T1 is the same as when T2 is reported (min_cell = 5)
    full = cm.fit_trajectory(d, "s", WAVES, {"age": "numeric"}, min_cell=5)
    fc = full.contrasts.set_index("wave")
    assert fc.loc["T2", "status"] == "ok" and np.isfinite(fc.loc["T2", "est"])
    assert c.loc["T1", "est"] == pytest.approx(fc.loc["T1", "est"], rel=1e-12)
    assert c.loc["T1", "se"] == pytest.approx(fc.loc["T1", "se"], rel=1e-12)
    # ... but the withheld contrast is not in the Holm family
    assert c.loc["T1", "pvalue_adj"] == pytest.approx(c.loc["T1", "pvalue"])
    assert res.status.iloc[0]["status"] == "ok" and msg in res.status.iloc[0]["message"]
    # observed means of fewer than min_cell people are blank too
    obs = res.means.query("method != 'lmm_reml'").set_index(["method", "wave"])
    t2 = obs.loc[("observed_all", "T2")]
    assert t2["status"] == "not_estimable" and t2[["est", "se", "sd", "ci_lower"]].isna().all()
    comp = obs.loc["observed_completers"]  # the 6 people seen at every wave
    assert (comp["status"] == "not_estimable").all() and comp["est"].isna().all()
    assert comp["message"].str.startswith("too few people answered at every wave").all()
    assert obs.loc[("observed_all", "T1"), "status"] == "ok"


def test_one_person_at_follow_up_gives_no_numbers():
    """Audit case c04a: one participant at T2."""
    d = _small_panel(n_t2=1)
    res = cm.fit_trajectory(d, "s", WAVES, {"age": "numeric"}, min_cell=10)
    c = res.contrasts.set_index("wave").loc["T2"]
    assert c["status"] == "not_estimable" and np.isnan(c["est"]) and np.isnan(c["pvalue"])
    assert c["message"] == "too few people answered at T2 (fewer than 10); change is not estimated"
    t2 = res.means.query("wave == 'T2'")
    assert (t2["status"] == "not_estimable").all() and t2["est"].isna().all()


def test_small_baseline_withholds_every_contrast():
    d = _small_panel(n=8, n_t1=8, n_t2=8)
    res = cm.fit_trajectory(d, "s", WAVES, min_cell=10)
    assert res.status.iloc[0]["status"] == "ok"
    assert (res.contrasts["status"] == "not_estimable").all() and res.contrasts["est"].isna().all()
    assert res.means["est"].isna().all()


def test_one_wave_only_is_not_estimable():
    d = _small_panel()
    d.loc[d["wave"] != "T0", "s"] = np.nan
    res = cm.fit_trajectory(d, "s", WAVES, {"age": "numeric"})
    assert res.status.iloc[0]["status"] == "not_estimable"
    assert "observed at 1 wave" in res.status.iloc[0]["message"]
    model = res.means.query("method == 'lmm_reml'")
    assert model["est"].isna().all() and (model["status"] == "not_estimable").all()
    assert res.contrasts["est"].isna().all()
    # observed baseline mean is still reported
    obs = res.means.query("method == 'observed_all' and wave == 'T0'").iloc[0]
    assert obs["status"] == "ok" and np.isfinite(obs["est"])


def test_nobody_with_two_waves_is_not_estimable():
    d = _small_panel()
    d["pid"] = d["pid"] + "_" + d["wave"]  # every person seen once
    res = cm.fit_trajectory(d, "s", WAVES)
    assert res.status.iloc[0]["status"] == "not_estimable"
    assert "two waves" in res.status.iloc[0]["message"]


def test_empty_middle_wave_is_left_out():
    d = _small_panel(n_t2=30)
    d.loc[d["wave"] == "T1", "s"] = np.nan
    res = cm.fit_trajectory(d, "s", WAVES, {"age": "numeric"})
    assert res.status.iloc[0]["status"] == "ok"
    assert "no scores at T1" in res.status.iloc[0]["message"]
    c = res.contrasts.set_index("wave")
    assert c.loc["T1", "status"] == "not_estimable" and np.isnan(c.loc["T1", "est"])
    assert c.loc["T2", "status"] == "ok" and np.isfinite(c.loc["T2", "est"])


def test_optimizer_fallback(monkeypatch):
    real = mx._fit_once
    calls = []

    def flaky(y, X, groups, reml, method):
        calls.append(method)
        if method == "lbfgs":
            raise np.linalg.LinAlgError("Singular matrix")
        return real(y, X, groups, reml, method)

    monkeypatch.setattr(mx, "_fit_once", flaky)
    res = cm.fit_trajectory(_small_panel(n_t2=30), "s", WAVES, {"age": "numeric"})
    st = res.status.iloc[0]
    assert calls[:2] == ["lbfgs", "bfgs"] and st["optimizer"] == "bfgs" and st["status"] == "ok"
    assert "optimiser lbfgs failed" in st["message"] and "fallback optimiser bfgs" in st["message"]


def test_all_optimizers_fail_gives_failed_without_estimates(monkeypatch):
    class NotConverged:
        converged = False
        fe_params = np.array([1.0, 2.0, 3.0, 4.0])
        scale, cov_re, llf = 1.0, np.array([[1.0]]), -1.0

    monkeypatch.setattr(mx, "_fit_once", lambda *a: NotConverged())
    res = cm.fit_trajectory(_small_panel(n_t2=30), "s", WAVES, {"age": "numeric"})
    st = res.status.iloc[0]
    assert st["status"] == "failed" and "did not converge" in st["message"]
    assert "powell" not in st["message"]  # optimiser details go to the log, not funder text
    model = res.means.query("method == 'lmm_reml'")
    assert model["est"].isna().all() and model["se"].isna().all()
    assert res.contrasts[["est", "se", "pvalue", "ci_lower_adj"]].isna().all().all()
    assert (res.contrasts["status"] == "failed").all()


@pytest.mark.slow
def test_singular_fit_matches_lme4():
    d = pd.read_csv(FIX / "sim_singular.csv", dtype={"pid": str})
    ref = pd.read_csv(FIX / "ref_singular.csv")
    res = cm.fit_trajectory(d, "score", WAVES)
    st = res.status.iloc[0]
    assert st["status"] == "ok" and "singular fit" in st["message"]
    assert st["sd_participant"] < 1e-2
    em = ref.query("kind == 'emmean'").set_index("wave")
    got = res.means.query("method == 'lmm_reml'").set_index("wave").loc[em.index]
    np.testing.assert_allclose(got["est"], em["est"], atol=1e-4, rtol=0)
    np.testing.assert_allclose(got["se"], em["se"], rtol=0.01)
    ct = ref.query("kind == 'contrast'").set_index("wave")
    got = res.contrasts.set_index("wave").loc[ct.index]
    np.testing.assert_allclose(got["est"], ct["est"], atol=1e-4, rtol=0)
    np.testing.assert_allclose(got["se"], ct["se"], rtol=0.01)


def test_ml_fit_is_labelled():
    res = cm.fit_trajectory(_small_panel(n_t2=30), "s", WAVES, reml=False)
    assert set(res.means.query("method.str.startswith('lmm')")["method"]) == {"lmm_ml"}
    assert res.status.iloc[0]["method"] == "lmm_ml"


def test_duplicate_participant_wave_rows_raise():
    d = _small_panel()
    d = pd.concat([d, d.iloc[[3]]])
    with pytest.raises(DataError, match="repeat a participant-wave"):
        cm.fit_trajectory(d, "s", WAVES)


def test_covariates_come_from_baseline():
    d = _small_panel(n_t2=30)
    ref = cm.fit_trajectory(d, "s", WAVES, {"age": "numeric"})
    d2 = d.copy()
    d2.loc[d2["wave"] != "T0", "age"] = np.nan  # follow-up files without age
    res = cm.fit_trajectory(d2, "s", WAVES, {"age": "numeric"})
    assert res.status.iloc[0]["n_obs"] == ref.status.iloc[0]["n_obs"] == len(d)
    pd.testing.assert_frame_equal(res.contrasts, ref.contrasts)
    d3 = d.copy()
    d3.loc[d3["wave"] == "T1", "age"] = 99.0  # a different value at follow-up is ignored
    res3 = cm.fit_trajectory(d3, "s", WAVES, {"age": "numeric"})
    pd.testing.assert_frame_equal(res3.contrasts, ref.contrasts)
    # a configured source wave is honoured
    d4 = d.copy()
    d4.loc[d4["wave"] == "T0", "age"] = np.nan
    d4.loc[d4["wave"] == "T1", "age"] = d.loc[d["wave"] == "T1", "age"].to_numpy()
    res4 = cm.fit_trajectory(d4, "s", WAVES, {"age": "numeric"}, covariate_waves={"age": "T1"})
    assert res4.status.iloc[0]["n_participants"] == 40  # only people seen at T1 have age


def test_bad_inputs_raise():
    d = _small_panel()
    with pytest.raises(DataError, match="'nope'"):
        cm.fit_trajectory(d, "s", WAVES, {"nope": "numeric"})
    with pytest.raises(DataError, match="time"):
        cm.fit_trajectory(d, "s", WAVES, time="days")


def test_trajectories_stacks_constructs():
    d = _small_panel(n_t2=30)
    d["other"] = d["s"] * 10
    res = cm.trajectories(d, ["s", "other"], WAVES, {"age": "numeric"})
    assert list(res.status["construct"]) == ["s", "other"]
    assert len(res.means) == 2 * 9 and len(res.contrasts) == 4
    a = res.contrasts.set_index(["construct", "wave"])
    assert a.loc[("other", "T1"), "est"] == pytest.approx(a.loc[("s", "T1"), "est"] * 10, rel=1e-4)


def test_too_few_scores_is_not_estimable_without_counts_or_exception_text():
    """Four scores from two people for four fixed effects: not estimable, in plain words (a real
    REDCap demo project gave 'did not converge (ValueError: ...)' before)."""
    from pipeline.change.trajectory import _too_few_for_model

    msg = _too_few_for_model("anxiety", n_obs=4, n_people=2, n_fixed=4)
    assert msg is not None and "cannot be estimated" in msg
    assert "ValueError" not in msg and "4 scores" not in msg
    assert _too_few_for_model("anxiety", n_obs=40, n_people=20, n_fixed=4) is None
    assert _too_few_for_model("anxiety", n_obs=40, n_people=1, n_fixed=4) is not None
