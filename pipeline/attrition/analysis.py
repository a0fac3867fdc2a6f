"""Describe attrition: participant flow, missingness, who stayed, and a retention model.

Tables follow STROBE item 13 (numbers at each stage, reasons for non-participation) and the
advice of Gustavson et al. (2012, BMC Public Health 12:918) to compare completers with
drop-outs on baseline measures. All counts are raw here; funder-facing outputs pass them through
``pipeline.disclosure.suppress_counts`` (the summary sentence does so itself).

Retention at wave ``w`` = ``responded_<w>`` in wide.parquet (one row per baseline participant).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import combinations
from typing import Any

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import optimize, stats

from pipeline.disclosure import format_count, is_small, suppress_counts
from pipeline.errors import ConfigError, DataError

NOTABLE_SMD = 0.2
NOTABLE_RULE = (
    "A baseline difference between those who stayed and those who left is called notable when "
    f"the standardised mean difference is at least {NOTABLE_SMD} in size (Cohen's 'small'), "
    "whatever its p-value: with few people followed up a test has little power, and the bias "
    "that attrition can cause depends on the size of a difference, not on its significance."
)

MIN_EVENTS = 10
MIN_EVENTS_RULE = (
    "The retention model (and the inverse-probability weights built on it) is fitted only when "
    f"at least {MIN_EVENTS} people are in the rarer outcome group (retained or lost). Peduzzi et "
    "al. (1996, J Clin Epidemiol 49:1373-1379) found logistic regression unreliable below about "
    "10 events per predictor; with fewer than 10 events in all there is no model worth "
    "reporting (Firth's penalised likelihood removes the bias from separation but not the lack "
    "of information). Between 10 events and 10 events per predictor the model is fitted with a "
    "warning in its message."
)

# qc_log ``issue`` text -> exclusion reason (lower-cased substring match, first hit wins).
EXCLUSION_REASONS: dict[str, tuple[str, ...]] = {
    "duplicate": ("duplicate",),
    "missing_id": ("missing id", "missing_id", "no id", "empty id", "blank id", "id missing"),
    "not_in_baseline": ("not in baseline", "not_in_baseline", "unmatched", "not seen at baseline",
                        "no baseline"),
}


# ----------------------------------------------------------------------------- helpers
def responded(wide: pd.DataFrame, wave: str) -> pd.Series:
    """Boolean ``responded_<wave>`` column; DataError when it is absent."""
    col = f"responded_{wave}"
    if col not in wide.columns:
        raise DataError(
            f"wide data: column '{col}' is missing, so response at wave {wave} is unknown. "
            "Re-run the clean stage, or check that the wave id matches config 'waves'."
        )
    return wide[col].fillna(False).astype(bool)


def _pct(num, den) -> float:
    return float(100.0 * num / den) if den else float("nan")


def _reason(issue: Any) -> str:
    text = str(issue).lower()
    for reason, keys in EXCLUSION_REASONS.items():
        if any(k in text for k in keys):
            return reason
    return "other"


# ----------------------------------------------------------------------------- flow
def participant_flow(
    wide: pd.DataFrame,
    qc_log: pd.DataFrame | None,
    wave_ids: Sequence[str],
    wave_labels: Sequence[str] | Mapping[str, str] | None = None,
    *,
    long: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """STROBE item-13 style flow: one row per wave.

    Columns: ``wave, label, responded`` (rows for the wave in ``long`` if given, else baseline
    participants who responded), ``retained`` (responded and in baseline), ``pct_baseline``,
    ``lost_since_previous`` (retained at the previous wave, not at this one), ``rejoined``
    (not at the previous wave, back at this one), and ``excluded_<reason>`` counts of raw rows
    dropped by cleaning (qc_log ``action == "row_dropped"``; reason from the ``issue`` text:
    duplicate, missing_id, not_in_baseline, other — see ``EXCLUSION_REASONS``).
    """
    if isinstance(wave_labels, Mapping):
        labels = [wave_labels.get(w, w) for w in wave_ids]
    else:
        labels = list(wave_labels) if wave_labels is not None else list(wave_ids)
    n0 = len(wide)
    log = qc_log if qc_log is not None else pd.DataFrame(columns=["wave", "issue", "action"])
    for col in ("wave", "issue", "action"):
        if col not in log.columns:
            raise DataError(f"qc_log: column '{col}' is missing. Re-run the clean stage.")
    drops = log.loc[log["action"] == "row_dropped", ["wave", "issue"]].copy()
    drops["reason"] = drops["issue"].map(_reason)
    reasons = list(EXCLUSION_REASONS) + ["other"]
    excl = (
        drops.groupby(["wave", "reason"]).size().unstack(fill_value=0).reindex(
            index=list(wave_ids), columns=reasons, fill_value=0)
        if len(drops) else pd.DataFrame(0, index=list(wave_ids), columns=reasons)
    )
    rows = []
    prev = None
    for i, w in enumerate(wave_ids):
        # everyone in wide is a baseline participant
        r = responded(wide, w) if i > 0 else pd.Series(True, index=wide.index)
        n_resp = int(long.loc[long["wave"] == w, "pid"].nunique()) if long is not None else int(r.sum())
        rows.append({
            "wave": w, "label": labels[i], "responded": n_resp, "retained": int(r.sum()),
            "pct_baseline": _pct(r.sum(), n0),
            "lost_since_previous": int((prev & ~r).sum()) if prev is not None else np.nan,
            "rejoined": int((~prev & r).sum()) if prev is not None else np.nan,
            **{f"excluded_{k}": int(excl.loc[w, k]) for k in reasons},
        })
        prev = r
    out = pd.DataFrame(rows)
    for c in ("lost_since_previous", "rejoined"):
        out[c] = out[c].astype("Int64")
    return out


def suppress_flow(flow: pd.DataFrame, min_cell: int = 10) -> pd.DataFrame:
    """``participant_flow`` output with small counts suppressed for funders.

    Primary rule as ``pipeline.disclosure``; secondary suppression along the flow relation
    ``retained[w] = retained[w-1] - lost[w] + rejoined[w]``, hiding a loss before a headline
    ``retained`` count. ``pct_baseline`` is hidden with ``retained``.
    """
    counts = [c for c in flow.columns
              if c in ("responded", "retained", "lost_since_previous", "rejoined")
              or c.startswith("excluded_")]
    idx = list(flow.index)
    lines = [[(idx[i - 1], "retained"), (idx[i], "lost_since_previous"), (idx[i], "rejoined"),
              (idx[i], "retained")] for i in range(1, len(idx))]
    return suppress_counts(flow, counts, min_cell, additive="none", lines=lines,
                           prefer_shown=[(i, "retained") for i in idx],
                           pct_columns={"pct_baseline": "retained"})


# ----------------------------------------------------------------------------- missingness
def _wide_column(wide: pd.DataFrame, var: str, wave: str, first: bool) -> str | None:
    if f"{var}_{wave}" in wide.columns:
        return f"{var}_{wave}"
    if first and var in wide.columns:  # baseline covariate (no wave suffix)
        return var
    return None


def missingness_table(
    data: pd.DataFrame, variables: Sequence[str], wave_ids: Sequence[str]
) -> pd.DataFrame:
    """n and % missing per variable per wave, among responders and among all baseline people.

    ``data`` is wide (``<var>_<wave>`` columns, ``responded_<wave>``; covariates without suffix
    count as baseline) or long (``pid``, ``wave`` columns, one row per responder-wave).
    Columns: ``variable, wave, n_responders, n_missing, pct_missing`` (among responders),
    ``n_baseline, n_missing_baseline, pct_missing_baseline`` (non-responders count as missing).
    A variable not measured at a wave has no row for it; one found at no wave raises DataError.
    """
    is_long = "wave" in data.columns and "pid" in data.columns
    if is_long:
        n0 = data.loc[data["wave"] == wave_ids[0], "pid"].nunique()
    else:
        n0 = len(data)
    rows = []
    for v in variables:
        found = False
        for i, w in enumerate(wave_ids):
            if is_long:
                if v not in data.columns:
                    break
                vals = data.loc[data["wave"] == w, v]
            else:
                col = _wide_column(data, v, w, first=i == 0)
                if col is None:
                    continue
                resp = responded(data, w) if i > 0 else pd.Series(True, index=data.index)
                vals = data.loc[resp, col]
            found = True
            n_r, miss = len(vals), int(vals.isna().sum())
            rows.append({
                "variable": v, "wave": w, "n_responders": n_r, "n_missing": miss,
                "pct_missing": _pct(miss, n_r), "n_baseline": n0,
                "n_missing_baseline": n0 - (n_r - miss),
                "pct_missing_baseline": _pct(n0 - (n_r - miss), n0),
            })
        if not found:
            raise DataError(
                f"missingness: variable '{v}' was not found at any wave {list(wave_ids)}. "
                "Check the scale/covariate name in config."
            )
    return pd.DataFrame(rows)


def pattern_summary(wide: pd.DataFrame, wave_ids: Sequence[str]) -> pd.DataFrame:
    """Which combinations of waves people answered: ``pattern, waves_answered, n, pct``.

    Every combination that includes the baseline wave is listed (zeros included), e.g.
    "T0 only", "T0+T1", "T0+T2", "T0+T1+T2"; percentages are of baseline participants.
    """
    base, follow = wave_ids[0], list(wave_ids[1:])
    flags = pd.DataFrame({w: responded(wide, w) for w in follow}, index=wide.index)
    combos = [c for k in range(len(follow) + 1) for c in combinations(follow, k)]
    rows = []
    for c in combos:
        hit = np.ones(len(wide), dtype=bool)
        for w in follow:
            hit &= flags[w].to_numpy() == (w in c)
        name = f"{base} only" if not c else "+".join([base, *c])
        rows.append({"pattern": name, "waves_answered": 1 + len(c), "n": int(hit.sum()),
                     "pct": _pct(hit.sum(), len(wide))})
    return pd.DataFrame(rows)


def suppress_missingness(table: pd.DataFrame, min_cell: int = 10) -> pd.DataFrame:
    """``missingness_table`` output with small counts suppressed for funders.

    Secondary suppression along ``n_missing_baseline = n_baseline - n_responders + n_missing``
    (the baseline total is known), so a hidden ``n_missing`` cannot be recovered.
    """
    idx = list(table.index)
    lines = [[(i, "n_missing"), (i, "n_missing_baseline"), (i, "n_responders")] for i in idx]
    return suppress_counts(
        table, ["n_responders", "n_missing", "n_missing_baseline"], min_cell, additive="none",
        lines=lines, prefer_shown=[(i, "n_responders") for i in idx],
        pct_columns={"pct_missing": "n_missing", "pct_missing_baseline": "n_missing_baseline"})


def suppress_patterns(patterns: pd.DataFrame, min_cell: int = 10) -> pd.DataFrame:
    """``pattern_summary`` output with small counts suppressed for funders.

    Pattern counts add up to the baseline total, those including a wave add up to the number
    retained at that wave (published in the flow table) and those excluding it to baseline minus
    retained, so all three kinds of line get secondary suppression.
    """
    idx = list(patterns.index)
    waves = {w for p in patterns["pattern"] for w in p.replace(" only", "").split("+")}
    sets = [set(p.replace(" only", "").split("+")) for p in patterns["pattern"]]
    lines = [[(i, "n") for i, s in zip(idx, sets) if w in s] for w in sorted(waves)]
    # ... and those *excluding* a wave add up to baseline minus retained (also derivable)
    lines += [[(i, "n") for i, s in zip(idx, sets) if w not in s] for w in sorted(waves)]
    lines = [ln for ln in lines if len(ln) > 1]
    return suppress_counts(patterns, ["n"], min_cell, additive="columns", lines=lines,
                           pct_columns={"pct": "n"})


# ----------------------------------------------------------------------------- retained vs lost
def smd_means(x1: np.ndarray, x0: np.ndarray) -> float:
    """Cohen's d with pooled SD: (m1 - m0) / sqrt(((n1-1)s1^2 + (n0-1)s0^2) / (n1+n0-2))."""
    n1, n0 = len(x1), len(x0)
    if n1 < 2 or n0 < 2:
        return float("nan")
    sp = np.sqrt(((n1 - 1) * np.var(x1, ddof=1) + (n0 - 1) * np.var(x0, ddof=1)) / (n1 + n0 - 2))
    return float((np.mean(x1) - np.mean(x0)) / sp) if sp > 0 else float("nan")


