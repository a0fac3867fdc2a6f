"""Monte Carlo confidence intervals for defined parameters (lavaan ``:=``).

Preacher & Selig (2012): the sampling distribution of a defined parameter ``g(theta)`` (e.g. an
indirect effect ``a*b``) is approximated by drawing parameter vectors

    theta*_r = theta_hat + L z_r,   z_r ~ N(0, I),   L L' = V_hat   (r = 1..R)

from the asymptotic normal distribution of the estimates and evaluating ``g`` on every draw; the
``(1 - conf)`` interval is the percentile interval of ``g(theta*_1), ..., g(theta*_R)``. Unlike
the delta method (:mod:`pipeline.sem.defined`) the interval can be asymmetric, as the
distribution of a product of coefficients is.

``L`` is the symmetric square root from the eigen-decomposition of ``V_hat`` (eigenvalues below
zero clipped), so a numerically semi-definite ``V_hat`` still gives draws. The expressions are
parsed by :mod:`pipeline.sem.defined` (arithmetic of labels only) and evaluated on all draws at
once.

In R: ``semTools::monteCarloCI(fit, nRep = 20000)`` (older: ``semTools::monteCarloMed``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from pipeline.sem.defined import parse_expression
from pipeline.sem.syntax import Definition

__all__ = ["draw_parameters", "evaluate_definitions", "monte_carlo_defined", "percentile_interval"]


def draw_parameters(theta: np.ndarray, vcov: np.ndarray, draws: int, seed: int) -> np.ndarray:
    """``(draws, len(theta))`` draws from N(theta_hat, V_hat).

    ``theta* = theta_hat + z L'`` with ``z`` standard normal (``numpy.random.default_rng(seed)``)
    and ``L`` the eigen square root of the symmetrised ``V_hat``.
    """
    rng = np.random.default_rng(seed)
    vals, vecs = np.linalg.eigh((vcov + vcov.T) / 2)
    root = vecs * np.sqrt(np.clip(vals, 0, None))  # V = root root'
    return theta + rng.standard_normal((draws, theta.size)) @ root.T


def evaluate_definitions(definitions: Sequence[Definition], values: Mapping[str, np.ndarray],
                         model: str = "model") -> dict[str, np.ndarray]:
    """Evaluate ``name := expr`` definitions, in order, on arrays of label values.

    ``values``: label -> array of draws; a definition may use earlier ones. Returns
    name -> array (vectorised counterpart of :func:`pipeline.sem.defined.compile_definitions`).
    """
    env = dict(values)
    out: dict[str, np.ndarray] = {}
    for d in definitions:
        code = compile(parse_expression(d.expr, model, d.line), f"<{d.name}>", "eval")
        env[d.name] = out[d.name] = eval(code, {"__builtins__": {}}, env)
    return out


def monte_carlo_defined(theta: np.ndarray, vcov: np.ndarray, free_names: Sequence[str],
                        definitions: Sequence[Definition], draws: int, seed: int,
                        model: str = "model") -> np.ndarray:
    """Monte Carlo draws ``(draws, len(definitions))`` of defined parameters (Preacher & Selig
    2012).

    ``theta``/``vcov``/``free_names``: the free parameters of a fitted model
    (:class:`pipeline.sem.SEMResult` ``theta``, ``vcov``, ``free_names``); labels resolve to the
    columns of the parameter draws.
    """
    sims = draw_parameters(theta, vcov, draws, seed)
    env = {name: sims[:, i] for i, name in enumerate(free_names) if name.isidentifier()}
    out = np.empty((draws, len(definitions)))
    for j, val in enumerate(evaluate_definitions(definitions, env, model).values()):
        out[:, j] = val
    return out


def percentile_interval(draws: np.ndarray, conf: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Percentile interval of every column: quantiles ``(1 - conf)/2`` and ``(1 + conf)/2``
    (linear interpolation, R ``quantile(type = 7)``)."""
    alpha = (1 - conf) / 2
    lo, hi = np.quantile(draws, [alpha, 1 - alpha], axis=0)
    return lo, hi
