"""Healthcare use by arm: the change in a count in the programme arm vs the reference arm
(``healthcare_comparison.csv``), written only when the study has a comparison group
(``comparison.group``, read through the comparison wing's settings; :class:`.settings.ArmSpec`).

Primary: a random-intercept count mixed model with arm x wave on every observed count of every
person whose arm is known (:mod:`pipeline.stats.counts_glmm`), R
``glmmTMB(y ~ arm * wave + (1 | id), family = nbinom2)`` or ``glmer(..., family = poisson)``
(family by ``healthcare.model``; auto: NB2 when the boundary LR test rejects). Its interaction
``exp(b[arm:wave_w])`` is the **ratio of rate ratios**: the programme arm's rate ratio of wave
``w`` vs entry divided by the reference arm's, so 0.8 means the programme's count fell by 20%
more (relative to entry) than the reference arm's. Each arm's own rate ratio and model-based
mean count per arm and wave (population average ``exp(x'b + sd^2 / 2)`` at the covariates'
means) sit beside it. Like FIML the mixed model uses all available observations (valid under
MAR); with another ``missing_data.primary`` the rows say it stands in.

Not randomised (``comparison.randomised: false``): the model adds ``comparison.adjust_for``
(baseline covariates, centred at their means; categorical ones as 0/1 indicators of their
non-first levels), so the ratio accounts for measured differences between the arms only;
randomised: unadjusted, as the comparison wing. People without a known arm or covariate are
left out (said in the message).

Sensitivity: the single-level regression of the complete cases (a count at every wave), family
and zero inflation by the configured rules (:mod:`.models`), SEs cluster-robust by person (R
``MASS::glm.nb`` + ``sandwich::vcovCL(cluster = ~id, type = "HC0")``). Reference values:
``tests/fixtures/counts_arm/make_reference.R``. No counts of people per arm are published.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipeline.healthcare.change import MAR_NOTE
from pipeline.healthcare.data import count_long
from pipeline.healthcare.models import choose_glm, cluster_cov, family_words, method_words
from pipeline.healthcare.settings import ArmSpec, CountOutcome, HealthcareSettings
from pipeline.stats.counts_glmm import choose_glmm_family, fit_count_glmm, wave_design
from pipeline.stats.counts_zi import ZeroInflatedFit
from pipeline.stats.distributions import norm_ppf, norm_sf
from pipeline.status import Status

__all__ = ["BYARM_COLUMNS", "ArmData", "arm_data", "arm_design", "arm_change",
           "outcome_arm_change"]

BYARM_COLUMNS = ["outcome", "construct", "label", "period_months", "quantity", "arm", "wave",
                 "contrast", "method", "role", "model", "adjusted_for", "estimate", "ci_lower",
                 "ci_upper", "log_se", "pvalue", "n_people", "n_rows", "model_choice", "status",
                 "message"]
ARM = "arm"


@dataclass(frozen=True)
class ArmData:
    """Long count rows (``pid, wave, y, arm`` 0/1 and the centred covariate columns) of the
    people whose arm (and covariates) are known; ``left_out``: people without them."""

    long: pd.DataFrame
    reference: str
    programme: str
    covariates: tuple[str, ...]
    left_out: int


def _column(wide: pd.DataFrame, key: str, column: str) -> pd.Series | None:
    if key in wide.columns:
        return wide[key]
    return wide[column] if column in wide.columns else None


def _levels(values: pd.Series, configured: Sequence[str]) -> list[str]:
    seen = sorted({str(v) for v in values.dropna()})
    return [lv for lv in configured if lv in seen] + [lv for lv in seen if lv not in configured]


def _covariates(wide: pd.DataFrame, a: ArmSpec) -> dict[str, pd.Series] | str:
    """The model covariates (uncentred): ``adjust_for`` when not randomised, none when so."""
    cols: dict[str, pd.Series] = {}
    for key, column, levels in () if a.randomised else a.adjust_for:
        v = _column(wide, key, column)
        if v is None:
            return f"the clean wide data has no column for covariate '{key}' (adjust_for)"
        if not levels:
            cols[key] = pd.to_numeric(v, errors="coerce").astype(float)
            continue
        text = v.astype(object).where(v.notna())
        for i, lv in enumerate(_levels(v, levels)[1:], start=2):
            cols[f"{key}_lvl{i}"] = (text.astype(str) == lv).astype(float).where(text.notna())
    return cols


def arm_data(wide: pd.DataFrame, construct: str, waves: Sequence[str],
             a: ArmSpec) -> ArmData | str:
    """The model rows of one count by arm, or the reason (words) it cannot be modelled."""
    group = _column(wide, a.group, a.group_column)
    if group is None:
        return (f"the clean wide data has no column '{a.group}' for the comparison group "
                "(comparison.group)")
    seen = _levels(group, a.group_levels)
    ref = a.reference if a.reference is not None else (seen[0] if seen else None)
    prog = a.programme if a.programme is not None else next(
        (lv for lv in seen if lv != ref), None)
    if ref not in seen or prog not in seen:
        return (f"the comparison group '{a.group}' needs people in both arms; the data hold "
                f"{', '.join(seen) or 'none'}")
    covs = _covariates(wide, a)
    if isinstance(covs, str):
        return covs
    text = group.astype(object).where(group.notna()).astype(str)
    known = group.notna() & text.isin([ref, prog])
    for v in covs.values():
        known &= v.notna()
    w = wide.loc[known]
    people = pd.DataFrame({"pid": w["pid"].to_numpy(),
                           ARM: (text[known].to_numpy() == prog).astype(float)})
    for name, v in covs.items():
        people[name] = (v[known] - v[known].mean()).to_numpy(float)
    long = count_long(w, construct, waves).merge(people, on="pid", how="left")
    return ArmData(long, ref, prog, tuple(covs), int((~known).sum()))


def arm_design(long: pd.DataFrame, waves: Sequence[str],
               covariates: Sequence[str] = ()) -> pd.DataFrame:
    """Intercept, ``arm``, one dummy per follow-up wave, the covariates and ``arm:wave<w>``
    (R's ``arm * wave + covariates``)."""
    x = wave_design(long, "wave", waves, covariates)
    x.insert(1, ARM, long[ARM].to_numpy(float))
    for w in waves[1:]:
        x[f"{ARM}:wave{w}"] = x[ARM] * x[f"wave{w}"]
    return x


def _row(o: CountOutcome, **values) -> dict:
    row = {c: math.nan for c in BYARM_COLUMNS}
    row.update(outcome=o.name, construct=o.construct, label=o.label, arm="", wave="",
               contrast="", period_months=o.period_months, status=Status.OK.value, message="")
    row.update(values)
    return row


def _contrasts(names: Sequence[str], w: str, arms: tuple[str, str]) -> list[tuple]:
    """(quantity, arm, contrast, weights) of the rate ratios of wave ``w`` vs entry."""
    e = {n: np.eye(len(names))[i] for i, n in enumerate(names)}
    ref, prog = arms
    return [("ratio_of_rate_ratios", f"{prog} vs {ref}", e[f"{ARM}:wave{w}"]),
            ("rate_ratio", ref, e[f"wave{w}"]),
            ("rate_ratio", prog, e[f"wave{w}"] + e[f"{ARM}:wave{w}"])]


def _ratio_rows(o, names, coef, cov, waves, arms, z, common: dict, n_rows) -> list[dict]:
    rows = []
    for j, w in enumerate(waves[1:]):
        for quantity, arm, L in _contrasts(names, w, arms):
            b, s = float(L @ coef), float(np.sqrt(L @ cov @ L))
            rows.append(_row(o, quantity=quantity, arm=arm, wave=w,
                             contrast=f"{w} vs {waves[0]}", estimate=math.exp(b),
                             ci_lower=math.exp(b - z * s), ci_upper=math.exp(b + z * s),
                             log_se=s, pvalue=float(2 * norm_sf(abs(b / s))),
                             n_rows=n_rows[j], **common))
    return rows


def _mean_rows(o, names, coef, sd, waves, arms, common: dict) -> list[dict]:
    rows = []
    idx = {n: i for i, n in enumerate(names)}
    for a, arm in enumerate(arms):
        for w in waves:
            eta = coef[0] + a * coef[idx[ARM]]
            if w != waves[0]:
                eta += coef[idx[f"wave{w}"]] + a * coef[idx[f"{ARM}:wave{w}"]]
            rows.append(_row(o, quantity="mean_count", arm=arm, wave=w,
                             estimate=math.exp(eta + sd ** 2 / 2), **common,
                             message="model-based mean over people at the covariates' means "
                                     "(exp(fixed + sd^2/2))"))
    return rows


def _words(d: ArmData, a: ArmSpec, s: HealthcareSettings) -> tuple[str, str]:
    """(adjusted_for cell, the message's design clause)."""
    if a.randomised:
        adj, design = "none (randomised)", "randomised: unadjusted"
    elif not d.covariates:
        adj, design = "none", "not randomised and not adjusted (comparison.adjust_for is empty)"
    else:
        adj = "; ".join(k for k, _, _ in a.adjust_for) or "none"
        design = (f"not randomised: adjusted for {adj.replace(';', ',')}, accounting for "
                  "measured differences only")
    if d.left_out:
        design += f"; {d.left_out} people without a known arm or covariate left out"
    return adj, design


def _glmm(o, d: ArmData, s: HealthcareSettings, adj: str, design: str) -> list[dict]:
    waves, arms = list(s.waves), (d.reference, d.programme)
    x = arm_design(d.long, waves, d.covariates)
    y, ids = d.long["y"].to_numpy(float), d.long["pid"].to_numpy()
    if s.model == "auto":
        fit, choice = choose_glmm_family(x, y, ids)
    else:
        fit = fit_count_glmm(x, y, ids, family=s.model)
        choice = f"{family_words(s.model)} (healthcare.model: {s.model})"
    common = dict(method="glmm", role="primary", model=f"{fit.family}_glmm", adjusted_for=adj,
                  n_people=int(d.long["pid"].nunique()), model_choice=choice)
    if not fit.ok:
        return [_row(o, quantity="ratio_of_rate_ratios", status=fit.status.value,
                     message=fit.message, n_rows=len(d.long), **common)]
    stands = "" if s.primary == "fiml" else (
        f"; stands in for the primary method ({method_words(s.primary)})")
    msg = "; ".join([f"random-intercept {family_words(fit.family)} mixed model with arm x "
                     f"wave, {MAR_NOTE}{stands}", design, *fit.notes])
    z = norm_ppf(0.5 + s.conf / 2)
    n_rows = [int((d.long["wave"] == w).sum()) for w in waves[1:]]
    coef, cov = np.asarray(fit.coef), np.asarray(fit.cov)
    return (_mean_rows(o, list(x.columns), coef, fit.sd, waves, arms, common)
            + _ratio_rows(o, list(x.columns), coef, cov, waves, arms, z,
                          {**common, "message": msg}, n_rows))


def _complete_case(o, d: ArmData, s: HealthcareSettings, adj: str, design: str) -> list[dict]:
    waves, arms = list(s.waves), (d.reference, d.programme)
    per = d.long.groupby("pid")["wave"].nunique()
    cc = d.long[d.long["pid"].isin(per.index[per == len(waves)])]
    n_people = int(cc["pid"].nunique())
    common = dict(method="complete_case", role="sensitivity", adjusted_for=adj,
                  n_people=n_people)
    if cc[ARM].nunique() < 2:
        return [_row(o, quantity="ratio_of_rate_ratios", status=Status.NOT_ESTIMABLE.value,
                     n_rows=len(cc), message="the complete cases (a count at every wave) are "
                     "not in both arms", **common)]
    x = arm_design(cc, waves, d.covariates)
    y = cc["y"].to_numpy(float)
    ch = choose_glm(x, y, s.model, s.zero_inflation)
    common.update(model=ch.family, model_choice=ch.reason)
    if ch.fit.status is not Status.OK:
        return [_row(o, quantity="ratio_of_rate_ratios", status=ch.fit.status.value,
                     message=ch.fit.message, n_rows=len(cc), **common)]
    if isinstance(ch.fit, ZeroInflatedFit):
        coef = np.asarray(ch.fit.count)
        cov = np.asarray(ch.fit.cov)[: len(coef), : len(coef)]
        how = "count part of the zero-inflated model; model-based SEs"
    else:
        coef = np.asarray(ch.fit.coef)
        cov = cluster_cov(ch.fit, x.to_numpy(float), y, cc["pid"].to_numpy())
        how = "SEs cluster-robust by person"
    msg = (f"{family_words(ch.family)} regression with arm x wave of the {n_people} people "
           f"with a count at every wave (complete cases); {how}; {design}")
    z = norm_ppf(0.5 + s.conf / 2)
    return _ratio_rows(o, list(x.columns), coef, cov, waves, arms, z,
                       {**common, "message": msg}, [n_people] * (len(waves) - 1))


def outcome_arm_change(wide: pd.DataFrame, o: CountOutcome,
                       s: HealthcareSettings) -> pd.DataFrame:
    """The by-arm rows of one count outcome (checked by :func:`.data.check_count_columns`)."""
    a = s.arms
    d = arm_data(wide, o.construct, s.waves, a)
    if isinstance(d, str):
        return pd.DataFrame([_row(o, quantity="ratio_of_rate_ratios", method="glmm",
                                  role="primary", status=Status.NOT_ESTIMABLE.value,
                                  message=d)], columns=BYARM_COLUMNS)
    empty = [f"{arm} at {w}" for v, arm in ((0.0, d.reference), (1.0, d.programme))
             for w in s.waves if not ((d.long[ARM] == v) & (d.long["wave"] == w)).any()]
    if empty:
        return pd.DataFrame([_row(o, quantity="ratio_of_rate_ratios", method="glmm",
                                  role="primary", status=Status.NOT_ESTIMABLE.value,
                                  n_people=int(d.long["pid"].nunique()), n_rows=len(d.long),
                                  message=f"no observed count in {', '.join(empty)}: the "
                                  "change by arm cannot be estimated")], columns=BYARM_COLUMNS)
    adj, design = _words(d, a, s)
    rows = _glmm(o, d, s, adj, design) + _complete_case(o, d, s, adj, design)
    return pd.DataFrame(rows, columns=BYARM_COLUMNS)


def arm_change(wide: pd.DataFrame, s: HealthcareSettings) -> pd.DataFrame:
    """``healthcare_comparison.csv``: every configured outcome, in config order."""
    parts = [outcome_arm_change(wide, o, s) for o in s.outcomes.values()]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=BYARM_COLUMNS)
