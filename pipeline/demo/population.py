"""The simulated population: covariates, who is a panel member, participant ids and dates.

* Age = round(18 + 72 * Beta(2.0, 1.8)) (18-90, mean about 56: referred adults, older on
  average, as on the pathway of Wakefield et al. 2022); gender Woman 63%, Man 34%,
  "Non-binary / other" 3%. No missing covariates; covariates do not enter the structural model.
* ``n`` panel members plus a few *extra* people who only appear as defects (a row without an
  id, follow-up ids never seen at baseline). Panel ids ``SP-0001`` ... are given in order of
  entry date; extras get random numbers above ``n``.
* Dates: entry uniform over 2018-10-01 ... 2019-09-30; T1 lag ~ N(122, 12) days, at least 90;
  T2 lag uniform 183-274 days after entry and at least 30 days after T1; each later wave
  (``--waves`` > 3) uniform 76-106 days (about 3 months) after the one before.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from pipeline.demo.layout import GENDER_LEVELS, GENDER_PROBS, fmt_id

__all__ = ["Population", "draw_population"]

START = dt.date(2018, 10, 1)


@dataclass
class Population:
    """Everyone simulated (panel members and extras), indexed by simulated person 0..n_all-1."""

    age: np.ndarray  # int
    gender: np.ndarray  # index into GENDER_LEVELS
    panel: np.ndarray  # person numbers of the n panel members
    extras: list[int]  # person numbers of the extras, in draw order
    pid: np.ndarray  # canonical id per person (object)
    dates: list[np.ndarray]  # completion date per wave and person (datetime.date)

    @property
    def is_panel(self) -> np.ndarray:
        """Boolean mask over all simulated people: panel member or not."""
        mask = np.zeros(len(self.age), dtype=bool)
        mask[self.panel] = True
        return mask


def _dates(rng: np.random.Generator, entry: np.ndarray, n_waves: int = 3) -> list[np.ndarray]:
    """Completion dates per wave from entry days (after START) and drawn follow-up lags."""
    n_all = len(entry)
    t1_lag = np.maximum(90, np.round(rng.normal(122, 12, n_all))).astype(int)
    t2_lag = rng.integers(183, 275, n_all)
    t2_lag = np.maximum(t2_lag, t1_lag + 30)
    lags = [np.zeros(n_all, dtype=int), t1_lag, t2_lag]
    for _t in range(3, n_waves):
        lags.append(lags[-1] + rng.integers(76, 107, n_all))
    return [
        np.array([START + dt.timedelta(days=int(d + lag)) for d, lag in zip(entry, lag_t)])
        for lag_t in lags[: max(n_waves, 3)]
    ]


def draw_population(
    rng: np.random.Generator, n: int, n_extra: int, n_waves: int = 3
) -> Population:
    """Draw covariates, panel membership, ids and dates for ``n`` + ``n_extra`` people.

    Draw order: age, gender, entry day, the permutation choosing panel members, the extras'
    id numbers, the T1 lag, the T2 lag, then one lag per later wave.
    """
    n_all = n + n_extra
    age = np.round(18 + 72 * rng.beta(2.0, 1.8, n_all)).astype(int)
    gender = rng.choice(len(GENDER_LEVELS), size=n_all, p=GENDER_PROBS)
    entry = rng.integers(0, 365, n_all)  # days after START
    perm = rng.permutation(n_all)  # which simulated person is a panel member / an extra
    panel, extras = perm[:n], list(perm[n:])
    order_panel = panel[np.argsort(entry[panel], kind="stable")]
    pid = np.empty(n_all, dtype=object)
    for rank, person in enumerate(order_panel):
        pid[person] = fmt_id(rank + 1)
    extra_numbers = sorted(rng.choice(np.arange(n + 1, n + 100), size=n_extra, replace=False))
    for person, num in zip(extras, extra_numbers):
        pid[person] = fmt_id(int(num))
    dates = _dates(rng, entry, n_waves)
    return Population(age=age, gender=gender, panel=panel, extras=extras, pid=pid, dates=dates)
