"""Multi-group SEM: ``fit_multigroup`` (lavaan ``sem(..., group =, group.equal =)``) and tests
of whether parameters differ across groups (``lr_test_groups``, ``wald_test_groups``).

Semantics are lavaan 0.6's with ``missing = "ml"`` (or listwise), ``fixed.x = FALSE`` and a
mean structure, as :func:`pipeline.sem.fit_sem`: one single-group syntax, a copy per group,
``group_equal`` keywords (``lav_partable_labels``) making classes of parameters equal across
groups, ``group_partial`` exempting rows. User labels are per group (see
:mod:`pipeline.sem.multigroup_table`), so ``:=`` effects come per group. The model is fitted as
one stacked single-group model with the same likelihood (``multigroup_table``); fit measures
follow lavaan's multi-group definitions (``multigroup_measures``). References and R code:
``tests/fixtures/multigroup/make_multigroup.R``.

``estimator = "MLR"`` gives lavaan's multi-group MLR standard errors (Huber-White sandwich of
the observed information and the casewise scores); the fit measures stay the ML ones, as for
:func:`fit_sem`, and :func:`lr_test_groups` refuses MLR fits. The MLR scaled chi-square
(``chisq.scaled``, Yuan-Bentler Mplus variant) of any fit, whatever its estimator (the
estimates are the same), is :func:`scaled_chisq_groups`; the Satorra-Bentler (2001) scaled
difference of two nested fits (lavaan ``lavTestLRT`` of two MLR fits) is
:func:`scaled_lr_test_groups` (:mod:`pipeline.sem.scaled_test`).
Bootstrap (cases resampled within groups): :mod:`pipeline.sem.multigroup_bootstrap`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from pipeline.errors import ModelError
from pipeline.sem import fit as single
from pipeline.sem.defined import compile_definitions
from pipeline.sem.estimate import fisher_scoring, prepare_data, start_values
from pipeline.sem.multigroup_estimates import COLUMNS, estimates_table
from pipeline.sem.multigroup_measures import group_measures, multigroup_fit_measures
from pipeline.sem.multigroup_table import (
    equality_classes,
    group_levels,
    readable,
    stacked_frame,
    stacked_name,
    stacked_syntax,
)
from pipeline.sem.partable import build_partable
from pipeline.sem.scaled_test import nested_scaled_test, scaled_chisq
from pipeline.sem.standardize import standardized_solution
from pipeline.sem.syntax import parse_model
from pipeline.stats.distributions import chi2_sf


@dataclass
class MultiGroupResult:
    """A fitted (or failed) multi-group SEM; ``status`` / ``message`` as :class:`SEMResult`.

    ``estimates``: one row per parameter per group (``group, lhs, op, rhs, label, est, se, z,
    pvalue, ci_lower, ci_upper, std_all, std_all_se, equal``), defined parameters (``:=``) per
    group. ``fit``: lavaan's multi-group ``fitMeasures``; ``fit_by_group``: each group's ``n``,
    log-likelihoods, chi-square contribution and SRMR. ``stacked_syntax``: the single-group
    model actually fitted (variables ``v__g<k>``, equality labels ``p<k>``) and
    ``stacked_data`` its data (group 1's rows, then group 2's, ...), used by
    :func:`pipeline.sem.multigroup_bootstrap.bootstrap_multigroup`.
    """

    name: str
    status: str
    message: str
    groups: list[str] = field(default_factory=list)
    group_column: str = ""
    estimates: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=COLUMNS))
    fit: dict[str, float] = field(default_factory=dict)
    fit_by_group: dict[str, dict[str, float]] = field(default_factory=dict)
    n_obs: dict[str, int] = field(default_factory=dict)
    n_dropped: int = 0
    converged: bool = False
    vcov: np.ndarray | None = None
    theta: np.ndarray | None = None
    free_names: list[str] = field(default_factory=list)
    options: dict = field(default_factory=dict)
    iterations: int = 0
    warnings: list[str] = field(default_factory=list)
    syntax: str = field(default="", repr=False)
    stacked_syntax: str = field(default="", repr=False)
    stacked_data: pd.DataFrame | None = field(default=None, repr=False)
    #: per estimates row (not ``:=``): its 0-based index in ``theta``, -1 if fixed
    free_index: np.ndarray | None = field(default=None, repr=False)
    #: what :func:`scaled_chisq_groups` needs: the stacked ``ram`` model, its pattern ``data``
    #: and per group ``h1 = (pattern data, saturated mu, saturated Sigma)``
    model_parts: dict | None = field(default=None, repr=False)

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @property
    def n_total(self) -> int:
        return int(sum(self.n_obs.values()))

    def status_row(self) -> dict[str, str]:
        """The design-contract status row (``analysis, status, message``)."""
        return {"analysis": self.name, "status": self.status, "message": self.message}


def _options(name: str, estimator: str, missing: str, mode: str) -> dict:
    if estimator not in ("ML", "MLR"):
        raise ModelError(f"{name}: estimator must be 'ML' or 'MLR', got {estimator!r}.")
    if missing not in ("ml", "listwise"):
        raise ModelError(f"{name}: missing must be 'ml' or 'listwise', got {missing!r}.")
    if mode not in ("sem", "lavaan"):
        raise ModelError(f"{name}: mode must be 'sem' or 'lavaan', got {mode!r}.")
    se = "robust" if estimator == "MLR" else "standard"
    info = "observed" if (missing == "ml" or se == "robust") else "expected"
    opts = single._fit_options(name, "lavaan", "ml", info, se, True, True)
    return {**opts, "mode": mode, "missing": missing, "estimator": estimator}


def _free_names(pt, free: np.ndarray, shared: np.ndarray, labels: list[str]) -> list[str]:
    """Readable names of the stacked free parameters: ``lhs op rhs [group]`` (or the label),
    ``[all groups]`` for a parameter shared across groups."""
    names: dict[int, str] = {}
    for g in range(free.shape[0]):
        for i, r in enumerate(pt.table.itertuples()):
            k = free[g, i]
            if k and k not in names:
                base = r.label or f"{r.lhs} {r.op} {r.rhs}".strip()
                names[k] = f"{base} [{'all groups' if shared[g, i] else labels[g]}]"
    return [names[k] for k in sorted(names)]


def _group_data(data: pd.DataFrame, groups, pt, missing: str, name: str):
    """Per group: checked pattern data (single-group rules) and the rows used."""
    pdats, frames = [], []
    for lab, rows in zip(groups.labels, groups.rows, strict=True):
        frame = data.iloc[rows]
        pdat = prepare_data(frame, pt.ov_names, missing, f"{name} [{groups.column} = {lab}]")
        pdats.append(pdat)
        frames.append(frame.iloc[pdat.kept_rows])
    return pdats, frames


def _estimate(ram, pdat, pt_s, options, free_names):
    """Estimation, standard errors and checks on the stacked model (fit_sem steps 5-7)."""
    opt = fisher_scoring(ram, pdat, start_values(pt_s, ram, pdat))
    status, msgs, vcov, notes = "ok", [], None, []
    if not opt.converged:
        status = "not_converged"
        msgs.append(f"the optimiser did not converge ({opt.message or 'iteration limit'}); "
                    "check the model specification and starting values, or simplify the model")
    if np.isfinite(opt.loglik):
        vcov, problem, notes = single._vcov_step(ram, opt.theta, pdat, options["information"],
                                                 options["se"], free_names)
        if problem:
            status = "not_identified" if status == "ok" else status
            msgs.append(problem)
    problems = single._problems(pt_s, ram, opt.theta)
    if problems:
        status = "improper_solution" if status == "ok" else status
        msgs.append(single._improper_message(problems))
    return opt, status, msgs, vcov, notes


def fit_multigroup(syntax: str, data: pd.DataFrame, group: str, *,
                   group_equal: Sequence[str] = (), group_partial: Sequence[str] = (),
                   group_order: Sequence | None = None, estimator: str = "ML",
                   missing: str = "ml", mode: str = "sem", name: str = "model"
                   ) -> MultiGroupResult:
    """Fit ``syntax`` (one single-group lavaan syntax) in every group of ``data[group]``.

    Syntax errors, unknown ``group_equal`` entries and unusable data (in any group) raise
    :class:`ModelError` / :class:`DataError`; problems of the fit are ``status`` / ``message``
    (names as ``m ~ x [group]``). Rows without a group value are dropped (``n_dropped``).
    """
    options = _options(name, estimator, missing, mode)
    pt = build_partable(parse_model(syntax, name), mode=mode, meanstructure=True, model=name)
    compile_definitions(pt.definitions, name)
    groups = group_levels(data, group, group_order, name)
    labels = groups.labels
    pdats, frames = _group_data(data, groups, pt, missing, name)
    free, shared = equality_classes(pt, len(labels), tuple(group_equal), tuple(group_partial),
                                    name)
    stacked, sdata = stacked_syntax(pt, free), stacked_frame(frames, pt.ov_names)
    # the stacked model has every row written out: lavaan() mode, FIML (listwise rows dropped)
    pt_s, ram, pdat, _ = single._build_model(stacked, sdata,
                                             {**options, "mode": "lavaan", "missing": "ml"},
                                             name)
    free_names = _free_names(pt, free, shared, labels)
    base = {"name": name, "groups": labels, "group_column": group, "free_names": free_names,
            "n_obs": {lab: p.n_obs for lab, p in zip(labels, pdats, strict=True)},
            "n_dropped": groups.n_missing + sum(p.n_dropped for p in pdats),
            "options": options, "syntax": syntax, "stacked_syntax": stacked,
            "stacked_data": sdata, "free_index": free.ravel() - 1}
    # counting rule over the groups' moments
    p = len(pt.ov_names)
    msg = single._not_identified_message(name, pt_s.n_free,
                                         len(labels) * (p + p * (p + 1) // 2))
    if msg:
        return MultiGroupResult(status="not_identified", message=msg, **base)
    h1 = [single._check_h1(pd_, pt.ov_names, f"{name} [{group} = {lab}]")
          for lab, pd_ in zip(labels, pdats, strict=True)]
    try:
        opt, status, msgs, vcov, notes = _estimate(ram, pdat, pt_s, options, free_names)
    except (np.linalg.LinAlgError, FloatingPointError) as err:
        return MultiGroupResult(status="failed", message=(
            f"{name}: estimation failed with a numerical error ({err}); check the model for "
            "variables on very different scales or redundant paths."), **base)
    theta = opt.theta
    std = standardized_solution(ram, pt_s.table, theta, vcov)
    est = estimates_table(pt, pt_s.table, ram, theta, vcov, std, shared, labels)
    sigma, mu = ram.implied(theta)
    x_idx = [pt.ov_names.index(v) for v in pt.ov_x]
    parts = []
    for g, pd_ in enumerate(pdats):
        idx = [pt_s.ov_names.index(stacked_name(v, g)) for v in pt.ov_names]
        parts.append(group_measures(pd_, h1[g], sigma[np.ix_(idx, idx)], mu[idx], x_idx))
    fit = multigroup_fit_measures(parts, npar=pt_s.n_free, p=p, n_x=len(x_idx))
    message = readable(f"{name}: " + "; ".join(msgs) + ".", labels) if msgs else ""
    warn = [f"{base['n_dropped']} row(s) without a group value or with no usable data were "
            "dropped"] if base["n_dropped"] else []
    model_parts = {"ram": ram, "data": pdat,
                   "h1": [(pd_, h[0], h[1]) for pd_, h in zip(pdats, h1, strict=True)]}
    return MultiGroupResult(status=status, message=message, estimates=est, fit=fit,
                            fit_by_group=dict(zip(labels, parts, strict=True)),
                            model_parts=model_parts,
                            converged=opt.converged, vcov=vcov, theta=theta,
                            iterations=opt.iterations,
                            warnings=warn + [readable(n, labels) for n in notes], **base)


def _check_pair(restricted: MultiGroupResult, free: MultiGroupResult, what: str) -> None:
    for r in (restricted, free):
        if r.status != "ok":
            raise ModelError(f"{what}: model {r.name} has status {r.status} ({r.message}); "
                             "the test needs two successful fits.")
    if restricted.n_obs != free.n_obs:
        raise ModelError(f"{what}: {restricted.name} used {restricted.n_obs} cases per group "
                         f"but {free.name} used {free.n_obs}; nested models must be fitted to "
                         "the same cases and groups.")


def lr_test_groups(restricted: MultiGroupResult, free: MultiGroupResult) -> dict[str, float]:
    """Likelihood-ratio (chi-square difference) test of nested ML multi-group fits, e.g.
    ``group_equal=["regressions"]`` against the free model (lavaan ``lavTestLRT``)."""
    _check_pair(restricted, free, "LR test")
    for r in (restricted, free):
        if r.options.get("estimator") != "ML":
            raise ModelError(
                f"LR test: model {r.name} was fitted with estimator {r.options.get('estimator')}"
                "; its chi-square difference needs the Satorra-Bentler scaling: use "
                "scaled_lr_test_groups, wald_test_groups (robust) or estimator 'ML'.")
    return single.chisq_difference(restricted, free)


def scaled_chisq_groups(fit: MultiGroupResult) -> dict[str, float]:
    """The MLR scaled test of a successful fit (lavaan ``fitMeasures(fit, c("chisq.scaled",
    "df.scaled", "pvalue.scaled", "chisq.scaling.factor"))`` with ``estimator = "MLR"``), from
    its estimates whatever estimator it was fitted with (ML and MLR estimates are the same).
    ``df = 0``: no scaling factor (``NaN``); see :func:`pipeline.sem.scaled_test.scaled_chisq`.
    """
    if fit.status != "ok" or fit.model_parts is None:
        raise ModelError(f"scaled test: model {fit.name} has status {fit.status} "
                         f"({fit.message}); the test needs a successful fit.")
    parts = fit.model_parts
    return scaled_chisq(parts["ram"], fit.theta, parts["data"], parts["h1"], fit.fit["chisq"],
                        fit.fit["df"])


def scaled_lr_test_groups(restricted: MultiGroupResult, free: MultiGroupResult
                          ) -> dict[str, float | str]:
    """Satorra-Bentler (2001) scaled chi-square difference of nested multi-group fits (lavaan
    ``lavTestLRT(restricted, free)`` of MLR fits, ``method = "satorra.bentler.2001"``).

    Returns ``chisq_diff, df_diff, pvalue, scaling_factor`` (``cd``), the models' scaling
    factors ``scaling_restricted`` / ``scaling_free`` (``NaN`` for ``df = 0``) and ``message``:
    empty, or why there is no test (``cd < 0``: ``NaN`` values, as lavaan's ``NA``).
    """
    _check_pair(restricted, free, "scaled LR test")
    return nested_scaled_test(restricted, free, scaled_chisq_groups, "scaled LR test")


def wald_test_groups(fit: MultiGroupResult, rows: Sequence[str] | None = None
                     ) -> dict[str, float]:
    """Wald test that parameters are equal across all groups (lavaan ``lavTestWald`` with
    constraints ``p.g1 == p.g2, p.g1 == p.g3, ...``), with the fit's own covariance matrix of the
    estimates (robust for MLR). ``rows``: parameters as ``"m ~ x"`` (spaces ignored); default
    every regression (``~``) row not already equal. Returns ``chisq, df, pvalue``."""
    if fit.status != "ok" or fit.vcov is None:
        raise ModelError(f"Wald test: model {fit.name} has status {fit.status} ({fit.message}); "
                         "the test needs a successful fit.")
    est = fit.estimates
    est = est[(est["op"] != ":=")].assign(
        key=lambda d: d["lhs"] + d["op"] + d["rhs"])
    if rows is None:
        keys = list(dict.fromkeys(est.loc[(est["op"] == "~") & ~est["equal"], "key"]))
    else:
        keys = ["".join(str(r).split()) for r in rows]
    free_idx = _free_index(fit, est, keys)
    n_par = len(fit.theta)
    cmat = []
    for idx in free_idx:
        for k in idx[1:]:
            row = np.zeros(n_par)
            row[idx[0]], row[k] = 1.0, -1.0
            cmat.append(row)
    if not cmat:
        raise ModelError(f"Wald test: {fit.name}: no free parameters to compare ({keys}).")
    c = np.array(cmat)
    diff = c @ fit.theta
    cov = c @ fit.vcov @ c.T
    chisq = float(diff @ np.linalg.solve(cov, diff))
    df = int(np.linalg.matrix_rank(c))
    return {"chisq": chisq, "df": float(df), "pvalue": float(chi2_sf(chisq, df))}


def _free_index(fit: MultiGroupResult, est: pd.DataFrame, keys: list[str]) -> list[list[int]]:
    """Per key, the 0-based free-parameter numbers of its row in each group."""
    n_rows = len(est) // len(fit.groups)
    key_col = est["key"].to_numpy()[:n_rows]
    out = []
    for key in keys:
        pos = np.flatnonzero(key_col == key)
        if pos.size == 0:
            raise ModelError(f"Wald test: {fit.name} has no parameter {key!r}; write it as "
                             "'y ~ x'.")
        idx = [_theta_index(fit, g * n_rows + int(pos[0])) for g in range(len(fit.groups))]
        if any(i is None for i in idx):
            raise ModelError(f"Wald test: {fit.name}: {key!r} is fixed in some group.")
        out.append(idx)
    return out


def _theta_index(fit: MultiGroupResult, row: int) -> int | None:
    return fit.free_index[row] if fit.free_index[row] >= 0 else None
