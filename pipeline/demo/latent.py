"""Latent panel scores: a random-intercept cross-lagged panel model with a recursive
contemporaneous chain (RI-CLPM; Hamaker, Kuiper & Grasman 2015, Psychol Methods 20(1):102-116).

Five constructs per person and wave t = 0, 1, 2, ... (order
:data:`~pipeline.demo.layout.CONSTRUCTS`:
GM group memberships, CB community belonging, SS social support, LON loneliness, QOL quality of
life)::

    eta[k, t] = mu[k, t] + RI[k] + w[k, t]
    RI = B RI + zeta_b,                        zeta_b ~ N(0, diag(psi_between))
    w_0 = B w_0 + zeta_0,                      zeta_0 ~ N(0, diag(psi_within_T0))
    w_t = B w_t + A w_{t-1} + zeta_t (t >= 1), zeta_t ~ N(0, diag(psi_within_Tt))

* ``B`` (contemporaneous, the same in the between and the within part; serial chain of
  Wakefield et al. 2022): CB = a1 GM; SS = d21 CB + a2 GM; LON = d32 SS + d31 CB;
  QOL = b3 LON + c' GM (defaults 0.55; 0.55, 0.15; -0.55, -0.15; -0.50, 0.10).
* ``A`` (within-person lags t-1 -> t): autoregression ``ar`` = 0.30 for every construct,
  cross-lags GM -> CB 0.10, CB -> SS 0.15, SS -> LON -0.10, others 0.
* Disturbance variances are solved so that RI carries ``ri_share`` = 50% of every construct's
  variance and the within part the rest, at every wave (total variance 1).
* Means: ``mu[., t] = (I - B)^-1 (gm_shift[t], 0, 0, 0, 0)``: the programme raises the GM
  intercept by 0.5 SD at T1 and T2 and the shift propagates through ``B``.
"""

from __future__ import annotations

import numpy as np

from pipeline.demo.layout import CONSTRUCTS
from pipeline.demo.params import TRUE_PARAMS, DemoParams

__all__ = ["contemporaneous_paths", "lagged_paths", "latent_moments", "latent_scores"]


def _index() -> dict[str, int]:
    return {c: i for i, c in enumerate(CONSTRUCTS)}


def contemporaneous_paths(p: DemoParams = TRUE_PARAMS) -> np.ndarray:
    """B[outcome, predictor] over CONSTRUCTS (same in the between and the within part)."""
    ix = _index()
    b = np.zeros((5, 5))
    b[ix["cb"], ix["gm"]] = p.a1
    b[ix["ss"], ix["cb"]] = p.d21
    b[ix["ss"], ix["gm"]] = p.a2
    b[ix["lon"], ix["ss"]] = p.d32
    b[ix["lon"], ix["cb"]] = p.d31
    b[ix["qol"], ix["lon"]] = p.b3
    b[ix["qol"], ix["gm"]] = p.c_prime
    return b


def lagged_paths(p: DemoParams = TRUE_PARAMS) -> np.ndarray:
    """A[outcome at t, predictor at t-1] for the within-person part."""
    ix = _index()
    a = np.eye(5) * p.ar
    a[ix["cb"], ix["gm"]] = p.lag_gm_cb
    a[ix["ss"], ix["cb"]] = p.lag_cb_ss
    a[ix["lon"], ix["ss"]] = p.lag_ss_lon
    return a


def fill_disturbances(b: np.ndarray, base: np.ndarray, target: float) -> np.ndarray:
    """Diagonal disturbance variances psi with diag(inv(I-B) (base + diag(psi)) inv(I-B)') = target.

    ``base`` is the covariance of the other inputs (the lagged part A Sigma_{t-1} A').
    B is lower triangular, so psi_k only moves construct k and later ones: solve in order.
    """
    inv = np.linalg.inv(np.eye(5) - b)
    psi = np.zeros(5)
    for k in range(5):
        psi[k] = 0.0
        cov = inv @ (base + np.diag(psi)) @ inv.T
        psi[k] = target - cov[k, k]
        if psi[k] <= 0:
            raise ValueError(f"demo parameters leave no disturbance variance for {CONSTRUCTS[k]}")
    return psi


def latent_moments(p: DemoParams = TRUE_PARAMS, n_waves: int = 3) -> dict[str, np.ndarray]:
    """Implied moments: disturbance variances, means per wave, within covariances per wave.

    Keys: ``B``, ``A``, ``psi_between``, ``psi_within_T0`` ... ``psi_within_T<n_waves-1>``,
    ``between_cov``, ``within_cov`` (n_waves x 5 x 5), ``means`` (n_waves x 5 constructs).
    Each wave's within disturbances are solved from the previous wave's covariance, so later
    waves (``--waves`` > 3) continue the same stationary-variance process.
    """
    b = contemporaneous_paths(p)
    a = lagged_paths(p)
    inv = np.linalg.inv(np.eye(5) - b)
    psi_between = fill_disturbances(b, np.zeros((5, 5)), p.ri_share)
    psi_within = [fill_disturbances(b, np.zeros((5, 5)), 1.0 - p.ri_share)]
    sigma = [inv @ np.diag(psi_within[0]) @ inv.T]
    for _t in range(1, n_waves):
        lag_cov = a @ sigma[-1] @ a.T
        psi_within.append(fill_disturbances(b, lag_cov, 1.0 - p.ri_share))
        sigma.append(inv @ (lag_cov + np.diag(psi_within[-1])) @ inv.T)
    means = np.array([inv @ np.array([p.gm_shift_at(t), 0, 0, 0, 0]) for t in range(n_waves)])
    return {
        "B": b,
        "A": a,
        "psi_between": psi_between,
        **{f"psi_within_T{t}": psi for t, psi in enumerate(psi_within)},
        "between_cov": inv @ np.diag(psi_between) @ inv.T,
        "within_cov": np.stack(sigma),
        "means": means,
    }


def latent_scores(
    rng: np.random.Generator, n: int, p: DemoParams = TRUE_PARAMS, n_waves: int = 3
) -> tuple[np.ndarray, np.ndarray]:
    """Draw eta (n, n_waves, 5 constructs) and the random intercepts RI (n, 5).

    Draw order (fixed; the demo files depend on it): RI disturbances, within disturbances at
    T0, then the innovations at T1, T2, ..., each an (n, 5) standard normal block.
    """
    m = latent_moments(p, n_waves)
    inv = np.linalg.inv(np.eye(5) - m["B"])
    ri = (rng.standard_normal((n, 5)) * np.sqrt(m["psi_between"])) @ inv.T
    w = np.zeros((n, n_waves, 5))
    w[:, 0] = (rng.standard_normal((n, 5)) * np.sqrt(m["psi_within_T0"])) @ inv.T
    for t in range(1, n_waves):
        psi = m[f"psi_within_T{t}"]
        u = w[:, t - 1] @ m["A"].T + rng.standard_normal((n, 5)) * np.sqrt(psi)
        w[:, t] = u @ inv.T
    eta = m["means"][None, :, :] + ri[:, None, :] + w
    return eta, ri
