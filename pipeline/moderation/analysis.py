"""Every moderation analysis by every method: the tables, the status rows and what the figures
and sentences need.

Per analysis and method (FIML, complete cases; :mod:`pipeline.moderation.model`): one row per
coefficient (``moderation_estimates.csv``); with a predictor, the simple slopes of its change at
the moderator's probe points (``moderation_simple_slopes.csv``; mean and one SD either side by
default, else the anchors, values or percentiles of :mod:`pipeline.moderation.anchors`, with
``probe``, ``position`` low | middle | high, the anchor's ``label`` and ``who`` in words) and the
Johnson-Neyman bounds (``moderation_jn.csv``: the bounds, the regions of the observed range
where the slope is significant and its sign in each; :mod:`pipeline.moderation.probe`); one
status row.
A method the data cannot support gives a ``not_estimable`` status row (a SEM that will not fit:
the engine's status, e.g. ``not_converged``; any other model error: ``failed``) with the reason
and no estimates. The primary method's rows are flagged ``primary``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from pipeline.errors import DataError, ModelError
from pipeline.moderation.anchors import plain_label, probe_points, who
from pipeline.moderation.model import ModerationFit, fit_fiml, fit_ols
from pipeline.moderation.probe import critical_value, johnson_neyman, simple_slope
from pipeline.moderation.settings import METHODS, ModerationAnalysis, ModerationSettings
from pipeline.status import Status, status_row

__all__ = ["analyse", "ModerationResults", "term_label", "JN_GRID"]

FITTERS = {"fiml": fit_fiml, "complete_case": fit_ols}
JN_GRID = 101  # points of the slope curve drawn in the J-N figure


def term_label(term: str, a: ModerationAnalysis) -> str:
    """Plain name of a model term (``dx`` -> "change in group_memberships (T0 to T1)")."""
    w0, w1 = a.waves
    known = {"(intercept)": "intercept", "y0": f"{a.outcome} at {w0}",
             "dx": f"change in {a.predictor} ({w0} to {w1})",
             "w": f"{a.moderator} at {a.moderator_wave}",
             "dxw": f"change in {a.predictor} x {a.moderator}"}
    return known.get(term, term[2:] if term.startswith("c_") else term)


@dataclass
class ModerationResults:
    """The four tables and, per analysis with a predictor whose primary fit is ok, the J-N
    curve (``w, est, ci_lower, ci_upper``) and the observed range of the predictor's change,
    for its figures."""

    estimates: list[dict] = field(default_factory=list)
    slopes: list[dict] = field(default_factory=list)
    jn: list[dict] = field(default_factory=list)
    status: list[dict] = field(default_factory=list)
    curves: dict[str, pd.DataFrame] = field(default_factory=dict)
    dx_ranges: dict[str, tuple[float, float]] = field(default_factory=dict)

    def tables(self) -> dict[str, pd.DataFrame]:
        return {"estimates": pd.DataFrame(self.estimates, columns=ESTIMATE_COLUMNS),
                "simple_slopes": pd.DataFrame(self.slopes, columns=SLOPE_COLUMNS),
                "jn": pd.DataFrame(self.jn, columns=JN_COLUMNS),
                "status": pd.DataFrame(self.status, columns=STATUS_COLUMNS)}


KEYS = ["analysis", "method", "primary"]
ESTIMATE_COLUMNS = [*KEYS, "term", "variable", "est", "se", "stat", "df", "pvalue", "ci_lower",
                    "ci_upper", "ci_level", "n", "n_outcome"]
SLOPE_COLUMNS = [*KEYS, "at", "moderator", "w", "est", "se", "stat", "pvalue", "ci_lower",
                 "ci_upper", "ci_level", "w_mean", "w_sd", "within_observed", "n", "n_outcome",
                 "probe", "position", "label", "who"]
JN_COLUMNS = [*KEYS, "moderator", "ci_level", "lower", "upper", "shape", "w_min", "w_max",
              "significant_from", "significant_to", "regions", "directions", "n"]
CONTEXT = ["outcome", "predictor", "moderator", "moderator_wave", "from_wave", "to_wave"]
STATUS_COLUMNS = [*KEYS, "status", "message", "n", "n_outcome", *CONTEXT]


def _estimates(fit: ModerationFit, a: ModerationAnalysis, conf: float, key: dict) -> list[dict]:
    c = critical_value(conf, fit.df)
    rows = []
    for j, term in enumerate(fit.terms):
        est, se = float(fit.est[j]), float(math.sqrt(max(fit.vcov[j, j], 0.0)))
        r = simple_slope(est, 0.0, se * se, 0.0, 0.0, 0.0, conf, fit.df)
        rows.append({**key, "term": term, "variable": term_label(term, a), "est": est, "se": se,
                     "stat": r["stat"], "df": fit.df if fit.df is not None else math.nan,
                     "pvalue": r["pvalue"], "ci_lower": est - c * se, "ci_upper": est + c * se,
                     "ci_level": conf, "n": fit.n, "n_outcome": fit.n_outcome})
    return rows


def _parts(fit: ModerationFit) -> tuple[float, float, float, float, float]:
    return (fit.coef("dx"), fit.coef("dxw"), fit.cov("dx", "dx"), fit.cov("dx", "dxw"),
            fit.cov("dxw", "dxw"))


def _slopes(fit: ModerationFit, a: ModerationAnalysis, s: ModerationSettings,
            key: dict) -> list[dict]:
    rows = []
    w_words = plain_label(s.scale(a.moderator)[0])
    observed = fit.w_observed if fit.w_observed is not None else np.array([])
    for p in probe_points(a.probe, fit.w_mean, fit.w_sd, observed):
        r = simple_slope(*_parts(fit), p.w, s.conf_level, fit.df)
        rows.append({**key, "at": p.at, "moderator": a.moderator, **r, "ci_level": s.conf_level,
                     "w_mean": fit.w_mean, "w_sd": fit.w_sd,
                     "within_observed": bool(fit.w_range[0] <= p.w <= fit.w_range[1]),
                     "n": fit.n, "n_outcome": fit.n_outcome, "probe": a.probe.kind,
                     "position": p.position, "label": p.label, "who": who(a.probe, p, w_words)})
    return rows


def _jn(fit: ModerationFit, a: ModerationAnalysis, conf: float, key: dict) -> dict:
    b1, b3 = fit.coef("dx"), fit.coef("dxw")
    jn = johnson_neyman(*_parts(fit), critical_value(conf, fit.df), *fit.w_range)
    text = "; ".join(f"{lo:.4g} to {hi:.4g}" for lo, hi in jn.regions)
    signs = "; ".join("positive" if b1 + b3 * (lo + hi) / 2 > 0 else "negative"
                      for lo, hi in jn.regions)
    return {**key, "moderator": a.moderator, "ci_level": conf, "lower": jn.lower,
            "upper": jn.upper, "shape": jn.shape, "w_min": jn.w_min, "w_max": jn.w_max,
            "significant_from": jn.regions[0][0] if jn.regions else math.nan,
            "significant_to": jn.regions[-1][1] if jn.regions else math.nan,
            "regions": text or "none", "directions": signs or "none", "n": fit.n}


def _curve(fit: ModerationFit, conf: float) -> pd.DataFrame:
    grid = np.linspace(*fit.w_range, JN_GRID)
    rows = [simple_slope(*_parts(fit), float(w), conf, fit.df) for w in grid]
    return pd.DataFrame(rows)[["w", "est", "ci_lower", "ci_upper"]]


def _message(fit: ModerationFit, s: ModerationSettings, method: str) -> str:
    how = ("FIML on everyone with any data, robust (MLR) SEs; valid if data are missing at "
           "random given the model's variables" if method == "fiml"
           else "OLS on complete cases, classical SEs")
    extra = [s.stands_in] if method == "fiml" and s.stands_in else []
    return "; ".join([how, *fit.notes, *extra])


def analyse_one(wide: pd.DataFrame, a: ModerationAnalysis, s: ModerationSettings,
                out: ModerationResults) -> None:
    """Fit ``a`` by every method and append its rows to ``out``."""
    for method in METHODS:
        key = {"analysis": a.name, "method": method, "primary": method == s.primary}
        context = dict(zip(CONTEXT, (a.outcome, a.predictor or "", a.moderator,
                                     a.moderator_wave, *a.waves)))
        try:
            fit = FITTERS[method](wide, a, s.min_df)
        except DataError as exc:
            out.status.append(status_row(**key, status=Status.NOT_ESTIMABLE, message=str(exc),
                                         **context))
            continue
        except ModelError as exc:
            status = Status(getattr(exc, "status", Status.FAILED.value))
            out.status.append(status_row(**key, status=status, message=str(exc), **context))
            continue
        out.estimates += _estimates(fit, a, s.conf_level, key)
        if a.predictor:
            out.slopes += _slopes(fit, a, s, key)
            out.jn.append(_jn(fit, a, s.conf_level, key))
            if key["primary"]:
                out.curves[a.name] = _curve(fit, s.conf_level)
                out.dx_ranges[a.name] = fit.dx_range
        out.status.append(status_row(**key, status=Status.OK, message=_message(fit, s, method),
                                     n=fit.n, n_outcome=fit.n_outcome, **context))


def analyse(wide: pd.DataFrame, s: ModerationSettings) -> ModerationResults:
    """Every configured analysis by every method."""
    out = ModerationResults()
    for a in s.analyses:
        analyse_one(wide, a, s, out)
    return out
