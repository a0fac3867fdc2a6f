"""The English the cross-lagged tables and figures carry: notes, messages and titles."""

from __future__ import annotations

from collections.abc import Sequence

from pipeline.crosslag.settings import RICLPM_NEEDS_3_WAVES  # re-exported: one wording

__all__ = ["RICLPM_NEEDS_3_WAVES", "FIT_MISSING", "CLPM_COMPARISON_ONLY", "WHAT_HELPS",
           "unequal_spacing_note", "join_notes", "clpm_vs_riclpm_message", "headline_note",
           "no_headline_note", "alternative_note", "holm_note", "figure_title", "not_estimable",
           "syntax_header", "se_kind", "bootstrap_note"]

CLPM_COMPARISON_ONLY = ("for comparison only: mixes stable differences with within-person "
                        "change (Hamaker, Kuiper & Grasman 2015)")
WHAT_HELPS = ("What can help: fewer constructs per model (e.g. pairs of constructs), equality "
              "constraints (stationary lagged effects), more waves or more participants.")
FIT_MISSING = {
    "stationarity": "one of the two models could not be fitted (see crosslag_status)",
    "random_intercepts": "one of the models was not fitted",
}
LAVAAN_CALL = {
    "riclpm": 'lavaan(model, data, missing = "ml", meanstructure = TRUE, int.ov.free = TRUE, '
              'fixed.x = FALSE{est})',
    "clpm": 'sem(model, data, missing = "ml", fixed.x = FALSE{est})',
}


def unequal_spacing_note(lags: Sequence[float]) -> str:
    """Why stationary lagged effects mean different things per month when lags differ."""
    return ("Stationarity constrains lagged effects to be equal although the waves are unequally "
            "spaced (lags of " + ", ".join(f"{d:g}" for d in lags)
            + " months); equal effects per lag are then not equal per month.")


def join_notes(*notes: str) -> str:
    """Non-empty notes joined by one space."""
    return " ".join(n for n in notes if n)


def clpm_vs_riclpm_message(aic: tuple[float, float], bic: tuple[float, float],
                           df_diff: float, expected_df: int, reference: str,
                           p_chi2: float) -> str:
    """How the CLPM vs RI-CLPM LR test was referred (chi-bar-square, Stoel et al. 2006), with
    the conservative plain chi2 p-value and AIC/BIC."""
    message = (f"p from the {reference} (Stoel, Garre, Dolan & van den Wittenboer 2006; "
               "positive-semidefinite-cone weights, Kuriki 1993): the "
               "random-intercept variances are tested on the boundary; the plain "
               f"chi2({df_diff:g}) p = {p_chi2:.4g} is conservative. LR statistic from the ML "
               "log-likelihoods (not MLR-scaled). "
               f"AIC CLPM {aic[0]:.1f} vs RI-CLPM {aic[1]:.1f}; "
               f"BIC {bic[0]:.1f} vs {bic[1]:.1f}.")
    if df_diff != expected_df:
        message += (f" Note: df difference {df_diff:g} differs from the {expected_df} RI "
                    "parameters; the chi-bar-square weights assume the latter.")
    return message


def headline_note(constraint: str, reason: str, n_holm: int, alpha: float) -> str:
    """Why this RI-CLPM is the headline cross-lagged model, and the multiplicity rule."""
    return (f"Headline cross-lagged model: RI-CLPM with {constraint} lagged effects ({reason}). "
            + holm_note(n_holm, alpha))


def holm_note(n_holm: int, alpha: float) -> str:
    """The multiplicity rule for cross-lagged paths (Holm 1979, within one model), with the
    significance level said as a number (a funder-eyed read: "below alpha" was never given)."""
    paths = "path" if n_holm == 1 else "paths"
    return (f"Cross-lagged p-values are Holm-adjusted within the model over its {n_holm} "
            f"cross-lagged {paths} (column pvalue_holm); only the headline model's paths with "
            f"an adjusted p below {alpha:g} (the significance level) are findings.")


def no_headline_note(reason: str) -> str:
    """Why there is no headline cross-lagged estimate for an analysis (never: use the CLPM)."""
    return (f"No headline cross-lagged estimate: {reason} The CLPM is not a substitute: it "
            "mixes stable differences with within-person change (Hamaker et al. 2015). "
            + WHAT_HELPS)


def alternative_note(constraint: str, headline: str | None = None) -> str:
    """Note of the RI-CLPM fitted under the constraint that is not the headline (``headline``:
    the headline's constraint; None: no version was estimable)."""
    which = (f"the headline is the RI-CLPM with {headline} lagged effects" if headline
             else "no RI-CLPM version was estimable")
    return (f"RI-CLPM with {constraint} lagged effects: not the headline ({which}); shown for "
            "comparison.")


def figure_title(model: str, constraint: str, role: str) -> str:
    """Title of the lagged-effects figure of one model."""
    if model == "riclpm":
        head = "Headline: " if role == "headline" else ""
        return f"{head}RI-CLPM (within-person), {constraint} lagged effects"
    return f"CLPM, {constraint} lagged effects \u2014 {CLPM_COMPARISON_ONLY}"


def not_estimable(status: str, message: str) -> str:
    """What a placeholder path diagram says instead of estimates."""
    return (f"Not estimable (status {status}): no lagged effects are shown."
            + (f"\n{message}" if message else "")
            + ("" if "What can help" in message else f" {WHAT_HELPS}"))


def se_kind(se: str, B: int | None = None) -> str:
    """The SE kind as the tables name it: ``robust``, ``standard`` or "bootstrap (B = 2000,
    percentile)"."""
    return f"bootstrap (B = {B}, percentile)" if se == "bootstrap" else se


def bootstrap_note(B: int) -> str:
    """What a bootstrapped model's status note says about its SEs and intervals."""
    return (f"Standard errors and intervals: {se_kind('bootstrap', B)}, case resamples refitted "
            "by FIML.")


def syntax_header(analysis: str, model: str, constraint: str, se: str = "robust",
                  B: int | None = None) -> str:
    """Comment lines on top of a saved lavaan syntax file: what it is and how to refit it in R
    (``estimator = "MLR"`` for robust standard errors, ``se = "bootstrap"`` for the bootstrap)."""
    est = {"robust": ', estimator = "MLR"',
           "bootstrap": f', se = "bootstrap", bootstrap = {B}'}.get(se, "")
    call = LAVAAN_CALL[model].format(est=est)
    if se == "bootstrap":
        call += '; parameterEstimates(fit, boot.ci.type = "perc")'
    role = f"\n# {CLPM_COMPARISON_ONLY}" if model == "clpm" else ""
    return (f"# {model.upper()} '{analysis}' ({constraint} lagged effects), as fitted by the "
            f"pipeline.{role}\n# Reproduce in R with lavaan: fit <- {call}\n")
