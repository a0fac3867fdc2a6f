"""Arm x time by regression: complete cases, multiple imputation, propensity weighting.

For each follow-up wave k the change ``y_k - y_0`` is regressed on the programme indicator
``P`` (and the centred covariates ``x`` of the adjusted analysis)::

    y_k - y_0 = a + d P + g' x + e

so ``d`` is the difference in change (programme minus reference), ``a`` the change within
the reference arm and ``a + d`` within the programme arm, at the average covariates; for each
wave ``y_k`` is regressed the same way for the arms' means. By the linearity of least squares
``d`` equals ``b_k - b_0`` of the wave-by-wave regressions, the estimand of the FIML model.

* complete cases: OLS among entrants with both scores (and the covariates); classical SEs, t
  on the residual df (R ``lm``);
* multiple imputation: the same OLS on each completed data set, pooled by Rubin's rules with
  the Barnard-Rubin df, complete-data df ``n - p`` (R ``mice::pool(with(imp, lm(...)))``);
* weighted (propensity score, :mod:`pipeline.comparison.balance`): weighted least squares of
  the change on ``P`` alone among the weighted entrants with both scores, HC0 sandwich SEs
  ignoring the estimation of the weights (R ``lm(weights = w)`` with
  ``sandwich::vcovHC(type = "HC0")``; conservative for IPW, Lunceford & Davidian 2004).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from pipeline.stats.pooling import rubin_pool

__all__ = ["ESTIMANDS", "ols", "estimand_fits", "cc_rows", "mi_rows", "weighted_rows"]

#: estimand -> (uses the change, contrast over [intercept, P])
ESTIMANDS: dict[str, tuple[bool, tuple[float, float]]] = {
    "did": (True, (0.0, 1.0)),
    "chg_ref": (True, (1.0, 0.0)),
    "chg_prog": (True, (1.0, 1.0)),
    "mean_ref": (False, (1.0, 0.0)),
    "mean_prog": (False, (1.0, 1.0)),
}


def ols(y: np.ndarray, x: np.ndarray, w: np.ndarray | None = None, *, hc0: bool = False
        ) -> tuple[np.ndarray, np.ndarray, float] | None:
    """(beta, vcov, residual df) of (weighted) least squares; None when X is rank deficient
    or there are no residual df. Classical vcov ``s^2 (X'WX)^-1`` or HC0
    ``(X'WX)^-1 X'W diag(e^2) W X (X'WX)^-1``."""
    n, p = x.shape
    if n <= p or np.linalg.matrix_rank(x) < p:
        return None
    w = np.ones(n) if w is None else np.asarray(w, float)
    xtw = x.T * w
    bread = np.linalg.inv(xtw @ x)
    beta = bread @ (xtw @ y)
    e = y - x @ beta
    if hc0:
        meat = (xtw * e**2 * w) @ x
        vcov = bread @ meat @ bread
    else:
        vcov = bread * float(np.sum(w * e**2) / (n - p))
    return beta, vcov, float(n - p)


def _contrast(fit, c: tuple[float, float]) -> tuple[float, float, float]:
    beta, vcov, df = fit
    v = np.zeros(len(beta))
    v[:2] = c
    return float(v @ beta), float(v @ vcov @ v), df


def estimand_fits(frame: pd.DataFrame, outcome: str, waves: Sequence[str], arm: str,
                  covariates: Sequence[str], weight: str | None = None
                  ) -> dict[tuple[str, int], tuple[float, float, float, int] | None]:
    """(estimand, k) -> (estimate, variance, df, n) on the complete cases of ``frame``
    (weighted by column ``weight`` with HC0 SEs, on ``P`` alone, when given)."""
    cols = [f"{outcome}_{w}" for w in waves]
    xcols = [arm] if weight else [arm, *covariates]
    out: dict = {}
    for k, col in enumerate(cols):
        for change in (False, True):
            if change and not k:
                continue
            need = [col, *xcols] + ([cols[0]] if change else []) + ([weight] if weight else [])
            d = frame.dropna(subset=need)
            y = d[col].to_numpy(float) - (d[cols[0]].to_numpy(float) if change else 0.0)
            x = np.column_stack([np.ones(len(d)), d[xcols].to_numpy(float)])
            fit = ols(y, x, d[weight].to_numpy(float) if weight else None, hc0=bool(weight))
            for est, (uses_change, c) in ESTIMANDS.items():
                if uses_change == change:
                    out[(est, k)] = None if fit is None else (*_contrast(fit, c), len(d))
    return out


def _rows(fits: dict, outcome: str, method: str, note: str = "") -> list[dict]:
    rows = []
    for (est, k), f in fits.items():
        if f is None:
            rows.append({"outcome": outcome, "estimand": est, "k": k, "method": method,
                         "status": "not_estimable", "message": "too few people with both "
                         "scores in each arm, or covariates that do not vary"})
            continue
        e, v, df, n = f
        rows.append({"outcome": outcome, "estimand": est, "k": k, "method": method, "est": e,
                     "se": float(np.sqrt(v)), "df": df, "n_contributing": n, "status": "ok",
                     "message": note})
    return rows


def cc_rows(frame: pd.DataFrame, outcome: str, waves: Sequence[str], arm: str,
            covariates: Sequence[str]) -> list[dict]:
    """Complete-case rows (``method`` complete_case)."""
    return _rows(estimand_fits(frame, outcome, waves, arm, covariates), outcome,
                 "complete_case")


def weighted_rows(frame: pd.DataFrame, outcome: str, waves: Sequence[str], arm: str,
                  weight: str, scheme: str) -> list[dict]:
    """Propensity-weighted rows (``method`` weighted; ``scheme`` overlap | ipw)."""
    fits = estimand_fits(frame, outcome, waves, arm, (), weight=weight)
    return _rows(fits, outcome, "weighted", f"{scheme} weights; robust (HC0) SE")


def mi_rows(frames: Callable[[], object], outcome: str, waves: Sequence[str], arm: str,
            covariates: Sequence[str], m: int) -> list[dict]:
    """Rubin-pooled rows over the completed data sets ``frames()`` (each a design frame)."""
    per: dict[tuple[str, int], list] = {}
    for fr in frames():
        for key, f in estimand_fits(fr, outcome, waves, arm, covariates).items():
            per.setdefault(key, []).append(f)
    rows = []
    for (est, k), fits in per.items():
        if any(f is None for f in fits):
            rows += _rows({(est, k): None}, outcome, "mi")
            continue
        q, u, df = (np.array([f[j] for f in fits]) for j in range(3))
        p = rubin_pool(q, u, float(df.min())).iloc[0]
        rows.append({"outcome": outcome, "estimand": est, "k": k, "method": "mi",
                     "est": float(p["estimate"]), "se": float(p["se"]), "df": float(p["df"]),
                     "n_contributing": int(max(f[3] for f in fits)), "status": "ok",
                     "message": f"m = {m} imputations"})
    return rows
