"""Dropout: who answers T1 and T2, missing at random given observed answers (Rubin 1976).

::

    logit P(T1)                  = alpha1 + 0.02 (age - 55) - 0.25 (UCLA sum_T0 - 6)
                                           + 0.15 (GM mean_T0 - 4)
    logit P(T2 | responded T1)   = alpha2 + 0.02 (age - 55) + 0.25 (GM mean_T1 - 4)
    logit P(T2 | no T1 response) = alpha3 + 0.02 (age - 55) - 0.25 (UCLA sum_T0 - 6)

Waves after T2 (``--waves`` > 3) continue the same mechanism, for t >= 3::

    logit P(T_t | answered T_t-1) = alpha + 0.02 (age - 55) + 0.25 (GM mean_t-1 - 4)
    logit P(T_t | skipped T_t-1)  = alpha + 0.02 (age - 55) - 0.25 (UCLA sum_T0 - 6)

calibrated to ``cont_retention`` (70%) of the previous wave's responders and a number of
returners equal to ``cont_return`` (5%) of them, among panel members who skipped the previous
wave.

Older, less lonely people with more groups stay, as in the attrition analysis of Wakefield et
al. (2022). The UCLA sum is prorated from answered items and the GM mean taken over answered
items (the sample mean if none). The intercepts are calibrated on the realised sample so that
the probabilities sum to 178 at T1, 58 at T2 among T1 responders and 5 at T2 among T1
non-responders (the published Ns 630 / 178 / 63, scaled by n / 630); the Bernoulli draws are
conditioned on exactly those totals (rejective sampling, Hajek 1964, Ann Math Stat
35(4):1491-1523), so the panel Ns are the same for every seed.
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy.optimize import brentq
from scipy.special import expit

from pipeline.demo.layout import SCALE_ITEMS, UCLA_ITEMS
from pipeline.demo.params import DemoParams

__all__ = ["calibrated_draw", "draw_response", "draw_later_responses"]


def _prorated(items: dict[str, np.ndarray], cols: tuple[str, ...], times: int) -> np.ndarray:
    """``times`` x the mean of the answered items per person; the sample mean for people with
    none answered."""
    m = np.column_stack([items[c] for c in cols])
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # people with no answered item
        s = np.nanmean(m, axis=1) * times
    return np.where(np.isnan(s), np.nanmean(s), s)


def observed_ucla_sum(items: dict[str, np.ndarray]) -> np.ndarray:
    """UCLA-3 sum prorated from the answered items (mean x 3)."""
    return _prorated(items, UCLA_ITEMS, len(UCLA_ITEMS))


def observed_gm_mean(items: dict[str, np.ndarray]) -> np.ndarray:
    """Group-memberships mean over the answered items."""
    return _prorated(items, SCALE_ITEMS["group_memberships"], 1)


def calibrated_draw(rng: np.random.Generator, lin: np.ndarray, size: int) -> np.ndarray:
    """Bernoulli draws with P = expit(alpha + lin), conditioned on exactly ``size`` successes.

    alpha is chosen so that sum(P) = size; draws are repeated until the count equals ``size``
    (rejective / conditional Poisson sampling): each person's chance still follows the logistic
    model to O(1/size), and the realised N is the target N for every seed.
    """
    if len(lin) == 0 or size <= 0:
        return np.zeros(len(lin), dtype=bool)
    size = min(int(size), len(lin))
    target = min(size / len(lin), 0.999)
    alpha = brentq(lambda a: expit(a + lin).mean() - target, -30, 30, xtol=1e-12)
    prob = expit(alpha + lin)
    for _ in range(100_000):
        draw = rng.random(len(lin)) < prob
        if draw.sum() == size:
            return draw
    raise RuntimeError("demo: could not draw the requested number of responders")


def draw_response(
    rng: np.random.Generator,
    items: list[dict[str, np.ndarray]],
    age: np.ndarray,
    panel: np.ndarray,
    n: int,
    p: DemoParams,
) -> tuple[np.ndarray, np.ndarray]:
    """Response masks (over all simulated people) at T1 and T2; only panel members respond.

    ``items`` holds the observed answers per wave (after item missingness). Draw order: T1, then
    T2 among T1 responders, then T2 among T1 non-responders.
    """
    n_all = len(age)
    scale_n = n / p.n_ref
    ucla0 = observed_ucla_sum(items[0])
    gm0 = observed_gm_mean(items[0])
    gm1 = observed_gm_mean(items[1])
    lin1 = p.resp_age * (age - 55) + p.resp_t1_ucla * (ucla0 - 6) + p.resp_t1_gm * (gm0 - 4)
    resp1 = np.zeros(n_all, dtype=bool)
    resp1[panel] = calibrated_draw(rng, lin1[panel], round(p.expected_n1 * scale_n))
    resp2 = np.zeros(n_all, dtype=bool)
    grp = panel[resp1[panel]]
    lin2 = p.resp_age * (age - 55) + p.resp_t2_gm * (gm1 - 4)
    resp2[grp] = calibrated_draw(rng, lin2[grp], round(p.expected_n2_from_t1 * scale_n))
    grp = panel[~resp1[panel]]
    lin3 = p.resp_age * (age - 55) + p.resp_t2_skip_ucla * (ucla0 - 6)
    resp2[grp] = calibrated_draw(rng, lin3[grp], round(p.expected_n2_skip_t1 * scale_n))
    return resp1, resp2


def draw_later_responses(
    rng: np.random.Generator,
    items: list[dict[str, np.ndarray]],
    age: np.ndarray,
    panel: np.ndarray,
    responded: list[np.ndarray],
    p: DemoParams,
) -> list[np.ndarray]:
    """Response masks at waves ``len(responded)`` ... ``len(items) - 1`` (after T2), each
    continuing the wave before: responders stay with ``cont_retention``, people who skipped it
    return at ``cont_return`` of its responder count. Draw order per wave: stayers, returners.
    """
    n_all = len(age)
    ucla0 = observed_ucla_sum(items[0])
    out: list[np.ndarray] = []
    for t in range(len(responded), len(items)):
        prev = (responded + out)[t - 1]
        n_prev = int(prev[panel].sum())
        resp = np.zeros(n_all, dtype=bool)
        grp = panel[prev[panel]]
        lin = p.resp_age * (age - 55) + p.resp_t2_gm * (observed_gm_mean(items[t - 1]) - 4)
        resp[grp] = calibrated_draw(rng, lin[grp], round(p.cont_retention * n_prev))
        grp = panel[~prev[panel]]
        lin = p.resp_age * (age - 55) + p.resp_t2_skip_ucla * (ucla0 - 6)
        resp[grp] = calibrated_draw(rng, lin[grp], round(p.cont_return * n_prev))
        out.append(resp)
    return out
