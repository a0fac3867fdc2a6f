"""``fit_sem``: lavaan model syntax + a DataFrame -> :class:`SEMResult`; ``lr_test``.

Semantics follow lavaan 0.6 with ``fixed.x = FALSE`` (exogenous observed variables are random;
with ``missing = "ml"`` cases with a missing covariate are kept). Defaults per lavaan:
``information = "observed"`` with ``missing = "ml"`` or robust SEs, else ``"expected"``.
``se = "robust"`` gives lavaan ``estimator = "MLR"`` standard errors (Huber-White sandwich);
fit measures are always the standard (non-robust) ML ones.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.errors import DataError, ModelError
from pipeline.sem.defined import compile_definitions, delta_method_se
from pipeline.sem.em_saturated import fit_saturated
from pipeline.sem.estimate import fisher_scoring, prepare_data, start_values
from pipeline.sem.fiml import LOG2PI, PatternData
from pipeline.sem.fit_measures import baseline_loglik, fit_measures
from pipeline.sem.information import (
    information_expected,
    information_first_order,
    information_observed,
    invert_information,
    jacobian_null_directions,
    null_directions,
    sandwich,
    vcov_warning,
)
from pipeline.sem.partable import ParTable, build_partable
from pipeline.sem.ram import build_ram
from pipeline.sem.result import ESTIMATE_COLUMNS, SEMResult
from pipeline.sem.standardize import standardized_solution
from pipeline.sem.syntax import parse_model
from pipeline.stats.distributions import chi2_sf, norm_ppf, norm_sf

Z975 = norm_ppf(0.975)

# fit_sem in steps (cf. lavaan ``R/xxx_lavaan.R`` and ``R/lav_lavaan_step*.R``):
#   1. options: check them, pick the information matrix  (_fit_options)
#   2. model: syntax -> parameter table -> RAM matrices;
#      data by missing-data pattern; ``:=`` definitions  (_build_model)
#   3. counting rule: free parameters <= sample moments  (_not_identified_message)
#   4. h1: saturated moments, refuse singular data        (_check_h1)
#   5. estimate: start values + Fisher scoring            (fisher_scoring)
#   6. vcov: identification on analytic matrices,         (_vcov_step,
#      information matrix, SEs, lavaan's check.vcov note   _identification_problem)
#   7. improper-solution checks                           (_problems, _improper_message)
#   8. estimates table (+ standardized, defined params)   (_estimates_table)
#   9. fit measures; assemble the SEMResult               (_fit_step)


def _free_names(pt: ParTable) -> list[str]:
    names: dict[int, str] = {}
    for r in pt.table.itertuples():
        if r.free and r.free not in names:
            names[r.free] = r.label or f"{r.lhs} {r.op} {r.rhs}".strip()
    return [names[k] for k in sorted(names)]


def _h1(pdat: PatternData) -> tuple[np.ndarray, np.ndarray, float, bool]:
    """Saturated-model means, covariances, log-likelihood (closed form if complete, else
    :func:`pipeline.sem.em_saturated.fit_saturated`) and whether the data make the covariance
    matrix singular (no ML estimate)."""
    if pdat.n_patterns == 1 and len(pdat.patterns[0].obs) == pdat.p:
        pat = pdat.patterns[0]
        sign, logdet = np.linalg.slogdet(pat.scov)
        ll = -0.5 * pat.n * (pdat.p * LOG2PI + logdet + pdat.p) if sign > 0 else -np.inf
        return pat.ybar, pat.scov, float(ll), bool(sign <= 0)
    sat = fit_saturated(pdat)
    return sat.mu, sat.sigma, sat.loglik, sat.singular


def _check_h1(pdat: PatternData, ov_names: list[str], name: str
              ) -> tuple[np.ndarray, np.ndarray, float]:
    """Saturated moments; refuse data whose ML covariance matrix is singular."""
    try:
        mu_h1, sig_h1, ll_h1, singular = _h1(pdat)
        sd = np.sqrt(np.diag(sig_h1))
        vals, vecs = np.linalg.eigh(sig_h1 / np.outer(sd, sd))
    except (np.linalg.LinAlgError, FloatingPointError, ValueError):
        singular, vals, vecs = True, np.array([0.0]), np.ones((len(ov_names), 1))
    if singular or not np.isfinite(vals).all() or vals[0] < 1e-10:
        v = np.abs(vecs[:, 0])
        involved = [ov_names[i] for i in np.flatnonzero(v > 0.1 * v.max())]
        raise DataError(
            f"{name}: the covariance matrix of the observed variables is singular: {involved} "
            "are (nearly) linearly dependent (e.g. a total score next to its parts, or a copied "
            "column). Drop one of them from the model."
        )
    return mu_h1, sig_h1, ll_h1


def _problems(pt: ParTable, model, theta: np.ndarray) -> list[str]:
    """Improper-solution checks: negative variances, non-PD latent / implied covariances."""
    out = []
    tab = pt.table
    var_rows = tab[(tab["op"] == "~~") & (tab["lhs"] == tab["rhs"]) & (tab["free"] > 0)]
    for r in var_rows.itertuples():
        if theta[r.free - 1] < 0:
            out.append(f"negative variance estimate {r.lhs} ~~ {r.lhs} = {theta[r.free - 1]:.4g}")
    _, omega, _ = model.implied_all(theta)
    p = model.p
    if pt.lv_names:
        lvcov = omega[p:, p:]
        if np.linalg.eigvalsh(lvcov).min() < -1e-10 * max(1.0, np.abs(lvcov).max()):
            sd = np.sqrt(np.abs(np.diag(lvcov)))
            with np.errstate(invalid="ignore", divide="ignore"):
                cor = lvcov / np.outer(sd, sd)
            np.fill_diagonal(cor, 0)
            i, j = np.unravel_index(np.nanargmax(np.abs(cor)), cor.shape)
            out.append("the implied covariance matrix of the latent variables is not positive "
                       f"definite (e.g. correlation {pt.lv_names[i]} with {pt.lv_names[j]} = "
                       f"{cor[i, j]:.3f})")
    if np.linalg.eigvalsh(omega[:p, :p]).min() <= 0:
        out.append("the model-implied covariance matrix of the observed variables is not "
                   "positive definite")
    return out


def _estimates_table(pt: ParTable, theta: np.ndarray, vcov: np.ndarray | None,
                     std: tuple[np.ndarray, np.ndarray], defined_fun) -> pd.DataFrame:
    tab = pt.table
    free = tab["free"].to_numpy()
    est = np.where(free > 0, theta[np.maximum(free - 1, 0)], tab["ustart"].to_numpy())
    if vcov is not None:
        se_free = np.sqrt(np.clip(np.diag(vcov), 0, None))
        se = np.where(free > 0, se_free[np.maximum(free - 1, 0)], 0.0)
    else:
        se = np.where(free > 0, np.nan, 0.0)
    rows = pd.DataFrame({"lhs": tab["lhs"], "op": tab["op"], "rhs": tab["rhs"],
                         "label": tab["label"], "est": est, "se": se})
    if pt.definitions:
        label_row: dict[str, int] = {}
        for k, lab in enumerate(tab["label"]):
            if lab and lab not in label_row:
                label_row[lab] = k
        ustart = tab["ustart"].to_numpy()
        dvals = defined_fun({lab: est[k] for lab, k in label_row.items()})

        def dfun(th):
            e = np.where(free > 0, th[np.maximum(free - 1, 0)], ustart)
            return np.fromiter(defined_fun({lab: e[k] for lab, k in label_row.items()}).values(),
                               float)

        dse = (delta_method_se(dfun, theta, vcov) if vcov is not None
               else np.full(len(dvals), np.nan))
        drows = pd.DataFrame({"lhs": list(dvals), "op": ":=",
                              "rhs": [d.expr.replace(" ", "") for d in pt.definitions],
                              "label": list(dvals), "est": list(dvals.values()), "se": dse})
        rows = pd.concat([rows, drows], ignore_index=True)
    is_free = np.concatenate([free > 0, np.ones(len(pt.definitions), bool)])
    with np.errstate(invalid="ignore", divide="ignore"):
        z = np.where(is_free, rows["est"] / rows["se"], np.nan)
    rows["z"] = z
    rows["pvalue"] = 2 * norm_sf(np.abs(z))
    rows["ci_lower"] = rows["est"] - Z975 * rows["se"]
    rows["ci_upper"] = rows["est"] + Z975 * rows["se"]
    rows["std_all"], rows["std_all_se"] = std
    return rows[ESTIMATE_COLUMNS]


def _fit_options(name: str, mode: str, missing: str, information: str | None, se: str,
                 meanstructure: bool, int_ov_free: bool) -> dict:
    """Step 1: validate the options and choose the information matrix (lavaan defaults)."""
    if se not in ("standard", "robust"):
        raise ModelError(f"{name}: se must be 'standard' or 'robust', got {se!r}.")
    if information not in (None, "observed", "expected"):
        raise ModelError(f"{name}: information must be None, 'observed' or 'expected', got "
                         f"{information!r}.")
    if not meanstructure and missing == "ml":
        raise ModelError(f"{name}: FIML (missing='ml') needs the mean structure; use "
                         "meanstructure=True.")
    info_kind = information or ("observed" if (missing == "ml" or se == "robust") else "expected")
    return {"mode": mode, "missing": missing, "information": info_kind, "se": se,
            "meanstructure": meanstructure, "int_ov_free": int_ov_free}


def _build_model(model: str, data: pd.DataFrame, options: dict, name: str):
    """Step 2: parameter table, RAM model, pattern data and compiled ``:=`` definitions."""
    meanstructure = options["meanstructure"]
    parsed = parse_model(model, name)
    pt = build_partable(parsed, mode=options["mode"], meanstructure=True,
                        int_ov_free=options["int_ov_free"] if meanstructure else True,
                        model=name)
    ram = build_ram(pt)
    pdat = prepare_data(data, pt.ov_names, options["missing"], name)
    defined_fun = compile_definitions(pt.definitions, name)
    return pt, ram, pdat, defined_fun


def _not_identified_message(name: str, npar: int, n_moments: int) -> str | None:
    """Step 3: lavaan's counting rule (t-rule); the message if violated, else ``None``."""
    if npar > n_moments:
        return (f"{name}: not identified: {npar} free parameters but only {n_moments} sample "
                "moments (means, variances, covariances). Fix or constrain parameters (e.g. "
                "stationarity labels) or simplify the model.")
    return None


