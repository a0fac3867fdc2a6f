"""Specific/total indirect effects, contrasts, standardised effects (mediation/effects.py)."""

from __future__ import annotations

import pytest
from mediation_helpers import DESIGN, chain_design

from pipeline.mediation.effects import effect_definitions, effect_values, path_product, serial_paths
from pipeline.mediation.ols import Layout, chain_coefficients, gram, standardise


@pytest.mark.parametrize("k", [1, 2, 3, 4])
def test_number_of_paths_is_2k_minus_1(k):
    assert len(serial_paths(k)) == 2**k - 1
    defs = effect_definitions([f"v{i}" for i in range(k + 3)], Layout(n_cov=1, k=k))
    n_ind = 2**k - 1
    assert sum(d.effect_type == "contrast" for d in defs) == n_ind * (n_ind - 1) // 2
    assert sum(d.effect_type == "std_indirect" for d in defs) == n_ind + 1


def test_process_order_and_labels():
    assert serial_paths(3) == [(0,), (0, 1), (0, 2), (0, 1, 2), (1,), (1, 2), (2,)]
    assert path_product((0, 1, 2)) == "a1*d21*d32*b3"
    assert path_product((0, 2)) == "a1*d31*b3"


def test_values_are_products_along_paths_and_decomposition_holds():
    Z = chain_design()
    layout = Layout(2, 3)
    Zs, scaling = standardise(Z)
    co = chain_coefficients(gram(Zs), layout, scaling)
    v = effect_values(co, layout)
    defs = effect_definitions(DESIGN, layout)
    val = {d.label: v[i] for i, d in enumerate(defs) if d.label}
    assert val["ind_123"] == pytest.approx(co.a[0] * co.d[1, 0] * co.d[2, 1] * co.b[2], rel=1e-14)
    assert val["ind_13"] == pytest.approx(val["a1"] * val["d31"] * val["b3"], rel=1e-14)
    specific = [val[d.label] for d in defs if d.effect_type == "indirect_specific"]
    assert val["ind_total"] == pytest.approx(sum(specific), rel=1e-14)
    # total effect c (Y on X + covariates) = c' + total indirect: the OLS identity
    assert co.c == pytest.approx(val["cp"] + val["ind_total"], rel=1e-10)
    assert val["total"] == pytest.approx(co.c, rel=1e-10)
    assert val["con_1_2"] == pytest.approx(val["ind_1"] - val["ind_2"], rel=1e-14)
    ratio = Z[:, 1].std(ddof=1) / Z[:, 7].std(ddof=1)
    assert val["std_ind_12"] == pytest.approx(val["ind_12"] * ratio, rel=1e-12)
