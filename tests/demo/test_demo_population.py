"""pipeline.demo.population: ids in order of entry, extras above n, plausible dates and ages."""

from __future__ import annotations

import datetime as dt

import numpy as np

from pipeline.demo.population import START, draw_population


def test_ids_follow_entry_order_and_extras_sit_above_n():
    pop = draw_population(np.random.default_rng(4), 200, 6)
    assert len(pop.age) == 206 and pop.is_panel.sum() == 200
    panel_ids = sorted(pop.pid[pop.panel])
    assert panel_ids == [f"SP-{i:04d}" for i in range(1, 201)]
    by_id = sorted(pop.panel, key=lambda person: pop.pid[person])
    entry = [pop.dates[0][person] for person in by_id]
    assert entry == sorted(entry)
    assert all(int(pop.pid[e].split("-")[1]) > 200 for e in pop.extras)


def test_dates_and_covariates_are_plausible():
    pop = draw_population(np.random.default_rng(5), 1000, 0)
    t0, t1, t2 = pop.dates
    assert min(t0) >= START and max(t0) < START + dt.timedelta(days=365)
    lag1 = np.array([(b - a).days for a, b in zip(t0, t1)])
    lag2 = np.array([(b - a).days for a, b in zip(t0, t2)])
    assert lag1.min() >= 90 and abs(lag1.mean() - 122) < 2
    assert (lag2 >= lag1 + 30).all() and lag2.max() <= 274 + 30
    assert pop.age.min() >= 18 and pop.age.max() <= 90 and 50 < pop.age.mean() < 62
    shares = np.bincount(pop.gender, minlength=3) / 1000
    np.testing.assert_allclose(shares, (0.63, 0.34, 0.03), atol=0.05)
