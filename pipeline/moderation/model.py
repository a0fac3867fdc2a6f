"""The moderation model of one analysis, fitted by FIML (SEM engine) and by complete cases (OLS).

Model (residualised change; Cohen, Cohen, West & Aiken 2003, ch. 7; Aiken & West 1991):

    y_T1 = b0 + b_y0 y_T0 + b1 dx + b2 w + b3 dx*w + covariates + e,   dx = x_T1 - x_T0

with ``y`` the outcome, ``x`` the predictor (its change over the same waves), ``w`` the moderator
at its wave, and the product ``dx*w`` computed from observed values (missing when either is).
Without a predictor the model is ``y_T1 ~ y_T0 + w + covariates`` (the moderator's own
association with the change in the outcome). The slope of ``dx`` at ``w`` is ``b1 + b3 w``.
Variables are not centred, so ``b1`` is the slope at ``w = 0``; the simple slopes
(:mod:`pipeline.moderation.probe`) give it where people are.

- **FIML** (``lavaan::sem(model, data, estimator = "MLR", missing = "ml", fixed.x = FALSE)``):
  everyone with data on any model variable contributes; the exogenous variables (including the
  product) are modelled as random, so people missing the predictor or the moderator are kept.
  Robust (MLR, Yuan & Bentler 2000) SEs, normal reference distribution. The moderator's mean
  and SD are its FIML (ML) estimates. Valid under missing at random given the model's variables.
- **Complete cases** (``lm(y1 ~ y0 + dx * w + covariates)``): OLS on the people with every
  model variable, classical SEs, t with n - p df; the moderator's mean and SD (n - 1) among them.

A categorical covariate enters as indicators of its non-reference levels (reference: the first
configured level); a level nobody (or everybody) has among the people analysed is dropped with a
note. Problems the data cause (too few people, a variable that does not vary, collinearity) are
:class:`~pipeline.errors.DataError`; a SEM that does not fit is a :class:`SEMNotOk` (a
:class:`~pipeline.errors.ModelError` carrying the engine's status: not_converged,
not_identified, improper_solution or failed).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipeline.errors import DataError, ModelError
from pipeline.moderation.settings import ModerationAnalysis
from pipeline.sem import fit_sem

__all__ = ["ModerationFit", "SEMNotOk", "model_frame", "fit_fiml", "fit_ols", "TERMS"]

#: core terms of the model, in order (dx and dxw only with a predictor)
TERMS = ("(intercept)", "y0", "dx", "w", "dxw")


class SEMNotOk(ModelError):
    """The SEM engine's fit is not ok; ``status`` is its status (a :class:`Status` value)."""

    def __init__(self, message: str, status: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class ModerationFit:
    """Coefficients of one fitted model: ``terms`` (``TERMS`` present, then covariate
    indicators), ``est`` and ``vcov`` over them; ``df``: residual df of a t reference (None:
    normal); ``n``: people contributing; ``n_outcome``: of them, people with the outcome at
    the later wave; ``w_mean``/``w_sd``: the moderator's mean and SD; ``w_range``/``dx_range``:
    observed ranges among the people analysed; ``w_observed``: their moderator values (for
    percentile probe points)."""

    method: str
    terms: tuple[str, ...]
    est: np.ndarray
    vcov: np.ndarray
    df: float | None
    n: int
    w_mean: float
    w_sd: float
    w_range: tuple[float, float]
    dx_range: tuple[float, float] | None
    n_outcome: int = 0
    notes: tuple[str, ...] = ()
    w_observed: np.ndarray | None = None

    def coef(self, term: str) -> float:
        return float(self.est[self.terms.index(term)])

    def cov(self, a: str, b: str) -> float:
        return float(self.vcov[self.terms.index(a), self.terms.index(b)])


def _safe(text: str) -> str:
    return re.sub(r"[^0-9A-Za-z_]+", "_", str(text)).strip("_")


def model_frame(wide: pd.DataFrame, a: ModerationAnalysis) -> pd.DataFrame:
    """Numeric frame: y1, y0, (dx, dxw), w, covariates (``c_<key>`` or ``c_<key>_<level>``);
    NaN where missing. Rows: every baseline participant (wide.parquet's rows)."""
    cols = a.columns
    gone = [c for c in [*cols.values(), *a.covariates] if c not in wide.columns]
    if gone:
        raise DataError(f"moderation analysis '{a.name}': column(s) {gone} are not in the clean "
                        "data (wide.parquet); check that the scales are scored at these waves or "
                        f"change config 'moderation.analyses.{a.name}'.")

    def num(c: str) -> pd.Series:
        return pd.to_numeric(wide[c], errors="coerce").astype(float)

    out = {"y1": num(cols["y1"]), "y0": num(cols["y0"])}
    w = num(cols["w"])
    if a.predictor:
        dx = num(cols["x1"]) - num(cols["x0"])
        out |= {"dx": dx, "w": w, "dxw": dx * w}
    else:
        out["w"] = w
    levels = dict(a.categorical)
    for key in a.covariates:
        if key not in levels:
            out[f"c_{key}"] = num(key)
            continue
        s = wide[key].astype("object")
        lv = list(levels[key]) or sorted(s.dropna().astype(str).unique())
        bad = sorted({str(v) for v in s.dropna() if str(v) not in lv})
        if bad:
            raise DataError(f"moderation analysis '{a.name}': covariate '{key}' has value(s) "
                            f"{bad} that are not among its configured levels {lv}; add them to "
                            f"covariates.{key}.levels.")
        for level in lv[1:]:
            out[f"c_{key}_{_safe(level)}"] = (s.astype(str) == level).astype(float).where(s.notna())
    return pd.DataFrame(out, index=wide.index)


def _drop_constant_indicators(frame: pd.DataFrame, a: ModerationAnalysis) -> tuple[pd.DataFrame,
                                                                                  list[str]]:
    """Drop covariate indicators that do not vary in ``frame`` (a level nobody or everybody
    has), with a note; refuse any other variable that does not vary."""
    notes, drop = [], []
    for c in frame.columns:
        if frame[c].nunique(dropna=True) >= 2:
            continue
        if c.startswith("c_") and c[2:] not in a.covariates:
            drop.append(c)
            notes.append(f"covariate indicator '{c[2:]}' does not vary among the people "
                         "analysed; dropped")
        else:
            name = c[2:] if c.startswith("c_") else {"y1": a.columns["y1"], "y0": a.columns["y0"],
                                                     "dx": "the change in the predictor",
                                                     "dxw": "the product term",
                                                     "w": a.columns["w"]}[c]
            raise DataError(f"moderation analysis '{a.name}': {name} does not vary among the "
                            "people analysed, so its coefficient cannot be estimated; drop it "
                            "or check the data.")
    return frame.drop(columns=drop), notes


def _check_df(a: ModerationAnalysis, n: int, n_coef: int, min_df: int, unit: str) -> None:
    if n - n_coef < min_df:
        raise DataError(f"moderation analysis '{a.name}': only {n} {unit} for a model with "
                        f"{n_coef} coefficients (needs at least {n_coef + min_df}: "
                        f"{min_df} residual degrees of freedom, moderation.min_df); use fewer "
                        "covariates or wait for more follow-up data.")


def _ranges(frame: pd.DataFrame) -> tuple[tuple[float, float], tuple[float, float] | None]:
    w = frame["w"].dropna()
    dx = frame["dx"].dropna() if "dx" in frame else None
    return ((float(w.min()), float(w.max())),
            None if dx is None else (float(dx.min()), float(dx.max())))


def fit_fiml(wide: pd.DataFrame, a: ModerationAnalysis, min_df: int) -> ModerationFit:
    """FIML with robust (MLR) SEs on everyone with any model variable."""
    frame = model_frame(wide, a)
    frame = frame[frame.notna().any(axis=1)].reset_index(drop=True)
    frame, notes = _drop_constant_indicators(frame, a)
    preds = [c for c in frame.columns if c != "y1"]
    _check_df(a, int(frame["y1"].notna().sum()), len(preds) + 1, min_df,
              "people with the outcome at the later wave")
    res = fit_sem("y1 ~ " + " + ".join(preds), frame, missing="ml", se="robust",
                  name=f"moderation[{a.name}]")
    if not res.ok:
        raise SEMNotOk(res.message, res.status)
    idx = {n: i for i, n in enumerate(res.free_names)}
    order = ["y1 ~1", *(f"y1 ~ {p}" for p in preds)]
    j = [idx[k] for k in order]
    est = np.asarray(res.theta)[j]
    vcov = np.asarray(res.vcov)[np.ix_(j, j)]
    w_mean, w_var = res.theta[idx["w ~1"]], res.theta[idx["w ~~ w"]]
    w_range, dx_range = _ranges(frame)
    return ModerationFit("fiml", ("(intercept)", *preds), est, vcov, None, int(res.n_obs),
                         float(w_mean), float(np.sqrt(w_var)), w_range, dx_range,
                         int(frame["y1"].notna().sum()), tuple(notes),
                         frame["w"].dropna().to_numpy(float))


def fit_ols(wide: pd.DataFrame, a: ModerationAnalysis, min_df: int) -> ModerationFit:
    """OLS on complete cases, classical SEs (R ``lm``)."""
    frame = model_frame(wide, a).dropna().reset_index(drop=True)
    _check_df(a, len(frame), frame.shape[1], min_df, "complete cases")
    frame, notes = _drop_constant_indicators(frame, a)
    preds = [c for c in frame.columns if c != "y1"]
    X = np.column_stack([np.ones(len(frame)), frame[preds].to_numpy(float)])
    y = frame["y1"].to_numpy(float)
    n, p = X.shape
    if np.linalg.matrix_rank(X) < p:
        raise DataError(f"moderation analysis '{a.name}': the model's variables are linearly "
                        "dependent among the complete cases (e.g. a copied column); drop one.")
    xtx_inv = np.linalg.inv(X.T @ X)
    b = xtx_inv @ X.T @ y
    resid = y - X @ b
    vcov = float(resid @ resid) / (n - p) * xtx_inv
    w_range, dx_range = _ranges(frame)
    return ModerationFit("complete_case", ("(intercept)", *preds), b, vcov, float(n - p), n,
                         float(frame["w"].mean()), float(frame["w"].std(ddof=1)), w_range,
                         dx_range, n, tuple(notes), frame["w"].to_numpy(float))