def _groups_text(groups: list[list[str]]) -> str:
    return "; ".join("{" + ", ".join(g) + "}" for g in groups)


def _identification_problem(ram, theta: np.ndarray, pdat: PatternData,
                            free_names: list[str]) -> str | None:
    """Step 6a: is the model identified, and do the data identify it? (``None`` if so)

    Decided on analytic matrices with lavaan's zero tolerance (see
    :mod:`pipeline.sem.information`): the Jacobian of the implied moments (the model), then
    the expected information (the data). Nearly collinear variables pass.
    """
    groups = jacobian_null_directions(ram.jacobian(theta), free_names)
    if groups:
        return ("the model is not identified: some parameters can change together without "
                f"changing the model's means and covariances (parameters involved: "
                f"{_groups_text(groups)}); fix a parameter, add equality constraints, or drop "
                "the offending paths")
    groups = null_directions(information_expected(ram, theta, pdat), free_names)
    if groups:
        return ("the information matrix is singular: these data cannot identify some "
                f"parameters (parameters involved: {_groups_text(groups)}), e.g. the "
                "covariance of two variables never observed together, or variables that are "
                "exact linear combinations of each other; drop one of the variables involved")
    return None


def _vcov_note(vcov: np.ndarray, se: str, n_obs: int) -> list[str]:
    """Step 6c: lavaan's ``check.vcov`` warning as a note (the estimates stand)."""
    low = vcov_warning(vcov)
    if low is None:
        return []
    why = ("robust (sandwich) standard errors from fewer cases than free parameters give a "
           "singular covariance matrix; each standard error is still valid, a joint test of "
           "all parameters is not" if se == "robust" and n_obs < vcov.shape[0] else
           "this may be a symptom that the model is not identified")
    return [f"the covariance matrix of the estimates is not positive definite (smallest "
            f"eigenvalue {low:.3g}; lavaan warns the same): {why}"]


