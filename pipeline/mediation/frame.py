"""From wide.parquet to the numeric design of one serial-mediation analysis.

Column order of the design ``Z`` (n x q) is fixed: ``[1, X, covariates..., M1..Mk, Y]``. With this
order every model-6 equation regresses one column on all columns before it (Hayes 2022, model 6):
M_j on [1, X, C, M_1..M_{j-1}], Y on [1, X, C, M_1..M_k], and the total effect Y on [1, X, C].
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipeline.errors import DataError
from pipeline.mediation.spec import Binding, MediationSpec
from pipeline.status import Status

R2_COLLINEAR = 0.999


@dataclass(frozen=True)
class ChainData:
    """Complete-case design of one analysis (raw units)."""

    Z: np.ndarray               # (n, q): const, X, covariates, M1..Mk, Y
    names: tuple[str, ...]      # q - 1 names (no constant)
    n_cov: int
    k: int
    n_total: int                # rows of wide (baseline participants)
    notes: tuple[str, ...] = ()

    @property
    def n(self) -> int:
        return self.Z.shape[0]

    @property
    def q(self) -> int:
        return self.Z.shape[1]


def _safe(text: str) -> str:
    return re.sub(r"[^0-9A-Za-z_]+", "_", str(text)).strip("_")


def model_columns(spec: MediationSpec) -> list[str]:
    """wide.parquet columns an analysis reads (before change scores and dummy coding)."""
    cols: list[str] = []
    bindings: list[Binding] = [spec.x, *spec.mediators, spec.y, *spec.scale_covariates,
                               *spec.baseline_bindings]
    for b in bindings:
        for c in b.source_columns:
            if c not in cols:
                cols.append(c)
    for key in spec.covariates:
        c = spec.covariate_columns.get(key, key)
        if c not in cols:
            cols.append(c)
    return cols


def covariate_names(spec: MediationSpec, dummies: dict[str, list[str]] | None = None) -> list[str]:
    """Design names of the covariates: numeric keys, one dummy per non-reference level, scale
    covariates and (with adjust_baseline) baseline levels."""
    names: list[str] = []
    for key in spec.covariates:
        if key in spec.categorical:
            levels = (dummies or {}).get(key, list(spec.categorical[key])[1:])
            names += [dummy_name(key, lv) for lv in levels]
        else:
            names.append(key)
    names += [b.column for b in (*spec.scale_covariates, *spec.baseline_bindings)]
    return names


def _value(raw: pd.DataFrame, b: Binding) -> pd.Series:
    if b.change:
        c0, c1 = b.source_columns
        return pd.to_numeric(raw[c1], errors="coerce") - pd.to_numeric(raw[c0], errors="coerce")
    return pd.to_numeric(raw[b.column], errors="coerce")


def derive_frame(raw: pd.DataFrame, spec: MediationSpec,
                 dummies: dict[str, list[str]] | None = None) -> pd.DataFrame:
    """Numeric frame in design order (X, covariates, mediators, Y); NaN where missing.

    Change scores are later minus earlier wave; a categorical covariate becomes 0/1 dummies for
    its non-reference levels (reference = first configured level), or for ``dummies[key]``.
    """
    missing = [c for c in model_columns(spec) if c not in raw.columns]
    if missing:
        raise DataError(
            f"mediation analysis '{spec.name}': column(s) {missing} are not in the data. Check "
            "that "
            "the scales are scored at these waves (wide.parquet) or change the analysis in "
            "config 'mediation.analyses'."
        )
    out = {spec.x.column: _value(raw, spec.x)}
    for key in spec.covariates:
        col = raw[spec.covariate_columns.get(key, key)]
        if key in spec.categorical:
            levels = list(spec.categorical[key]) or sorted(col.dropna().astype(str).unique())
            s = col.astype("object")
            bad = sorted({str(v) for v in s.dropna() if str(v) not in levels})
            if bad:
                raise DataError(
                    f"mediation analysis '{spec.name}': covariate '{key}' has value(s) {bad} that "
                    f"are not among its configured levels {levels}. Add them to "
                    f"covariates.{key}.levels."
                )
            use = (dummies or {}).get(key, levels[1:])
            for lv in use:
                out[dummy_name(key, lv)] = (s.astype(str) == lv).astype(float).where(s.notna())
        else:
            out[key] = pd.to_numeric(col, errors="coerce")
    for b in (*spec.scale_covariates, *spec.baseline_bindings):
        out[b.column] = _value(raw, b)
    for b in spec.mediators:
        out[b.column] = _value(raw, b)
    out[spec.y.column] = _value(raw, spec.y)
    return pd.DataFrame(out, index=raw.index).astype(float)


def check_design(Z: np.ndarray, names: list[str] | tuple[str, ...], analysis: str) -> None:
    """DataError when a predictor (X, a covariate or a mediator) is constant, or is (nearly) a
    linear function of the columns before it (R^2 > 0.999): the chain is then not identified."""
    n = Z.shape[0]
    for j in range(1, Z.shape[1] - 1):
        col = Z[:, j]
        if np.ptp(col) == 0:
            raise DataError(
                f"mediation analysis '{analysis}': variable '{names[j - 1]}' is constant in the "
                f"{n} complete cases, so its paths cannot be estimated. Remove it from the "
                "analysis "
                "or check the scoring of this wave."
            )
        prev = Z[:, :j]
        beta, *_ = np.linalg.lstsq(prev, col, rcond=None)
        resid = col - prev @ beta
        r2 = 1 - resid @ resid / np.sum((col - col.mean()) ** 2)
        if r2 > R2_COLLINEAR:
            raise DataError(
                f"mediation analysis '{analysis}': variable '{names[j - 1]}' is (almost) a linear "
                f"function of {', '.join(names[: j - 1])} (R^2 = {r2:.5f} > {R2_COLLINEAR}), so "
                "its "
                "effects cannot be separated. Drop one of these variables or use a different wave."
            )


def dummy_name(key: str, level: str) -> str:
    """Design name of the indicator of ``level`` of categorical covariate ``key``."""
    return f"{key}_{_safe(level)}"


def varying_levels(frame: pd.DataFrame, spec: MediationSpec
                   ) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """Non-reference levels of each categorical covariate whose indicator varies in ``frame``
    (kept) and those nobody - or everybody - has there (dropped: not estimable)."""
    keep: dict[str, list[str]] = {}
    dropped: dict[str, list[str]] = {}
    for key in spec.covariates:
        if key not in spec.categorical:
            continue
        levels = list(spec.categorical[key])[1:]
        keep[key] = [lv for lv in levels if frame[dummy_name(key, lv)].nunique() > 1]
        dropped[key] = [lv for lv in levels if lv not in keep[key]]
    return keep, dropped


def chain_data(wide: pd.DataFrame, spec: MediationSpec) -> ChainData:
    """Complete cases of an analysis as a design matrix (a level absent among them loses its
    indicator, with a note)."""
    cc = derive_frame(wide, spec).dropna()
    notes = []
    if len(cc):
        _, dropped = varying_levels(cc, spec)
        for key, levels in dropped.items():
            if levels:
                notes.append(
                    f"covariate '{key}': level(s) {levels} absent (or universal) among complete "
                    "cases; their indicator(s) were dropped"
                )
                cc = cc.drop(columns=[dummy_name(key, lv) for lv in levels])
    names = tuple(cc.columns)
    Z = (np.column_stack([np.ones(len(cc)), cc.to_numpy(dtype=float)]) if len(cc)
         else np.ones((0, len(names) + 1)))
    n_cov = len(names) - 2 - spec.k
    return ChainData(Z=Z, names=names, n_cov=n_cov, k=spec.k, n_total=len(wide),
                     notes=tuple(notes))


def estimability(n: int, n_params: int, min_df: int, warn_n: int,
                 unit: str = "complete cases") -> tuple[Status, str]:
    """``("ok", "")``, ``("ok", warning)`` below ``warn_n`` complete cases, or
    ``("not_estimable", reason)`` when the residual df of the largest equation is below
    ``min_df``."""
    if n - n_params < min_df:
        return (
            Status.NOT_ESTIMABLE,
            (f"fewer than {n_params + min_df} {unit} for a model whose outcome equation has "
             f"{n_params} coefficients (it needs {min_df} residual degrees of freedom). Use "
             "fewer "
             "mediators or covariates, an earlier wave, or a missing-data method (FIML or MI)."),
        )
    if n < warn_n:  # thresholds, not the count: a count beside a range printed elsewhere
        # ("only 27 observed values" beside "19-27") would give back the few without a value
        return (Status.OK, f"fewer than {warn_n} {unit}: estimates are imprecise; interpret "
                           "with caution")
    return (Status.OK, "")
