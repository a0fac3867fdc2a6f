"""pipeline.demo.controlled_model: the latent model plants what controlled_params says (arm
means through the chain, the moderation, the added constructs, the GP-visit counts)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from pipeline.demo.controlled_model import (
    EXTRA,
    added_item_responses,
    arm_means,
    controlled_latent,
    gp_visit_counts,
)
from pipeline.demo.controlled_params import TRUE_CONTROLLED
from pipeline.demo.latent import contemporaneous_paths
from pipeline.demo.layout import CONSTRUCTS

IX = {c: i for i, c in enumerate(CONSTRUCTS)}
P = TRUE_CONTROLLED


@pytest.fixture(scope="module")
def big():
    rng = np.random.default_rng(1)
    programme = np.r_[np.ones(20000, bool), np.zeros(20000, bool)]
    eta, extra, ri = controlled_latent(rng, programme, P)
    return programme, eta, extra, ri


def _ols(y, *xs):
    a = np.column_stack([np.ones(len(y)), *xs])
    return np.linalg.lstsq(a, y, rcond=None)[0][1:]


def test_arm_means_follow_the_chain():
    m = arm_means(np.array([True, False]), P)
    inv = np.linalg.inv(np.eye(5) - contemporaneous_paths(P.chain))
    # entry: the programme arm is lonelier (and so lower in QOL), the same in GM, CB, SS
    np.testing.assert_allclose(m[0, 0], inv @ [0, 0, 0, P.lon_entry, 0])
    np.testing.assert_allclose(m[1, 0], 0.0)
    # T1: programme GM +0.5 (usual care +0.1) propagated; direct fall in loneliness
    np.testing.assert_allclose(
        m[0, 1], inv @ [0.5, 0, 0, P.lon_entry + P.lon_programme[1], 0])
    np.testing.assert_allclose(m[1, 1], inv @ [0.1, 0, 0, 0, 0])
    d_lon = (m[0, 1, IX["lon"]] - m[0, 0, IX["lon"]]) - (m[1, 1, IX["lon"]] - m[1, 0, IX["lon"]])
    assert -0.45 < d_lon < -0.25  # latent SD: about -0.6 points on the UCLA-3 sum


def test_moderation_is_planted(big):
    programme, eta, extra, _ = big
    dgm = eta[:, 1, IX["gm"]] - eta[:, 0, IX["gm"]]
    id0, comp0 = extra[:, 0, 0], extra[:, 0, 1]
    y = eta[:, 1, IX["lon"]]
    b = _ols(y, eta[:, 0, IX["lon"]], dgm, id0, comp0, dgm * id0, dgm * comp0)
    assert b[4] == pytest.approx(P.mod_identification, abs=0.06)
    assert b[5] == pytest.approx(P.mod_compatibility, abs=0.06)
    assert b[4] < b[5] < 0  # identification the stronger moderator


def test_added_constructs(big):
    programme, eta, extra, _ = big
    id0 = extra[:, 0, EXTRA.index("id")]
    assert np.std(id0) == pytest.approx(1.0, abs=0.03)
    assert np.corrcoef(id0, eta[:, 0, IX["cb"]])[0, 1] == pytest.approx(P.id_cb, abs=0.03)
    rise = extra[programme, 1, 0].mean() - extra[~programme, 1, 0].mean()
    assert rise == pytest.approx(P.id_rise, abs=0.05)
    new = extra[:, 1, EXTRA.index("new")]
    dgm = eta[:, 1, IX["gm"]] - eta[:, 0, IX["gm"]]
    assert np.corrcoef(new, dgm)[0, 1] > 0.3


def test_added_items_are_codes_1_to_7(big):
    _, _, extra, _ = big
    items = added_item_responses(np.random.default_rng(2), extra[:500, 0], P)
    assert list(items)[:2] == ["sisi", "compat_1"] and len(items) == 12
    for v in items.values():
        assert set(np.unique(v)) <= set(range(1, 8))
    r = np.corrcoef(items["sisi"], extra[:500, 0, 0])[0, 1]
    assert r > 0.6


def test_gp_visits_overdispersed_not_zero_inflated(big):
    programme, eta, _, _ = big
    age = np.full(len(programme), 55)
    y = gp_visit_counts(np.random.default_rng(3), eta, age, programme, P)
    y0 = y[:, 0]
    assert y.min() >= 0 and y.max() <= P.gp_max and np.all(y == np.round(y))
    assert y0.var() > 2.5 * y0.mean()  # overdispersed
    # zeros: many, but no more than a negative binomial with the same mean and variance has
    m, v = y0.mean(), y0.var()
    size = m**2 / (v - m)
    nb_zeros = (size / (size + m)) ** size
    assert 0.2 < (y0 == 0).mean() <= nb_zeros + 0.02
    irr_prog = y[programme, 1].mean() / y[programme, 0].mean()
    irr_usual = y[~programme, 1].mean() / y[~programme, 0].mean()
    assert irr_prog == pytest.approx(0.8, abs=0.05)
    assert irr_usual == pytest.approx(1.0, abs=0.06)


def test_no_moderation_when_switched_off():
    p = dataclasses.replace(P, mod_identification=0.0, mod_compatibility=0.0)
    programme = np.ones(4000, bool)
    eta, extra, _ = controlled_latent(np.random.default_rng(4), programme, p)
    dgm = eta[:, 1, IX["gm"]] - eta[:, 0, IX["gm"]]
    b = _ols(eta[:, 1, IX["lon"]], eta[:, 0, IX["lon"]], dgm, extra[:, 0, 0],
             dgm * extra[:, 0, 0])
    assert abs(b[3]) < 0.06