def _vcov_step(ram, theta: np.ndarray, pdat: PatternData, info_kind: str, se: str,
               free_names: list[str]) -> tuple[np.ndarray | None, str | None, list[str]]:
    """Step 6: identification, information matrix and covariance matrix of the estimates.

    Returns ``(vcov, problem, notes)``: ``vcov`` is ``None`` when the model or the data do not
    identify it (``problem`` names the parameters involved) or when the information cannot be
    inverted (R's ``solve()`` rule, as lavaan); ``notes`` holds lavaan's ``check.vcov`` warning.
    """
    problem = _identification_problem(ram, theta, pdat, free_names)
    if problem:
        return None, problem, []
    try:
        if info_kind == "observed":
            info = information_observed(ram, theta, pdat)
        else:
            info = information_expected(ram, theta, pdat)
        if not np.all(np.isfinite(info)):
            raise np.linalg.LinAlgError
        vcov = invert_information(info)
        if se == "robust":
            vcov = sandwich(info, information_first_order(ram, theta, pdat))
        if np.any(np.diag(vcov) < 0):
            raise np.linalg.LinAlgError
    except np.linalg.LinAlgError:
        return None, ("the information matrix could not be inverted (model probably not "
                      "identified); simplify the model"), []
    return vcov, None, _vcov_note(vcov, se, pdat.n_obs)


