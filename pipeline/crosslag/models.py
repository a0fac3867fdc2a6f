"""Cross-lagged panel models (CLPM and RI-CLPM) fitted with :mod:`pipeline.sem`.

The lavaan syntax comes from :mod:`pipeline.sem.panel_syntax` (engine-level, shared with the
comparison wing's by-arm models; re-exported here). Observed columns follow the wide data
contract: ``<construct>_<wave>`` (e.g. ``belonging_T0``).

* CLPM: each construct at wave t+1 regressed on all constructs at wave t; wave-0 scores covary,
  later residuals covary within wave. Fitted in ``sem()`` mode (auto variances / intercepts).
* RI-CLPM: Hamaker, Kuiper & Grasman (2015), lavaan specification of Mulder & Hamaker (2021,
  *Structural Equation Modeling* 28:638-648): a random intercept per construct (loadings fixed
  to 1) separates stable between-person differences from within-person deviations ``w``; the
  lagged effects are between within-person components. Fitted in ``lavaan()`` mode with
  ``meanstructure = TRUE, int.ov.free = TRUE``.

Exogenous observed variables are random (lavaan ``fixed.x = FALSE``), so FIML uses cases with
missing covariates. With ``se="bootstrap"`` the model is fitted by ML and its SEs and intervals
come from a case-resampling bootstrap refitted by FIML (:func:`bootstrapped`; lavaan
``se = "bootstrap"``, ``parameterEstimates(fit, boot.ci.type = "perc")``).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from pipeline.errors import DataError, ModelError
from pipeline.sem import SEMResult, fit_sem
from pipeline.sem.bootstrap import bootstrap_sem
from pipeline.sem.panel_syntax import (  # noqa: F401 (re-exported)
    MODELS,
    _col,
    _within,
    clpm_syntax,
    model_syntax,
    riclpm_syntax,
)

__all__ = ["MODELS", "clpm_syntax", "riclpm_syntax", "model_syntax", "fit_crosslag",
           "bootstrapped", "lagged_effects"]


def _exploratory_note(result: SEMResult, wide: pd.DataFrame, constructs: list[str],
                      waves: list[str], min_df: int, min_n_last: int) -> tuple[bool, str]:
    notes = []
    df = result.fit.get("df") if result.fit else None
    if df is not None and np.isfinite(df) and df < min_df:
        notes.append(f"model df = {int(df)} (< {min_df}): fit indices are weak evidence")
    last = [_col(c, waves[-1]) for c in constructs]
    n_last = int(wide[last].notna().any(axis=1).sum())
    if n_last < min_n_last:
        notes.append(
            f"only {n_last} participants observed at {waves[-1]} (< {min_n_last}): "
            "estimates at the last lag rest on few people and on the missing-at-random assumption"
        )
    if notes:
        return True, "Exploratory: " + "; ".join(notes) + "."
    return False, ""


def fit_crosslag(
    wide: pd.DataFrame,
    constructs: list[str],
    waves: list[str],
    model: str = "clpm",
    stationary: bool = False,
    *,
    min_df: int,
    min_n_last: int,
    covariates: list[str] | None = None,
    se: str = "standard",
    information: str | None = None,
    missing: str = "ml",
    bootstrap_B: int = 2000,
    seed: int | None = None,
    processes: int = 1,
) -> SEMResult:
    """Fit a CLPM or RI-CLPM by FIML to wide data (``<construct>_<wave>`` columns).

    The CLPM is fitted as lavaan ``sem(model, data, missing = "ml", fixed.x = FALSE)``, the
    RI-CLPM as ``lavaan(model, data, missing = "ml", meanstructure = TRUE, int.ov.free = TRUE,
    fixed.x = FALSE)`` (Mulder & Hamaker 2021); ``se`` / ``information`` as in :func:`fit_sem`.
    The result is flagged ``exploratory`` (with a ``note``) when the model has fewer than
    ``min_df`` degrees of freedom or fewer than ``min_n_last`` participants have a score at the
    last wave (config ``crosslag.exploratory_min_df`` / ``exploratory_min_n_last_wave``).
    ``se="bootstrap"``: an ML fit, then :func:`bootstrapped` with ``bootstrap_B`` resamples
    drawn from ``seed`` (a ``seed_for`` seed naming the model) in ``processes`` processes.
    """
    syntax = model_syntax(model, constructs, waves, stationary=stationary, covariates=covariates)
    cols = [_col(c, t) for c in constructs for t in waves]
    absent = [c for c in cols + list(covariates or []) if c not in wide.columns]
    if absent:
        raise DataError(
            f"crosslag: wide data lack column(s) {absent}; expected <construct>_<wave> score "
            "columns from the score stage. Check the scale keys and wave ids in the config."
        )
    name = f"{model}{'_stationary' if stationary else ''}[{','.join(constructs)}]"
    fit_se = "standard" if se == "bootstrap" else se
    if model == "clpm":
        res = fit_sem(syntax, wide, mode="sem", missing=missing, se=fit_se,
                      information=information, name=name)
    else:
        res = fit_sem(syntax, wide, mode="lavaan", missing=missing, se=fit_se,
                      information=information, meanstructure=True, int_ov_free=True, name=name)
    if se == "bootstrap" and res.ok:
        if seed is None:
            raise ValueError("fit_crosslag: se='bootstrap' needs a seed")
        res = bootstrapped(syntax, wide, res, B=bootstrap_B, seed=seed, processes=processes)
    exploratory, note = _exploratory_note(res, wide, constructs, waves, min_df, min_n_last)
    return replace(res, exploratory=exploratory, note=note)


def bootstrapped(syntax: str, data: pd.DataFrame, res: SEMResult, *, B: int, seed: int,
                 processes: int = 1) -> SEMResult:
    """``res`` with bootstrap SEs, z, p-values and percentile intervals
    (:func:`pipeline.sem.bootstrap.bootstrap_sem`), the bootstrap covariance as ``vcov``,
    ``options["se"] = "bootstrap"`` and ``options["bootstrap"] = B``; failed or improper
    resamples are named in ``message``. More than half of the resamples failing raises
    :class:`ModelError` (the model is then not estimable) naming the config key."""
    try:
        b = bootstrap_sem(syntax, data, res, B=B, seed=seed, processes=processes)
    except ModelError as exc:
        raise ModelError(f"{str(exc).rstrip('.')} (config key crosslag.se).") from None
    vcov = np.cov(b.draws, rowvar=False, ddof=0) if b.B_ok > 1 else None
    message = " ".join(m for m in (res.message, b.message) if m)
    return replace(res, estimates=b.estimates, vcov=vcov, message=message,
                   options={**res.options, "se": "bootstrap", "bootstrap": B})


def lagged_effects(res: SEMResult, constructs: list[str], waves: list[str]) -> pd.DataFrame:
    """Tidy table of lagged effects: ``from, to, from_wave, to_wave, type`` (autoregressive |
    cross-lagged), ``label, est, se, z, pvalue, ci_lower, ci_upper, std_all, std_all_se``."""
    if res.status != "ok":
        raise ModelError(f"{res.name}: no lagged effects to tabulate; status {res.status}: "
                         f"{res.message}")
    lookup: dict[str, tuple[str, str]] = {}
    for c in constructs:
        for t in waves:
            lookup[_col(c, t)] = (c, t)
            lookup[_within(c, t)] = (c, t)
    est = res.estimates
    reg = est[(est["op"] == "~") & est["lhs"].isin(lookup) & est["rhs"].isin(lookup)]
    rows = []
    for r in reg.itertuples(index=False):
        (dst, tw), (src, fw) = lookup[r.lhs], lookup[r.rhs]
        if waves.index(tw) != waves.index(fw) + 1:
            continue
        rows.append({"from": src, "to": dst, "from_wave": fw, "to_wave": tw,
                     "type": "autoregressive" if src == dst else "cross-lagged",
                     "label": r.label, "est": r.est, "se": r.se, "z": r.z, "pvalue": r.pvalue,
                     "ci_lower": r.ci_lower, "ci_upper": r.ci_upper, "std_all": r.std_all,
                     "std_all_se": r.std_all_se})
    out = pd.DataFrame(rows)
    if len(out):
        out = out.sort_values(["type", "from", "to", "from_wave"], kind="stable")
    return out.reset_index(drop=True)
