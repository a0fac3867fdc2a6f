"""Agreement with R lavaan 0.6-14 and boot 1.3 (tests/fixtures/mediation/lavaan_reference.R).

- Point estimates (paths, := indirect effects, total, contrasts): lavaan's ML estimates of the
  saturated recursive model equal the OLS estimates, so they must agree to 1e-6.
- SEs: lavaan's ML SE of a regression slope is sigma_ML * sqrt([(X'X)^-1]_jj) with
  sigma^2_ML = SSE / n, the OLS SE uses SSE / (n - p) (p = coefficients incl. intercept), so
  se_lavaan = se_OLS * sqrt((n - p) / n) exactly; our OLS SEs also equal R lm() to 1e-6.
- Completely standardised indirect effects equal lavaan std.all of the := rows (1e-6).
- Bootstrap percentile intervals: different random draws, so endpoints agree only within Monte-
  Carlo error. The MC SE of a p-quantile of B draws is sqrt(p(1-p)/B) / f(q_p); f is estimated from
  our own draws. Two independent bootstraps (ours B = 5000, lavaan B = 1000) differ by
  sqrt(se_ours^2 + se_lavaan^2); we require |diff| < 4 of these (a false alarm about 1 in 16 000
  per endpoint).
- BCa: the jackknife acceleration is deterministic and must equal boot's (from empinf type
  "jack", which centres the leave-one-out values at the full-sample estimate) to 1e-8; the
  interval endpoints agree within the same MC tolerance (boot B = 2000).
"""

from __future__ import annotations

import numpy as np
import pytest
from mediation_helpers import DESIGN, chain_design, load_json

from pipeline.mediation.bootstrap import (
    ResamplePlan,
    acceleration,
    jackknife_effects,
    quantile_mc_se,
)
from pipeline.mediation.complete_case import fit_chain
from pipeline.mediation.frame import ChainData
from pipeline.mediation.ols import Layout, standardise

REF = load_json("lavaan_reference.json")
N = REF["meta"]["n"]


@pytest.fixture(scope="module")
def fitted():
    data = ChainData(Z=chain_design(), names=tuple(DESIGN), n_cov=2, k=3, n_total=N)
    table, draws, _ = fit_chain(data, ResamplePlan(N, 5000, 11), ci="percentile", conf=0.95)
    return table, draws


def _ml_rows():
    return [r for r in REF["ml"]]


def _key(r) -> str:
    return r["label"] if r["label"] else f"{r['lhs']}~{r['rhs']}"


def _ours(table):
    out = {}
    for _, r in table.iterrows():
        if r["effect_type"] == "covariate":
            out[f"{r['lhs']}~{r['rhs']}"] = r
        elif r["effect_type"] != "std_indirect":
            out[r["label"]] = r
    return out


def test_point_estimates_equal_lavaan(fitted):
    ours = _ours(fitted[0])
    for r in _ml_rows():
        assert ours[_key(r)]["est"] == pytest.approx(r["est"], abs=1e-6, rel=1e-6), _key(r)


def test_ols_se_equals_lm_and_lavaan_ml_se_relation(fitted):
    ours = _ours(fitted[0])
    n_params = {"m1": 4, "m2": 5, "m3": 6, "y": 7}
    for r in _ml_rows():
        if r["op"] != "~":
            continue
        p = n_params[r["lhs"]]
        se = ours[_key(r)]["se"]
        assert se * np.sqrt((N - p) / N) == pytest.approx(r["se"], rel=1e-6), _key(r)
    for eq, res in REF["ols"].items():
        for term, se in zip(res["term"][1:], res["se"][1:]):
            key = _our_key(eq, term)
            if key is not None:
                assert ours[key]["se"] == pytest.approx(se, rel=1e-6), (eq, term)


def _our_key(eq: str, term: str) -> str | None:
    """Our row key of lm() equation ``eq`` and regressor ``term``."""
    if eq == "total":
        return "total" if term == "x" else None
    if term == "x":
        return {"m1": "a1", "m2": "a2", "m3": "a3", "y": "cp"}[eq]
    if term.startswith("m"):
        return f"d{eq[1]}{term[1]}" if eq.startswith("m") else f"b{term[1]}"
    return f"{eq}~{term}"


def test_standardised_indirect_equals_lavaan_std_all(fitted):
    table = fitted[0]
    std = table[table["effect_type"] == "std_indirect"].set_index("label")
    for r in _ml_rows():
        if r["op"] == ":=" and r["lhs"].startswith("ind_"):
            assert std.loc["std_" + r["lhs"], "est"] == pytest.approx(r["std.all"], rel=1e-6,
                                                                      abs=1e-9)


def test_percentile_ci_within_monte_carlo_error_of_lavaan(fitted):
    table, draws = fitted
    rows = {r: i for i, r in enumerate(table["label"])}
    b_lav = REF["meta"]["lavaan_boot_B"]
    checked = 0
    for r in REF["boot"]:
        if r["op"] != ":=":
            continue
        i = rows[r["lhs"]]
        col = draws[:, i]
        for p, ours, theirs in ((0.025, table["ci_lower"].iloc[i], r["ci.lower"]),
                                (0.975, table["ci_upper"].iloc[i], r["ci.upper"])):
            se_ours = quantile_mc_se(col[:, None], p)[0]
            se_diff = se_ours * np.sqrt(1 + len(col) / b_lav)
            assert abs(ours - theirs) < 4 * se_diff, (r["lhs"], p, ours, theirs, se_diff)
            checked += 1
        # bootstrap SEs agree within the sampling error of an SD from B draws (~1/sqrt(2B))
        assert table["se"].iloc[i] == pytest.approx(r["se"], rel=4 * np.sqrt(1 / (2 * b_lav)))
    assert checked == 2 * 11


def test_bca_acceleration_equals_boot_and_interval_within_mc_error(fitted):
    Z = chain_design()
    layout = Layout(2, 3)
    Zs, scaling = standardise(Z)
    jack = jackknife_effects(Zs, layout, scaling)
    data = ChainData(Z=Z, names=tuple(DESIGN), n_cov=2, k=3, n_total=N)
    table, draws, _ = fit_chain(data, ResamplePlan(N, 5000, 11), ci="bca", conf=0.95)
    labels = list(table["label"])
    est = table["est"].to_numpy()
    acc = acceleration(jack, center=est)  # boot's L_i = (n - 1)(t_obs - t_(-i))
    for lab, ref in REF["bca"].items():
        i = labels.index(lab)
        assert acc[i] == pytest.approx(ref["acceleration"], abs=1e-8), lab
        col = draws[:, i][:, None]
        for p, ours, theirs in ((0.025, table["ci_lower"].iloc[i], ref["lower"]),
                                (0.975, table["ci_upper"].iloc[i], ref["upper"])):
            se_diff = quantile_mc_se(col, p)[0] * np.sqrt(1 + 5000 / REF["meta"]["bca_B"])
            assert abs(ours - theirs) < 4 * se_diff, (lab, p, ours, theirs)
    assert set(table.loc[table["effect_type"] == "indirect_specific", "ci_method"]) == {"bca"}
