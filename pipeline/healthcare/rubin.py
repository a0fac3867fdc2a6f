"""Count-outcome mediation under multiple imputation by Rubin's rules.

The chain of :mod:`.mediation` (mediators by OLS, the count by a Poisson or NB2 GLM) is fitted
on each of the m completed data sets the impute stage made (``imputed/imputations.parquet``,
read through :func:`pipeline.stage_io.read_imputed`, one set at a time: a loop over the m sets,
each fit vectorised over people). Change scores and dummies are derived from each completed set
("impute, then transform").

Pooling (Rubin 1987), as ``mice::pool`` pools ``with(imp, lm(...))``, ``with(imp, glm(...,
family = poisson))`` and ``with(imp, MASS::glm.nb(...))``: every coefficient of every equation
(intercepts included) by its mean, T = Ubar + (1 + 1/m) B and Barnard & Rubin (1999) df with the
complete-data df n - p of its equation (:func:`pipeline.stats.pooling.rubin_pool`). The rate
ratios (direct, each path, total indirect, total) are products of the pooled coefficients on the
log scale; their intervals are Monte Carlo percentile intervals from draws of N(Qbar, T), T the
pooled covariance of all coefficients, Ubar + (1 + 1/m) B (Ubar block diagonal over the
equations; Preacher & Selig 2012), as :mod:`pipeline.mediation.rubin` does for the linear chain.
Draws seeded ``healthcare/<chain>/rubin_mc``.

The count family: ``healthcare.model`` poisson or negbin as configured; auto runs the boundary
LR test of NB2 vs Poisson on every set and keeps NB2 when it rejects in at least half of them
(one family for every set, so the coefficients pool). NB2's theta is a nuisance, re-estimated in
each set. No zero-inflated form under MI. R: ``tests/fixtures/healthcare_rubin/``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipeline.healthcare.chain import M, Y, designs, path_effects, raw_frame, varying
from pipeline.healthcare.settings import CountChain
from pipeline.sem.montecarlo import draw_parameters
from pipeline.stage_io import completed_frames
from pipeline.stats.counts_glm import fit_negbin, fit_poisson
from pipeline.stats.counts_zi import lr_test_nb
from pipeline.stats.pooling import rubin_covariance, rubin_pool

__all__ = ["NotImputed", "MIChain", "fit_sets", "pool_sets", "mi_chain"]


class NotImputed(Exception):
    """The imputed sets cannot carry this chain (a variable is still missing in them): the
    complete-case rows stay primary and the message says why and what to change."""


@dataclass(frozen=True)
class MIChain:
    """A chain pooled over m imputed sets. ``point``/``draws``: log rate ratios at the pooled
    coefficients and at each Monte Carlo draw; ``pooled``: ``rubin_pool`` rows of every
    coefficient (terms ``<equation>:<column>``, equations m1..mk then y); ``family``: poisson
    or negbin; ``reason``: why that family; ``message``: not empty when it failed."""

    point: dict[str, float]
    draws: dict[str, np.ndarray]
    pooled: pd.DataFrame
    family: str
    reason: str
    m: int
    n: int
    message: str = ""


def _ols(x: np.ndarray, m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """OLS coefficients and their covariance ``sigma^2 (X'X)^-1`` (R ``vcov(lm(...))``)."""
    inv = np.linalg.inv(x.T @ x)
    beta = inv @ (x.T @ m)
    resid = m - x @ beta
    return beta, resid @ resid / (len(m) - x.shape[1]) * inv


def _block_diag(blocks: list[np.ndarray]) -> np.ndarray:
    size = sum(len(b) for b in blocks)
    out = np.zeros((size, size))
    at = 0
    for b in blocks:
        out[at:at + len(b), at:at + len(b)] = b
        at += len(b)
    return out


def _set_fit(frame: pd.DataFrame, k: int, model: str):
    """One completed set: the mediators' coefficients and covariance blocks, and the count fits
    (both families under auto, with the LR test's vote for NB2)."""
    med_x, y_x, names = designs(frame, k)
    mediators = [_ols(x, frame[M(j)].to_numpy(float)) for j, x in enumerate(med_x, 1)]
    y, design = frame[Y].to_numpy(float), pd.DataFrame(y_x, columns=names)
    fits = {}
    if model in ("poisson", "auto"):
        fits["poisson"] = fit_poisson(design, y)
    if model in ("negbin", "auto"):
        fits["negbin"] = fit_negbin(design, y)
    vote = (model == "negbin" or (model == "auto" and fits["negbin"].ok and fits["poisson"].ok
                                  and lr_test_nb(fits["poisson"], fits["negbin"])[1] < 0.05))
    return mediators, fits, vote, med_x, names


def fit_sets(sets: Iterable[pd.DataFrame], keep: list[str], k: int, model: str):
    """Fit the chain on every completed set (frames over :func:`raw_frame`'s columns ``keep``).
    Returns (per-set mediator fits, per-set count fits by family, NB2 votes, term names, dfcom)."""
    meds, counts, votes, terms, dfcom = [], [], [], None, None
    for frame in sets:
        mediators, fits, vote, med_x, names = _set_fit(frame[keep], k, model)
        meds.append(mediators)
        counts.append(fits)
        votes.append(vote)
        if terms is None:
            n = len(frame)
            terms = [f"m{j}:{c}" for j, x in enumerate(med_x, 1) for c in names[:x.shape[1]]]
            terms += [f"y:{c}" for c in names]
            dfcom = np.array([n - x.shape[1] for x in med_x for _ in range(x.shape[1])]
                             + [n - len(names)] * len(names), dtype=float)
    return meds, counts, votes, terms, dfcom


def pool_sets(coef: np.ndarray, var: np.ndarray, dfcom: np.ndarray, terms: list[str],
              conf: float) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Rubin's rules over (m, P) coefficients with (m, P, P) covariances: the ``rubin_pool``
    table, Qbar and the total covariance T = Ubar + (1 + 1/m) B."""
    table = rubin_pool(coef, np.diagonal(var, axis1=1, axis2=2), df_complete=dfcom,
                       terms=terms, level=conf)
    return (table, *rubin_covariance(coef, var))


def _family(model: str, votes: list[bool]) -> tuple[str, str]:
    m, nb = len(votes), int(sum(votes))
    if model != "auto":
        return model, f"healthcare.model: {model}"
    if 2 * nb >= m:
        return "negbin", (f"negative binomial: overdispersed (the LR test of NB2 rejects in {nb} "
                          f"of {m} imputed sets)")
    return "poisson", f"Poisson: no overdispersion in {m - nb} of {m} imputed sets (LR test)"


def mi_chain(imputations, wide: pd.DataFrame, ch: CountChain, columns: list[str], model: str,
             conf: float, draws: int, seed: int) -> MIChain:
    """Fit and pool one chain over ``imputations`` (rows as ``wide``); ``columns``: the wide
    columns the chain reads. NotImputed when a variable stays missing in a completed set."""
    keep = varying(raw_frame(wide, ch))  # covariate levels someone has (observed data)
    k, frames = len(ch.mediators), []

    def sets():
        for cs in completed_frames(imputations, columns):
            frame = raw_frame(cs.reset_index(drop=True), ch)[keep]
            if frame.isna().any().any():
                still = [c for c in columns if cs[c].isna().any()]
                raise NotImputed(f"{still} still have missing values in the imputed sets; add "
                                 "them to the imputation model (config key "
                                 "missing_data.columns)")
            y = frame[Y].to_numpy(float)
            if ((y < 0) | (y != np.round(y))).any():
                raise NotImputed(f"the imputed counts of {ch.y_column} are not all whole "
                                 "numbers 0, 1, 2, ...; impute with missing_data.method: pmm, "
                                 "which keeps them whole")
            frames.append(len(frame))
            yield frame

    meds, counts, votes, terms, dfcom = fit_sets(sets(), keep, k, model)
    m = len(meds)
    family, reason = _family(model, votes)
    bad = [i + 1 for i, c in enumerate(counts) if not c[family].ok]
    if m < 2 or bad:
        why = (f"the {family} count model failed in imputed set(s) {bad}: "
               f"{counts[bad[0] - 1][family].message}" if bad else
               f"Rubin's rules need at least 2 imputed sets, the impute stage made {m}; set "
               "missing_data.m >= 2 (or auto)")
        return MIChain({}, {}, pd.DataFrame(), family, reason, m, frames[0] if frames else 0,
                       why)
    coef = np.array([np.concatenate([b for b, _ in md] + [np.asarray(c[family].coef)])
                     for md, c in zip(meds, counts)])
    var = np.array([_block_diag([v for _, v in md] + [np.asarray(c[family].cov)])
                    for md, c in zip(meds, counts)])
    table, qbar, total = pool_sets(coef, var, dfcom, terms, conf)
    sizes = np.cumsum([len(b) for b, _ in meds[0]])

    def split(v: np.ndarray):  # (mediator coefficient blocks, count coefficients)
        parts = np.split(v, sizes, axis=-1)
        return parts[:k], parts[k]

    point = {e: float(v) for e, v in path_effects(*split(qbar), k).items()}
    sims = path_effects(*split(draw_parameters(qbar, total, draws, seed)), k)
    return MIChain(point, sims, table, family, reason, m, frames[0])
