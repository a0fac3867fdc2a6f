"""Change in a count over waves: the rate per wave and the incidence-rate ratio (IRR) of each
follow-up wave vs entry.

Primary: a random-intercept Poisson or NB2 mixed model (:mod:`pipeline.stats.counts_glmm`;
R ``glmer(family = poisson)`` / ``glmmTMB(family = nbinom2)``) on every observed count of every
person. Like FIML it is likelihood-based on all available observations, so it is valid when
dropping out depends on what was observed (MAR); it is the counterpart of FIML for a count, and
when ``missing_data.primary`` is another method the rows say it stands in. The family follows
``healthcare.model`` (auto: NB2 when the boundary LR test rejects). The model-based mean count of
a wave is the population average ``exp(b0 + b_wave + sd^2 / 2)`` (log-normal random intercept),
so the ratio of two waves' means is the IRR.

Sensitivity: a single-level count regression on the complete cases (people with a count at
every wave), family and zero inflation by the configured rules (:mod:`.models`), SEs
cluster-robust by person. Observed means per wave are descriptive (people who answered).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from pipeline.healthcare.data import count_long
from pipeline.healthcare.models import choose_glm, cluster_cov, family_words, method_words
from pipeline.healthcare.settings import CountOutcome, HealthcareSettings
from pipeline.stats.counts_glmm import choose_glmm_family, fit_count_glmm, wave_design
from pipeline.stats.counts_zi import ZeroInflatedFit
from pipeline.stats.distributions import norm_ppf, norm_sf
from pipeline.status import Status

__all__ = ["CHANGE_COLUMNS", "count_change", "outcome_change"]

CHANGE_COLUMNS = ["outcome", "construct", "label", "period_months", "quantity", "wave",
                  "contrast", "method", "role", "model", "estimate", "ci_lower", "ci_upper",
                  "log_se", "pvalue", "n_people", "n_rows", "model_choice", "status", "message"]
MAR_NOTE = ("all available observations, likelihood-based: valid when dropping out depends on "
            "what was observed (MAR), like FIML")


def _row(o: CountOutcome, **values) -> dict:
    row = {c: math.nan for c in CHANGE_COLUMNS}
    row.update(outcome=o.name, construct=o.construct, label=o.label,
               period_months=o.period_months, status=Status.OK.value, message="")
    row.update(values)
    return row


def _observed(o: CountOutcome, long: pd.DataFrame, waves) -> list[dict]:
    rows = []
    for w in waves:
        y = long.loc[long["wave"] == w, "y"]
        rows.append(_row(o, quantity="mean_count", wave=w, method="observed", role="descriptive",
                         estimate=float(y.mean()) if len(y) else math.nan,
                         n_people=len(y), n_rows=len(y),
                         message=(f"{int((y == 0).sum())} of {len(y)} reported none"
                                  if len(y) else "nobody answered at this wave")))
    return rows


def _ratio_rows(o, waves, est, se, z, method, role, model, choice, message, n_people, n_rows):
    rows = []
    for j, w in enumerate(waves[1:]):
        b, s = float(est[j]), float(se[j])
        rows.append(_row(o, quantity="rate_ratio", wave=w, contrast=f"{w} vs {waves[0]}",
                         method=method, role=role, model=model, estimate=math.exp(b),
                         ci_lower=math.exp(b - z * s), ci_upper=math.exp(b + z * s), log_se=s,
                         pvalue=float(2 * norm_sf(abs(b / s))), n_people=n_people,
                         n_rows=n_rows[j], model_choice=choice, message=message))
    return rows


def _glmm(o, long, s: HealthcareSettings, zi_note: str) -> list[dict]:
    waves = list(s.waves)
    x = wave_design(long, "wave", waves)
    y, ids = long["y"].to_numpy(float), long["pid"].to_numpy()
    if s.model == "auto":
        fit, choice = choose_glmm_family(x, y, ids)
    else:
        fit = fit_count_glmm(x, y, ids, family=s.model)
        choice = f"{family_words(s.model)} (healthcare.model: {s.model})"
    n_people = int(long["pid"].nunique())
    if not fit.ok:
        return [_row(o, quantity="rate_ratio", method="glmm", role="primary",
                     model=f"{fit.family}_glmm", status=fit.status.value, message=fit.message,
                     n_people=n_people, n_rows=len(long), model_choice=choice)]
    stands = "" if s.primary == "fiml" else (
        f"; stands in for the primary method ({method_words(s.primary)}): the count models "
        f"have no {method_words(s.primary)} form here")
    msg = "; ".join(filter(None, [f"random-intercept {family_words(fit.family)} mixed model, "
                                  f"{MAR_NOTE}{stands}", *fit.notes, zi_note]))
    z = norm_ppf(0.5 + s.conf / 2)
    coef, se = np.asarray(fit.coef), np.sqrt(np.diag(fit.cov))
    half = fit.sd ** 2 / 2
    rows = [_row(o, quantity="mean_count", wave=w, method="glmm", role="primary",
                 model=f"{fit.family}_glmm",
                 estimate=math.exp(coef[0] + (coef[j] if j else 0.0) + half),
                 n_people=int(long.loc[long["wave"] == w, "pid"].nunique()),
                 n_rows=int((long["wave"] == w).sum()), model_choice=choice,
                 message="model-based mean over people (exp(fixed + sd^2/2))")
            for j, w in enumerate(waves)]
    n_rows = [int((long["wave"] == w).sum()) for w in waves[1:]]
    return rows + _ratio_rows(o, waves, coef[1:], se[1:], z, "glmm", "primary",
                              f"{fit.family}_glmm", choice, msg, n_people, n_rows)


def _complete_case(o, long, s: HealthcareSettings):
    """Rows of the complete-case regression and the note for the mixed model when the zeros
    call for a zero-inflated model."""
    waves = list(s.waves)
    per = long.groupby("pid")["wave"].nunique()
    cc = long[long["pid"].isin(per.index[per == len(waves)])]
    n_people = int(cc["pid"].nunique())
    if n_people < 2:
        return [_row(o, quantity="rate_ratio", method="complete_case", role="sensitivity",
                     status=Status.NOT_ESTIMABLE.value, n_people=n_people, n_rows=len(cc),
                     message="fewer than 2 people have a count at every wave")], ""
    x = wave_design(cc, "wave", waves)
    y = cc["y"].to_numpy(float)
    ch = choose_glm(x, y, s.model, s.zero_inflation)
    fit = ch.fit
    zi_note = ("more zeros than the model expects, and the mixed model has no zero-inflated "
               "form here: see the complete-case row") if ch.excess_zeros else ""
    if fit.status is not Status.OK:
        return [_row(o, quantity="rate_ratio", method="complete_case", role="sensitivity",
                     model=ch.family, status=fit.status.value, message=fit.message,
                     n_people=n_people, n_rows=len(cc), model_choice=ch.reason)], zi_note
    if isinstance(fit, ZeroInflatedFit):
        coef = np.asarray(fit.count)
        se = np.sqrt(np.diag(fit.cov))[: len(coef)]
        how = ("count part of the zero-inflated model; model-based SEs (they do not allow for "
               "the repeated waves of a person)")
    else:
        coef = np.asarray(fit.coef)
        se = np.sqrt(np.diag(cluster_cov(fit, x.to_numpy(float), y, cc["pid"].to_numpy())))
        how = "SEs cluster-robust by person"
    msg = (f"{family_words(ch.family)} regression of the {n_people} people with a count at "
           f"every wave (complete cases); {how}")
    z = norm_ppf(0.5 + s.conf / 2)
    n_rows = [n_people] * (len(waves) - 1)
    return _ratio_rows(o, waves, coef[1:], se[1:], z, "complete_case", "sensitivity",
                       ch.family, ch.reason, msg, n_people, n_rows), zi_note


def outcome_change(wide: pd.DataFrame, o: CountOutcome, s: HealthcareSettings) -> pd.DataFrame:
    """The change rows of one count outcome (checked by :func:`.data.check_count_columns`)."""
    long = count_long(wide, o.construct, s.waves)
    rows = _observed(o, long, s.waves)
    empty = [w for w in s.waves if not (long["wave"] == w).any()]
    if empty:
        rows.append(_row(o, quantity="rate_ratio", method="glmm", role="primary",
                         status=Status.NOT_ESTIMABLE.value, n_people=int(long["pid"].nunique()),
                         n_rows=len(long), message=f"no observed count at wave(s) {empty}: "
                         "the change to those waves cannot be estimated"))
        return pd.DataFrame(rows, columns=CHANGE_COLUMNS)
    cc_rows, zi_note = _complete_case(o, long, s)
    rows += _glmm(o, long, s, zi_note) + cc_rows
    return pd.DataFrame(rows, columns=CHANGE_COLUMNS)


def count_change(wide: pd.DataFrame, s: HealthcareSettings) -> pd.DataFrame:
    """``healthcare_change.csv``: every configured outcome, in config order."""
    parts = [outcome_change(wide, o, s) for o in s.outcomes.values()]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=CHANGE_COLUMNS)