def smd_proportions(p1: float, p0: float) -> float:
    """SMD for a proportion: (p1 - p0) / sqrt((p1(1-p1) + p0(1-p0)) / 2) (Austin, 2009)."""
    den = np.sqrt((p1 * (1 - p1) + p0 * (1 - p0)) / 2)
    return float((p1 - p0) / den) if den > 0 else float("nan")


def _levels(s: pd.Series) -> list:
    if isinstance(s.dtype, pd.CategoricalDtype):
        return list(s.cat.categories)
    return sorted(s.dropna().unique().tolist(), key=str)


def fisher_exact_rx2(tab: np.ndarray, max_tables: int = 5_000_000) -> float:
    """Exact two-sided Fisher test for an r x 2 table (as R's ``fisher.test``).

    Enumerates every table with the observed margins (multivariate hypergeometric
    probabilities ``prod C(row_i, a_i) / C(N, col_1)``) and sums those no more probable than the
    observed one (relative tolerance 1e-7, as R). NaN when more than ``max_tables`` tables.
    """
    from scipy.special import gammaln

    tab = np.asarray(tab, dtype=int)
    rows, c1 = tab.sum(axis=1), int(tab[:, 0].sum())
    if np.prod(rows[:-1] + 1.0) > max_tables:
        return float("nan")
    grids = np.meshgrid(*[np.arange(r + 1) for r in rows[:-1]], indexing="ij")
    a = np.stack([g.ravel() for g in grids], axis=1) if len(grids) else np.zeros((1, 0), int)
    last = c1 - a.sum(axis=1)
    ok = (last >= 0) & (last <= rows[-1])
    a = np.column_stack([a[ok], last[ok]])

    def logp(cells: np.ndarray) -> np.ndarray:
        return (gammaln(rows + 1) - gammaln(cells + 1) - gammaln(rows - cells + 1)).sum(axis=-1)

    lp = logp(a)
    lp_obs = logp(tab[:, 0])
    total = np.logaddexp.reduce(lp)
    return float(min(1.0, np.exp(lp[lp <= lp_obs + np.log1p(1e-7)] - total).sum()))


