"""Sample description: baseline characteristics by retention, and within-wave correlations.

Counts of :func:`baseline_table` are plain (the analyst table); :func:`public_baseline` is the
funder copy, its counts protected by ``pipeline.disclosure.protect`` and the statistics of
fewer than ``min_cell`` people hidden.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from pipeline.disclosure import (
    SECONDARY_MARK,
    is_small,
    protect_described_variable,
    small_mark,
)
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


# ----------------------------------------------------------------------------- the public copy
def _participants(base: pd.DataFrame) -> float | None:
    """The number at entry (the ``participants`` row), None when the table has no such row."""
    row = base[base["variable"].astype(str) == "participants"]
    return None if row.empty else float(row["count"].iloc[0])


def _protect_variable(base: pd.DataFrame, idx: list, total: float | None, min_cell: int):
    """One variable's counts protected by ``pipeline.disclosure.protect_described_variable``
    (``n`` and ``n_missing`` are one cell each, repeated on every level row). Returns the
    protection and its cells ``{"n": key, "miss": key, "levels": {row: key}}``."""
    first = idx[0]
    categorical = base.loc[idx, "type"].astype(str).eq("categorical").any()
    levels = {i: ("lvl", i) for i in idx if categorical and not pd.isna(base.at[i, "count"])}
    prot = protect_described_variable(
        base.at[first, "n"] if "n" in base.columns else np.nan,
        base.at[first, "n_missing"] if "n_missing" in base.columns else np.nan,
        {i: base.at[i, "count"] for i in levels}, total, min_cell)
    return prot, {"n": ("n",), "miss": ("miss",), "levels": levels}


def _coarse_mean(mean: float, sd: float, n: float, n_lo: float) -> float | str:
    """A mean beside a hidden n, rounded so that it cannot pin n: values on any grid of step
    ``s`` give a sum ``n * mean`` on that grid, and a mean printed to ``d`` decimals leaves
    every n' in the published range possible once ``10**-d * n_lo >= s``. The step is at most
    the range of the values, and the range at most ``sd * sqrt(2 (n - 1))`` (two extremes
    alone give a sum of squares of range^2 / 2). "[c]" when even whole numbers would pin it."""
    if pd.isna(mean):
        return mean
    step = 0.0 if pd.isna(sd) else float(sd) * np.sqrt(2 * max(n - 1, 0))
    for d in (2, 1, 0):
        if 10.0 ** -d * n_lo >= step:
            return round(float(mean), d)
    return SECONDARY_MARK


def _statistics(out: pd.DataFrame, base: pd.DataFrame, idx: list, prot, cells: dict,
                min_cell: int) -> None:
    """Hide (in place) what a group of fewer than ``min_cell`` people, or a hidden ``n``,
    would give away, and say why in ``note``: fewer than ``min_cell`` answered -> the mean,
    SD, shares and level counts (one person's answer; a 0 beside "<10" says what they all
    answered); ``n`` hidden -> the SD and the shares (a share of a shown count pins n), the
    mean kept only as coarsely rounded as :func:`_coarse_mean` makes safe, and only when the
    published range of n lies at or above ``min_cell``."""
    n = prot.values.get(cells["n"], np.nan)
    few, n_hidden = is_small(n, min_cell), prot.hidden(cells["n"])
    notes = {i: [] for i in idx}
    if few or n_hidden:
        # by what the variable's type has, not by what is there: an SD left blank beside "<10"
        # says one person answered (the SD of one value is undefined)
        categorical = base.loc[idx, "type"].astype(str).eq("categorical")
        for c in ("mean", "sd", "percent"):
            applies = categorical if c == "percent" else ~categorical
            out.loc[[i for i, a in zip(idx, applies) if a], c] = SECONDARY_MARK
        if few:
            why = f"fewer than {min_cell} people answered: statistics not shown"
        else:
            why = "number answering shown as a range (a few missing): SD and shares not shown"
            lo = prot.ranges[cells["n"]][0] if prot.status[cells["n"]] == "secondary" else 0
            for i in idx:  # a mean shown only when its range is all >= min_cell: else showing
                # it would say "at least min_cell" (statistics are hidden below that)
                out.at[i, "mean"] = (_coarse_mean(base.at[i, "mean"], base.at[i, "sd"], n, lo)
                                     if lo >= min_cell else SECONDARY_MARK)
        for i in idx:
            notes[i].append(why)
    if few:
        out.loc[list(cells["levels"]), "count"] = SECONDARY_MARK
    else:
        for i, k in cells["levels"].items():
            if prot.hidden(k):
                out.at[i, "percent"] = SECONDARY_MARK
                notes[i].append("count shown as a range so that a small count cannot be "
                                "worked out")
    for i in idx:
        out.at[i, "note"] = "; ".join(dict.fromkeys(notes[i]))


def public_baseline(baseline: pd.DataFrame, min_cell: int) -> pd.DataFrame:
    """Funder copy of the baseline description: everyone who entered (group ``baseline``).

    The ``retained_<wave>`` groups are left out: with the whole sample they would give back
    the retained-vs-lost cells that attrition_retained_vs_lost_public.csv hides. Per variable,
    the counts -- ``n`` and ``n_missing`` (one cell each, the same text on every level row) and
    the level counts -- are protected together with ``participants = n + n_missing`` and
    ``n = sum of levels`` (``pipeline.disclosure.protect``: small counts "<10", cells that
    would give them back shown as the range the others allow, e.g. "621-629"). Statistics of
    fewer than ``min_cell`` people, or beside a hidden ``n``, are "[c]"; the ``note`` column
    says why. The participants count itself is "<10" when small.
    """
    base = baseline[baseline["group"].astype(str) == "baseline"].reset_index(drop=True)
    out = base.astype(object)
    out["note"] = ""
    if base.empty:
        return out
    total = _participants(base)
    for c in ("mean", "sd", "percent"):
        if c not in out.columns:
            out[c] = np.nan
    for var, rows in base.groupby("variable", sort=False):
        idx = list(rows.index)
        if str(var) == "participants":
            text = small_mark(min_cell) if is_small(total, min_cell) else round(total)
            out.loc[idx, [c for c in ("n", "count") if c in out.columns]] = text
            continue
        prot, cells = _protect_variable(base, idx, total, min_cell)
        for name, col in (("n", "n"), ("miss", "n_missing")):
            if cells[name] in prot.status:
                out.loc[idx, col] = prot.text(cells[name], cap_small=True)
        for i, k in cells["levels"].items():
            out.at[i, "count"] = prot.text(k, cap_small=True)
        _statistics(out, base, idx, prot, cells, min_cell)
    return out


def baseline_n_exact(public: pd.DataFrame, keys, base: str) -> dict[str, bool]:
    """Scale -> is its number answering at entry printed exactly in the public baseline table
    (not a range such as "621-629", which hides the few without a score)."""
    n = public.drop_duplicates("variable").set_index("variable")["n"]
    return {k: str(n.get(f"{k}_{base}", "")).strip().isdigit() for k in keys}
