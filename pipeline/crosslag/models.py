"""Cross-lagged panel models (CLPM and RI-CLPM) as lavaan syntax, fitted with :mod:`pipeline.sem`.

Observed columns follow the wide data contract: ``<construct>_<wave>`` (e.g. ``belonging_T0``).

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

__all__ = ["MODELS", "clpm_syntax", "riclpm_syntax", "model_syntax", "fit_crosslag",
           "bootstrapped", "lagged_effects"]

MODELS = ("clpm", "riclpm")


def _col(construct: str, wave: str) -> str:
    return f"{construct}_{wave}"


def _check_names(constructs: list[str], waves: list[str], model: str) -> None:
    if len(constructs) < 1:
        raise ModelError(f"{model}: no constructs given; pass at least one scale key.")
    if len(waves) < 2:
        raise ModelError(
            f"{model}: needs at least 2 waves, got {list(waves)}; a cross-lagged model needs "
            "repeated measurements. Add waves or drop the cross-lagged analysis."
        )
    if len(set(constructs)) != len(constructs) or len(set(waves)) != len(waves):
        raise ModelError(f"{model}: constructs {constructs} and waves {waves} must be unique.")


def _within(construct: str, wave: str) -> str:
    return f"w_{construct}_{wave}"


def _ar_label(c: str) -> str:
    return f"ar_{c}"


def _cl_label(src: str, dst: str) -> str:
    return f"cl_{src}_to_{dst}"


def _lagged_lines(constructs: list[str], waves: list[str], name, stationary: bool) -> list[str]:
    """One regression per construct and lag: ``name(dst, t) ~ name(src, t-1)`` for every src,
    labelled ``ar_<c>`` / ``cl_<from>_to_<to>`` when effects are equal over lags (stationary)."""
    lines = []
    for prev, cur in zip(waves, waves[1:]):
        for dst in constructs:
            terms = []
            for src in constructs:
                lab = _ar_label(dst) if src == dst else _cl_label(src, dst)
                terms.append(f"{lab + '*' if stationary else ''}{name(src, prev)}")
            lines.append(f"{name(dst, cur)} ~ " + " + ".join(terms))
    return lines


def clpm_syntax(
    constructs: list[str],
    waves: list[str],
    *,
    stationary: bool = False,
    residual_covariances: bool = True,
) -> str:
    """lavaan syntax of a cross-lagged panel model (fit in ``sem()`` mode).

    With ``stationary=True`` each autoregressive / cross-lagged effect carries one label over
    all lags (``ar_<c>``, ``cl_<from>_to_<to>``), i.e. equal across waves.
    """
    _check_names(constructs, waves, "CLPM")
    lines = ["# CLPM: autoregressive and cross-lagged effects"]
    lines += _lagged_lines(constructs, waves, _col, stationary)
    if len(constructs) > 1:
        lines.append("# wave-0 covariances and within-wave residual covariances")
        cov_waves = waves if residual_covariances else waves[:1]
        for w in cov_waves:
            for i, a in enumerate(constructs):
                for b in constructs[i + 1:]:
                    lines.append(f"{_col(a, w)} ~~ {_col(b, w)}")
    return "\n".join(lines) + "\n"


def riclpm_syntax(
    constructs: list[str],
    waves: list[str],
    *,
    stationary: bool = False,
    covariates: list[str] | None = None,
) -> str:
    """lavaan syntax of the RI-CLPM (Mulder & Hamaker 2021), fit in ``lavaan()`` mode.

    Random intercepts ``RI_<c>``; within components ``w_<c>_<wave>``; observed residual variances
    fixed to 0 (lavaan() default). ``covariates`` are time-invariant predictors of the observed
    scores (Mulder & Hamaker extension 1), with their (co)variances written out (random x).
    """
    _check_names(constructs, waves, "RI-CLPM")
    if len(waves) < 3:
        raise ModelError(
            f"RI-CLPM: needs at least 3 waves, got {len(waves)} ({', '.join(waves)}); with 2 "
            "waves the random intercepts are not identified. Add a third wave; a CLPM on 2 "
            "waves cannot separate stable differences from within-person change (Hamaker, "
            "Kuiper & Grasman 2015)."
        )
    covariates = list(covariates or [])
    w = _within
    lines = ["# Between part: random intercepts (loadings fixed to 1)"]
    for c in constructs:
        lines.append(f"RI_{c} =~ " + " + ".join(f"1*{_col(c, t)}" for t in waves))
    lines.append("# Within part: within-person deviations")
    for c in constructs:
        for t in waves:
            lines.append(f"{w(c, t)} =~ 1*{_col(c, t)}")
    lines.append("# Lagged effects between within-person components")
    lines += _lagged_lines(constructs, waves, w, stationary)
    lines.append("# Within-wave (residual) variances and covariances")
    for t in waves:
        for j, a in enumerate(constructs):
            lines.append(f"{w(a, t)} ~~ {w(a, t)}")
            for b in constructs[j + 1:]:
                lines.append(f"{w(a, t)} ~~ {w(b, t)}")
    lines.append("# Random-intercept variances and covariances")
    for j, a in enumerate(constructs):
        lines.append(f"RI_{a} ~~ RI_{a}")
        for b in constructs[j + 1:]:
            lines.append(f"RI_{a} ~~ RI_{b}")
    lines.append("# Random intercepts uncorrelated with the first-wave within components")
    for a in constructs:
        for b in constructs:
            lines.append(f"RI_{a} ~~ 0*{w(b, waves[0])}")
    if covariates:
        lines.append("# Time-invariant covariates predicting the observed scores (random x)")
        for c in constructs:
            for t in waves:
                lines.append(f"{_col(c, t)} ~ " + " + ".join(covariates))
        for j, a in enumerate(covariates):
            lines.append(f"{a} ~~ {a}")
            for b in covariates[j + 1:]:
                lines.append(f"{a} ~~ {b}")
    return "\n".join(lines) + "\n"


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


def model_syntax(
    model: str,
    constructs: list[str],
    waves: list[str],
    *,
    stationary: bool = False,
    covariates: list[str] | None = None,
) -> str:
    """lavaan syntax of ``model`` (``clpm`` | ``riclpm``); ``covariates`` for the RI-CLPM only."""
    if model not in MODELS:
        raise ModelError(f"crosslag: model must be 'clpm' or 'riclpm', got {model!r}.")
    if model == "clpm":
        if covariates:
            raise ModelError(f"clpm[{','.join(constructs)}]: covariates are supported for the "
                             "RI-CLPM only.")
        return clpm_syntax(constructs, waves, stationary=stationary)
    return riclpm_syntax(constructs, waves, stationary=stationary, covariates=covariates)


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