def _categorical_test(tab: np.ndarray) -> tuple[str, float]:
    """Chi-square (no continuity correction), or Fisher's exact test if any expected count < 5
    (chi-square even then when the exact enumeration is too large)."""
    tab = tab[tab.sum(axis=1) > 0]
    if tab.shape[0] < 2 or (tab.sum(axis=0) == 0).any():
        return "", float("nan")
    expected = stats.contingency.expected_freq(tab)
    if (expected < 5).any():
        p = fisher_exact_rx2(tab)
        if np.isfinite(p):
            return "fisher", p
    return "chi2", float(stats.chi2_contingency(tab, correction=False).pvalue)


def retained_vs_lost(
    wide: pd.DataFrame,
    followup_wave: str,
    baseline_vars: Sequence[str],
    categorical: Sequence[str] = (),
) -> pd.DataFrame:
    """Baseline characteristics of those retained at ``followup_wave`` vs those lost.

    Numeric variable: one row (``level`` empty) with ``n, mean, sd`` per group, SMD = Cohen's d
    (pooled SD; retained minus lost) and Welch's t-test. Categorical variable: one row per level
    with ``n`` (people in the level) and ``pct`` (of non-missing) per group, SMD for proportions,
    and one chi-square test (no continuity correction) or, when any expected count is below 5,
    Fisher's exact test, repeated on each level row. ``missing_*`` counts missing values.
    """
    ret = responded(wide, followup_wave)
    rows = []
    for v in baseline_vars:
        if v not in wide.columns:
            raise DataError(f"retained vs lost: baseline variable '{v}' is not in the wide data.")
        s = wide[v]
        a, b = s[ret], s[~ret]
        common = {"variable": v, "missing_retained": int(a.isna().sum()),
                  "missing_lost": int(b.isna().sum())}
        if v in categorical:
            levels = _levels(s)
            a_n, b_n = a.notna().sum(), b.notna().sum()
            tab = np.array([[int((a == lv).sum()), int((b == lv).sum())] for lv in levels])
            test, p = _categorical_test(tab) if len(levels) > 1 else ("", float("nan"))
            for lv, (na_, nb_) in zip(levels, tab):
                p1, p0 = (na_ / a_n if a_n else np.nan), (nb_ / b_n if b_n else np.nan)
                rows.append(common | {
                    "level": str(lv), "n_retained": int(na_), "pct_retained": 100 * p1,
                    "mean_retained": np.nan, "sd_retained": np.nan,
                    "n_lost": int(nb_), "pct_lost": 100 * p0, "mean_lost": np.nan,
                    "sd_lost": np.nan, "smd": smd_proportions(p1, p0), "test": test, "pvalue": p,
                })
        else:
            if not (pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s)):
                raise DataError(
                    f"retained vs lost: '{v}' is not numeric; list it under 'categorical'."
                )
            x1, x0 = a.dropna().to_numpy(float), b.dropna().to_numpy(float)
            ok = len(x1) >= 2 and len(x0) >= 2
            p = float(stats.ttest_ind(x1, x0, equal_var=False).pvalue) if ok else float("nan")
            rows.append(common | {
                "level": "", "n_retained": len(x1), "pct_retained": np.nan,
                "mean_retained": x1.mean() if len(x1) else np.nan,
                "sd_retained": x1.std(ddof=1) if len(x1) > 1 else np.nan,
                "n_lost": len(x0), "pct_lost": np.nan,
                "mean_lost": x0.mean() if len(x0) else np.nan,
                "sd_lost": x0.std(ddof=1) if len(x0) > 1 else np.nan,
                "smd": smd_means(x1, x0), "test": "welch_t" if ok else "", "pvalue": p,
            })
    cols = ["variable", "level", "n_retained", "mean_retained", "sd_retained", "pct_retained",
            "n_lost", "mean_lost", "sd_lost", "pct_lost", "smd", "test", "pvalue",
            "missing_retained", "missing_lost"]
    out = pd.DataFrame(rows, columns=cols)
    out.insert(0, "wave", followup_wave)
    return out


