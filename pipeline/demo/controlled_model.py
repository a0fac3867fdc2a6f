"""The controlled study's population model: the demo's latent chain with arm-specific means,
the social-identity moderators and the GP-visit count (parameters:
:mod:`pipeline.demo.controlled_params`).

Person i, arm A_i (1 social prescribing, 0 usual care), waves t = 0, 1, 2.

1. **Chain.** eta[k, t] = mu[k, t](A) + RI[k] + w[k, t] for GM, CB, SS, LON, QOL: the demo's
   RI-CLPM (:mod:`pipeline.demo.latent`; serial chain GM -> CB -> SS -> LON -> QOL, lags,
   50% between-person variance), with the means set per arm through the chain::

       mu[., t](A) = (I - B)^-1 (g_A[t], 0, 0, 0.45 A - 0.25 A [t >= 1], 0)

   g_A = (0, 0.5, 0.5) in the programme arm and (0, 0.1, 0.1) in usual care; the programme arm
   is lonelier at every wave (+0.45, so at entry) and loses a further 0.25 after entry.
2. **Moderators** (latent, SD 1 at entry)::

       ID_0 = 0.3 CB_0 + sqrt(0.91) e;   ID_t = 0.7 ID_0 + sqrt(0.51) e_t + 0.2 A   (t >= 1)
       COMP_0 = 0.3 ID_0 + sqrt(0.91) e; COMP_t = 0.6 COMP_0 + 0.8 e_t             (t >= 1)

3. **Moderation.** After entry loneliness moves with the change in GM, more so for people who
   identify with their groups and whose groups fit together (t >= 1)::

       LON_t += (-0.35 ID_0 - 0.15 COMP_0) (GM_t - GM_0);  QOL_t += b3 x the same

4. **Groups maintained / new groups**::

       CONT_t = 0.5 GM_0 + sqrt(0.75) e_t;   NEW_t = 0.3 GM_t + 0.6 (GM_t - GM_0) + e_t

5. **GP visits in the last 3 months** (negative binomial, NB2, with a random intercept)::

       log mu_it = log 1.6 + 0.015 (age - 55) + 0.25 LON_t - 0.15 CB_t - 0.08 A [t >= 1] + u_i
       u_i ~ N(0, 0.4^2);  visits ~ Poisson(mu_it G_it), G_it ~ Gamma(1.5, 1/1.5); at most 60

   Visits fall in the programme arm partly through belonging and loneliness (more belonging ->
   less loneliness -> fewer visits) and partly directly.

Items: the five demo scales as in :mod:`pipeline.demo.items`; the added scales by the same
latent-response thresholds on the 1-7 agree scale (``sisi`` loading 0.85; compatibility .80 .75
.70; groups maintained .75 .75 .70 .70; new groups .80 .75 .75 .70; locations +0.2, 0, 0, -0.3).
"""

from __future__ import annotations

import numpy as np

from pipeline.demo.controlled_layout import NEW_SCALE_CONSTRUCT, SCALE_ITEMS
from pipeline.demo.controlled_params import TRUE_CONTROLLED, ControlledParams
from pipeline.demo.latent import contemporaneous_paths, latent_scores
from pipeline.demo.layout import CONSTRUCTS

__all__ = [
    "EXTRA",
    "arm_means",
    "controlled_latent",
    "added_item_responses",
    "gp_visit_counts",
]

#: the added latent constructs, in the order of ``extra`` arrays
EXTRA = ("id", "comp", "cont", "new")
_IX = {c: i for i, c in enumerate(CONSTRUCTS)}


def arm_means(programme: np.ndarray, p: ControlledParams = TRUE_CONTROLLED,
              n_waves: int = 3) -> np.ndarray:
    """Latent means (n, n_waves, 5) of the chain's constructs for each person's arm."""
    inv = np.linalg.inv(np.eye(5) - contemporaneous_paths(p.chain))
    a = np.asarray(programme, dtype=float)
    out = np.zeros((len(a), n_waves, 5))
    for t in range(n_waves):
        shift = np.zeros((len(a), 5))
        shift[:, _IX["gm"]] = np.where(a > 0, p.gm_shift(True, t), p.gm_shift(False, t))
        shift[:, _IX["lon"]] = a * (p.lon_entry + p.at("lon_programme", t))
        out[:, t] = shift @ inv.T
    return out


