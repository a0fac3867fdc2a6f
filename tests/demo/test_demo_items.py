"""pipeline.demo.items: answers lie on their scales, ss4 is stored reversed, EQ VAS heaps at
multiples of 5, missingness is MCAR at the planned rates."""

from __future__ import annotations

import numpy as np

from pipeline.demo.items import add_item_missingness, item_responses
from pipeline.demo.layout import ITEM_COLUMNS, LIKERT7_ITEMS, UCLA_ITEMS
from pipeline.demo.params import TRUE_PARAMS


def _answers(n: int = 20_000, seed: int = 11) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    eta = rng.standard_normal((n, 5))
    return item_responses(rng, eta, TRUE_PARAMS)


def test_answers_are_on_their_scales():
    out = _answers()
    assert tuple(out) == ITEM_COLUMNS
    for it in LIKERT7_ITEMS:
        assert set(np.unique(out[it])) <= set(range(1, 8))
    for it in UCLA_ITEMS:
        assert set(np.unique(out[it])) == {1.0, 2.0, 3.0}
    assert out["eq_vas"].min() >= 0 and out["eq_vas"].max() <= 100


def test_reverse_keyed_item_correlates_negatively():
    out = _answers()
    assert np.corrcoef(out["ss4"], out["ss1"])[0, 1] < -0.2
    assert np.corrcoef(out["ss2"], out["ss1"])[0, 1] > 0.2


def test_eq_vas_heaping():
    vas = _answers()["eq_vas"]
    share5 = np.mean(vas % 5 == 0)
    # 60% heap on purpose, and about 1 in 5 of the rest lands on a multiple of 5 anyway
    assert 0.6 + 0.4 * 0.2 - 0.03 < share5 < 0.6 + 0.4 * 0.2 + 0.03


def test_item_missingness_rates():
    rng = np.random.default_rng(2)
    items = [_answers(40_000, 3)]
    add_item_missingness(rng, items, TRUE_PARAMS)
    rates = {c: np.isnan(items[0][c]).mean() for c in ITEM_COLUMNS}
    assert abs(rates["eq_vas"] - TRUE_PARAMS.vas_missing) < 0.003
    assert all(abs(rates[c] - TRUE_PARAMS.item_missing) < 0.004 for c in LIKERT7_ITEMS)
