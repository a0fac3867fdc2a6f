"""Comparing two groups on baseline variables: standardised differences and their tests.

Used to describe who stayed in a study and who left (Gustavson et al. 2012, BMC Public Health
12:918), but nothing here knows about waves: the groups are a boolean mask.

* Numeric variable: Cohen's d with the pooled SD and Welch's t-test.
* Categorical variable: per level, the SMD for a proportion (Austin 2009) and one test of the
  whole r x 2 table: Pearson's chi-square without continuity correction, or Fisher's exact test
  when any expected count is below 5 (Cochran's rule).

Every function is checked against R (``tests/fixtures/attrition/attrition_reference.R``:
``t.test``, ``chisq.test(correct = FALSE)``, ``fisher.test``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats
from scipy.special import gammaln

__all__ = [
    "smd_means",
    "smd_proportions",
    "fisher_exact_rx2",
    "categorical_test",
    "level_order",
    "compare_groups",
    "comparison_columns",
]


def smd_means(x1: np.ndarray, x0: np.ndarray) -> float:
    """Standardised mean difference (Cohen's d) with the pooled SD.

    .. math:: d = (m_1 - m_0) / \\sqrt{((n_1-1)s_1^2 + (n_0-1)s_0^2) / (n_1+n_0-2)}

    NaN when a group has fewer than 2 values or the pooled SD is 0.

    In R: ``effsize::cohen.d(x1, x0)$estimate`` (pooled SD, no Hedges correction).
    """
    n1, n0 = len(x1), len(x0)
    if n1 < 2 or n0 < 2:
        return float("nan")
    sp = np.sqrt(((n1 - 1) * np.var(x1, ddof=1) + (n0 - 1) * np.var(x0, ddof=1)) / (n1 + n0 - 2))
    return float((np.mean(x1) - np.mean(x0)) / sp) if sp > 0 else float("nan")


def smd_proportions(p1: float, p0: float) -> float:
    """Standardised difference of two proportions (Austin 2009, Stat Med 28:3083-3107).

    .. math:: d = (p_1 - p_0) / \\sqrt{(p_1(1-p_1) + p_0(1-p_0)) / 2}

    NaN when the denominator is 0.

    In R: ``(p1 - p0) / sqrt((p1 * (1 - p1) + p0 * (1 - p0)) / 2)`` (as ``tableone``'s SMD).
    """
    den = np.sqrt((p1 * (1 - p1) + p0 * (1 - p0)) / 2)
    return float((p1 - p0) / den) if den > 0 else float("nan")


def level_order(s: pd.Series) -> list:
    """Levels of a categorical variable: the categories of a pandas Categorical, else the
    observed values sorted as text. The first level is the reference in a design matrix."""
    if isinstance(s.dtype, pd.CategoricalDtype):
        return list(s.cat.categories)
    return sorted(s.dropna().unique().tolist(), key=str)


def fisher_exact_rx2(tab: np.ndarray, max_tables: int = 5_000_000) -> float:
    """Exact two-sided Fisher test for an r x 2 table.

    Enumerates every table with the observed margins, each with the multivariate
    hypergeometric probability

    .. math:: P(a) = \\prod_i \\binom{r_i}{a_i} / \\binom{N}{c_1},

    and sums the probabilities of those no more probable than the observed table (relative
    tolerance 1e-7, as R). NaN when there are more than ``max_tables`` tables to enumerate.

    In R: ``fisher.test(tab)$p.value``.
    """
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


def categorical_test(tab: np.ndarray) -> tuple[str, float]:
    """Test of an r x 2 table: ``("chi2", p)`` or ``("fisher", p)``; ``("", nan)`` if untestable.

    Pearson's chi-square without continuity correction, or Fisher's exact test
    (:func:`fisher_exact_rx2`) when any expected count is below 5; chi-square even then when the
    exact enumeration is too large. Empty rows are dropped first; fewer than 2 rows or an empty
    column leave nothing to test.

    In R: ``chisq.test(tab, correct = FALSE)$p.value`` / ``fisher.test(tab)$p.value``.
    """
    tab = tab[tab.sum(axis=1) > 0]
    if tab.shape[0] < 2 or (tab.sum(axis=0) == 0).any():
        return "", float("nan")
    expected = stats.contingency.expected_freq(tab)
    if (expected < 5).any():
        p = fisher_exact_rx2(tab)
        if np.isfinite(p):
            return "fisher", p
    return "chi2", float(stats.chi2_contingency(tab, correction=False).pvalue)


def comparison_columns(g1: str, g0: str) -> list[str]:
    """Column order of :func:`compare_groups` output for groups named ``g1`` and ``g0``."""
    return ["variable", "level", f"n_{g1}", f"mean_{g1}", f"sd_{g1}", f"pct_{g1}",
            f"n_{g0}", f"mean_{g0}", f"sd_{g0}", f"pct_{g0}", "smd", "test", "pvalue",
            f"missing_{g1}", f"missing_{g0}"]


def _categorical_rows(a: pd.Series, b: pd.Series, levels: list, g1: str, g0: str) -> list[dict]:
    a_n, b_n = a.notna().sum(), b.notna().sum()
    tab = np.array([[int((a == lv).sum()), int((b == lv).sum())] for lv in levels])
    test, p = categorical_test(tab) if len(levels) > 1 else ("", float("nan"))
    rows = []
    for lv, (na_, nb_) in zip(levels, tab):
        p1, p0 = (na_ / a_n if a_n else np.nan), (nb_ / b_n if b_n else np.nan)
        rows.append({
            "level": str(lv), f"n_{g1}": int(na_), f"pct_{g1}": 100 * p1,
            f"mean_{g1}": np.nan, f"sd_{g1}": np.nan,
            f"n_{g0}": int(nb_), f"pct_{g0}": 100 * p0, f"mean_{g0}": np.nan,
            f"sd_{g0}": np.nan, "smd": smd_proportions(p1, p0), "test": test, "pvalue": p,
        })
    return rows


def _numeric_row(a: pd.Series, b: pd.Series, g1: str, g0: str) -> dict:
    x1, x0 = a.dropna().to_numpy(float), b.dropna().to_numpy(float)
    ok = len(x1) >= 2 and len(x0) >= 2
    p = float(stats.ttest_ind(x1, x0, equal_var=False).pvalue) if ok else float("nan")
    return {
        "level": "", f"n_{g1}": len(x1), f"pct_{g1}": np.nan,
        f"mean_{g1}": x1.mean() if len(x1) else np.nan,
        f"sd_{g1}": x1.std(ddof=1) if len(x1) > 1 else np.nan,
        f"n_{g0}": len(x0), f"pct_{g0}": np.nan,
        f"mean_{g0}": x0.mean() if len(x0) else np.nan,
        f"sd_{g0}": x0.std(ddof=1) if len(x0) > 1 else np.nan,
        "smd": smd_means(x1, x0), "test": "welch_t" if ok else "", "pvalue": p,
    }


def compare_groups(
    data: pd.DataFrame,
    group: pd.Series,
    variables: Sequence[str],
    categorical: Sequence[str] = (),
    names: tuple[str, str] = ("1", "0"),
) -> pd.DataFrame:
    """Group ``group == True`` (``names[0]``) against the rest (``names[1]``) on ``variables``.

    Numeric variable: one row (``level`` empty) with ``n, mean, sd`` per group, SMD =
    :func:`smd_means` (first group minus second) and Welch's t-test. Categorical variable (in
    ``categorical``): one row per level (:func:`level_order`) with ``n`` (people in the level)
    and ``pct`` (of non-missing) per group, SMD = :func:`smd_proportions`, and one
    :func:`categorical_test` of the whole table, repeated on each level row. ``missing_<group>``
    counts missing values. Columns: :func:`comparison_columns`.
    The caller checks that the variables exist and that non-categorical ones are numeric.

    In R: ``t.test(x ~ g)`` (Welch), ``chisq.test(table(x, g), correct = FALSE)`` or
    ``fisher.test(table(x, g))``, and the SMDs above (``tableone::CreateTableOne(..., smd = TRUE)``
    for the proportions).
    """
    g1, g0 = names
    rows = []
    for v in variables:
        s = data[v]
        a, b = s[group], s[~group]
        common = {"variable": v, f"missing_{g1}": int(a.isna().sum()),
                  f"missing_{g0}": int(b.isna().sum())}
        if v in categorical:
            rows += [common | r for r in _categorical_rows(a, b, level_order(s), g1, g0)]
        else:
            rows.append(common | _numeric_row(a, b, g1, g0))
    return pd.DataFrame(rows, columns=comparison_columns(g1, g0))
