"""Convergence of parallel chains: split R-hat, rank-normalised split R-hat (Vehtari et al. 2021).

For draws ``x`` (iterations x chains), with every chain split in half (``split``: the first
``floor(n/2)`` and the last ``floor(n/2)`` draws; an odd middle draw is dropped), N draws per
split chain and J split chains:

    W = mean_j s_j^2,   B = N var_j(mean_j),   R-hat = sqrt(((N - 1)/N W + B/N) / W)
      = sqrt((B/W + N - 1) / N)                               (Gelman et al. 2013, BDA3 §11.4)

The rank-normalised version (Vehtari, Gelman, Simpson, Carpenter & Bürkner 2021, *Bayesian
Analysis* 16:667-718) replaces the draws by normal scores of their pooled ranks,
``z = Phi^-1((r - 3/8) / (S - 3/4 + 1))`` (S = all draws, average ranks for ties), and takes the
larger of the bulk R-hat (on ``z``) and the tail R-hat (on the normal scores of the folded draws
``|x - median(x)|``). Values above 1.01 (strict) or 1.1 (classic, Gelman & Rubin 1992) say the
chains have not mixed. R-hat is not defined (NaN) when a draw is missing or infinite or all
draws are equal.

Applied to MICE (van Buuren 2018 §6.5.2), the "draws" of one variable are the per-iteration
means (and SDs) of its imputed values in each of the m chains, i.e. the traces of
``plot(mids)``; :func:`trace_rhat` discards the first half of the iterations as warm-up.

In R: ``posterior::rhat(x)`` (rank-normalised), ``posterior::rhat_basic(x)`` (split R-hat);
``coda::gelman.diag`` gives the unsplit Gelman-Rubin PSRF with a df correction (not used here).
"""

from __future__ import annotations

import numpy as np

from pipeline.stats.distributions import average_ranks, norm_ppf

__all__ = ["split_chains", "rhat_basic", "rhat", "trace_rhat", "RHAT_WARN"]

#: R-hat above this is reported as a warning (Gelman & Rubin 1992; Brooks & Gelman 1998).
RHAT_WARN = 1.1


def split_chains(x: np.ndarray) -> np.ndarray:
    """Each chain (column) cut into its first and second half (posterior's ``.split_chains``)."""
    x = np.asarray(x, dtype=float)
    if x.ndim == 1:
        x = x[:, None]
    n = x.shape[0]
    if n == 1:
        return x
    half = n / 2
    return np.hstack([x[: int(np.floor(half))], x[int(np.ceil(half + 1)) - 1:]])


def _bad(x: np.ndarray) -> bool:
    return (not np.isfinite(x).all()) or x.size == 0 or bool(np.ptp(x) <= np.finfo(float).eps)


def _rhat_unsplit(x: np.ndarray) -> float:
    """sqrt((B/W + N - 1)/N) on the chains as given (posterior's ``.rhat``)."""
    if _bad(x) or x.shape[0] < 2 or x.shape[1] < 2:
        return float("nan")
    n = x.shape[0]
    w = float(x.var(axis=0, ddof=1).mean())
    b = n * float(x.mean(axis=0).var(ddof=1))
    if w <= 0:
        return float("nan")
    return float(np.sqrt((b / w + n - 1) / n))


def rhat_basic(x: np.ndarray) -> float:
    """Split R-hat of draws ``x`` (iterations x chains). In R: ``posterior::rhat_basic(x)``."""
    return _rhat_unsplit(split_chains(x))


def _z_scale(x: np.ndarray) -> np.ndarray:
    r = average_ranks(x).reshape(x.shape)
    return norm_ppf((r - 3 / 8) / (x.size - 2 * 3 / 8 + 1))


def rhat(x: np.ndarray) -> float:
    """Rank-normalised split R-hat, max(bulk, tail) (Vehtari et al. 2021).

    In R: ``posterior::rhat(x)`` with ``x`` an iterations x chains matrix.
    """
    x = np.asarray(x, dtype=float)
    if x.ndim == 1:
        x = x[:, None]
    if _bad(x):
        return float("nan")
    split = split_chains(x)
    bulk = _rhat_unsplit(_z_scale(split))
    tail = _rhat_unsplit(_z_scale(split_chains(np.abs(x - np.median(x)))))
    return float(np.nanmax([bulk, tail])) if np.isfinite([bulk, tail]).any() else float("nan")


def trace_rhat(trace: np.ndarray, warmup: float = 0.5) -> float:
    """R-hat of a MICE trace (chains x iterations) after discarding the first ``warmup`` share
    of the iterations (at least 4 kept iterations and 2 chains are needed; else NaN)."""
    trace = np.asarray(trace, dtype=float)
    start = int(np.floor(trace.shape[1] * warmup))
    kept = trace[:, start:].T
    if kept.shape[0] < 4 or kept.shape[1] < 2:
        return float("nan")
    return rhat(kept)