def suppress_comparison(table: pd.DataFrame, min_cell: int = 10) -> pd.DataFrame:
    """``retained_vs_lost`` output with small counts suppressed for funders.

    Per variable and group, the counts (level counts, or n) plus the missing count add up to the
    group size published in the flow table, so each such line gets secondary suppression.
    Percentages go with their counts. Summary statistics of fewer than ``min_cell`` people can
    identify people (with one person retained, the retained "mean age" is that person's age),
    so, shown as "[c]":

    * a group (retained or lost) with fewer than ``min_cell`` people with a value of the
      variable: its means, SDs and percentages, and the variable's SMD and p-value;
    * a row whose percentage is hidden: its SMD (the SMD and the other group's percentage would
      give the hidden one back);
    * a categorical variable with any hidden count: its test p-value (one test per variable;
      with the margins known, the exact p-value pins down the hidden counts).

    Shown statistics are rounded (means and SDs to 2 decimals, percentages to 1, SMDs to 2,
    p-values to 2 significant digits): at full precision a mean of whole numbers (such as ages)
    reveals its denominator, i.e. a count hidden by secondary suppression.
    """
    lines = []
    for _, rows in table.groupby("variable", sort=False):
        idx = list(rows.index)
        for g in ("retained", "lost"):
            lines.append([(i, f"n_{g}") for i in idx] + [(idx[0], f"missing_{g}")])
    out = suppress_counts(
        table, ["n_retained", "n_lost", "missing_retained", "missing_lost"], min_cell,
        additive="none", lines=lines,
        pct_columns={"pct_retained": "n_retained", "pct_lost": "n_lost"})
    stat_cols = [f"{k}_{g}" for g in ("retained", "lost") for k in ("mean", "sd", "pct")]
    for c in stat_cols + ["smd", "pvalue"]:
        out[c] = out[c].astype(object)
    for g in ("retained", "lost"):  # numeric rows: mean and SD of fewer than min_cell people
        few = is_small(pd.to_numeric(table[f"n_{g}"], errors="coerce"), min_cell)
        few &= table["level"].eq("")
        for c in (f"mean_{g}", f"sd_{g}"):
            out.loc[few, c] = "[c]"
    for _, rows in table.groupby("variable", sort=False):
        idx = list(rows.index)
        small_group = False
        for g in ("retained", "lost"):
            n_g = pd.to_numeric(rows[f"n_{g}"], errors="coerce").sum()
            if is_small(n_g, min_cell):
                small_group = True
                out.loc[idx, [f"mean_{g}", f"sd_{g}", f"pct_{g}"]] = "[c]"
        counts_hidden = out.loc[idx, ["n_retained", "n_lost"]].map(
            lambda v: isinstance(v, str)).to_numpy().any()
        categorical = rows["level"].ne("").any()
        if small_group or (categorical and counts_hidden):
            out.loc[idx, ["smd", "pvalue"]] = "[c]"
        pct_hidden = out.loc[idx, ["pct_retained", "pct_lost"]].map(
            lambda v: isinstance(v, str)).to_numpy().any(axis=1)
        if categorical:
            out.loc[[i for i, h in zip(idx, pct_hidden) if h], "smd"] = "[c]"
    digits = {"mean_retained": 2, "sd_retained": 2, "mean_lost": 2, "sd_lost": 2,
              "pct_retained": 1, "pct_lost": 1, "smd": 2}
    for c, d in digits.items():
        out[c] = out[c].map(lambda v, d=d: round(float(v), d) if _is_number(v) else v)
    out["pvalue"] = out["pvalue"].map(
        lambda v: float(f"{float(v):.2g}") if _is_number(v) else v)
    return out


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool) \
        and np.isfinite(v)


