"""Which cross-lagged model is the headline, and which of its paths are findings.

* The headline is the RI-CLPM (Hamaker, Kuiper & Grasman 2015): it separates stable
  between-person differences (random intercepts) from within-person change, which is what a
  cross-lagged claim is about. Of its two versions the stationary one (lagged effects equal over
  time; Mulder & Hamaker 2021) is the headline when the stationarity LR test does not reject it
  at ``alpha``, else the free one; when only one version is estimable, that one. When neither
  is, the analysis has no headline estimate (never the CLPM).
* The CLPM is labelled "for comparison only: mixes stable differences with within-person
  change"; other RI-CLPM versions are comparisons too.
* Multiplicity: within each fitted model the p-values of its cross-lagged parameters are
  Holm-adjusted (Holm 1979; :func:`pipeline.stats.emmeans.adjust_pvalues`; in R
  ``p.adjust(p, "holm")``). A stationary model has one parameter per (from, to) pair shown at
  every lag: the family counts parameters, not rows. A path is a ``finding`` only in the
  headline model and only when its Holm-adjusted p-value is below ``alpha``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipeline.stats.emmeans import adjust_pvalues

__all__ = ["Headline", "choose_headline", "role_of", "add_holm", "add_roles"]


@dataclass(frozen=True)
class Headline:
    """The headline RI-CLPM of one analysis: ``constraint`` (``None``: none estimable) and why."""

    constraint: str | None
    reason: str


#: what the LR test is: the normal-theory difference of the two fits' ML chi-squares, also when
#: the standard errors are robust (MLR); not the Satorra-Bentler scaled difference that
#: lavaan's ``lavTestLRT`` gives for MLR fits
LR_KIND = "normal-theory ML, not robust-scaled"


def choose_headline(ok: dict[str, bool], stationarity_p: float | None, alpha: float) -> Headline:
    """Pick the headline RI-CLPM version from which versions fitted (``ok``: constraint -> fit
    is ok) and the stationarity LR test's p-value (``None``: not available)."""
    free, stat = ok.get("free", False), ok.get("stationary", False)
    if free and stat and stationarity_p is not None:
        if stationarity_p >= alpha:
            return Headline("stationary", f"the stationarity LR test ({LR_KIND}) does not "
                                          f"reject equal lagged effects, p = {stationarity_p:.3f}")
        return Headline("free", f"the stationarity LR test ({LR_KIND}) rejects equal lagged "
                                f"effects, p = {stationarity_p:.3f}")
    if free:
        return Headline("free", "the stationary version was not fitted or not estimable")
    if stat:
        return Headline("stationary", "the free version was not estimable; the equality "
                                      "constraints make this one estimable")
    return Headline(None, "no RI-CLPM version was estimable.")


def role_of(model: str, constraint: str, headline: Headline) -> str:
    """``headline`` for the chosen RI-CLPM version, else ``comparison``."""
    return "headline" if model == "riclpm" and constraint == headline.constraint else "comparison"


def add_holm(lagged: pd.DataFrame) -> pd.DataFrame:
    """``pvalue_holm`` and ``holm_m`` (family size) for the cross-lagged rows of ONE fitted model
    (autoregressive rows: empty). Rows sharing a label (stationary) are one parameter."""
    out = lagged.copy()
    out["pvalue_holm"], out["holm_m"] = np.nan, np.nan
    cross = out["type"] == "cross-lagged"
    if not cross.any():
        return out
    label = out["label"].fillna("").astype(str) if "label" in out else pd.Series("", out.index)
    key = label.where(label != "", out["from"] + "->" + out["to"] + "@" + out["from_wave"])
    params = out.loc[cross].assign(_key=key[cross]).drop_duplicates("_key")
    adj = dict(zip(params["_key"], adjust_pvalues(params["pvalue"].to_numpy(), "holm")))
    out.loc[cross, "pvalue_holm"] = key[cross].map(adj)
    out.loc[cross, "holm_m"] = int(params["pvalue"].notna().sum())
    return out


def add_roles(lagged: pd.DataFrame, model: str, constraint: str, headline: Headline,
              alpha: float) -> pd.DataFrame:
    """One model's lagged effects with ``stationary``, ``role``, ``pvalue_holm``, ``holm_m`` and
    ``finding`` (headline model, cross-lagged, Holm-adjusted p < ``alpha``)."""
    out = add_holm(lagged)
    role = role_of(model, constraint, headline)
    out.insert(0, "role", role)
    out.insert(1, "stationary", constraint == "stationary")
    out["finding"] = (role == "headline") & (out["type"] == "cross-lagged") & (
        out["pvalue_holm"] < alpha)
    return out
