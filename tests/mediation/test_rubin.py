"""Mediation under MI by Rubin's rules (``mediation.mi.method: rubin``): the pooled paths are
mice's ``pool(with(imp, lm(...)))`` on the same imputations, the pooled covariance is
Ubar + (1 + 1/m) B, and the indirect effects' Monte Carlo intervals agree with R's draws.

Reference (``tests/fixtures/mediation_rubin/``, R 4.x, mice 3.15.0, MASS): the script
``make_mediation_rubin.R`` simulates an incomplete two-mediator chain, imputes it with mice
(pmm, m = 5, seed 7) and writes the completed data sets (``completed.csv``), which the tests
read back, so Python and R pool the same imputations::

    imp <- mice(dd, m = 5, method = "pmm", maxit = 10, seed = 7)
    dat <- lapply(1:5, function(i) { z <- complete(imp, i)
        z$x <- z$group_memberships_T1 - z$group_memberships_T0
        z$man <- as.numeric(z$gender == "Man"); z })
    eqs <- list(m1 = belonging_T1 ~ x + age + man,
                m2 = support_T1 ~ x + age + man + belonging_T1,
                y = qol_T1 ~ x + age + man + belonging_T1 + support_T1,
                total = qol_T1 ~ x + age + man)
    fits <- lapply(eqs, function(f) lapply(dat, function(z) lm(f, data = z)))
    summary(pool(as.mira(fits$m1)), conf.int = TRUE)            # pooled.csv (and m2, y, total)
    Q <- t(sapply(1:5, slopes)); U <- block-diagonal vcov of each imputation's three lm's
    Tm <- Reduce(`+`, U) / 5 + (1 + 1/5) * cov(Q)                   # theta_T.csv
    draws <- ind(MASS::mvrnorm(1e6, colMeans(Q), Tm))                # mc.csv: 2.5%, 97.5%, SD
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from mediation_helpers import common, specs

from pipeline.mediation.rubin import RubinMI, fit_chain_ols, pool_chain, run_analyses_rubin
from pipeline.stage_io import CELL_KEYS, imp_column, read_imputed, write_imputed_cells

FIX = Path(__file__).parents[1] / "fixtures" / "mediation_rubin"
CHAIN = {"x": {"construct": "group_memberships", "change": ["T0", "T1"]},
         "mediators": [{"construct": "belonging", "wave": "T1"},
                       {"construct": "support", "wave": "T1"}],
         "y": {"construct": "qol", "wave": "T1"}, "covariates": ["age", "gender"]}


@pytest.fixture(scope="module")
def data():
    wide = pd.read_csv(FIX / "data.csv")
    long = pd.read_csv(FIX / "completed.csv")
    frames = [g.drop(columns=".imp").reset_index(drop=True) for _, g in long.groupby(".imp")]
    assert all((f["pid"] == wide["pid"]).all() for f in frames)
    return wide, frames


@pytest.fixture(scope="module")
def spec():
    return specs({"chain": CHAIN})[0]


def _names(spec) -> dict[str, str]:
    """R's term -> the design name of the same variable."""
    return {"x": spec.x.column, "age": "age", "man": "gender_Man",
            "belonging_T1": spec.mediators[0].column, "support_T1": spec.mediators[1].column,
            "m1": spec.mediators[0].column, "m2": spec.mediators[1].column,
            "y": spec.y.column}


def _fit(wide, frames, spec, mc_draws=20000, **kw):
    return RubinMI(imputations=frames, mc_draws=mc_draws, **common(**kw)).fit(wide, spec)


