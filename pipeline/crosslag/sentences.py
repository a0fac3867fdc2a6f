"""The English the cross-lagged tables and figures carry: notes, messages and titles."""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["RICLPM_NEEDS_3_WAVES", "FIT_MISSING", "unequal_spacing_note", "join_notes",
           "clpm_vs_riclpm_message", "figure_title", "not_estimable", "syntax_header"]

RICLPM_NEEDS_3_WAVES = "an RI-CLPM needs at least 3 waves (Hamaker et al. 2015)"
FIT_MISSING = {
    "stationarity": "one of the two models could not be fitted (see crosslag_status)",
    "random_intercepts": "one of the models was not fitted",
}
LAVAAN_CALL = {
    "riclpm": 'lavaan(model, data, missing = "ml", meanstructure = TRUE, int.ov.free = TRUE, '
              'fixed.x = FALSE)',
    "clpm": 'sem(model, data, missing = "ml", fixed.x = FALSE)',
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
                           df_diff: float, expected_df: int) -> str:
    """The caveat of the CLPM vs RI-CLPM LR test (boundary, Stoel et al. 2006), with AIC/BIC."""
    message = ("p from chi2(df) is conservative: random-intercept variances are tested on the "
               "boundary (chi-bar-square, Stoel et al. 2006). "
               f"AIC CLPM {aic[0]:.1f} vs RI-CLPM {aic[1]:.1f}; "
               f"BIC {bic[0]:.1f} vs {bic[1]:.1f}.")
    if df_diff != expected_df:
        message += (f" Note: df difference {df_diff:g} differs from the {expected_df} RI "
                    "parameters.")
    return message


def figure_title(model: str) -> str:
    """Title of the path diagram of the free model."""
    return (f"{'RI-CLPM (within-person)' if model == 'riclpm' else 'CLPM'}: "
            "lagged effects, free model")


def not_estimable(status: str, message: str) -> str:
    """What a placeholder path diagram says instead of estimates."""
    return (f"Not estimable (status {status}): no lagged effects are shown."
            + (f"\n{message}" if message else ""))


def syntax_header(analysis: str, model: str, constraint: str) -> str:
    """Comment lines on top of a saved lavaan syntax file: what it is and how to refit it in R."""
    return (f"# {model.upper()} '{analysis}' ({constraint} lagged effects), as fitted by the "
            f"pipeline.\n# Reproduce in R with lavaan: fit <- {LAVAAN_CALL[model]}\n")
