"""Which count model, by the configured rule, for a single-level regression; cluster-robust SEs.

``healthcare.model`` (auto | poisson | negbin) picks the family: auto keeps NB2 only when the
boundary likelihood-ratio test of NB2 vs Poisson rejects at 5% (Self & Liang 1987;
:func:`pipeline.stats.counts_zi.lr_test_nb`). ``healthcare.zero_inflation`` (auto | never |
always) adds the zero-inflated form: auto by the rule of :mod:`pipeline.stats.counts_zi` (zeros
in excess of the model's expected zeros by 10% and 5 people, and an AIC lower by 2), always the
zero-inflated model of the chosen family, never none.

Repeated waves of a person are not independent: the single-level regressions of stacked waves
get cluster-robust (sandwich) SEs by person, ``G/(G-1) B (sum_g U_g U_g') B`` with ``B`` the
model-based covariance and ``U_g`` a person's summed scores (R
``sandwich::vcovCL(fit, cluster = ~pid, type = "HC0")``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipeline.stats.counts_glm import CountFit, expected_zeros, fit_negbin, fit_poisson
from pipeline.stats.counts_zi import (
    AIC_MARGIN,
    ZERO_EXCESS,
    ZeroInflatedFit,
    fit_zeroinfl,
    lr_test_nb,
)

__all__ = ["GlmChoice", "choose_glm", "cluster_cov", "family_words", "method_words"]

FAMILY_WORDS = {"poisson": "Poisson", "negbin": "negative binomial (NB2)",
                "zip": "zero-inflated Poisson", "zinb": "zero-inflated negative binomial"}


METHOD_WORDS = {"fiml": "FIML", "mi": "multiple imputation", "ipw": "inverse probability "
                "weighting", "complete_case": "complete cases", "lmm": "mixed model"}


def method_words(method: str) -> str:
    """A missing-data method as sentences name it ("FIML", "multiple imputation")."""
    return METHOD_WORDS.get(method, method)


def family_words(family: str) -> str:
    return FAMILY_WORDS.get(family, family)


@dataclass(frozen=True)
class GlmChoice:
    """The chosen single-level count fit (``CountFit`` or ``ZeroInflatedFit``), its family, the
    reason in words and whether the zeros call for a zero-inflated model."""

    family: str
    fit: CountFit | ZeroInflatedFit
    reason: str
    excess_zeros: bool


def _family(x, y, model: str) -> tuple[CountFit, str]:
    pois = fit_poisson(x, y)
    if model == "poisson":
        return pois, "Poisson (healthcare.model: poisson)"
    nb = fit_negbin(x, y)
    if model == "negbin":
        return nb, "negative binomial (healthcare.model: negbin)"
    if not pois.ok or not nb.ok:
        return (pois, "Poisson (the negative binomial model: " + nb.message + ")") \
            if pois.ok else (nb, "negative binomial")
    lr, p = lr_test_nb(pois, nb)
    if p < 0.05:
        return nb, f"negative binomial: overdispersed (LR test {lr:.1f}, p = {p:.2g})"
    return pois, f"Poisson: no overdispersion (LR test of NB2 {lr:.1f}, p = {p:.2g})"


def choose_glm(x: pd.DataFrame, y: np.ndarray, model: str, zero_inflation: str) -> GlmChoice:
    """The family by ``model``, then the zero-inflated form by ``zero_inflation``."""
    base, reason = _family(x, y, model)
    if not base.ok:
        return GlmChoice(base.family, base, reason, False)
    observed = int((np.asarray(y) == 0).sum())
    exp0 = expected_zeros(base)
    excess = observed >= exp0 * (1 + ZERO_EXCESS) and observed - exp0 >= 5
    said = f"{observed} zeros where the model expects {exp0:.1f}"
    if zero_inflation == "never" or (zero_inflation == "auto" and not excess):
        tail = "; zeros as expected" if not excess else "; more zeros than expected"
        return GlmChoice(base.family, base, f"{reason}{tail} ({said})", excess)
    z = pd.DataFrame({"(Intercept)": np.ones(len(y))})
    key = "zinb" if base.family == "negbin" else "zip"
    zi = fit_zeroinfl(x, z, y, dist="negbin" if key == "zinb" else "poisson")
    if zero_inflation == "always":
        if zi.status.value != "ok":
            return GlmChoice(base.family, base, f"{reason}; the zero-inflated model: "
                             f"{zi.message}", excess)
        return GlmChoice(key, zi, f"{reason}; zero-inflated (healthcare.zero_inflation: "
                         f"always; {said})", excess)
    if zi.status.value == "ok" and not zi.notes and zi.aic <= base.aic - AIC_MARGIN:
        return GlmChoice(key, zi, f"{reason}; {said}, and the zero-inflated model's AIC is "
                         f"lower by {base.aic - zi.aic:.1f}", excess)
    return GlmChoice(base.family, base, f"{reason}; {said}, but no zero-inflated model fits "
                     "better (AIC)", excess)


def cluster_cov(fit: CountFit, x: np.ndarray, y: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Cluster-robust covariance of a Poisson/NB2 fit (R ``vcovCL(type = "HC0")``, with the
    ``G/(G-1)`` adjustment); theta held at its estimate as ``sandwich`` does."""
    mu = np.asarray(fit.mu)
    w = mu if fit.family == "poisson" else mu / (1 + mu / float(fit.theta))
    u = np.asarray(x, float) * ((y - mu) * w / mu)[:, None]
    codes, uniq = pd.factorize(pd.Series(groups))
    ug = np.zeros((len(uniq), u.shape[1]))
    np.add.at(ug, codes, u)
    g = len(uniq)
    bread = np.asarray(fit.cov)
    return g / (g - 1) * bread @ (ug.T @ ug) @ bread