def test_pooled_paths_match_mice_pool(data, spec):
    wide, frames = data
    res = _fit(wide, frames, spec)
    assert res.ok, res.status["message"].iloc[0]
    t = res.table
    ref = pd.read_csv(FIX / "pooled.csv").rename(columns=lambda c: c.replace(".", "_"))
    names = _names(spec)
    for r in ref.itertuples():
        if r.equation == "total":
            if r.term != "x":
                continue
            row = t[t["effect_type"] == "total"].iloc[0]
        else:
            row = t[(t["lhs"] == names[r.equation]) & (t["rhs"] == names[r.term])].iloc[0]
        assert row["ci_method"] == "rubin_t"
        for col, want in (("est", r.estimate), ("se", r.std_error), ("z_or_t", r.statistic),
                          ("df", r.df), ("pvalue", r.p_value), ("ci_lower", r.conf_low),
                          ("ci_upper", r.conf_high)):
            assert row[col] == pytest.approx(want, rel=1e-8, abs=1e-12), (r.equation, r.term,
                                                                          col)
    # every path row (a, d, b, c', covariates, total) was compared: 15 R rows minus the
    # total model's covariates = 13 rows of the table
    paths = t[t["ci_method"] == "rubin_t"]
    assert len(paths) == 13 and set(t["method"]) == {"mi"}


def test_pooled_covariance_and_fmi_match_r(data, spec):
    wide, frames = data
    from pipeline.mediation.frame import derive_frame, model_columns
    from pipeline.mediation.ols import Layout

    layout = Layout(n_cov=2, k=2)
    fits = []
    for f in frames:
        Z = derive_frame(f[model_columns(spec)], spec, {"gender": ["Man"]}).to_numpy(float)
        fits.append(fit_chain_ols(np.column_stack([np.ones(len(Z)), Z]), layout))
    pooled = pool_chain(fits, [str(i) for i in range(12)], 0.95)
    ref = pd.read_csv(FIX / "theta_T.csv")
    np.testing.assert_allclose(pooled.theta, ref["qbar"], rtol=1e-8)
    np.testing.assert_allclose(pooled.T, ref.drop(columns="qbar").to_numpy(), rtol=1e-7,
                               atol=1e-14)
    fmi = pd.read_csv(FIX / "pooled.csv")
    fmi = fmi[fmi["equation"] != "total"]["fmi"].to_numpy()
    np.testing.assert_allclose(pooled.paths["fmi"], fmi, rtol=1e-8)


def test_indirect_effects_monte_carlo_agree_with_r(data, spec):
    """Point estimate = product of the pooled coefficients (exact); the interval bounds and SD
    of 200,000 draws agree with R's 1e6 draws within Monte Carlo error."""
    wide, frames = data
    t = _fit(wide, frames, spec, mc_draws=200_000).table.set_index("label")
    ref = pd.read_csv(FIX / "mc.csv").set_index("effect")
    for label in ("ind_1", "ind_12", "ind_2"):
        row, r = t.loc[label], ref.loc[label]
        assert row["ci_method"] == "rubin_monte_carlo" and row["B"] == 200_000
        assert row["est"] == pytest.approx(r["est"], rel=1e-8)
        assert abs(row["ci_lower"] - r["lower"]) < 5 * row["ci_lower_mcse"]
        assert abs(row["ci_upper"] - r["upper"]) < 5 * row["ci_upper_mcse"]
        assert row["se"] == pytest.approx(r["sd"], rel=0.01)
        assert np.isnan(row["pvalue"])
    total = t.loc["ind_total"]
    assert total["est"] == pytest.approx(ref["est"].sum(), rel=1e-8)


def test_status_note_names_the_method(data, spec):
    wide, frames = data
    res = _fit(wide, frames, spec)
    msg = res.status["message"].iloc[0]
    assert "Rubin's rules" in msg and "m = 5 imputed data sets" in msg
    assert "Monte Carlo intervals from 20000 draws" in msg
    assert "level(s) ['Non-binary / other'] absent" in msg  # a level nobody has: dropped
    assert res.status["mar_assumption"].iloc[0]


def test_reproducible_and_seeded_per_analysis(data, spec):
    wide, frames = data
    a = _fit(wide, frames, spec).table
    pd.testing.assert_frame_equal(a, _fit(wide, frames, spec).table)
    b = _fit(wide, frames, spec, seed=2).table
    assert (a["ci_method"] == "rubin_t").eq(a["ci_lower"] == b["ci_lower"]).all()