# ----------------------------------------------------------------------------- retention model
def design_matrix(
    data: pd.DataFrame, predictors: Sequence[str], categorical: Sequence[str] = ()
) -> tuple[pd.DataFrame, list[str]]:
    """Intercept + predictors (categorical -> indicator columns, first level = reference).

    Rows with any missing predictor are removed (complete cases). Predictors missing for
    everyone, and columns constant among the complete cases, are dropped; ``notes`` says which.
    """
    notes: list[str] = []
    keep = []
    for v in predictors:
        if v not in data.columns:
            raise DataError(f"retention model: predictor '{v}' is not in the wide data.")
        if data[v].isna().all():
            notes.append(f"'{v}' is missing for everyone and was left out")
        else:
            keep.append(v)
    cc = data[keep].dropna()
    parts = [pd.Series(1.0, index=cc.index, name="Intercept")]
    for v in keep:
        if v in categorical:
            levels = _levels(data[v])
            for lv in levels[1:]:
                parts.append((cc[v] == lv).astype(float).rename(f"{v}[{lv}]"))
        else:
            parts.append(cc[v].astype(float).rename(v))
    x = pd.concat(parts, axis=1)
    const = [c for c in x.columns[1:] if x[c].nunique() < 2]
    if const:
        notes.append(f"{', '.join(repr(c) for c in const)} did not vary and was left out")
        x = x.drop(columns=const)
    return x, notes


def separation_direction(x: np.ndarray, y: np.ndarray, tol: float = 1e-7) -> np.ndarray | None:
    """Konis (2007) linear program: a direction ``b`` with ``(2y-1) * x @ b >= 0`` for every row
    and > 0 for some, i.e. complete or quasi-complete separation; ``None`` when none exists.

    Maximises ``sum((2y-1) * x @ b)`` subject to those inequalities and ``-1 <= b <= 1``.
    """
    s = (2 * y - 1)[:, None] * x
    res = optimize.linprog(-s.sum(axis=0), A_ub=-s, b_ub=np.zeros(len(y)),
                           bounds=[(-1, 1)] * x.shape[1], method="highs")
    if res.status != 0 or -res.fun <= tol * max(1.0, np.abs(s).sum() / len(y)):
        return None
    return res.x


