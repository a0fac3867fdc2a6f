"""Cross-lagged panel models (CLPM and RI-CLPM) as lavaan syntax: pure text builders.

Engine-level so that every wing builds the same models: the crosslag wing fits them to the whole
sample (:mod:`pipeline.crosslag.models`), the comparison wing by arm as multi-group models
(:mod:`pipeline.comparison.panels`). Observed columns follow the wide data contract:
``<construct>_<wave>`` (e.g. ``belonging_T0``).

* CLPM: each construct at wave t+1 regressed on all constructs at wave t; wave-0 scores covary,
  later residuals covary within wave. Fitted in ``sem()`` mode (auto variances / intercepts).
* RI-CLPM: Hamaker, Kuiper & Grasman (2015), lavaan specification of Mulder & Hamaker (2021,
  *Structural Equation Modeling* 28:638-648): a random intercept per construct (loadings fixed
  to 1) separates stable between-person differences from within-person deviations ``w``; the
  lagged effects are between within-person components. Fitted in ``lavaan()`` mode with
  ``meanstructure = TRUE, int.ov.free = TRUE``.
"""

from __future__ import annotations

from pipeline.errors import ModelError

__all__ = ["MODELS", "clpm_syntax", "riclpm_syntax", "model_syntax", "observed_column",
           "within_name"]

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


observed_column = _col
within_name = _within