def _improper_message(problems: list[str]) -> str:
    """Step 7: the message for an improper solution (list from :func:`_problems`)."""
    return ("improper solution: " + "; ".join(problems) + ". The model does not fit "
            "these data as specified (often too few cases for its parameters or a variance "
            "component near zero). What can help: fewer constructs (variables) per model, "
            "equality constraints (e.g. effects equal over time), more waves or more "
            "participants; otherwise report it as not estimable")


def _implied_tables(pt: ParTable, ram, theta: np.ndarray) -> dict:
    """Model-implied moments as labelled tables (observed cov / mean, all-variable cov)."""
    sigma, mu = ram.implied(theta)
    _, omega, _ = ram.implied_all(theta)
    return {"cov": pd.DataFrame(sigma, index=pt.ov_names, columns=pt.ov_names),
            "mean": pd.Series(mu, index=pt.ov_names),
            "cov_all": pd.DataFrame(omega, index=ram.names, columns=ram.names)}


def _fit_step(pt: ParTable, ram, pdat: PatternData, opt, h1: tuple, npar: int,
              n_moments: int, meanstructure: bool) -> dict[str, float]:
    """Step 9: fit measures against the saturated (h1) and baseline models."""
    mu_h1, sig_h1, ll_h1 = h1
    sigma, mu = ram.implied(opt.theta)
    x_idx = [pt.ov_names.index(v) for v in pt.ov_x]  # lavaan's baseline frees their covariances
    return fit_measures(logl=opt.loglik, logl_h1=ll_h1, logl_b=baseline_loglik(pdat, x_idx),
                        npar=npar, n_moments=n_moments, p=ram.p, n=pdat.n_obs, sigma=sigma,
                        mu=mu, sigma_h1=sig_h1, mu_h1=mu_h1, meanstructure=meanstructure,
                        n_x=len(x_idx))


def _dropped_warnings(pdat: PatternData, missing: str) -> list[str]:
    if pdat.n_dropped:
        kind = "with no data on any model variable" if missing == "ml" else "with missing values"
        return [f"{pdat.n_dropped} row(s) {kind} were dropped"]
    return []