def controlled_latent(
    rng: np.random.Generator, programme: np.ndarray, p: ControlledParams = TRUE_CONTROLLED,
    n_waves: int = 3,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Latent scores: ``eta`` (n, n_waves, 5 chain constructs), ``extra`` (n, n_waves, 4:
    EXTRA) and the chain's random intercepts (n, 5).

    Draw order: the chain (:func:`pipeline.demo.latent.latent_scores`), then per added
    construct (ID, COMP, CONT, NEW) one (n, n_waves) standard normal block.
    """
    a = np.asarray(programme, dtype=float)
    n = len(a)
    eta, ri = latent_scores(rng, n, p.chain, n_waves)
    eta = eta + arm_means(a, p, n_waves)
    e = {c: rng.standard_normal((n, n_waves)) for c in EXTRA}
    gm, cb = eta[:, :, _IX["gm"]], eta[:, :, _IX["cb"]]
    extra = np.zeros((n, n_waves, len(EXTRA)))
    id0 = p.id_cb * cb[:, 0] + np.sqrt(1 - p.id_cb**2) * e["id"][:, 0]
    comp0 = p.comp_id * id0 + np.sqrt(1 - p.comp_id**2) * e["comp"][:, 0]
    extra[:, 0, 0], extra[:, 0, 1] = id0, comp0
    for t in range(1, n_waves):
        extra[:, t, 0] = (p.id_stability * id0 + np.sqrt(1 - p.id_stability**2)
                          * e["id"][:, t] + p.id_rise * a)
        extra[:, t, 1] = (p.comp_stability * comp0
                          + np.sqrt(1 - p.comp_stability**2) * e["comp"][:, t])
        slope = p.mod_identification * id0 + p.mod_compatibility * comp0
        delta = slope * (gm[:, t] - gm[:, 0])
        eta[:, t, _IX["lon"]] += delta
        eta[:, t, _IX["qol"]] += p.chain.b3 * delta
    for t in range(n_waves):
        extra[:, t, 2] = p.cont_gm * gm[:, 0] + np.sqrt(1 - p.cont_gm**2) * e["cont"][:, t]
        extra[:, t, 3] = p.new_gm * gm[:, t] + p.new_change * (gm[:, t] - gm[:, 0]) + e["new"][
            :, t]
    return eta, extra, ri


def added_item_responses(
    rng: np.random.Generator, extra: np.ndarray, p: ControlledParams = TRUE_CONTROLLED
) -> dict[str, np.ndarray]:
    """1-7 answers (float) to the added agree-scale items of one wave from ``extra`` (n, 4).

    Draw order: one standard normal vector per item, scales in SCALE_ITEMS order.
    """
    loadings, location = dict(p.loadings), dict(p.location)
    cuts = np.asarray(p.chain.agree7_cuts)
    n = extra.shape[0]
    out: dict[str, np.ndarray] = {}
    for scale, c in NEW_SCALE_CONSTRUCT.items():
        for it, lam in zip(SCALE_ITEMS[scale], loadings[c]):
            ystar = lam * extra[:, EXTRA.index(c)] + np.sqrt(1 - lam**2) * rng.standard_normal(n)
            out[it] = (1 + np.searchsorted(cuts, ystar + location[c])).astype(float)
    return out


def gp_visit_counts(
    rng: np.random.Generator, eta: np.ndarray, age: np.ndarray, programme: np.ndarray,
    p: ControlledParams = TRUE_CONTROLLED,
) -> np.ndarray:
    """GP visits in the last 3 months (n, n_waves) as float, from the model in the docstring.

    Draw order: the random intercepts (n), then per wave the gamma frailties and the Poisson
    counts.
    """
    n, n_waves = eta.shape[0], eta.shape[1]
    a = np.asarray(programme, dtype=float)
    u = p.gp_ri_sd * rng.standard_normal(n)
    out = np.zeros((n, n_waves))
    for t in range(n_waves):
        log_mu = (np.log(p.gp_rate) + p.gp_age * (age - 55) + p.gp_lon * eta[:, t, _IX["lon"]]
                  + p.gp_cb * eta[:, t, _IX["cb"]] + p.at("gp_programme", t) * a + u)
        frailty = rng.gamma(p.gp_size, 1.0 / p.gp_size, n)
        out[:, t] = np.minimum(rng.poisson(np.exp(log_mu) * frailty), p.gp_max)
    return out
