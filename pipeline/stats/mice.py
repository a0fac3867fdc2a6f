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

The chains run in lockstep (:mod:`pipeline.stats.mice_chains`): one design array for all
chains, built once and rewritten in place on the imputed rows; each update is a handful of
stacked matrix operations over the chains (the collinearity screen from the update's X'X, one
sort of the donors with a random tie-break, sorted recipients located by binary search). Each
chain draws from its own generator in the order a chain run alone would, so results are the
same for any m, block size or number of cores. The loops are over iterations x variables.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from pipeline.errors import ConfigError, DataError, closest_names
from pipeline.stats.mice_chains import EventLog, Model, run_chains
from pipeline.stats.mice_parts import ChainEvents, Chains, check_chains, merged_log
from pipeline.stats.pmm import DONORS, RIDGE, Var, decode, encode

__all__ = ["CompletedSets", "MICEResult", "MiceSettings", "default_m", "mice", "complete_cases",
           "mice_plan", "MicePlan", "Chains"]


class CompletedSets(Sequence):
    """The m completed data sets of a MICE run, held lean: one copy of the input data and, per
    imputed variable, its imputed cells (m x missing rows); a completed data set is built only
    when asked for (``sets[i]``, iteration), so a run holds one copy of the wide table, not m
    (issue 15). ``sets[i]`` is a new DataFrame on every call, equal to the input with the
    missing cells of imputation i filled (the column's own dtype, as :func:`pmm.decode` gives).
    """

    def __init__(self, data: pd.DataFrame, vars_: Mapping[str, Var],
                 cells: Mapping[str, np.ndarray], miss: Mapping[str, np.ndarray], m: int) -> None:
        self.data, self.vars, self.cells, self.miss, self.m = data, vars_, cells, miss, m

    def __len__(self) -> int:
        return self.m

    def column(self, name: str, i: int) -> pd.Series:
        """Column ``name`` of completed data set ``i`` (its observed values and imputation i's
        values in the missing cells)."""
        if name not in self.cells:
            return self.data[name].copy()
        v = self.vars[name]
        values = v.values.copy()
        values[self.miss[name]] = self.cells[name][i]
        return decode(v, values, self.data.index)

    def _one(self, i: int) -> pd.DataFrame:
        done = self.data.copy()
        for name in self.cells:
            done[name] = self.column(name, i)
        return done

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self._one(j) for j in range(*i.indices(self.m))]
        j = i + self.m if i < 0 else i
        if not 0 <= j < self.m:
            raise IndexError(f"imputation {i} of {self.m}")
        return self._one(j)

    def __iter__(self) -> Iterator[pd.DataFrame]:
        return (self._one(i) for i in range(self.m))


@dataclass
class MICEResult:
    """Output of :func:`mice`.

    ``imputations``: the m completed data sets (all columns of the input DataFrame; imputed ones
    filled), a :class:`CompletedSets` that builds each one when asked for. ``chain_means`` /
    ``chain_sds``: arrays (m, iterations, len(variables)) of the mean / SD (ddof = 1) of the
    imputed values of each imputed variable after each iteration (category codes for
    categorical variables), for convergence trace plots. ``missing_mask``: True where a
    value was missing in the input (columns = ``columns``). ``method``: variable -> "pmm" or ""
    (complete, used only as predictor) or "excluded" (constant, or missing for everyone with
    ``all_missing="exclude"``: not a predictor, not imputed, its missing values stay missing in
    ``imputations``). ``log``: one row per event
    (``variable, event, count, message``).
    """

    imputations: Sequence[pd.DataFrame]
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