def firth_logit(x: np.ndarray, y: np.ndarray, tol: float = 1e-10, max_iter: int = 200):
    """Firth's (1993) bias-reduced logistic regression (Heinze & Schemper, 2002).

    Maximises ``loglik + 0.5 * log|X'WX|`` by Newton steps on the modified score
    ``X'(y - p + h (1/2 - p))`` (``h``: hat values), with step halving. Returns
    ``(beta, cov, converged)``; ``cov`` is the inverse Fisher information at ``beta`` (Wald SEs,
    as in brglm2 with type = "AS_mean").
    """
    beta = np.zeros(x.shape[1])

    def pen_loglik(b):
        eta = x @ b
        w = stats.logistic.pdf(eta)
        _, logdet = np.linalg.slogdet(x.T @ (w[:, None] * x))
        return float(np.sum(y * eta - np.logaddexp(0, eta)) + 0.5 * logdet)

    current = pen_loglik(beta)
    for _ in range(max_iter):
        p = stats.logistic.cdf(x @ beta)
        w = p * (1 - p)
        info = x.T @ (w[:, None] * x)
        inv = np.linalg.inv(info)
        h = w * np.einsum("ij,jk,ik->i", x, inv, x)
        step = inv @ (x.T @ (y - p + h * (0.5 - p)))
        t = 1.0
        while t > 1e-8:
            cand = beta + t * step
            val = pen_loglik(cand)
            if val >= current - 1e-12:
                break
            t /= 2
        beta, current = cand, val
        if np.max(np.abs(t * step)) < tol:
            p = stats.logistic.cdf(x @ beta)
            info = x.T @ ((p * (1 - p))[:, None] * x)
            return beta, np.linalg.inv(info), True
    return beta, np.linalg.inv(info), False


def _model_table(names, beta, cov, wave, method, n, n_ret) -> pd.DataFrame:
    se = np.sqrt(np.diag(cov))
    z = beta / se
    zc = stats.norm.ppf(0.975)
    return pd.DataFrame({
        "analysis": f"retention_{wave}", "lhs": f"retained_{wave}", "op": "~", "rhs": names,
        "est": beta, "se": se, "z": z, "pvalue": 2 * stats.norm.sf(np.abs(z)),
        "odds_ratio": np.exp(beta), "ci_lower": np.exp(beta - zc * se),
        "ci_upper": np.exp(beta + zc * se), "method": method, "n": n, "n_retained": n_ret,
    })


