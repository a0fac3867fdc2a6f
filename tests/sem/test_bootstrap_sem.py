"""Case-resampling bootstrap of a fitted SEM (pipeline/sem/bootstrap.py): lavaan's conventions,
reproducibility (seed, chunking, processes), failures counted, honest errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import case_inputs
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.errors import ModelError
from pipeline.sem import SEMResult, fit_sem
from pipeline.sem import bootstrap as boot
from pipeline.sem.bootstrap import bootstrap_sem, norm_inter, resample_block

CASE = "mediation_serial3_fiml"


@pytest.fixture(scope="module")
def serial3(fitted):
    syntax, data, _ = case_inputs(CASE)
    fit = fitted(CASE)
    return syntax, data, fit, bootstrap_sem(syntax, data, fit, B=120, seed=7)


def test_norm_inter_equals_boot_norm_inter():
    # R: boot's norm.inter as in lavaan::parameterEstimates (values printed by R 4.2, %.15g)
    t = np.array([0.3, -1.2, 2.5, 0.9, 0.1, -0.4, 1.7, 3.3, -2.2, 0.05, 1.1])
    got = norm_inter(t[:, None], [0.025, 0.975, 0.5, 0.1, 0.9, 0.001])[:, 0]
    np.testing.assert_allclose(got, [-2.2, 3.3, 0.3, -1.95589687319058, 3.10471749855247, -2.2],
                               rtol=1e-13)
    t2 = np.append(t, 4.4)
    np.testing.assert_allclose(norm_inter(t2[:, None], [0.025, 0.975, 0.5, 1 / 13])[:, 0],
                               [-2.2, 4.4, 0.6, -2.2], rtol=1e-13)
    with_nan = np.column_stack([t2, np.append(t, np.nan)])   # non-finite draws are skipped
    np.testing.assert_allclose(norm_inter(with_nan, [0.1, 0.9])[:, 1],
                               norm_inter(t[:, None], [0.1, 0.9])[:, 0])


@settings(max_examples=80, deadline=None)
@given(st.lists(st.floats(-1e3, 1e3), min_size=1, max_size=60),
       st.lists(st.floats(0.0005, 0.9995), min_size=1, max_size=6))
def test_norm_inter_is_an_order_statistic_or_between_two(values, alpha):
    t = np.sort(np.array(values))
    alpha = np.sort(np.array(alpha))
    out = norm_inter(np.array(values)[:, None], alpha)[:, 0]
    R = t.size
    k = np.clip(np.trunc((R + 1) * alpha).astype(int), 1, R)
    upper = t[np.minimum(k, R - 1)]
    assert np.all(out >= t[k - 1] - 1e-9 * (1 + abs(t[k - 1])))
    assert np.all(out <= upper + 1e-9 * (1 + np.abs(upper)))
    assert np.all(np.diff(out) >= -1e-9 * (1 + np.abs(out[1:])))  # monotone in alpha


def test_table_follows_lavaan_bootstrap_conventions(serial3):
    _, _, fit, res = serial3
    est = res.estimates.set_index(["lhs", "op", "rhs"])
    assert res.draws.shape == (res.B_ok, fit.theta.size) and res.B_ok == 120 - res.n_failed
    free = fit.estimates[fit.estimates["op"].isin(["~", "~~", "~1"])]
    free = free[free["se"] > 0]
    assert len(free) == fit.theta.size
    for k, r in enumerate(free.itertuples()):
        row = est.loc[(r.lhs, r.op, r.rhs)]
        assert row["est"] == fit.theta[k]
        assert row["se"] == pytest.approx(res.draws[:, k].std(ddof=0), rel=1e-12)  # divisor B
        lo, hi = norm_inter(res.draws[:, [k]], [0.025, 0.975])[:, 0]
        assert (row["ci_lower"], row["ci_upper"]) == pytest.approx((lo, hi), rel=1e-12)
        assert row["z"] == pytest.approx(row["est"] / row["se"])
    defined = res.estimates[res.estimates["op"] == ":="].reset_index(drop=True)
    assert list(defined["lhs"]) == res.defined_names
    labels = dict(zip(fit.free_names, res.draws.T))
    np.testing.assert_allclose(res.defined[:, 0], labels["a1"] * labels["b1"], rtol=1e-12)
    np.testing.assert_allclose(defined["se"], res.defined.std(axis=0, ddof=1), rtol=1e-12)
    fixed = res.estimates[(res.estimates["op"] != ":=") & (res.estimates["se"] == 0)]
    assert (fixed["ci_lower"] == fixed["est"]).all() and fixed["z"].isna().all()


def test_same_seed_same_bytes_whatever_the_chunks_and_processes(serial3, monkeypatch):
    syntax, data, fit, res = serial3
    monkeypatch.setattr(boot, "MAX_CHUNK_BLOCKS", 1)          # 50 draws per chunk, not 120
    again = bootstrap_sem(syntax, data, fit, B=120, seed=7, processes=2)
    np.testing.assert_array_equal(again.draws, res.draws)
    pd.testing.assert_frame_equal(again.estimates, res.estimates)
    other = bootstrap_sem(syntax, data, fit, B=120, seed=8)
    assert not np.array_equal(other.draws, res.draws)


def test_resample_blocks_are_seeded_one_by_one():
    a = resample_block(11, 3, 40, 175)
    assert a.shape == (25, 40)                                  # the last, partial block
    np.testing.assert_array_equal(a, resample_block(11, 3, 40, 175))
    assert not np.array_equal(resample_block(11, 2, 40, 175), resample_block(11, 1, 40, 175))


def test_degenerate_resamples_fail_and_are_counted():
    """y observed in 6 of 100 cases: a resample with y observed in fewer than two cases cannot
    be estimated, and one with exactly two distinct y cases fits them perfectly (residual
    variance -> 0, no maximum), as lavaan reports "no convergence"; three or more are fine."""
    rng = np.random.default_rng(4)
    n = 100
    x = rng.normal(size=n)
    y = 0.5 * x + rng.normal(size=n)
    y[6:] = np.nan
    data = pd.DataFrame({"x": x, "y": y})
    fit = fit_sem("y ~ b*x", data, name="sparse")
    res = bootstrap_sem("y ~ b*x", data, fit, B=400, seed=2)
    idx = np.concatenate([resample_block(2, j, n, 400) for j in range(8)])
    failed = np.zeros(400, dtype=bool)
    failed[res.failed_draws] = True
    distinct = np.array([len(np.unique(r[r < 6])) for r in idx])
    assert failed[(idx < 6).sum(axis=1) < 2].all()
    assert failed[distinct == 2].all() and not failed[distinct >= 3].any()
    assert res.n_failed == failed.sum() > 0 and res.B_ok == 400 - res.n_failed
    assert f"{res.n_failed} of 400 bootstrap resamples did not converge" in res.message


def test_refuses_what_cannot_be_bootstrapped(serial3):
    syntax, data, fit, _ = serial3
    with pytest.raises(ModelError, match="B >= 2"):
        bootstrap_sem(syntax, data, fit, B=1, seed=1)
    broken = SEMResult(name="m", status="not_converged", message="", converged=False,
                       theta=fit.theta, options=fit.options)
    with pytest.raises(ModelError, match="no converged estimates"):
        bootstrap_sem(syntax, data, broken, B=10, seed=1)
    rng = np.random.default_rng(0)
    data = pd.DataFrame({"x": rng.normal(size=50)})
    data["y"] = np.where(np.arange(50) < 3, data["x"] + rng.normal(size=50), np.nan)
    tiny = fit_sem("y ~ x", data, name="tiny")                 # y observed in 3 of 50 cases
    with pytest.raises(ModelError, match="could not be estimated"):
        bootstrap_sem("y ~ x", data, tiny, B=60, seed=1)


def test_crosslag_models_from_the_wing_syntax_bootstrap(monkeypatch):
    """The crosslag wing's models (``riclpm_syntax`` / ``clpm_syntax``): RI-CLPM random
    intercepts with fixed loadings, stationary lagged effects (equal labels = one free
    parameter), lavaan() mode; every labelled row carries its parameter's draws, fixed rows
    have no SE, and the result does not depend on the chunking."""
    from pipeline.crosslag.models import model_syntax

    data = pd.read_csv(Path(__file__).resolve().parents[1] / "fixtures" / "lavaan"
                       / "panel_moderate.csv")
    waves = ["T0", "T1", "T2"]
    for model, kw in (("riclpm", {"mode": "lavaan", "meanstructure": True, "int_ov_free": True}),
                      ("clpm", {"mode": "sem"})):
        syntax = model_syntax(model, ["belonging", "loneliness"], waves, stationary=True)
        fit = fit_sem(syntax, data, missing="ml", name=model, **kw)
        res = bootstrap_sem(syntax, data, fit, B=100, seed=3)
        assert res.n_failed == 0 and res.draws.shape == (100, fit.theta.size)
        est = res.estimates
        lagged = est[(est["op"] == "~") & est["rhs"].str.contains("belonging_T")]
        by_dst = lagged.groupby(lagged["lhs"].str.replace(r"_T\d$", "", regex=True))
        for _, rows in by_dst:      # the same source construct: one label over both lags
            assert rows["se"].nunique() == 1 and rows["ci_lower"].nunique() == 1
            assert rows["se"].iloc[0] > 0
        loadings = est[est["op"] == "=~"]
        assert model == "clpm" or ((loadings["se"] == 0).all() and len(loadings) == 12)
        monkeypatch.setattr(boot, "MAX_CHUNK_BLOCKS", 1)
        again = bootstrap_sem(syntax, data, fit, B=100, seed=3, processes=2)
        monkeypatch.undo()
        np.testing.assert_array_equal(again.draws, res.draws)
