"""pipeline.demo.controlled_population: arms, the baseline imbalance and the calibrated,
MAR response with its arm term."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.demo.controlled_params import TRUE_CONTROLLED
from pipeline.demo.controlled_population import (
    draw_controlled_population,
    draw_controlled_response,
)

P = TRUE_CONTROLLED


@pytest.mark.parametrize("n", [150, 750, 1001])
def test_exact_arm_split_and_ids(n):
    pop = draw_controlled_population(np.random.default_rng(n), n, 4, P)
    assert pop.programme[pop.panel].sum() == round(P.programme_share * n)
    ids = sorted(pop.pid[pop.panel])
    assert ids[0] == "SC-0001" and ids[-1] == f"SC-{n:04d}"
    assert len(set(pop.pid)) == n + 4
    assert pop.age.min() >= 18 and pop.age.max() <= 90
    assert len(pop.dates) == 3


def test_programme_arm_older():
    pop = draw_controlled_population(np.random.default_rng(0), 20000, 4, P)
    a, u = pop.age[pop.programme], pop.age[~pop.programme]
    smd = (a.mean() - u.mean()) / np.sqrt((a.var() + u.var()) / 2)
    assert 0.2 < smd < 0.4


def test_response_counts_and_arm_term():
    rng = np.random.default_rng(5)
    n = 3000
    pop = draw_controlled_population(rng, n, 4, P)
    n_all = n + 4
    items = [{**{f"lon{i}": rng.integers(1, 4, n_all).astype(float) for i in (1, 2, 3)},
              **{f"gm{i}": rng.integers(1, 8, n_all).astype(float) for i in (1, 2, 3, 4)}}
             for _ in range(3)]
    r1, r2 = draw_controlled_response(rng, items, pop, n, P)
    scale = n / P.n_ref
    assert r1.sum() == round(P.expected_n1 * scale)
    assert r2.sum() == round(P.expected_n2_from_t1 * scale) + round(P.expected_n2_skip_t1 * scale)
    assert not (r1 & ~pop.is_panel).any()
    prog = pop.programme & pop.is_panel
    usual = ~pop.programme & pop.is_panel
    assert r1[prog].mean() > r1[usual].mean()  # the programme arm answers a little more
