"""Probing an interaction: simple slopes and the Johnson-Neyman interval (pure functions).

For ``y = ... + b1 x + b2 w + b3 x*w``, the slope of ``x`` at ``w`` is ``s(w) = b1 + b3 w`` with
variance ``v(w) = V11 + 2 w V13 + w^2 V33`` from the coefficient covariance ``V`` (Aiken & West
1991; Preacher, Curran & Bauer 2006). Simple slopes are given with ``s(w) -/+ c sqrt(v(w))``,
``c`` the two-sided critical value (normal for FIML, t with the residual df for OLS).

Johnson-Neyman (Johnson & Neyman 1936; Bauer & Curran 2005): the slope is significant where
``s(w)^2 > c^2 v(w)``, i.e. where the quadratic

    q(w) = (b3^2 - c^2 V33) w^2 + 2 (b1 b3 - c^2 V13) w + (b1^2 - c^2 V11)

is positive. Its real roots are the J-N boundaries: with ``b3^2 > c^2 V33`` (the interaction
itself significant) the slope is significant outside them, else between them; with no real
root, everywhere or nowhere. The regions are then cut to the observed range of ``w``. In R
(``interactions::johnson_neyman`` gives the same bounds): ``polyroot(c(C, B, A))``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from pipeline.stats.distributions import norm_ppf, norm_sf, t_ppf, t_sf

__all__ = ["critical_value", "simple_slope", "JNResult", "johnson_neyman"]


def critical_value(conf: float, df: float | None) -> float:
    """Two-sided critical value at level ``conf``: t with ``df``, or normal (``df`` None)."""
    p = 1 - (1 - conf) / 2
    return float(norm_ppf(p) if df is None else t_ppf(p, df))


def simple_slope(b1: float, b3: float, v11: float, v13: float, v33: float, w: float,
                 conf: float, df: float | None) -> dict[str, float]:
    """Slope of x at moderator value ``w``: est, se, stat, pvalue, ci_lower, ci_upper."""
    est = b1 + b3 * w
    se = math.sqrt(max(v11 + 2 * w * v13 + w * w * v33, 0.0))
    stat = est / se if se > 0 else math.nan
    tail = norm_sf(abs(stat)) if df is None else t_sf(abs(stat), df)
    p = float(2 * tail) if se > 0 else math.nan
    c = critical_value(conf, df)
    return {"w": w, "est": est, "se": se, "stat": stat, "pvalue": p,
            "ci_lower": est - c * se, "ci_upper": est + c * se}


@dataclass(frozen=True)
class JNResult:
    """J-N bounds and the significant regions of the slope within ``[w_min, w_max]``.

    ``lower``/``upper``: the real roots (NaN when none); ``shape``: outside (significant below
    ``lower`` and above ``upper``), inside (between them), everywhere, nowhere, or above / below
    ``lower`` (one root, when ``b3^2 = c^2 V33`` exactly); ``regions``: the significant
    intervals cut to the observed range (empty: no significant slope there).
    """

    lower: float
    upper: float
    shape: str
    w_min: float
    w_max: float
    regions: tuple[tuple[float, float], ...]

    @property
    def boundaries_in_range(self) -> tuple[float, ...]:
        """The J-N boundaries that fall strictly inside the observed range."""
        return tuple(r for r in (self.lower, self.upper)
                     if math.isfinite(r) and self.w_min < r < self.w_max)

    @property
    def everywhere_in_range(self) -> bool:
        return self.regions == ((self.w_min, self.w_max),)


def johnson_neyman(b1: float, b3: float, v11: float, v13: float, v33: float, crit: float,
                   w_min: float, w_max: float) -> JNResult:
    """Johnson-Neyman bounds of the slope ``b1 + b3 w`` at critical value ``crit``."""
    c2 = crit * crit
    a, b, c = b3 * b3 - c2 * v33, 2 * (b1 * b3 - c2 * v13), b1 * b1 - c2 * v11
    disc = b * b - 4 * a * c
    lo = hi = math.nan
    if abs(a) < 1e-15 * max(1.0, abs(b), abs(c)):  # linear: one boundary
        if abs(b) > 0:
            root = -c / b
            cut = ((root, math.inf),) if b > 0 else ((-math.inf, root),)
            return _cut(root, math.nan, "above" if b > 0 else "below", cut, w_min, w_max)
        shape = "everywhere" if c > 0 else "nowhere"
    elif disc <= 0:
        shape = "everywhere" if a > 0 else "nowhere"
    else:
        r = np.sort(np.roots([a, b, c]).real)
        lo, hi = float(r[0]), float(r[1])
        shape = "outside" if a > 0 else "inside"
    full = {"everywhere": ((-math.inf, math.inf),), "nowhere": (),
            "outside": ((-math.inf, lo), (hi, math.inf)), "inside": ((lo, hi),)}[shape]
    return _cut(lo, hi, shape, full, w_min, w_max)


def _cut(lo: float, hi: float, shape: str, full, w_min: float, w_max: float) -> JNResult:
    regions = tuple((max(a, w_min), min(b, w_max)) for a, b in full
                    if max(a, w_min) < min(b, w_max))
    return JNResult(lo, hi, shape, w_min, w_max, regions)