def fit_sem(model: str, data: pd.DataFrame, *, mode: str = "sem", missing: str = "ml",
            information: str | None = None, se: str = "standard", meanstructure: bool = True,
            int_ov_free: bool = True, name: str = "model") -> SEMResult:
    """Fit a SEM given in lavaan syntax by ML (``missing="listwise"``) or FIML (``"ml"``).

    Syntax errors and unusable data raise :class:`ModelError` / :class:`DataError`; problems of
    the fit itself (non-convergence, non-identification, improper solutions) are reported in
    ``result.status`` and ``result.message`` (the first problem found sets the status).
    """
    # 1.-2. options, model, data
    options = _fit_options(name, mode, missing, information, se, meanstructure, int_ov_free)
    pt, ram, pdat, defined_fun = _build_model(model, data, options, name)
    free_names = _free_names(pt)
    base = {"name": name, "n_obs": pdat.n_obs, "n_dropped": pdat.n_dropped,
            "n_patterns": pdat.n_patterns, "free_names": free_names, "options": options}
    # 3. counting rule
    npar = pt.n_free - (0 if meanstructure else len(pt.ov_names))
    n_moments = ram.n_moments - (0 if meanstructure else ram.p)
    msg = _not_identified_message(name, npar, n_moments)
    if msg:
        return SEMResult(status="not_identified", message=msg, **base)
    # 4.-5. saturated model, then estimation
    h1 = _check_h1(pdat, pt.ov_names, name)
    try:
        opt = fisher_scoring(ram, pdat, start_values(pt, ram, pdat))
    except (np.linalg.LinAlgError, FloatingPointError) as err:
        return SEMResult(status="failed", message=(
            f"{name}: estimation failed with a numerical error ({err}); check the model for "
            "variables on very different scales or redundant paths."), **base)
    theta = opt.theta
    status, msgs = "ok", []
    if not opt.converged:
        status = "not_converged"
        msgs.append(f"the optimiser did not converge ({opt.message or 'iteration limit'}); "
                    "check the model specification and starting values, or simplify the model")
    # 6. vcov (standard errors) and identification
    vcov, notes = None, []
    if np.isfinite(opt.loglik):
        vcov, problem, notes = _vcov_step(ram, theta, pdat, options["information"], se,
                                          free_names)
        if problem:
            status = "not_identified" if status == "ok" else status
            msgs.append(problem)
    # 7. improper solution
    problems = _problems(pt, ram, theta)
    if problems:
        status = "improper_solution" if status == "ok" else status
        msgs.append(_improper_message(problems))
    # 8. estimates (+ standardized solution, defined parameters)
    std = standardized_solution(ram, pt.table, theta, vcov, defined_fun)
    est = _estimates_table(pt, theta, vcov, std, defined_fun)
    if not meanstructure:
        est = est[~((est["op"] == "~1") & est["lhs"].isin(pt.ov_names))].reset_index(drop=True)
    # 9. fit measures, result
    fit = _fit_step(pt, ram, pdat, opt, h1, npar, n_moments, meanstructure)
    message = f"{name}: " + "; ".join(msgs) + "." if msgs else ""
    return SEMResult(status=status, message=message, estimates=est, fit=fit,
                     converged=opt.converged, vcov=vcov, theta=theta,
                     implied=_implied_tables(pt, ram, theta), iterations=opt.iterations,
                     warnings=_dropped_warnings(pdat, missing) + notes, **base)


def lr_test(restricted: SEMResult, free: SEMResult) -> dict[str, float]:
    """Likelihood-ratio (chi-square difference) test of nested ML fits (lavaan ``lavTestLRT``)."""
    for r in (restricted, free):
        if r.status != "ok":
            raise ModelError(f"LR test: model {r.name} has status {r.status} ({r.message}); "
                             "an LR test needs two successful fits.")
    if restricted.n_obs != free.n_obs:
        raise ModelError(f"LR test: {restricted.name} used {restricted.n_obs} cases but "
                         f"{free.name} used {free.n_obs}; nested models must be fitted to the "
                         "same cases.")
    return chisq_difference(restricted, free)


def chisq_difference(restricted, free) -> dict[str, float]:
    """The chi-square difference of two nested fits (``.fit`` with chisq and df, ``.name``):
    the arithmetic of lavaan's ``lavTestLRT`` shared by single- and multi-group tests."""
    d_chi = restricted.fit["chisq"] - free.fit["chisq"]
    d_df = restricted.fit["df"] - free.fit["df"]
    if d_df <= 0:
        raise ModelError(f"LR test: {restricted.name} (df {restricted.fit['df']:.0f}) is not "
                         f"more restricted than {free.name} (df {free.fit['df']:.0f}); pass the "
                         "restricted model first.")
    return {"chisq_diff": float(d_chi), "df_diff": float(d_df),
            "pvalue": float(chi2_sf(max(d_chi, 0.0), d_df))}
