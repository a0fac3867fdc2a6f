"""Sample description: baseline characteristics by retention, and within-wave correlations.

Counts are plain (not suppressed); the report applies disclosure control.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from pipeline.errors import DataError

BASELINE_COLUMNS = [
    "group", "variable", "level", "type", "n", "n_missing", "mean", "sd", "count", "percent",
]
CORRELATION_COLUMNS = ["wave", "var1", "var2", "r", "n"]


def _groups(wide: pd.DataFrame, wave_ids: Sequence[str]) -> list[tuple[str, pd.DataFrame]]:
    """Everyone at baseline, then those retained (``responded_<wave>``) at each follow-up."""
    out = [("baseline", wide)]
    for w in wave_ids[1:]:
        col = f"responded_{w}"
        if col not in wide.columns:
            raise DataError(
                f"baseline table: column '{col}' is missing from wide.parquet; it is written by "
                "the clean stage for every configured wave. Re-run the clean stage."
            )
        out.append((f"retained_{w}", wide[wide[col].fillna(False).astype(bool)]))
    return out


def _numeric_rows(x: pd.Series, name: str) -> dict:
    x = pd.to_numeric(x, errors="coerce")
    return {
        "variable": name, "level": "", "type": "numeric", "n": int(x.notna().sum()),
        "n_missing": int(x.isna().sum()), "mean": x.mean(), "sd": x.std(ddof=1),
        "count": np.nan, "percent": np.nan,
    }


def _categorical_rows(x: pd.Series, name: str, levels: Sequence[str]) -> list[dict]:
    n = int(x.notna().sum())
    counts = x.value_counts()
    return [
        {
            "variable": name, "level": str(lv), "type": "categorical", "n": n,
            "n_missing": int(x.isna().sum()), "mean": np.nan, "sd": np.nan,
            "count": int(counts.get(lv, 0)),
            "percent": 100.0 * counts.get(lv, 0) / n if n else np.nan,
        }
        for lv in levels
    ]


def baseline_table(
    wide: pd.DataFrame,
    covariates: Mapping[str, str],
    scales: Sequence[str],
    wave_ids: Sequence[str],
) -> pd.DataFrame:
    """Baseline characteristics for everyone at baseline and for those retained at each follow-up.

    ``covariates`` maps column -> "numeric" | "categorical"; ``scales`` are scale keys whose
    baseline score is ``<scale>_<first wave>``. Numeric: n, mean, SD (ddof=1); categorical: n
    non-missing, count and percent of non-missing per level (levels in categorical order, else
    sorted). Tidy: one row per group x variable (x level).
    """
    wave_ids = list(wave_ids)
    base = wave_ids[0]
    cols = list(covariates) + [f"{s}_{base}" for s in scales]
    missing = [c for c in cols if c not in wide.columns]
    if missing:
        raise DataError(
            f"baseline table: column(s) {missing} are not in wide.parquet. Check the covariate "
            "and scale names in config, and that the score stage ran."
        )
    levels = {}
    for c, kind in covariates.items():
        if kind == "categorical":
            x = wide[c]
            levels[c] = (
                list(x.cat.categories) if isinstance(x.dtype, pd.CategoricalDtype)
                else sorted(x.dropna().unique().tolist(), key=str)
            )
    rows = []
    for group, sub in _groups(wide, wave_ids):
        recs = [{"variable": "participants", "level": "", "type": "count", "n": len(sub),
                 "n_missing": 0, "mean": np.nan, "sd": np.nan, "count": len(sub),
                 "percent": np.nan}]
        for c, kind in covariates.items():
            if kind == "categorical":
                recs += _categorical_rows(sub[c], c, levels[c])
            else:
                recs.append(_numeric_rows(sub[c], c))
        for s in scales:
            recs.append(_numeric_rows(sub[f"{s}_{base}"], f"{s}_{base}"))
        for r in recs:
            r["group"] = group
        rows += recs
    return pd.DataFrame(rows)[BASELINE_COLUMNS]


def correlation_tables(
    long: pd.DataFrame, scales: Sequence[str], wave_ids: Sequence[str]
) -> pd.DataFrame:
    """Pearson correlations between construct scores within each wave, pairwise deletion.

    Tidy: ``wave, var1, var2, r, n`` for each unordered pair (scale order), ``n`` = participants
    with both scores at that wave; ``r`` is NaN when n < 3 or a variable is constant.
    """
    scales = list(scales)
    missing = [s for s in scales if s not in long.columns]
    if missing:
        raise DataError(
            f"correlation table: score column(s) {missing} are not in long.parquet. Check the "
            "scale keys in config and that the score stage ran."
        )
    i, j = np.triu_indices(len(scales), k=1)
    parts = []
    for w in wave_ids:
        sub = long.loc[long["wave"] == w, scales].astype(float)
        present = sub.notna().to_numpy(float)
        n = present.T @ present
        r = sub.corr(method="pearson", min_periods=3).to_numpy()
        parts.append(pd.DataFrame({
            "wave": w, "var1": np.asarray(scales)[i], "var2": np.asarray(scales)[j],
            "r": r[i, j], "n": n[i, j].astype(int),
        }))
    if not parts:
        return pd.DataFrame(columns=CORRELATION_COLUMNS)
    return pd.concat(parts, ignore_index=True)[CORRELATION_COLUMNS]