def test_identical_imputations_give_the_complete_data_ols(data, spec):
    """B = 0: estimates and SEs of the paths are the OLS ones of that data set."""
    wide, frames = data
    from pipeline.mediation.complete_case import CompleteCaseBootstrap

    one = frames[0]
    res = _fit(one, [one] * 3, spec)
    cc = CompleteCaseBootstrap(B=100, ci="percentile", **common()).fit(one, spec).table
    for et in ("a", "d", "b", "direct", "covariate", "total"):
        x, y = res.table[res.table["effect_type"] == et], cc[cc["effect_type"] == et]
        np.testing.assert_allclose(x["est"], y["est"], rtol=1e-10)
        np.testing.assert_allclose(x["se"], y["se"], rtol=1e-10)


def test_imputations_file_gives_the_same_table(tmp_path, data, spec):
    """Read through the impute stage's file format (imputed cells only) as the stage does."""
    wide, frames = data
    wide = wide.copy()
    cells = []
    for var in ("age", "group_memberships_T1", "belonging_T1", "support_T1", "qol_T1"):
        miss = wide[var].isna().to_numpy()
        c = pd.DataFrame({"variable": var, "pid": wide.loc[miss, "pid"].to_numpy()})
        for i, f in enumerate(frames):
            c[imp_column(i)] = f.loc[miss, var].to_numpy(dtype=float)
        cells.append(c)
    path = tmp_path / "imputations.parquet"
    write_imputed_cells(pd.concat(cells, ignore_index=True)[[*CELL_KEYS, *map(imp_column,
                                                                               range(5))]],
                        5, list(frames[0].columns[1:]), {}, path)
    sets = read_imputed(path, wide)
    from_file = _fit(wide, sets, spec).table
    pd.testing.assert_frame_equal(from_file, _fit(wide, frames, spec).table)


def test_a_chain_variable_left_missing_fails_naming_the_config_key(data, spec):
    wide, frames = data
    holes = [f.assign(qol_T1=wide["qol_T1"]) for f in frames]  # qol not imputed
    res = _fit(wide, holes, spec)
    assert res.status["status"].iloc[0] == "failed"
    assert "missing_data.columns" in res.status["message"].iloc[0]
    assert res.table.empty


def test_one_imputation_is_not_estimable(data, spec):
    wide, frames = data
    res = _fit(wide, frames[:1], spec)
    assert res.status["status"].iloc[0] == "not_estimable"
    assert "m >= 2" in res.status["message"].iloc[0]


def test_run_analyses_replaces_only_the_mi_method(data, spec):
    from pipeline.mediation.settings import BootMISettings, BootstrapSettings, MediationSettings

    wide, frames = data
    s = MediationSettings(
        methods=("mi", "complete_case"), primary="mi",
        bootstrap=BootstrapSettings(B=100, ci="percentile", conf=0.95, chunk_draws=None),
        mi=BootMISettings(B=100, M=2, iterations=1, method="pmm", donors=5, ridge=1e-5),
        mc_draws=1000, min_df=10, warn_n=30, analyses=(spec,), mi_method="rubin")
    tables, statuses = run_analyses_rubin(wide, s, 1, frames)
    assert list(tables) == ["mi", "complete_case"]
    assert set(tables["mi"]["ci_method"]) == {"rubin_t", "rubin_monte_carlo"}
    assert tables["mi"]["primary"].all() and not tables["complete_case"]["primary"].any()
    _, statuses = run_analyses_rubin(wide, s, 1, None)
    assert statuses["mi"]["status"].iloc[0] == "failed"
    assert "run the impute rule" in statuses["mi"]["message"].iloc[0]


def test_no_imputations_is_not_estimable(data, spec):
    wide, _ = data
    res = _fit(wide, [], spec)
    assert res.status["status"].iloc[0] == "not_estimable"
    assert "missing_data.m >= 2" in res.status["message"].iloc[0]
