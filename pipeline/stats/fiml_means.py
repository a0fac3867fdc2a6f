"""FIML wave means and change contrasts with auxiliary variables (saturated correlates).

Model. For one or more outcomes measured at waves ``w_0, ..., w_K`` (columns ``y_0 ... y_K``)
and auxiliary variables ``a_1 ... a_q`` (other constructs' scores, retention predictors), fit
the saturated multivariate normal model of all of them by full-information maximum likelihood
(FIML; every case with data on any model variable contributes, missing at random assumed):

    (y_0, ..., y_K, a_1, ..., a_q)' ~ N(mu, Sigma),  mu and Sigma unrestricted.

The wave means are ``mu_k`` and the change contrasts ``delta_k = mu_k - mu_0`` (k = 1..K), with
delta-method (here exact, linear) SEs. Because the outcome model (free means, variances and
covariances of the ``y``) is itself saturated, Graham's (2003) *saturated-correlates* model
(auxiliaries correlated with each other and with the outcomes' residuals) *is* this saturated
model: the auxiliaries change nothing in the model for the ``y`` but carry the information that
makes MAR plausible (Collins, Schafer & Kam 2001). Several outcomes may share one fit (their
means are then estimated with each other as auxiliaries): the likelihood is the same.

Standard errors: ``se="standard"`` uses the observed information (lavaan's default with
``missing = "ml"``); ``se="robust"`` the Huber-White sandwich (lavaan ``estimator = "MLR"``,
Yuan & Bentler 2000), robust to non-normal scores (heaped EQ VAS, skewed sums). Wald CIs
``est +/- z_{(1+conf)/2} se`` and two-sided normal p-values, as lavaan's ``parameterEstimates``.
No multiplicity adjustment here (callers adjust: e.g. Holm over a construct's contrasts).

Engine: :func:`pipeline.sem.fit_sem` (lavaan syntax: labelled intercepts ``y_k ~ m_k*1``,
every covariance written out, ``d_k := m_k - m_0``).

R equivalent (tests/fixtures/change_fiml/make_reference.R)::

    model <- '
      y0 ~~ y1 + y2 + a1 + a2   # ... every pair of variables
      y0 ~ m0*1; y1 ~ m1*1; y2 ~ m2*1
      d1 := m1 - m0; d2 := m2 - m0'
    fit <- lavaan::sem(model, data, missing = "ml", fixed.x = FALSE)   # estimator = "MLR"
    parameterEstimates(fit, level = 0.95)
    # or: semTools::auxiliary(outcome_model, data, aux = c("a1", "a2"), fun = "sem")

References: Graham, J. W. (2003). Adding missing-data-relevant variables to FIML-based
structural equation models. *Structural Equation Modeling*, 10(1), 80-100. Enders, C. K.
(2010). *Applied Missing Data Analysis*, ch. 5. Yuan, K.-H., & Bentler, P. M. (2000). Three
likelihood-based methods for mean and covariance structure analysis with nonnormal missing
data. *Sociological Methodology*, 30, 165-200.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import combinations

import numpy as np
import pandas as pd

from pipeline.errors import DataError
from pipeline.sem import SEMResult, fit_sem
from pipeline.stats.distributions import norm_ppf, norm_sf
from pipeline.status import Status

__all__ = ["FIML_COLUMNS", "fiml_change", "fiml_wave_means", "saturated_syntax"]

#: columns of the tables returned by :func:`fiml_wave_means` / :func:`fiml_change`.
FIML_COLUMNS = ["outcome", "kind", "term", "column", "reference", "est", "se", "z", "pvalue",
                "ci_lower", "ci_upper", "conf", "sd", "n_contributing", "n_observed", "se_type",
                "n_auxiliaries", "status", "message"]


def saturated_syntax(variables: Sequence[str], outcomes: Mapping[str, Sequence[str]]
                     ) -> tuple[str, dict[tuple[str, int], str]]:
    """lavaan syntax of the saturated model with labelled outcome means and contrasts.

    Returns ``(syntax, labels)``; ``labels[(outcome, k)]`` is the label of the mean of the
    ``k``-th column of ``outcome`` (``k = 0`` the reference) and ``labels[(outcome, -k)]`` that of
    the contrast ``mean_k - mean_0``.
    """
    lines = [f"{a} ~~ {b}" for a, b in combinations(variables, 2)]
    labels: dict[tuple[str, int], str] = {}
    for i, (key, cols) in enumerate(outcomes.items()):
        for k, col in enumerate(cols):
            labels[(key, k)] = f"m{i}_{k}"
            lines.append(f"{col} ~ m{i}_{k}*1")
        for k in range(1, len(cols)):
            labels[(key, -k)] = f"d{i}_{k}"
            lines.append(f"d{i}_{k} := m{i}_{k} - m{i}_0")
    return "\n".join(lines), labels


def _check_data(data: pd.DataFrame, outcomes: Mapping[str, Sequence[str]],
                auxiliaries: Sequence[str]) -> tuple[list[str], dict[str, str]]:
    """The model variables (outcome columns, then usable auxiliaries) and the auxiliaries left
    out (-> why): constant or all missing, or constant among the people observed on an outcome
    column (e.g. a rare category nobody at the last wave belongs to), whose covariance with
    that column the data cannot identify."""
    ys = [c for cols in outcomes.values() for c in cols]
    wanted = ys + [a for a in auxiliaries if a not in ys]
    absent = [c for c in wanted if c not in data.columns]
    if absent:
        raise DataError(f"FIML wave means: columns {absent} are not in the data.")
    bad = [c for c in wanted if not pd.api.types.is_numeric_dtype(data[c])]
    if bad:
        raise DataError(f"FIML wave means: columns {bad} are not numeric; code categorical "
                        "auxiliaries as 0/1 indicators first.")
    if any(len(cols) < 2 for cols in outcomes.values()):
        raise DataError("FIML wave means: each outcome needs at least two wave columns.")
    unused = {}
    for a in wanted[len(ys):]:
        if data[a].notna().sum() < 2 or data[a].dropna().nunique() < 2:
            unused[a] = "fewer than two distinct values"
            continue
        flat = [y for y in ys if data.loc[data[y].notna(), a].dropna().nunique() < 2]
        if flat:  # its covariance with y would not be identified (singular information)
            unused[a] = f"no variation among the people observed on {flat[0]}"
    return [c for c in wanted if c not in unused], unused


def _rows(res: SEMResult, outcomes: Mapping[str, Sequence[str]], labels: dict,
          data: pd.DataFrame, conf: float, se: str, n_aux: int, note: str) -> pd.DataFrame:
    """One row per wave mean and per contrast, from a fitted (or failed) model."""
    ok = res.status == Status.OK.value
    est = res.estimates.drop_duplicates("label").set_index("label") if ok else None
    cov = res.implied["cov"] if ok else None
    z = norm_ppf(0.5 + conf / 2)
    rows = []
    for key, cols in outcomes.items():
        terms = [("mean", k, labels[(key, k)]) for k in range(len(cols))]
        terms += [("contrast", k, labels[(key, -k)]) for k in range(1, len(cols))]
        for kind, k, lab in terms:
            col = cols[k]
            e = float(est.loc[lab, "est"]) if ok else np.nan
            s = float(est.loc[lab, "se"]) if ok else np.nan
            zval = e / s if ok and s > 0 else np.nan
            seen = data[col].notna()
            if kind == "contrast":
                seen &= data[cols[0]].notna()
            sd = np.nan
            if ok:
                ref = cols[0]
                var = (cov.loc[col, col] if kind == "mean" else
                       cov.loc[col, col] + cov.loc[ref, ref] - 2 * cov.loc[col, ref])
                sd = float(np.sqrt(max(var, 0.0)))
            rows.append({
                "outcome": key, "kind": kind,
                "term": col if kind == "mean" else f"{col} - {cols[0]}",
                "column": col, "reference": "" if kind == "mean" else cols[0],
                "est": e, "se": s, "z": zval,
                "pvalue": 2 * norm_sf(abs(zval)) if np.isfinite(zval) else np.nan,
                "ci_lower": e - z * s, "ci_upper": e + z * s, "conf": conf, "sd": sd,
                "n_contributing": res.n_obs, "n_observed": int(seen.sum()), "se_type": se,
                "n_auxiliaries": n_aux, "status": res.status,
                "message": res.message if not ok else note,
            })
    return pd.DataFrame(rows, columns=FIML_COLUMNS)


def fiml_wave_means(data: pd.DataFrame, outcomes: Mapping[str, Sequence[str]],
                    auxiliaries: Sequence[str] = (), *, se: str = "robust", conf: float = 0.95,
                    name: str = "fiml_wave_means") -> pd.DataFrame:
    """FIML wave means and contrasts with the first wave for one or more outcomes, one fit.

    ``outcomes`` maps an outcome key to its wave columns in time order (first = reference);
    ``auxiliaries`` are numeric columns (dummy-code categorical ones) added to the saturated
    model; auxiliaries with fewer than two values (overall, or among the people observed on an
    outcome column) are left out, said in ``message``.
    Returns :data:`FIML_COLUMNS`: ``kind`` "mean" (``term`` = the column) or "contrast"
    (``term`` = "<col_k> - <col_0>"); ``sd`` = model-implied SD of the column (contrast: of
    the individual change, sqrt(s_kk + s_00 - 2 s_k0)); ``n_contributing`` = cases with data on
    any model variable; ``n_observed`` = cases observed on the column (contrast: on both columns).
    A failed fit (status not ok) gives rows with NaN numbers and the engine's message.
    """
    if se not in ("standard", "robust"):
        raise DataError(f"FIML wave means: se must be 'standard' or 'robust', got {se!r}.")
    if not 0 < conf < 1:
        raise DataError(f"FIML wave means: conf must be in (0, 1), got {conf!r}.")
    variables, unused = _check_data(data, outcomes, auxiliaries)
    syntax, labels = saturated_syntax(variables, outcomes)
    frame = data[variables].astype(float)
    res = fit_sem(syntax, frame, missing="ml", se=se, name=name)
    note = ("auxiliaries left out: " + "; ".join(f"{a} ({why})" for a, why in unused.items())
            if unused else "")
    n_aux = len(variables) - sum(len(c) for c in outcomes.values())
    return _rows(res, outcomes, labels, frame, conf, se, n_aux, note)


def fiml_change(data: pd.DataFrame, outcome_cols: Sequence[str],
                auxiliaries: Sequence[str] = (), *, se: str = "robust", conf: float = 0.95,
                name: str = "fiml_change") -> pd.DataFrame:
    """FIML means of ``outcome_cols`` (one column per wave, first = reference) and the
    contrasts with the first wave, with ``auxiliaries`` (Graham 2003); see
    :func:`fiml_wave_means` (``outcome`` is the first column's name)."""
    return fiml_wave_means(data, {outcome_cols[0]: list(outcome_cols)}, auxiliaries, se=se,
                           conf=conf, name=name)
