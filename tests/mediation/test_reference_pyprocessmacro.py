"""Agreement with pyprocessmacro 2.2.0, PROCESS model 6
(fixtures/mediation/pyprocessmacro_reference.py).

- Coefficients, OLS SEs (PROCESS default homoskedastic SEs), t and p of every equation: 1e-6.
- Specific, total indirect effects, contrasts, completely standardised effects: 1e-9.
- Bootstrap: pyprocessmacro draws resample i as the i-th RandomState(seed).randint(n, size=n);
  rebuilding these indices and passing them as an IndexPlan makes our draws identical, so the
  bootstrap SEs and percentile endpoints (numpy linear interpolation in both) must agree to 1e-8.
  This checks the vectorised estimator draw for draw, with no Monte-Carlo tolerance.
"""

from __future__ import annotations

import numpy as np
import pytest
from mediation_helpers import DESIGN, chain_design, load_chain, load_json

from pipeline.mediation.bootstrap import IndexPlan
from pipeline.mediation.complete_case import fit_chain
from pipeline.mediation.frame import ChainData

REF = load_json("pyprocessmacro_reference.json")
SEED, B, N = REF["meta"]["seed"], REF["meta"]["boot"], REF["meta"]["n"]


def process_indices(seed: int, n: int, B: int) -> np.ndarray:
    rs = np.random.RandomState(seed)
    return np.stack([rs.randint(n, size=n) for _ in range(B)])


@pytest.fixture(scope="module")
def table():
    data = ChainData(Z=chain_design(), names=tuple(DESIGN), n_cov=2, k=3, n_total=N)
    tab, _, n_failed = fit_chain(data, IndexPlan(process_indices(SEED, N, B)), ci="percentile",
                                 conf=0.95)
    assert n_failed == 0
    return tab


def test_coefficients_and_ols_se(table):
    rows = {(r["lhs"], r["rhs"]): r for _, r in table.iterrows() if r["op"] == "~"}
    checked = 0
    for r in REF["rows"]:
        if r["component"] != "outcome" or r["term"] == "Cons":
            continue
        ours = rows[(r["outcome"], r["term"])]
        assert ours["est"] == pytest.approx(r["estimate"], rel=1e-6, abs=1e-9)
        assert ours["se"] == pytest.approx(r["std_error"], rel=1e-6)
        assert ours["z_or_t"] == pytest.approx(r["statistic"], rel=1e-6)
        assert ours["pvalue"] == pytest.approx(r["p_value"], rel=1e-5, abs=1e-12)
        assert ours["ci_lower"] == pytest.approx(r["conf_low"], rel=1e-6, abs=1e-9)
        checked += 1
    assert checked == 3 + 4 + 5 + 6


def _boot_rows(table):
    ind = table[table["effect_type"].isin(["indirect_specific", "contrast", "indirect_total"])]
    by_path = {r["path"]: r for _, r in ind.iterrows()}
    std = {r["path"]: r for _, r in table[table["effect_type"] == "std_indirect"].iterrows()}
    pairs = []
    for r in REF["rows"]:
        if r["component"] == "indirect":
            pairs.append((by_path[r["term"]], r))
        elif r["component"] == "total":
            pairs.append((table.set_index("label").loc["ind_total"], r))
        elif r["component"] == "contrast":
            pairs.append((by_path[r["term"]], r))
        elif r["component"] == "indirect_cs":
            key = r["term"] if r["term"] != "total" else "x -> ... -> y (all indirect)"
            pairs.append((std[key], r))
    return pairs


def test_indirect_effects_and_bootstrap_draw_for_draw(table):
    pairs = _boot_rows(table)
    assert len(pairs) == 8 + 21 + 8
    for ours, ref in pairs:
        assert ours["est"] == pytest.approx(ref["estimate"], rel=1e-9, abs=1e-12)
        assert ours["se"] == pytest.approx(ref["std_error"], rel=1e-8)
        assert ours["ci_lower"] == pytest.approx(ref["conf_low"], rel=1e-8, abs=1e-12)
        assert ours["ci_upper"] == pytest.approx(ref["conf_high"], rel=1e-8, abs=1e-12)
        assert ours["ci_method"] == "percentile"


@pytest.mark.slow
def test_live_pyprocessmacro_matches(table):
    """Live cross-check when pyprocessmacro is installed (dev extra); B = 500 for speed."""
    pyprocessmacro = pytest.importorskip("pyprocessmacro")
    df = load_chain()
    p = pyprocessmacro.Process(data=df, model=6, x="x", m=["m1", "m2", "m3"], y="y",
                               controls=["age", "female"], boot=500, seed=7, percent=True,
                               total=True, suppr_init=True, detail=False)
    ref = p.tidy(component="indirect")
    assert len(ref) == 7
    data = ChainData(Z=chain_design(df), names=tuple(DESIGN), n_cov=2, k=3, n_total=len(df))
    tab, _, _ = fit_chain(data, IndexPlan(process_indices(7, len(df), 500)), ci="percentile",
                         conf=0.95)
    by_path = tab[tab["effect_type"] == "indirect_specific"].set_index("path")
    for _, r in ref.iterrows():
        ours = by_path.loc[r["term"]]
        assert ours["ci_lower"] == pytest.approx(r["conf_low"], rel=1e-8)
        assert ours["ci_upper"] == pytest.approx(r["conf_high"], rel=1e-8)
