"""Multiple imputation by chained equations (MICE) in wide format with predictive mean matching.

Algorithm (van Buuren 2018, *Flexible Imputation of Missing Data*, 2nd ed., §3.4 and §4.5;
``mice::mice.impute.pmm`` defaults):

* Start each of m independent chains by filling every incomplete variable with a random draw
  (with replacement) from its observed values (``mice``'s ``mice.impute.sample`` start).
* In every iteration visit the incomplete variables in column order. For target y with
  predictors X (current values of the other variables; categorical ones as treatment dummies;
  an intercept), on the rows where y is observed:
  1. drop predictors that are constant (variance <= 1e-4), correlate >= 0.99 with y or are
     linearly dependent (eigenvalue ratio < 1e-4) - ``mice:::remove.lindep``;
  2. Bayesian draw of the regression parameters (``mice:::.norm.draw``): least squares fit
     b, residual sum of squares S, sigma* = sqrt(S / chi2(n_obs - p)),
     beta* = b + sigma* chol((X'X)^-1) z, with a ridge penalty 1e-5 * diag(X'X) added when X'X is
     (nearly) singular;
  3. type-1 matching: predicted means X_obs b for donors and X_mis beta* for recipients; each
     recipient takes the observed y of one of the d = 5 donors closest in predicted mean, chosen
     at random (ties broken at random, ``mice:::matchindex``).
* Categorical variables are predictors through treatment dummies (first level = reference). A
  categorical variable with missing values is imputed by PMM on optimally scaled codes: the first
  canonical variate of its dummies against the predictors (``mice``'s ``quantify``); with two
  levels this is PMM on the 0/1 code. Donors give observed categories, so imputations are always
  valid levels.

Everything inside one variable's update is vectorised (one regression draw, then a sorted
nearest-donor search); the loops are over imputations x iterations x variables only.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from pipeline.errors import ConfigError, DataError, closest_names

#: mice's defaults.
DONORS = 5
RIDGE = 1e-5
LINDEP_EPS = 1e-4
MAXCOR = 0.99


@dataclass
class MICEResult:
    """Output of :func:`mice`.

    ``imputations``: m completed copies of the input DataFrame (all its columns; imputed ones
    filled). ``chain_means`` / ``chain_sds``: arrays (m, iterations, len(variables)) of the mean /
    SD (ddof = 1) of the imputed values of each imputed variable after each iteration (category
    codes for categorical variables), for convergence trace plots. ``missing_mask``: True where a
    value was missing in the input (columns = ``columns``). ``method``: variable -> "pmm" or ""
    (complete, used only as predictor) or "excluded" (constant, or missing for everyone with
    ``all_missing="exclude"``: not a predictor, not imputed, its missing values stay missing in
    ``imputations``). ``log``: one row per event
    (``variable, event, count, message``).
    """

    imputations: list[pd.DataFrame]
    chain_means: np.ndarray
    chain_sds: np.ndarray
    variables: list[str]
    method: dict[str, str]
    missing_mask: pd.DataFrame
    log: pd.DataFrame
    m: int
    iterations: int
    seed: int
    predictors: dict[str, list[str]] = field(default_factory=dict)


def default_m(wide: pd.DataFrame, columns: Sequence[str], *, minimum: int = 5,
              maximum: int = 100) -> int:
    """Number of imputations by White, Royston & Wood (2011) rule of thumb.

    m = ceil(100 x fraction of incomplete cases) over ``columns``, at least ``minimum`` and at
    most ``maximum``.
    """
    if minimum < 2 or maximum < minimum:
        raise ConfigError(
            f"missing_data: need 2 <= m_min <= m_max (got m_min={minimum}, m_max={maximum})."
        )
    frac = float(wide[list(columns)].isna().any(axis=1).mean()) if len(wide) else 0.0
    return int(min(maximum, max(minimum, math.ceil(round(100.0 * frac, 9)))))


# --------------------------------------------------------------------------------------------
# Pieces of one update (pure functions on arrays)
# --------------------------------------------------------------------------------------------

def remove_lindep(x: np.ndarray, y: np.ndarray, eps: float = LINDEP_EPS,
                  maxcor: float = MAXCOR) -> np.ndarray:
    """Boolean mask of predictor columns to keep (``mice:::remove.lindep``, van Buuren 2018 §6.2).

    Drops columns with variance <= ``eps``, columns whose correlation with y is >= ``maxcor``, and
    then, while the smallest / largest eigenvalue of the predictors' correlation matrix is below
    ``eps``, the column loading most on the smallest eigenvector. All are dropped if y is constant.
    """
    k = x.shape[1]
    if k == 0:
        return np.zeros(0, dtype=bool)
    cov = np.cov(np.column_stack([x, y]), rowvar=False)
    var, vy = np.diag(cov)[:k], cov[k, k]
    if vy < eps:
        return np.zeros(k, dtype=bool)
    keep = var > eps
    with np.errstate(divide="ignore", invalid="ignore"):
        cor = cov[:k, k] / np.sqrt(var * vy)
    keep &= ~(cor >= maxcor)
    idx = np.flatnonzero(keep)
    if idx.size <= 1:
        return keep
    sd = np.sqrt(var[idx])
    cx = cov[np.ix_(idx, idx)] / np.outer(sd, sd)
    while idx.size > 1:
        vals, vecs = np.linalg.eigh(cx)  # ascending
        if vals[0] / vals[-1] >= eps:
            break
        j = int(np.argmax(np.abs(vecs[:, 0])))
        keep[idx[j]] = False
        idx = np.delete(idx, j)
        cx = np.delete(np.delete(cx, j, axis=0), j, axis=1)
    return keep


def norm_draw(xobs: np.ndarray, yobs: np.ndarray, rng: np.random.Generator,
              ridge: float = RIDGE) -> tuple[np.ndarray, np.ndarray, bool]:
    """Least squares coefficients and one Bayesian posterior draw (``mice:::.norm.draw``).

    Returns (coef, beta_star, ridged). sigma* = sqrt(RSS / chi2(df)), df = max(n - p, 1);
    beta* = coef + chol((X'X)^-1) z sigma*; a ridge penalty ``ridge`` x diag(X'X) is added to X'X
    when it is not invertible to working precision (van Buuren 2018, Algorithm 3.1).
    """
    n, p = xobs.shape
    xtx = xobs.T @ xobs
    xty = xobs.T @ yobs
    ridged = False
    try:
        ev = np.linalg.eigvalsh(xtx)
        if not ev[0] > 1e-13 * ev[-1]:  # not invertible to working precision
            raise np.linalg.LinAlgError
        v = np.linalg.inv(xtx)
        coef = v @ xty
    except np.linalg.LinAlgError:
        ridged = True
        v = np.linalg.inv(xtx + np.diag(ridge * np.diag(xtx)))
        coef = v @ xty
    resid = yobs - xobs @ coef
    df = max(n - p, 1)
    sigma = math.sqrt(float(resid @ resid) / rng.chisquare(df))
    v = (v + v.T) / 2.0
    try:
        chol = np.linalg.cholesky(v)
    except np.linalg.LinAlgError:
        ridged = True
        chol = np.linalg.cholesky(v + np.diag(ridge * np.abs(np.diag(v)) + 1e-12))
    beta = coef + (chol @ rng.standard_normal(p)) * sigma
    return coef, beta, ridged


def match_donors(yhat_obs: np.ndarray, yhat_mis: np.ndarray, donors: int,
                 rng: np.random.Generator) -> np.ndarray:
    """Index (into the observed rows) of the donor for each recipient (``mice:::matchindex``).

    For each recipient, the ``donors`` observed rows with predicted means closest to its own are
    found and one is drawn at random; ties are broken at random by shuffling before sorting.
    Vectorised: sort once, locate each recipient by binary search, search a window of 2d
    neighbours (which always contains the d nearest) with ``argpartition``.
    """
    n_obs = yhat_obs.size
    d = int(min(donors, n_obs))
    perm = rng.permutation(n_obs)
    order = perm[np.argsort(yhat_obs[perm], kind="stable")]
    s = yhat_obs[order]
    w = min(2 * d, n_obs)
    pos = np.searchsorted(s, yhat_mis)
    start = np.clip(pos - d, 0, n_obs - w)
    window = start[:, None] + np.arange(w)[None, :]
    dist = np.abs(s[window] - yhat_mis[:, None])
    if d < w:
        nearest = np.argpartition(dist, d - 1, axis=1)[:, :d]
    else:
        nearest = np.broadcast_to(np.arange(w), (yhat_mis.size, w))
    pick = nearest[np.arange(yhat_mis.size), rng.integers(0, d, size=yhat_mis.size)]
    return order[window[np.arange(yhat_mis.size), pick]]


def quantify(codes_obs: np.ndarray, n_levels: int, xobs: np.ndarray) -> np.ndarray:
    """Optimal scores for a categorical target (``mice``'s ``quantify``, canonical correlation).

    Returns one standardised score per observed row: the first canonical variate of the category
    dummies against the predictors (without intercept). Two levels: the 0/1 code. Falls back to
    the integer codes when the canonical analysis is degenerate.
    """
    codes_obs = codes_obs.astype(int)
    if n_levels <= 2 or xobs.shape[1] <= 1:
        return codes_obs.astype(float)
    yd = (codes_obs[:, None] == np.arange(1, n_levels)[None, :]).astype(float)
    yd -= yd.mean(axis=0)
    xc = xobs[:, 1:] - xobs[:, 1:].mean(axis=0)
    uy, sy, _ = np.linalg.svd(yd, full_matrices=False)
    ux, sx, _ = np.linalg.svd(xc, full_matrices=False)
    qy = uy[:, sy > 1e-8 * max(sy.max(initial=0), 1e-300)]
    qx = ux[:, sx > 1e-8 * max(sx.max(initial=0), 1e-300)]
    if qy.shape[1] == 0 or qx.shape[1] == 0:
        return codes_obs.astype(float)
    u, _, _ = np.linalg.svd(qy.T @ qx, full_matrices=False)
    score = qy @ u[:, 0]
    sd = score.std(ddof=1)
    return (score - score.mean()) / sd if sd > 0 else codes_obs.astype(float)


# --------------------------------------------------------------------------------------------
# Set-up
# --------------------------------------------------------------------------------------------

@dataclass
class _Var:
    name: str
    categorical: bool
    values: np.ndarray  # float; category codes for categoricals; NaN = missing
    levels: list | None
    dtype: object


def _encode(wide: pd.DataFrame, name: str) -> _Var:
    s = wide[name]
    if isinstance(s.dtype, pd.CategoricalDtype) or not (
        pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)
    ):
        cat = s.astype("category")
        codes = cat.cat.codes.to_numpy().astype(float)
        codes[codes < 0] = np.nan
        return _Var(name, True, codes, list(cat.cat.categories), s.dtype)
    return _Var(name, False, pd.to_numeric(s).to_numpy(dtype=float, na_value=np.nan), None,
                s.dtype)


def _decode(var: _Var, values: np.ndarray, index: pd.Index) -> pd.Series:
    if not var.categorical:
        return pd.Series(values, index=index, name=var.name)
    codes = values.astype(int)
    if isinstance(var.dtype, pd.CategoricalDtype):
        return pd.Series(pd.Categorical.from_codes(codes, dtype=var.dtype), index=index,
                         name=var.name)
    out = pd.Series(np.asarray(var.levels, dtype=object)[codes], index=index, name=var.name)
    try:
        return out.astype(var.dtype)
    except (TypeError, ValueError):
        return out


def _resolve_predictors(columns: list[str], predictors) -> dict[str, list[str]]:
    if predictors is None:
        return {c: [p for p in columns if p != c] for c in columns}
    if isinstance(predictors, pd.DataFrame):
        predictors = {t: [p for p in predictors.columns if predictors.at[t, p] and p != t]
                      for t in predictors.index}
    if not isinstance(predictors, Mapping):
        raise ConfigError("missing_data.predictors: give a mapping variable -> list of predictors.")
    out = {c: [p for p in columns if p != c] for c in columns}
    for target, preds in predictors.items():
        for name in [target, *preds]:
            if name not in columns:
                close = closest_names(name, columns)
                raise ConfigError(
                    f"missing_data.predictors: '{name}' is not one of the imputation columns "
                    f"{columns}" + (f" (did you mean '{close[0]}'?)" if close else "")
                    + "; add it to the columns or remove it from predictors."
                )
        out[target] = [p for p in preds if p != target]
    return out


def _design(vars_: dict[str, _Var], current: dict[str, np.ndarray], preds: list[str]
            ) -> tuple[np.ndarray, list[str]]:
    """Intercept + numeric predictors + treatment dummies of categorical predictors."""
    cols = [np.ones(next(iter(current.values())).shape[0])]
    names = ["(Intercept)"]
    for p in preds:
        v = vars_[p]
        if v.categorical:
            for lev in range(1, len(v.levels)):
                cols.append((current[p] == lev).astype(float))
                names.append(f"{p}{v.levels[lev]}")
        else:
            cols.append(current[p])
            names.append(p)
    return np.column_stack(cols), names


# --------------------------------------------------------------------------------------------
# The sampler
# --------------------------------------------------------------------------------------------

def mice(
    wide: pd.DataFrame,
    columns: Sequence[str],
    *,
    m: int | None = None,
    iterations: int = 10,
    seed: int,
    method: str = "pmm",
    predictors: Mapping[str, Sequence[str]] | pd.DataFrame | None = None,
    donors: int = DONORS,
    ridge: float = RIDGE,
    m_min: int = 5,
    m_max: int = 100,
    delta: Mapping[str, float] | None = None,
    all_missing: str = "raise",
) -> MICEResult:
    """Multiply impute ``columns`` of ``wide`` by MICE with PMM (van Buuren 2018; mice defaults).

    ``m`` imputations (None: :func:`default_m`, White, Royston & Wood 2011, within
    [``m_min``, ``m_max``]),
    ``iterations`` Gibbs iterations per chain, ``seed`` from ``pipeline.seeds.seed_for``; chain i
    uses ``SeedSequence(seed).spawn(m)[i]``, so imputation i does not depend on m.
    ``predictors``: variable -> predictor list (default: all other ``columns``). Complete
    variables are predictors only. A constant variable is neither a predictor nor imputed
    (method ``"excluded"``, log event ``constant``; its missing values stay missing).

    ``all_missing``: what to do with a variable missing for every row (e.g. a wave with no
    responses yet): ``"raise"`` (default; DataError naming it, for a column list the user chose)
    or ``"exclude"`` (for a default column list: left out of the model like a constant variable,
    method ``"excluded"``, log event ``all_missing``; it stays missing in the imputations and
    does not count towards the default m).

    ``delta``: variable -> shift added to its imputed values right after each update, inside
    the chain, so the shifted values feed the imputation of the other variables (mice's ``post``
    delta adjustment, van Buuren 2018 §3.9.1); used by ``pipeline.missing_data.sensitivity`` (in-chain mode).
    """
    columns = list(columns)
    if method != "pmm":
        raise ConfigError(
            f"missing_data.method: '{method}' is not supported; use 'pmm' (predictive mean "
            "matching)."
        )
    missing_cols = [c for c in columns if c not in wide.columns]
    if missing_cols:
        hints = {c: closest_names(c, list(wide.columns)) for c in missing_cols}
        raise DataError(
            "impute: column(s) not in the wide data: "
            + ", ".join(f"'{c}'" + (f" (did you mean '{h[0]}'?)" if h else "")
                        for c, h in hints.items())
            + ". Check missing_data.columns against the scale/wave names in wide.parquet."
        )
    if len(set(columns)) != len(columns):
        raise ConfigError(f"missing_data.columns: duplicated names in {columns}.")
    if iterations < 1:
        raise ConfigError(f"missing_data.iterations must be >= 1 (got {iterations}).")
    if donors < 1:
        raise ConfigError(f"missing_data.donors must be >= 1 (got {donors}).")
    if all_missing not in ("raise", "exclude"):
        raise ConfigError(f"impute: all_missing must be 'raise' or 'exclude' (got {all_missing!r}).")
    empty = [c for c in columns if bool(wide[c].isna().all())] if len(wide) else []
    if empty and all_missing == "raise":
        raise DataError(
            f"impute: {', '.join(repr(c) for c in empty)} missing for all {len(wide)} "
            "participants; nothing to impute from. Remove it from missing_data.columns (e.g. a "
            "wave with no responses yet)."
        )
    if m is None:
        kept = [c for c in columns if c not in empty]
        m = default_m(wide, kept, minimum=m_min, maximum=m_max) if kept else m_min
    if m < 1:
        raise ConfigError(f"missing_data.m must be >= 1 (got {m}).")
    delta = dict(delta or {})
    for name, shift in delta.items():
        if name not in columns:
            raise ConfigError(f"impute: delta given for '{name}', which is not an imputed column.")
        if not np.isfinite(shift):
            raise ConfigError(f"impute: delta for '{name}' must be a finite number (got {shift}).")

    vars_ = {c: _encode(wide, c) for c in columns}
    miss = {c: np.isnan(v.values) for c, v in vars_.items()}
    n = len(wide)
    log: Counter = Counter()
    messages: dict[tuple[str, str], str] = {}

    def note(var: str, event: str, msg: str) -> None:
        log[(var, event)] += 1
        messages[(var, event)] = msg

    constant = [c for c in columns
                if c not in empty and np.unique(vars_[c].values[~miss[c]]).size < 2]
    bad_delta = [c for c in delta if vars_[c].categorical]
    if bad_delta:
        raise ConfigError(
            f"impute: delta shifts need numeric variables; {bad_delta} are categorical."
        )
    for c in empty:
        note(c, "all_missing", f"missing for all {n} participants: left out of the imputation "
             "model (not used as a predictor and not imputed; it stays missing)")
    for c in constant:
        note(c, "constant", "constant in the observed data: not used as a predictor and not "
             "imputed (missing values stay missing)")
    excluded = set(constant) | set(empty)
    active = [c for c in columns if c not in excluded]
    pred_map = _resolve_predictors(columns, predictors)
    pred_map = {t: [p for p in ps if p in active] for t, ps in pred_map.items()}
    targets = [c for c in active if miss[c].any()]
    method_map = {c: ("excluded" if c in excluded else "pmm" if c in targets else "")
                  for c in columns}
    for t in targets:
        if not pred_map[t]:
            note(t, "no_predictors", "no predictors: imputed by PMM on the intercept only "
                 "(random draws from observed values)")

    chain_means = np.full((m, iterations, len(targets)), np.nan)
    chain_sds = np.full((m, iterations, len(targets)), np.nan)
    imputations = []
    for i, ss in enumerate(np.random.SeedSequence(seed).spawn(m)):
        rng = np.random.default_rng(ss)
        cur = {c: vars_[c].values.copy() for c in columns}
        for t in targets:  # start: random draw from the observed values
            obs = vars_[t].values[~miss[t]]
            cur[t][miss[t]] = obs[rng.integers(0, obs.size, size=int(miss[t].sum()))]
        for it in range(iterations):
            for j, t in enumerate(targets):
                ry = ~miss[t]
                x, names = _design(vars_, cur, pred_map[t])
                yobs_raw = vars_[t].values[ry]
                xobs = x[ry]
                if vars_[t].categorical:
                    ynum = quantify(yobs_raw, len(vars_[t].levels), xobs)
                else:
                    ynum = yobs_raw
                keep = np.concatenate([[True], remove_lindep(xobs[:, 1:], ynum)])
                if not keep[1:].all():
                    dropped = [nm for nm, k in zip(names, keep, strict=True) if not k]
                    note(t, "predictor_removed", "predictor(s) removed as constant or collinear "
                         f"in some updates: {', '.join(dropped)}")
                coef, beta, ridged = norm_draw(xobs[:, keep], ynum, rng, ridge)
                if ridged:
                    note(t, "ridge", f"(nearly) collinear predictors: ridge penalty {ridge:g} "
                         "applied (mice's fallback)")
                idx = match_donors(xobs[:, keep] @ coef, x[~ry][:, keep] @ beta, donors, rng)
                imp = yobs_raw[idx] + delta.get(t, 0.0)
                cur[t][~ry] = imp
                chain_means[i, it, j] = imp.mean()
                chain_sds[i, it, j] = imp.std(ddof=1) if imp.size > 1 else np.nan
        done = wide.copy()
        for t in targets:
            done[t] = _decode(vars_[t], cur[t], wide.index)
        imputations.append(done)

    log_df = pd.DataFrame(
        [(v, e, cnt, messages[(v, e)]) for (v, e), cnt in log.items()],
        columns=["variable", "event", "count", "message"],
    )
    return MICEResult(
        imputations=imputations,
        chain_means=chain_means,
        chain_sds=chain_sds,
        variables=targets,
        method=method_map,
        missing_mask=pd.DataFrame({c: miss[c] for c in columns}, index=wide.index),
        log=log_df,
        m=m,
        iterations=iterations,
        seed=seed,
        predictors=pred_map,
    )


_SETTINGS = {"method": str, "m": (int, str, type(None)), "m_min": int, "m_max": int,
             "iterations": int, "donors": int, "ridge": (int, float),
             "predictors": (dict, type(None))}


def settings_from_config(section: Mapping | None) -> dict:
    """Keyword arguments for :func:`mice` from the config's ``missing_data`` section.

    Reads ``method`` (pmm), ``m`` (integer or ``auto``), ``m_min`` (5), ``m_max`` (100),
    ``iterations`` (10), ``donors`` (5), ``ridge`` (1e-5), ``predictors`` (mapping); other keys
    (``columns``, ``sensitivity``) are left to the caller. Bad values raise ConfigError.
    """
    section = dict(section or {})
    out = {"method": "pmm", "m": None, "m_min": 5, "m_max": 100, "iterations": 10,
           "donors": DONORS, "ridge": RIDGE, "predictors": None}
    for key, typ in _SETTINGS.items():
        if key not in section:
            continue
        val = section[key]
        if not isinstance(val, typ) or isinstance(val, bool):
            raise ConfigError(f"config key missing_data.{key}: {val!r} has the wrong type; see the "
                              "missing_data example in the README.")
        out[key] = val
    if isinstance(out["m"], str):
        if out["m"] != "auto":
            raise ConfigError(f"config key missing_data.m: '{out['m']}' - use an integer >= 2 or "
                              "'auto' (White, Royston & Wood 2011 rule).")
        out["m"] = None
    if out["m"] is not None and out["m"] < 2:
        raise ConfigError(f"config key missing_data.m: {out['m']} - use at least 2 imputations.")
    for key in ("iterations", "donors", "m_min"):
        if out[key] < 1:
            raise ConfigError(f"config key missing_data.{key}: must be >= 1 (got {out[key]}).")
    if out["m_max"] < out["m_min"]:
        raise ConfigError("config key missing_data.m_max: must be >= m_min.")
    if not out["ridge"] > 0:
        raise ConfigError("config key missing_data.ridge: must be > 0 (mice uses 1e-5).")
    return out


def complete_cases(wide: pd.DataFrame, columns: Sequence[str]) -> tuple[pd.DataFrame, int]:
    """Rows of ``wide`` with all ``columns`` observed (method label ``"complete_case"``).

    Returns (subset, number of rows dropped). Listwise deletion is unbiased only under MCAR (or
    when missingness depends only on covariates in the analysis model); report it alongside MI.
    """
    columns = list(columns)
    absent = [c for c in columns if c not in wide.columns]
    if absent:
        raise DataError(f"complete_cases: column(s) {absent} not in the data; check the names.")
    keep = wide[columns].notna().all(axis=1)
    out = wide.loc[keep].copy()
    out.attrs["method"] = "complete_case"
    return out, int((~keep).sum())
