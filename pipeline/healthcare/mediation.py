"""Mediation of a count outcome: X -> M1 .. Mk -> count, effects as rate ratios.

Models (complete cases of the chain): each mediator linear on X, the covariates and the earlier
mediators, ``M_j = a_j0 + a_jx X + sum_{i<j} a_ji M_i + c' g_j + e_j``; the count log-linear
(Poisson or NB2 by ``healthcare.model``), ``log E[Y] = t0 + t_x X + sum_j t_j M_j + c' t_c``;
no exposure-mediator interaction. Under these models (and no unmeasured confounding of X-M,
X-Y and M-Y) the counterfactual natural direct and indirect effects on the rate-ratio scale are
products of coefficients on the log scale (VanderWeele 2015, ch. 2-5; Valeri & VanderWeele
2013, Psychol Methods 18:137, for a count outcome with a continuous mediator: log RR_NDE =
t_x (x - x*), log RR_NIE = t_m a_x (x - x*)); with serial mediators each path from X to Y
through mediators ``i1 < ... < ir`` contributes ``a_{i1 x} a_{i2 i1} ... t_{ir}`` (the
product-of-coefficients rule of the serial model, Hayes 2022 model 6). Here per one unit of X:

    RR_direct = exp(t_x),  RR_path = exp(product),  RR_indirect = exp(sum of paths),
    RR_total = RR_direct x RR_indirect.

Intervals: percentile bootstrap of everyone in the complete cases (``healthcare.bootstrap_B``
resamples, seeded ``healthcare/<chain>/bootstrap``), every draw fitted at once
(:mod:`.bootstrap`). Missing data: complete cases. There is no FIML (or MI) form of this model
here, so when ``missing_data.primary`` is another method the table says complete cases stand
in for it.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd

from pipeline.errors import DataError
from pipeline.healthcare.bootstrap import BLOCK, batched_count_fit, batched_wls, resample_weights
from pipeline.healthcare.models import choose_glm, family_words, method_words
from pipeline.healthcare.settings import CountChain, HealthcareSettings
from pipeline.seeds import seed_for
from pipeline.status import Status

__all__ = ["MEDIATION_COLUMNS", "chain_frame", "chain_paths", "path_effects", "count_mediation",
           "chain_mediation"]

MEDIATION_COLUMNS = ["analysis", "label", "outcome", "effect", "path", "method", "role", "model",
                     "log_rr", "rate_ratio", "ci_lower", "ci_upper", "se_boot", "conf", "n",
                     "B", "B_ok", "status", "message"]


X, Y = "<x>", "<y>"  # chain columns of the frame (cannot clash with a covariate key)


def M(j: int) -> str:
    """The frame column of mediator ``j`` (1-based)."""
    return f"<m{j}>"


def _values(wide: pd.DataFrame, b) -> pd.Series:
    cols = [c for c in b.source_columns if c not in wide.columns]
    if cols:
        raise DataError(f"the clean wide data has no column(s) {cols} for the count mediation; "
                        "check that the scale is scored at these waves (config 'scales').")
    v = [pd.to_numeric(wide[c], errors="coerce") for c in b.source_columns]
    return v[1] - v[0] if b.change else v[0]


def chain_frame(wide: pd.DataFrame, ch: CountChain) -> pd.DataFrame:
    """Complete cases of the chain: columns ``<x>``, covariates (numeric, or dummies
    ``<key>_<level>`` of the non-reference levels someone has), ``<m1>..<mk>``, ``<y>``."""
    out = {X: _values(wide, ch.x)}
    for key, column, levels in ch.covariates:
        col = wide[key] if key in wide.columns else wide[column]
        if levels:
            s = col.astype("object")
            for lv in levels[1:]:
                out[f"{key}_{lv}"] = (s.astype(str) == lv).astype(float).where(s.notna())
        else:
            out[key] = pd.to_numeric(col, errors="coerce")
    for j, m in enumerate(ch.mediators, 1):
        out[M(j)] = _values(wide, m)
    out[Y] = pd.to_numeric(wide[ch.y_column], errors="coerce")
    frame = pd.DataFrame(out, index=wide.index).astype(float).dropna()
    # a covariate that does not vary among them (a level nobody has) cannot be estimated
    keep = [c for c in frame.columns if c.startswith("<") or frame[c].nunique() > 1]
    return frame[keep]


def chain_paths(k: int) -> list[tuple[int, ...]]:
    """Every path from X to Y through mediators in causal order (1-based): (1,), (2,), (1, 2)."""
    return [p for r in range(1, k + 1) for p in itertools.combinations(range(1, k + 1), r)]


def path_effects(a: list[np.ndarray], t: np.ndarray, k: int) -> dict[str, np.ndarray]:
    """Log rate ratios per unit of X, for one set of estimates or a stack of draws.

    ``a[j-1]``: coefficients of mediator j (columns ``[1, x, covariates, m1..m_{j-1}]``, so the
    last ``j-1`` are the earlier mediators); ``t``: outcome coefficients ``[1, x, covariates,
    m1..mk]``. Leading axes are draws.
    """
    def ax(j):  # effect of X on M_j
        return a[j - 1][..., 1]

    def am(j, i):  # effect of M_i on M_j (i < j)
        return a[j - 1][..., a[j - 1].shape[-1] - (j - 1) + (i - 1)]

    def tm(j):
        return t[..., t.shape[-1] - k + (j - 1)]

    out = {"direct": t[..., 1]}
    total = 0.0
    for p in chain_paths(k):
        prod = ax(p[0])
        for prev, nxt in zip(p, p[1:]):
            prod = prod * am(nxt, prev)
        prod = prod * tm(p[-1])
        out["ind_" + "_".join(f"m{j}" for j in p)] = prod
        total = total + prod
    out["total_indirect"] = total
    out["total"] = out["direct"] + total
    return out


def _designs(frame: pd.DataFrame, k: int):
    covs = [c for c in frame.columns if not c.startswith("<")]
    one = np.ones((len(frame), 1))
    base = np.hstack([one, frame[[X, *covs]].to_numpy(float)])
    med = [np.hstack([base, frame[[M(i) for i in range(1, j)]].to_numpy(float)])
           for j in range(1, k + 1)]
    ym = np.hstack([base, frame[[M(i) for i in range(1, k + 1)]].to_numpy(float)])
    return med, ym, ["(Intercept)", X, *covs, *[M(i) for i in range(1, k + 1)]]


def _bootstrap(frame, med_x, y_x, fit, seed: int, B: int, k: int):
    y = frame[Y].to_numpy(float)
    rng = np.random.default_rng(seed)
    out: dict[str, list[np.ndarray]] = {}
    for start in range(0, B, BLOCK):
        w = resample_weights(rng, len(frame), min(BLOCK, B - start))
        a = [batched_wls(x, frame[M(j)].to_numpy(float), w)
             for j, x in enumerate(med_x, 1)]
        t, _ = batched_count_fit(y_x, y, w, np.asarray(fit.coef), fit.theta)
        for key, v in path_effects(a, t, k).items():
            out.setdefault(key, []).append(v)
    return {key: np.concatenate(v) for key, v in out.items()}


def _describe(b, labels) -> str:
    name = labels.get(b.construct) or b.construct.replace("_", " ")
    if b.change:
        return f"change in {name} ({b.change[0]} to {b.change[1]})"
    return f"{name} ({b.wave})"


def _path_text(effect: str, ch: CountChain, labels, y_text: str) -> str:
    x = _describe(ch.x, labels)
    if effect in ("direct", "total", "total_indirect"):
        return {"direct": f"{x} -> {y_text}, not through the mediators",
                "total": f"{x} -> {y_text}, all paths",
                "total_indirect": f"{x} -> {y_text}, through the mediators"}[effect]
    steps = [_describe(ch.mediators[int(m[1:]) - 1], labels) for m in effect.split("_")[1:]]
    return " -> ".join([x, *steps, y_text])


def _refusal(ch, o, status: Status, message: str, n: int) -> pd.DataFrame:
    row = {c: math.nan for c in MEDIATION_COLUMNS}
    row.update(analysis=ch.name, label=ch.label, outcome=o.name, effect="total",
               method="complete_case", role="primary", status=status.value, message=message,
               n=n)
    return pd.DataFrame([row], columns=MEDIATION_COLUMNS)


def chain_mediation(wide: pd.DataFrame, ch: CountChain, s: HealthcareSettings,
                    labels: dict[str, str]) -> pd.DataFrame:
    """The rows of one chain: direct, each path, total indirect and total, as rate ratios."""
    o = s.outcomes[ch.outcome]
    frame = chain_frame(wide, ch)
    k = len(ch.mediators)
    med_x, y_x, names = _designs(frame, k)
    if len(frame) < y_x.shape[1] + 10:
        return _refusal(ch, o, Status.NOT_ESTIMABLE, f"only {len(frame)} people have every "
                        f"variable of the chain; the count model has {y_x.shape[1]} "
                        "coefficients and needs at least 10 more people", len(frame))
    y = frame[Y].to_numpy(float)
    choice = choose_glm(pd.DataFrame(y_x, columns=names), y, s.model, "never")
    fit = choice.fit
    if fit.status is not Status.OK:
        return _refusal(ch, o, fit.status, f"the count model: {fit.message}", len(frame))
    a = [np.linalg.lstsq(x, frame[M(j)].to_numpy(float), rcond=None)[0]
         for j, x in enumerate(med_x, 1)]
    point = path_effects(a, np.asarray(fit.coef), k)
    draws = _bootstrap(frame, med_x, y_x, fit, seed_for(s.seed or 0,
                       f"healthcare/{ch.name}/bootstrap"), s.bootstrap_B, k)
    ok = np.isfinite(draws["total"])
    n_ok = int(ok.sum())
    if n_ok < s.bootstrap_B / 2:
        return _refusal(ch, o, Status.NOT_ESTIMABLE, f"{s.bootstrap_B - n_ok} of "
                        f"{s.bootstrap_B} bootstrap resamples failed to fit", len(frame))
    stands = ("complete cases" if s.primary == "complete_case" else
              f"complete cases stand in for the primary method ({method_words(s.primary)}): "
              f"there is no {method_words(s.primary)} form of this count-outcome mediation "
              "here")
    zeros = "; more zeros than the model expects" if choice.excess_zeros else ""
    msg = (f"{stands}; rate ratios per 1 unit more of X (product of coefficients on the "
           f"log-rate scale: linear mediators, log-linear count, no exposure-mediator "
           f"interaction; VanderWeele 2015); percentile bootstrap, {n_ok} of {s.bootstrap_B} "
           f"resamples{zeros}")
    lo_q, hi_q = (1 - s.conf) / 2, 1 - (1 - s.conf) / 2
    y_text = f"{o.label} ({ch.y_wave})"
    rows = []
    for effect, est in point.items():
        d = draws[effect][ok]
        lo, hi = np.quantile(d, [lo_q, hi_q])
        rows.append(dict(analysis=ch.name, label=ch.label, outcome=o.name, effect=effect,
                         path=_path_text(effect, ch, labels, y_text), method="complete_case",
                         role="primary", model=fit.family, log_rr=float(est),
                         rate_ratio=math.exp(est), ci_lower=math.exp(lo), ci_upper=math.exp(hi),
                         se_boot=float(np.std(d, ddof=1)), conf=s.conf, n=len(frame),
                         B=s.bootstrap_B, B_ok=n_ok, status=Status.OK.value,
                         message=f"{family_words(fit.family)} outcome ({choice.reason}); {msg}"))
    return pd.DataFrame(rows, columns=MEDIATION_COLUMNS)


def count_mediation(wide: pd.DataFrame, s: HealthcareSettings,
                    labels: dict[str, str]) -> pd.DataFrame:
    """``healthcare_mediation.csv``: every configured chain (empty table when none)."""
    parts = [chain_mediation(wide, ch, s, labels) for ch in s.chains]
    return (pd.concat(parts, ignore_index=True) if parts
            else pd.DataFrame(columns=MEDIATION_COLUMNS))