@dataclass(frozen=True)
class MiceSettings:
    """Settings of the MICE sampler (the keyword arguments of :func:`mice` besides the data).

    A plain value object: it reads no configuration (``pipeline.missing_data.settings`` builds
    it from the ``missing_data`` section). ``m = None`` means "choose m by :func:`default_m`
    within [``m_min``, ``m_max``]". ``predictors``: variable -> tuple of its predictors (None:
    every other imputation column). Defaults of the values live in the config schema.
    """

    method: str
    m: int | None
    m_min: int
    m_max: int
    iterations: int
    donors: int
    ridge: float
    predictors: dict[str, tuple[str, ...]] | None = None

    def kwargs(self) -> dict:
        """Keyword arguments for :func:`mice` (``predictors`` as lists)."""
        preds = (None if self.predictors is None
                 else {k: list(v) for k, v in self.predictors.items()})
        return {"method": self.method, "m": self.m, "m_min": self.m_min, "m_max": self.m_max,
                "iterations": self.iterations, "donors": self.donors, "ridge": self.ridge,
                "predictors": preds}


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
# Set-up
# --------------------------------------------------------------------------------------------

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
    delta adjustment, van Buuren 2018 §3.9.1); used by
    :func:`pipeline.stats.tipping.tipping_point` (in-chain mode).

    In R: ``mice::mice(data, m, maxit = iterations, method = "pmm", donors = 5L, seed = ...)``
    (the same algorithm; the random streams differ, so results agree in distribution).
    """
    return mice_plan(wide, columns, m=m, iterations=iterations, seed=seed, method=method,
                     predictors=predictors, donors=donors, ridge=ridge, m_min=m_min, m_max=m_max,
                     delta=delta, all_missing=all_missing).result()


def mice_plan(wide: pd.DataFrame, columns: Sequence[str], *, m: int | None = None,
              iterations: int = 10, seed: int, method: str = "pmm",
              predictors: Mapping[str, Sequence[str]] | pd.DataFrame | None = None,
              donors: int = DONORS, ridge: float = RIDGE, m_min: int = 5, m_max: int = 100,
              delta: Mapping[str, float] | None = None, all_missing: str = "raise") -> MicePlan:
    """:func:`mice` set up (arguments checked, m chosen, the model built) but not run: its
    chains can then be run in any grouping, in separate processes or jobs
    (:meth:`MicePlan.run`), and gathered (:meth:`MicePlan.result`). Same arguments as
    :func:`mice`."""
    columns = list(columns)
    _check_arguments(wide, columns, method, iterations, donors, all_missing)
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
    delta = _check_delta(delta, columns)
    model = _model(wide, columns, empty, predictors, delta)
    return MicePlan(wide, columns, model, m, iterations, seed, ridge, donors, delta)


@dataclass
class MicePlan:
    """A MICE run set up (:func:`mice_plan`). Chain i draws from its own generator,
    ``SeedSequence(seed).spawn(m)[i]``, and no chain reads another's values, so a chain's
    imputations and traces are the same numbers whichever run of chains computes it: the
    result of :meth:`result` from any split of ``range(m)`` equals :func:`mice` (issue 15:
    chains as separate Snakemake jobs)."""

    wide: pd.DataFrame
    columns: list[str]
    model: Model
    m: int
    iterations: int
    seed: int
    ridge: float
    donors: int
    delta: dict[str, float]

    def run(self, lo: int, hi: int) -> Chains:
        """Run chains ``lo .. hi - 1`` (none when ``lo == hi``)."""
        if not 0 <= lo <= hi <= self.m:
            raise ValueError(f"chains {lo}..{hi - 1} are not chains of a run with m={self.m}")
        t, k = len(self.model.targets), hi - lo
        means = np.full((k, self.iterations, t), np.nan)
        sds = np.full((k, self.iterations, t), np.nan)
        events = ChainEvents(lo)
        if k == 0:
            cells = {c: np.empty((0, int(self.model.miss[c].sum()))) for c in self.model.targets}
        else:
            cells = run_chains(replace(self.model, log=events),
                               np.random.SeedSequence(self.seed).spawn(hi)[lo:hi],
                               self.iterations, self.ridge, self.donors, self.delta, means, sds)
        return Chains(lo, cells, means, sds, events.events())

    def result(self, parts: Sequence[Chains] | None = None) -> MICEResult:
        """The run's result from ``parts`` that hold every chain once (default: run them all
        here); ValueError when they do not (:func:`check_chains`)."""
        parts = [self.run(0, self.m)] if parts is None else sorted(
            (p for p in parts if p.n), key=lambda p: p.first)  # an empty part: m < parts
        check_chains(self, parts)
        targets, wide = self.model.targets, self.wide
        cat = (lambda xs: xs[0]) if len(parts) == 1 else (lambda xs: np.concatenate(xs, axis=0))
        return MICEResult(
            imputations=CompletedSets(wide.copy(), self.model.vars,
                                      {c: cat([p.cells[c] for p in parts]) for c in targets},
                                      self.model.miss, self.m),
            chain_means=cat([p.means for p in parts]),
            chain_sds=cat([p.sds for p in parts]),
            variables=targets,
            method=self.model.method,
            missing_mask=pd.DataFrame({c: self.model.miss[c] for c in self.columns},
                                      index=wide.index),
            log=merged_log(self.model.log.frame(), parts),
            m=self.m,
            iterations=self.iterations,
            seed=self.seed,
            predictors=self.model.predictors,
        )


def _check_arguments(wide: pd.DataFrame, columns: list[str], method: str, iterations: int,
                     donors: int, all_missing: str) -> None:
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
    inf = {c: k for c in columns if pd.api.types.is_float_dtype(wide[c])
           and (k := int(np.isinf(wide[c].to_numpy(dtype=float, na_value=np.nan)).sum()))}
    if inf:
        raise DataError("impute: infinite values in " + ", ".join(f"'{c}' ({k} rows)" for c, k
                                                                 in inf.items())
                        + "; an imputation model needs finite numbers: correct or blank them.")
    if iterations < 1:
        raise ConfigError(f"missing_data.iterations must be >= 1 (got {iterations}).")
    if donors < 1:
        raise ConfigError(f"missing_data.donors must be >= 1 (got {donors}).")
    if all_missing not in ("raise", "exclude"):
        raise ConfigError(
            f"impute: all_missing must be 'raise' or 'exclude' (got {all_missing!r}).")


def _check_delta(delta: Mapping[str, float] | None, columns: list[str]) -> dict[str, float]:
    delta = dict(delta or {})
    for name, shift in delta.items():
        if name not in columns:
            raise ConfigError(f"impute: delta given for '{name}', which is not an imputed column.")
        if not np.isfinite(shift):
            raise ConfigError(f"impute: delta for '{name}' must be a finite number (got {shift}).")
    return delta


def _model(wide: pd.DataFrame, columns: list[str], empty: list[str], predictors,
           delta: dict[str, float]) -> Model:
    """Encode the columns, leave out all-missing and constant ones (logged), resolve predictors."""
    vars_ = {c: encode(wide, c) for c in columns}
    miss = {c: np.isnan(v.values) for c, v in vars_.items()}
    log = EventLog()
    constant = [c for c in columns
                if c not in empty and np.unique(vars_[c].values[~miss[c]]).size < 2]
    bad_delta = [c for c in delta if vars_[c].categorical]
    if bad_delta:
        raise ConfigError(
            f"impute: delta shifts need numeric variables; {bad_delta} are categorical."
        )
    for c in empty:
        log.note(c, "all_missing", f"missing for all {len(wide)} participants: left out of the "
                 "imputation model (not used as a predictor and not imputed; it stays missing)")
    for c in constant:
        log.note(c, "constant", "constant in the observed data: not used as a predictor and not "
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
            log.note(t, "no_predictors", "no predictors: imputed by PMM on the intercept only "
                     "(random draws from observed values)")
    return Model(vars_, miss, targets, pred_map, method_map, log, active)


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
