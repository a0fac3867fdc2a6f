"""Internal consistency: Cronbach's alpha (Feldt and Duhachek CIs) and McDonald's omega total.

Both follow the R package psych (Revelle, v2.2.9) exactly, so numbers agree with
``psych::alpha`` and ``psych::omega(x, nfactors = 1)``:

* **Missing data.** psych uses pairwise-complete covariances/correlations (``use =
  "pairwise"``); so do we (pandas ``DataFrame.cov``/``corr`` are pairwise with per-pair means,
  like R's ``cov(use = "pairwise")``). psych takes *n* = number of rows passed in, including rows
  with no answered item; we first drop rows with no answered item, so our values equal psych's
  on ``x[rowSums(!is.na(x)) > 0, ]`` (rows with nothing answered are not respondents).
* **Alpha** (Cronbach 1951): ``alpha = k/(k-1) * (1 - tr(C)/sum(C))`` on the covariance matrix C.
* **Feldt CI** (Feldt, Woodruff & Salih 1987; ``psych::alpha.ci``):
  ``1 - (1 - alpha) * F_{1-p/2 | p/2}(n - 1, (n - 1)(k - 1))``.
* **Duhachek CI** (Duhachek & Iacobucci 2004; psych's ``ase``): ``alpha +- 1.96 * sqrt(Q/n)``,
  ``Q = 2k^2/((k-1)^2 (1'C1)^3) * (1'C1 (tr(C^2) + tr(C)^2) - 2 tr(C) 1'C^2 1)``.
* **Omega total** (McDonald 1999) from a one-factor minres (unweighted least squares) factor
  analysis of the pairwise correlation matrix R, as ``psych::omega(x, nfactors = 1)$omega.tot``:
  ``omega_t = (1'R1 - sum(u2)) / 1'R1``, ``u2 = 1 - lambda^2``. Loadings: minimise the sum of
  squared off-diagonal residuals of R over uniquenesses psi in [0.005, 1] (psych's bounds, start
  1 - SMC), loadings = first eigenvector of R - diag(psi) x sqrt(eigenvalue). We optimise more
  tightly than psych's optim() defaults; measured agreement <= 2e-8 (tests use 1e-4).

**Not applicable.** Alpha and omega describe a score built from parallel items. A value-set
index (``score: index``, e.g. the EQ-5D-5L index: five dimensions weighted by a country's
preference tariff) is not such a score, so its row is ``not_run`` with the message "not
applicable (index score): ..." and nothing is computed; a single-item scale is
``not_estimable`` ("single-item scale: internal consistency is not defined").

In R::

    psych::alpha(x)$total$raw_alpha; psych::alpha.ci(alpha, n, items = k)   # Feldt CI
    psych::omega(x, nfactors = 1)$omega.tot
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from scipy import optimize

from pipeline.config import Scale
from pipeline.stats.distributions import f_ppf, norm_ppf
from pipeline.status import Status

__all__ = [
    "RELIABILITY_COLUMNS",
    "cronbach_alpha",
    "minres_one_factor",
    "mcdonald_omega",
    "scale_reliability",
    "reliability_table",
]

RELIABILITY_COLUMNS = [
    "scale",
    "wave",
    "n",
    "n_items",
    "alpha",
    "alpha_ci_lower",
    "alpha_ci_upper",
    "ci_method",
    "omega",
    "status",
    "message",
]


def _respondents(items: pd.DataFrame) -> pd.DataFrame:
    """Items as float with rows that answered no item removed."""
    x = items.astype(float)
    return x[x.notna().any(axis=1)]


def cronbach_alpha(items: pd.DataFrame, level: float = 0.95) -> dict[str, float]:
    """Cronbach's alpha with Feldt and Duhachek confidence intervals (psych::alpha).

    ``items``: one column per item, NaN = missing. Returns ``alpha``, ``n`` (rows with at least
    one answer), ``n_items``, ``ase`` (Duhachek asymptotic SE), ``feldt_lower``,
    ``feldt_upper``, ``duhachek_lower``, ``duhachek_upper``. Values are NaN when undefined
    (fewer than 2 items or 2 rows, a pair of items never answered together, sum(C) = 0).

    In R: ``psych::alpha(x)`` (``$total$raw_alpha``, ``$total$ase``) and ``psych::alpha.ci``.
    """
    x = _respondents(items)
    n, k = x.shape
    out = {
        "alpha": np.nan,
        "n": float(n),
        "n_items": float(k),
        "ase": np.nan,
        "feldt_lower": np.nan,
        "feldt_upper": np.nan,
        "duhachek_lower": np.nan,
        "duhachek_upper": np.nan,
    }
    if k < 2 or n < 2:
        return out
    C = x.cov().to_numpy()
    total = C.sum()
    if not np.isfinite(C).all() or total == 0:
        return out
    tr = np.trace(C)
    alpha = (1 - tr / total) * k / (k - 1)
    CC = C @ C
    Q = (2 * k**2 / ((k - 1) ** 2 * total**3)) * (
        total * (np.trace(CC) + tr**2) - 2 * tr * CC.sum()
    )
    ase = np.sqrt(Q / n) if Q >= 0 else np.nan
    p = 1 - level
    df1, df2 = n - 1, (n - 1) * (k - 1)
    z = 1.96 if np.isclose(level, 0.95) else norm_ppf(1 - p / 2)  # psych hard-codes 1.96
    out.update(
        alpha=alpha,
        ase=ase,
        feldt_lower=1 - (1 - alpha) * f_ppf(1 - p / 2, df1, df2),
        feldt_upper=1 - (1 - alpha) * f_ppf(p / 2, df1, df2),
        duhachek_lower=alpha - z * ase,
        duhachek_upper=alpha + z * ase,
    )
    return out


def _first_factor(S: np.ndarray, psi: np.ndarray) -> np.ndarray:
    """Loadings of one factor: first eigenpair of S - diag(psi) (psych's FAout.wls)."""
    vals, vecs = np.linalg.eigh(S - np.diag(psi))
    return vecs[:, -1] * np.sqrt(max(vals[-1], 0.0))


def minres_one_factor(R: np.ndarray) -> np.ndarray:
    """One-factor minres (ULS) loadings of correlation matrix ``R`` (psych::fa, fm="minres").

    Minimises sum_{i>j} (r_ij - l_i l_j)^2 over uniquenesses psi in [0.005, 1]; gradient as
    psych's ``FAgr.minres``: diag(L L' + diag(psi) - R).

    In R: ``psych::fa(R, nfactors = 1, fm = "minres")$loadings``.
    """
    R = np.asarray(R, dtype=float)
    low = np.tril_indices_from(R, -1)

    def fun(psi: np.ndarray) -> tuple[float, np.ndarray]:
        L = _first_factor(R, psi)
        model = np.outer(L, L)
        f = float(((R - model)[low] ** 2).sum())
        g = np.diag(model) + psi - np.diag(R)
        return f, g

    start = 1.0 / np.diag(np.linalg.pinv(R))  # 1 - SMC
    start = np.clip(start, 0.005, 1.0)
    res = optimize.minimize(
        fun,
        start,
        jac=True,
        method="L-BFGS-B",
        bounds=[(0.005, 1.0)] * len(start),
        options={"ftol": 1e-15, "gtol": 1e-12, "maxiter": 10_000},
    )
    L = _first_factor(R, res.x)
    return L if L.sum() >= 0 else -L


def mcdonald_omega(items: pd.DataFrame) -> float:
    """McDonald's omega total from a one-factor minres model (psych::omega(x, nfactors=1)
    ``omega.tot``; see module docstring). NaN with fewer than 3 items (one factor is not
    identified), fewer than 3 respondents or an undefined correlation.

    In R: ``psych::omega(x, nfactors = 1)$omega.tot``.
    """
    x = _respondents(items)
    if x.shape[1] < 3 or x.shape[0] < 3:
        return float("nan")
    R = x.corr().to_numpy()
    if not np.isfinite(R).all():
        return float("nan")
    L = minres_one_factor(R)
    u2 = np.diag(R) - L**2
    Vt = R.sum()
    return float((Vt - u2.sum()) / Vt)


def _row(scale: str, wave: str, n: int, k: int, **kw) -> dict:
    base = {
        "scale": scale, "wave": wave, "n": n, "n_items": k, "alpha": np.nan,
        "alpha_ci_lower": np.nan, "alpha_ci_upper": np.nan, "ci_method": "", "omega": np.nan,
        "status": Status.OK.value, "message": "",
    }
    base.update(kw)
    return base


def _not_estimable_reason(x: pd.DataFrame, items: list[str], wave: str) -> str | None:
    """Why alpha cannot be estimated from the answered items ``x`` (None when it can)."""
    n, k = x.shape
    if k < 2:
        return "single-item scale: internal consistency is not defined"
    if n < 3:
        return "fewer than 3 participants answered; need at least 3"
    var = x.var()
    flat = [c for c in items if not (var[c] > 0)]
    if flat:
        return f"item(s) {', '.join(flat)} have no variance in wave {wave}"
    return None


def scale_reliability(x: pd.DataFrame, scale: str, wave: str, ci_method: str = "feldt") -> dict:
    """One row of :func:`reliability_table`: alpha (CI by ``ci_method``) and omega of the items
    ``x`` of one scale at one wave (columns in item order; rows that answered nothing are
    dropped)."""
    x = _respondents(x)
    n, k = x.shape
    reason = _not_estimable_reason(x, list(x.columns), wave)
    if reason is None:
        a = cronbach_alpha(x)
        if not np.isfinite(a["alpha"]):
            reason = "some pair of items was never answered together"
    if reason is not None:
        return _row(scale, wave, n, k, status=Status.NOT_ESTIMABLE.value, message=reason)
    om = mcdonald_omega(x)
    msg = [] if np.isfinite(om) else ["omega needs at least 3 items"]
    if a["alpha"] < 0:
        msg.append("negative alpha: check reverse keying")
    return _row(scale, wave, n, k, alpha=a["alpha"], alpha_ci_lower=a[f"{ci_method}_lower"],
                alpha_ci_upper=a[f"{ci_method}_upper"], ci_method=ci_method, omega=om,
                message="; ".join(msg))


NOT_APPLICABLE_INDEX = (
    "not applicable (index score): a value-set index weighs its items by a preference tariff, "
    "so internal consistency does not describe its reliability; use a published test-retest "
    "reliability (change.reliability) for reliable change"
)


def _index_row(items: pd.DataFrame, scale: str, wave: str) -> dict:
    """The row of an index score: respondents and items counted, no alpha or omega."""
    n, k = _respondents(items).shape
    return _row(scale, wave, n, k, status=Status.NOT_RUN.value, message=NOT_APPLICABLE_INDEX)


def reliability_table(
    long: pd.DataFrame, scales: Mapping[str, Scale], wave_ids: list[str], ci_method: str = "feldt"
) -> pd.DataFrame:
    """Alpha (with a 95% CI by ``ci_method``: "feldt" | "duhachek") and omega total per scale
    and wave. ``scales`` maps scale key -> an object with the scale's ``items`` (column names
    in ``long``). ``status`` is "not_estimable" (all estimates NaN, reason in ``message``) for
    single-item scales, fewer than 3 respondents, an item with no variance, or a pair of items
    never answered together; "not_run" for a value-set index (``score == "index"``: not
    applicable, see the module notes). Omega is NaN (status ok, reason in message) for 2-item
    scales.

    In R: per scale and wave, ``psych::alpha(x)`` and ``psych::omega(x, nfactors = 1)``.
    """
    if ci_method not in ("feldt", "duhachek"):
        raise ValueError(f"ci_method must be 'feldt' or 'duhachek', got {ci_method!r}")
    rows = [
        _index_row(long.loc[long["wave"] == w, list(sc.items)], key, w)
        if getattr(sc, "score", "mean") == "index" else
        scale_reliability(long.loc[long["wave"] == w, list(sc.items)], key, w, ci_method)
        for key, sc in scales.items()
        for w in wave_ids
    ]
    return pd.DataFrame(rows, columns=RELIABILITY_COLUMNS)
