"""Reliable change (Jacobson & Truax 1991) and the Wilson score interval for a proportion.

For a person with scores x_0 (baseline) and x_t (follow-up)::

    RCI = (x_t - x_0) / S_diff,   S_diff = sqrt(2) * SD_0 * sqrt(1 - r_xx)

with SD_0 the sample SD of the baseline scores and r_xx the scale's reliability (Cronbach's
alpha or a test-retest coefficient). The change is reliable when |RCI| exceeds a criterion
(1.96 for 95%); its sign in the scale's good direction says improved or deteriorated.

Shares of people are given with the Wilson (1927) score interval.

In R: ``(x_t - x_0) / (sqrt(2) * sd(x_0) * sqrt(1 - r))``; the Wilson interval is
``prop.test(count, n, correct = FALSE)$conf.int`` or ``binom::binom.confint(method = "wilson")``.
"""

from __future__ import annotations

import numpy as np

from pipeline.stats.distributions import norm_ppf

__all__ = ["CATEGORIES", "s_diff", "rci_categories", "wilson_interval"]

CATEGORIES = ("improved", "unchanged", "deteriorated")


def s_diff(sd0: float, reliability: float) -> float:
    """Standard error of a difference score, ``S_diff = sqrt(2) SD_0 sqrt(1 - r_xx)``
    (Jacobson & Truax 1991, eq. 2)."""
    return np.sqrt(2) * sd0 * np.sqrt(1 - reliability)


def rci_categories(rci: np.ndarray, criterion: float = 1.96,
                   higher_is_better: bool = True) -> np.ndarray:
    """"improved" / "unchanged" / "deteriorated" per RCI value.

    Improved: ``sign * RCI > criterion`` with sign +1 when higher scores are better, else -1;
    deteriorated: ``sign * RCI < -criterion``; unchanged otherwise (also for NaN: mask those).
    """
    good = (1.0 if higher_is_better else -1.0) * np.asarray(rci)
    return np.where(good > criterion, "improved",
                    np.where(good < -criterion, "deteriorated", "unchanged"))


def wilson_interval(count, n, conf: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson (1927) score interval for a proportion count/n (vectorised; NaN where n = 0).

    ``(p + z^2/2n +- z sqrt(p(1-p)/n + z^2/4n^2)) / (1 + z^2/n)``, clipped to [0, 1].

    In R: ``prop.test(count, n, correct = FALSE)$conf.int``.
    """
    count = np.asarray(count, dtype=float)
    n = np.asarray(n, dtype=float)
    z = norm_ppf(0.5 + conf / 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = count / n
        denom = 1 + z**2 / n
        centre = (p + z**2 / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / denom
    lo = np.where(n > 0, np.clip(centre - half, 0, 1), np.nan)
    hi = np.where(n > 0, np.clip(centre + half, 0, 1), np.nan)
    return lo, hi
