"""Serial mediation by full-information ML (FIML) with the project's SEM engine.

Everyone with data on any model variable contributes (lavaan ``missing = "ml"`` with
``fixed.x = FALSE``: covariates are modelled, so people missing a covariate are kept). The chain
is fitted as a saturated path model (PROCESS model 6 as a SEM), so with complete data its
estimates equal the OLS ones. Indirect effects, contrasts and the total effect get delta-method
standard errors (as lavaan's ``:=``) and Monte Carlo confidence intervals (Preacher & Selig
2012): parameter vectors are drawn from N(theta_hat, V_hat) and every defined effect is evaluated
on all draws at once; the interval is the percentile interval of those values.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import pandas as pd

from pipeline.errors import DataError
from pipeline.mediation.effects import effect_definitions
from pipeline.mediation.frame import (
    _safe,
    covariate_names,
    derive_frame,
    estimability,
    model_columns,
)
from pipeline.mediation.lavaan import chain_lavaan_syntax
from pipeline.mediation.ols import Layout
from pipeline.mediation.spec import MediationSpec
from pipeline.mediation.table import build_table, empty_table, status_row
from pipeline.seeds import seed_for
from pipeline.sem import fit_sem

METHOD = "fiml"
_DEF = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*:=\s*(.+?)\s*$")


def definitions(syntax: str) -> list[tuple[str, str]]:
    """``(name, expression)`` of every ``:=`` line, in order."""
    return [(m.group(1), m.group(2)) for line in syntax.splitlines() if (m := _DEF.match(line))]


def monte_carlo_defined(theta: np.ndarray, vcov: np.ndarray, free_names: Sequence[str],
                        defs: Sequence[tuple[str, str]], draws: int, seed: int) -> np.ndarray:
    """Monte Carlo draws (draws x len(defs)) of defined parameters (Preacher & Selig 2012).

    theta* = theta_hat + z L' with L the Cholesky factor of V_hat and z standard normal; each
    definition is evaluated on all draws at once (labels resolve to columns of theta*).
    """
    rng = np.random.default_rng(seed)
    vals, vecs = np.linalg.eigh((vcov + vcov.T) / 2)
    root = vecs * np.sqrt(np.clip(vals, 0, None))  # V = root root'
    sims = theta + rng.standard_normal((draws, theta.size)) @ root.T
    env = {name: sims[:, i] for i, name in enumerate(free_names) if name.isidentifier()}
    out = np.empty((draws, len(defs)))
    for j, (name, expr) in enumerate(defs):
        val = eval(compile(expr.replace("^", "**"), name, "eval"), {"__builtins__": {}}, env)
        env[name] = val
        out[:, j] = val
    return out


def fiml_mediation(wide: pd.DataFrame, spec: MediationSpec, *, seed: int, conf: float = 0.95,
                   mc_draws: int = 20000, min_df: int = 10, warn_n: int = 30
                   ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """FIML serial mediation of one analysis; returns (table, status row)."""
    raw = wide[model_columns(spec)].reset_index(drop=True)
    frame = derive_frame(raw, spec)
    frame = frame[frame.notna().any(axis=1)]
    # levels of a categorical covariate that nobody (or everybody) has: their dummies go
    dummies, notes = {}, []
    for key, levels in spec.categorical.items():
        if key not in spec.covariates:
            continue
        keep = [lv for lv in list(levels)[1:]
                if frame[f"{key}_{_safe(lv)}"].nunique(dropna=True) > 1]
        dropped = [lv for lv in list(levels)[1:] if lv not in keep]
        dummies[key] = keep
        if dropped:
            notes.append(f"covariate '{key}': level(s) {dropped} absent; their indicator(s) dropped")
    if dummies:
        frame = derive_frame(raw, spec, dummies)
        frame = frame[frame.notna().any(axis=1)]
    constant = [c for c in frame.columns if frame[c].nunique(dropna=True) < 2]
    if constant:
        raise DataError(
            f"mediation analysis '{spec.name}' (FIML): variable(s) {constant} do not vary; drop "
            "them from the analysis or check the data."
        )
    names = tuple(frame.columns)
    layout = Layout(n_cov=len(names) - 2 - spec.k, k=spec.k)
    n_params = 2 + layout.n_cov + spec.k  # coefficients of the outcome equation (with intercept)
    n_y = int(frame[names[-1]].notna().sum())
    status, message = estimability(n_y, n_params, min_df, warn_n, unit="people with the outcome")
    if status != "ok":
        return empty_table(), status_row(spec.name, METHOD, status,
                                         f"analysis '{spec.name}': {message}")
    syntax = chain_lavaan_syntax(spec.x.column, [m.column for m in spec.mediators],
                                 spec.y.column, covariate_names(spec, dummies or None))
    res = fit_sem(syntax, frame, missing="ml", name=f"mediation[{spec.name}]")
    if not res.ok:
        return empty_table(), status_row(spec.name, METHOD, "failed", res.message)
    est = res.estimates
    defs = effect_definitions(names, layout)
    reg = est[est["op"] == "~"].set_index(["lhs", "rhs"])
    dfd = est[est["op"] == ":="].set_index("label")
    syn_defs = definitions(syntax)
    mc = monte_carlo_defined(res.theta, res.vcov, res.free_names, syn_defs, mc_draws,
                             seed_for(seed, f"mediation/{spec.name}/fiml_mc"))
    mc_col = {name: j for j, (name, _) in enumerate(syn_defs)}
    alpha = (1 - conf) / 2
    k = len(defs)
    out = {c: np.full(k, np.nan) for c in ("est", "se", "stat", "p", "lo", "hi")}
    ci_method = np.empty(k, dtype=object)
    for r, d in enumerate(defs):
        if d.op == "~":
            row = reg.loc[(d.lhs, d.rhs)]
            vals = (row["est"], row["se"], row["z"], row["pvalue"], row["ci_lower"],
                    row["ci_upper"])
            ci_method[r] = "wald"
        elif d.effect_type == "std_indirect":
            row = dfd.loc[d.label[4:]]  # std_ind_12 -> ind_12: lavaan std.all of the effect
            z = row["std_all"] / row["std_all_se"] if row["std_all_se"] > 0 else np.nan
            from scipy import stats

            q = stats.norm.ppf(1 - alpha)
            vals = (row["std_all"], row["std_all_se"], z, 2 * stats.norm.sf(abs(z)),
                    row["std_all"] - q * row["std_all_se"], row["std_all"] + q * row["std_all_se"])
            ci_method[r] = "delta"
        else:
            row = dfd.loc[d.label]
            draws = mc[:, mc_col[d.label]]
            lo, hi = np.quantile(draws, [alpha, 1 - alpha])
            vals = (row["est"], row["se"], row["z"], row["pvalue"], lo, hi)
            ci_method[r] = "monte_carlo"
        for key, v in zip(("est", "se", "stat", "p", "lo", "hi"), vals):
            out[key][r] = float(v)
    table = build_table(defs, out["est"], out["se"], out["stat"], out["p"], out["lo"], out["hi"],
                        ci_method, spec.name, METHOD, res.n_obs, mc_draws)
    notes = ([message] if message else []) + notes
    notes.append(
        f"FIML on {res.n_obs} people with any data ({n_y} with the outcome); delta-method SEs, "
        f"Monte Carlo CIs from {mc_draws} draws for indirect effects (Preacher & Selig 2012)"
    )
    return table, status_row(spec.name, METHOD, "ok", "; ".join(notes))


def run_fiml_analyses(wide: pd.DataFrame, specs: Sequence[MediationSpec], *, seed: int,
                      conf: float = 0.95, mc_draws: int = 20000, min_df: int = 10,
                      warn_n: int = 30) -> tuple[pd.DataFrame, pd.DataFrame]:
    """All analyses by FIML; a model that fails gets status ``failed`` and no estimates."""
    tables, statuses = [], []
    for spec in specs:
        t, s = fiml_mediation(wide, spec, seed=seed, conf=conf, mc_draws=mc_draws,
                              min_df=min_df, warn_n=warn_n)
        tables.append(t)
        statuses.append(s)
    return pd.concat(tables, ignore_index=True), pd.concat(statuses, ignore_index=True)
