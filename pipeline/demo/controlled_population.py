"""The controlled study's people: arm, covariates, ids and dates, and who answers each follow-up.

* ``n`` panel members (500 programme, 250 usual care at n = 750: exactly
  ``round(programme_share * n)`` in the programme arm) plus a few *extra* people who appear only
  as defects (a row without an id, follow-up ids never seen at baseline); an extra's arm is
  drawn with the same share.
* Age = round(18 + 72 Beta(2.0, 1.8) + 5 A), clipped to 18-90: the programme arm is about
  5 years older (not randomised); gender as the demo (Woman 63%, Man 34%, Non-binary / other 3%).
* Ids ``SC-0001`` ... in order of entry; dates as the demo (:mod:`pipeline.demo.population`).
* Response (MAR on observed answers, as the demo's :mod:`pipeline.demo.dropout`, plus a small
  arm term: the programme arm keeps in touch a little better)::

      logit P(T1)                  = alpha1 + 0.02 (age - 55) - 0.25 (UCLA_T0 - 6)
                                             + 0.15 (GM_T0 - 4) + 0.3 A
      logit P(T2 | responded T1)   = alpha2 + 0.02 (age - 55) + 0.25 (GM_T1 - 4) + 0.3 A
      logit P(T2 | no T1 response) = alpha3 + 0.02 (age - 55) - 0.25 (UCLA_T0 - 6)

  calibrated to 240 at T1, 80 at T2 among T1 responders and 6 among non-responders (at
  n = 750; scaled by n / 750), drawn by the demo's rejective sampling, so the Ns are the same
  for every seed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pipeline.demo.controlled_layout import fmt_id
from pipeline.demo.controlled_params import ControlledParams
from pipeline.demo.dropout import calibrated_draw, observed_gm_mean, observed_ucla_sum
from pipeline.demo.layout import GENDER_LEVELS, GENDER_PROBS
from pipeline.demo.population import Population, _dates

__all__ = ["ControlledPopulation", "draw_controlled_population", "draw_controlled_response"]


@dataclass
class ControlledPopulation(Population):
    """Everyone simulated, as :class:`~pipeline.demo.population.Population`, plus the arm."""

    programme: np.ndarray  # bool: social prescribing (True) or usual care (False)


def draw_controlled_population(
    rng: np.random.Generator, n: int, n_extra: int, p: ControlledParams
) -> ControlledPopulation:
    """Draw panel membership, arm, covariates, ids and dates for ``n`` + ``n_extra`` people.

    Draw order: the permutation choosing panel members, the panel's arm permutation, the
    extras' arms, age, gender, entry day, the extras' id numbers, then the demo's date lags.
    """
    n_all = n + n_extra
    perm = rng.permutation(n_all)
    panel, extras = perm[:n], list(perm[n:])
    programme = np.zeros(n_all, dtype=bool)
    n_prog = round(p.programme_share * n)
    programme[panel[rng.permutation(n)[:n_prog]]] = True
    programme[extras] = rng.random(n_extra) < p.programme_share
    raw_age = 18 + 72 * rng.beta(2.0, 1.8, n_all) + p.age_shift * programme
    age = np.clip(np.round(raw_age), 18, 90).astype(int)
    gender = rng.choice(len(GENDER_LEVELS), size=n_all, p=GENDER_PROBS)
    entry = rng.integers(0, 365, n_all)
    pid = np.empty(n_all, dtype=object)
    for rank, person in enumerate(panel[np.argsort(entry[panel], kind="stable")]):
        pid[person] = fmt_id(rank + 1)
    extra_numbers = sorted(rng.choice(np.arange(n + 1, n + 100), size=n_extra, replace=False))
    for person, num in zip(extras, extra_numbers):
        pid[person] = fmt_id(int(num))
    return ControlledPopulation(
        age=age, gender=gender, panel=panel, extras=extras, pid=pid,
        dates=_dates(rng, entry, 3), programme=programme,
    )


def draw_controlled_response(
    rng: np.random.Generator,
    items: list[dict[str, np.ndarray]],
    pop: ControlledPopulation,
    n: int,
    p: ControlledParams,
) -> tuple[np.ndarray, np.ndarray]:
    """Response masks (over all simulated people) at T1 and T2; only panel members respond.

    Draw order: T1, then T2 among T1 responders, then T2 among T1 non-responders.
    """
    c, age, panel = p.chain, pop.age, pop.panel
    scale_n = n / p.n_ref
    arm = p.resp_arm * pop.programme
    ucla0 = observed_ucla_sum(items[0])
    gm0, gm1 = observed_gm_mean(items[0]), observed_gm_mean(items[1])
    lin1 = c.resp_age * (age - 55) + c.resp_t1_ucla * (ucla0 - 6) + c.resp_t1_gm * (gm0 - 4) + arm
    resp1 = np.zeros(len(age), dtype=bool)
    resp1[panel] = calibrated_draw(rng, lin1[panel], round(p.expected_n1 * scale_n))
    resp2 = np.zeros(len(age), dtype=bool)
    grp = panel[resp1[panel]]
    lin2 = c.resp_age * (age - 55) + c.resp_t2_gm * (gm1 - 4) + arm
    resp2[grp] = calibrated_draw(rng, lin2[grp], round(p.expected_n2_from_t1 * scale_n))
    grp = panel[~resp1[panel]]
    lin3 = c.resp_age * (age - 55) + c.resp_t2_skip_ucla * (ucla0 - 6)
    resp2[grp] = calibrated_draw(rng, lin3[grp], round(p.expected_n2_skip_t1 * scale_n))
    return resp1, resp2