def retention_model(
    wide: pd.DataFrame,
    followup_wave: str,
    predictors: Sequence[str],
    categorical: Sequence[str] = (),
    *,
    firth_on_separation: bool = True,
    min_events: int = MIN_EVENTS,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Logistic regression of retention at ``followup_wave`` on baseline predictors.

    Complete cases; odds ratios with Wald 95% CIs (``confint.default`` in R) and p-values.
    Returns ``(table, status)``; ``status`` has ``analysis, method, status, message, n,
    n_retained, n_lost``. Handled problems: predictor missing for everyone or constant (left out,
    noted); nobody retained / nobody lost, or no more people than parameters, or collinear
    predictors ("not_estimable", empty table); complete or quasi-complete separation (detected by
    the Konis LP) -> Firth's penalised logit when ``firth_on_separation`` (method "firth"),
    else "not_estimable". A fit that does not converge is "failed" with no estimates.

    Minimum events (``MIN_EVENTS_RULE``): when the rarer outcome group (retained or lost) has
    fewer than ``min_events`` people (default 10), no model is fitted at all, not even Firth's:
    status "not_estimable", empty table. Above that, fewer than 10 events per predictor
    (Peduzzi et al. 1996) is allowed but noted in the message.
    """
    y_all = responded(wide, followup_wave)
    x, notes = design_matrix(wide, predictors, categorical)
    y = y_all.loc[x.index].astype(float).to_numpy()
    n, k = x.shape
    n_ret = int(y.sum())
    status = {"analysis": f"retention_{followup_wave}", "method": "logit", "status": "ok",
              "message": "", "n": n, "n_retained": n_ret, "n_lost": n - n_ret}
    lead = f"Retention model for wave {followup_wave}: "
    tail = (" Note: " + "; ".join(notes) + ".") if notes else ""
    if n_ret == 0 or n_ret == n:
        who = "nobody" if n_ret == 0 else "everybody"
        status.update(status="not_estimable", message=(
            f"{lead}not estimable because {who} with complete baseline data was retained "
            f"({n_ret} of {n}); there is no contrast between stayers and leavers.{tail}"))
        return pd.DataFrame(), status
    events = min(n_ret, n - n_ret)
    if events < min_events:
        group = "retained" if n_ret <= n - n_ret else "lost"
        status.update(status="not_estimable", message=(
            f"{lead}not estimable because fewer than {min_events} of the {n} people with "
            f"complete baseline data were {group}; with fewer than {min_events} people in the "
            "rarer group a logistic model gives no trustworthy odds ratios, so none is fitted "
            f"(events-per-variable rule, Peduzzi et al. 1996).{tail}"))
        return pd.DataFrame(), status
    if n <= k or np.linalg.matrix_rank(x.to_numpy()) < k:
        why = (f"only {n} people with complete data for {k} parameters" if n <= k
               else "some predictors are exact linear combinations of others (drop one)")
        status.update(status="not_estimable", message=f"{lead}not estimable: {why}.{tail}")
        return pd.DataFrame(), status
    xm = x.to_numpy()
    direction = separation_direction(xm, y)
    if direction is not None:
        involved = [c for c, d in zip(x.columns, direction) if abs(d) > 1e-6 and c != "Intercept"]
        sep = (f"the predictors {involved} separate stayers from leavers (complete or "
               "quasi-complete separation), so ordinary maximum-likelihood odds ratios are "
               "infinite")
        if not firth_on_separation:
            status.update(status="not_estimable", message=f"{lead}not estimable: {sep}.{tail}")
            return pd.DataFrame(), status
        beta, cov, ok = firth_logit(xm, y)
        if not ok:
            status.update(status="failed", method="firth",
                          message=f"{lead}{sep}; Firth's penalised fit did not converge.{tail}")
            return pd.DataFrame(), status
        status.update(method="firth", message=(
            f"{lead}{sep}; estimates use Firth's penalised likelihood (Heinze & Schemper, 2002), "
            f"which gives finite but imprecise odds ratios: read them with care.{tail}"))
        return _model_table(list(x.columns), beta, cov, followup_wave, "firth", n, n_ret), status
    fit = sm.GLM(y, xm, family=sm.families.Binomial()).fit(tol=1e-12, maxiter=100)
    if not fit.converged:
        status.update(status="failed", message=f"{lead}the logistic fit did not converge.{tail}")
        return pd.DataFrame(), status
    if events / (k - 1 if k > 1 else 1) < 10:
        notes.append(f"fewer than 10 of the rarer outcome per predictor ({events} for {k - 1}); "
                     "estimates may be unstable")
        tail = " Note: " + "; ".join(notes) + "."
    status["message"] = f"{lead}logistic regression on {n} people ({n_ret} retained).{tail}"
    table = _model_table(list(x.columns), fit.params, fit.cov_params(), followup_wave, "logit",
                         n, n_ret)
    return table, status


# ----------------------------------------------------------------------------- summary
def _join(bits: list[str]) -> str:
    return bits[0] if len(bits) == 1 else ", ".join(bits[:-1]) + " and " + bits[-1]


def _describe_difference(row: pd.Series, label: str, min_cell: int) -> str:
    up = row["smd"] > 0
    few = is_small(row["n_retained"], min_cell) or is_small(row["n_lost"], min_cell)
    if row["level"] == "":
        if few:  # a mean of fewer than min_cell people is not shown
            if label == "age":
                return f"were {'older' if up else 'younger'} on average (numbers too small to show)"
            return (f"had {'higher' if up else 'lower'} {label} at entry (numbers too small to "
                    "show)")
        if label == "age":
            return (f"were {'older' if up else 'younger'} on average (mean "
                    f"{row['mean_retained']:.0f} vs {row['mean_lost']:.0f} years; "
                    f"SMD {row['smd']:.2f})")
        return (f"had {'higher' if up else 'lower'} {label} at entry (mean "
                f"{row['mean_retained']:.1f} vs {row['mean_lost']:.1f}; SMD {row['smd']:.2f})")
    more = "more" if up else "less"
    if few:  # the SMD and the other group's share would give the hidden count back
        return f"were {more} often {label} '{row['level']}' (numbers too small to show)"
    return (f"were {more} often {label} '{row['level']}' ({row['pct_retained']:.0f}% vs "
            f"{row['pct_lost']:.0f}%; SMD {row['smd']:.2f})")


def _group_sizes(table: pd.DataFrame, retained: Any, n0: int) -> tuple[float, float]:
    """(retained, lost) group sizes at a wave: from the flow table when it has the wave, else
    from the comparison table (first variable: its counts plus its missing count)."""
    if retained is not None and not pd.isna(retained):
        return float(retained), float(n0 - retained)
    if table.empty:
        return float("nan"), float("nan")
    first = table[table["variable"] == table["variable"].iloc[0]]
    return tuple(float(pd.to_numeric(first[f"n_{g}"], errors="coerce").sum()
                       + pd.to_numeric(first[f"missing_{g}"], errors="coerce").iloc[0])
                 for g in ("retained", "lost"))


def _when(label: str, wave: str) -> str:
    return str(label).lower() if label and label != wave else f"wave {wave}"


def attrition_summary(
    flow: pd.DataFrame,
    comparisons: Mapping[str, pd.DataFrame] | None = None,
    labels: Mapping[str, str] | None = None,
    min_cell: int = 10,
    notable_smd: float = NOTABLE_SMD,
) -> str:
    """Plain-language summary of attrition whose wording follows the evidence.

    ``flow`` is ``participant_flow`` output; ``comparisons`` maps a follow-up wave to its
    ``retained_vs_lost`` table; ``labels`` gives readable names (e.g. ``belonging_T0`` ->
    "community belonging"). Small counts are written as "<10" (no percentage). Differences are
    mentioned only when notable by ``NOTABLE_RULE`` (|SMD| >= ``notable_smd``, default 0.2),
    largest first, one per variable. A follow-up wave whose retained or lost group has 1 to
    ``min_cell - 1`` people gets "Too few people answered at <wave> to compare them with those
    who did not." and no per-variable differences (they would describe those few people); a
    difference on a variable known for fewer than ``min_cell`` people in a group is named
    without numbers ("numbers too small to show").
    """
    labels = dict(labels or {})
    n0 = int(flow["retained"].iloc[0])
    parts = []
    for _, r in flow.iloc[1:].iterrows():
        pct = "" if is_small(r["retained"], min_cell) else f" ({r['pct_baseline']:.0f}%)"
        parts.append(f"{format_count(r['retained'], min_cell)}{pct} at {_when(r['label'], r['wave'])}")
    if not parts:
        return f"{format_count(n0, min_cell)} people joined; no follow-up wave is configured."
    parts[0] = parts[0].replace(" at ", " answered at ", 1)
    text = f"Of {format_count(n0, min_cell)} people who joined, {_join(parts)}."
    wave_label = flow.set_index("wave")["label"]
    retained_at = flow.set_index("wave")["retained"]
    for wave, table in (comparisons or {}).items():
        when = _when(wave_label.get(wave, wave), wave)
        who = f"those who answered at {when}"
        n_ret, n_lost = _group_sizes(table, retained_at.get(wave), n0)
        if is_small(n_ret, min_cell) or is_small(n_lost, min_cell):
            text += f" Too few people answered at {when} to compare them with those who did not."
            continue
        notable = table[table["smd"].abs() >= notable_smd]
        if notable.empty:
            if table["smd"].dropna().empty:
                text += f" {who.capitalize()} could not be compared with those who did not."
            else:
                text += (f" {who.capitalize()} were similar at entry to those who did not on the "
                         f"measures compared (all standardised differences below {notable_smd}).")
            continue
        notable = notable.loc[notable["smd"].abs().sort_values(ascending=False).index]
        notable = notable.drop_duplicates("variable")
        bits = [_describe_difference(r, labels.get(r["variable"], r["variable"]), min_cell)
                for _, r in notable.iterrows()]
        text += f" Compared with those who did not, {who} {_join(bits)}."
    return text


# ----------------------------------------------------------------------------- config
ATTRITION_DEFAULTS: dict[str, Any] = {
    "predictors": None,          # None: all covariates + every scale at the baseline wave
    "categorical": None,         # None: covariates of type categorical
    "notable_smd": NOTABLE_SMD,
    "firth_on_separation": True,
    "mcar_variables": None,      # None: numeric covariates + every scale score at every wave
    "ipw": {"stabilised": True, "truncate": [0.01, 0.99]},
}


def attrition_settings(section: Mapping[str, Any] | None) -> dict[str, Any]:
    """The config ``attrition:`` section with defaults filled in; ConfigError on bad keys/values."""
    section = dict(section or {})
    unknown = sorted(set(section) - set(ATTRITION_DEFAULTS))
    if unknown:
        raise ConfigError(f"config key attrition: unknown key(s) {unknown}. Allowed: "
                          f"{sorted(ATTRITION_DEFAULTS)}.")
    out = {k: (dict(v) if isinstance(v, dict) else v) for k, v in ATTRITION_DEFAULTS.items()}
    ipw = dict(section.pop("ipw", None) or {})
    bad_ipw = sorted(set(ipw) - {"stabilised", "truncate"})
    if bad_ipw:
        raise ConfigError(f"config key attrition.ipw: unknown key(s) {bad_ipw}. Allowed: "
                          "stabilised, truncate.")
    out["ipw"].update(ipw)
    out.update(section)
    tr = out["ipw"]["truncate"]
    if tr is not None and not (isinstance(tr, (list, tuple)) and len(tr) == 2
                               and 0 <= tr[0] < tr[1] <= 1):
        raise ConfigError(f"config key attrition.ipw.truncate: {tr!r} must be [lower, upper] "
                          "quantiles with 0 <= lower < upper <= 1 (e.g. [0.01, 0.99]), or null.")
    if not isinstance(out["notable_smd"], (int, float)) or out["notable_smd"] <= 0:
        raise ConfigError("config key attrition.notable_smd: must be a positive number (e.g. 0.2).")
    for key in ("predictors", "categorical", "mcar_variables"):
        v = out[key]
        if v is not None and not (isinstance(v, list) and all(isinstance(x, str) for x in v)):
            raise ConfigError(f"config key attrition.{key}: must be a list of column names.")
    return out
