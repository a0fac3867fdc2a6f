"""Observed data of the change wing: input checks, person-level covariates, observed means.

Observed means per wave are given for all available scores and for completers (people with a
score at every wave), with t-based CIs: ``mean +- t_{n-1, 1-alpha/2} SD / sqrt(n)``
(In R: ``t.test(x)$conf.int``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from pipeline.change.messages import too_few_message
from pipeline.errors import DataError
from pipeline.stats.distributions import t_ppf
from pipeline.status import Status

__all__ = ["check_long", "person_covariates", "observed_means"]


def check_long(long: pd.DataFrame) -> None:
    """Raise DataError unless ``long`` has pid and wave and one row per participant-wave."""
    missing = [c for c in ("pid", "wave") if c not in long.columns]
    if missing:
        raise DataError(
            f"change: long.parquet has no column(s) {missing}; it must come from the clean stage."
        )
    dup = long.duplicated(["pid", "wave"], keep=False)
    if dup.any():
        first = long.loc[dup, ["pid", "wave"]].iloc[0]
        raise DataError(
            f"change: long.parquet has {int(dup.sum())} rows that repeat a participant-wave "
            f"(e.g. a pid at {first['wave']}); the clean stage keeps one row per participant and "
            "wave. Re-run the clean stage (cleaning.duplicates) before this stage."
        )


def person_covariates(
    long: pd.DataFrame,
    covariates: Sequence[str],
    wave_ids: Sequence[str],
    covariate_waves: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """``long`` with each covariate replaced by the participant's value at its source wave.

    Covariates are person-level, read from the baseline (first) wave unless
    ``covariate_waves[key]`` names another wave, as in wide.parquet (config ``covariates.<key>.
    wave``). Follow-up rows therefore carry the baseline value even when a follow-up file had no
    (or a different) value; a participant without a value at the source wave has it missing.
    """
    out = long.copy()
    for cov in covariates:
        src = (covariate_waves or {}).get(cov) or wave_ids[0]
        vals = long.loc[long["wave"] == src, ["pid", cov]].drop_duplicates("pid").set_index("pid")
        out[cov] = out["pid"].map(vals[cov])
        if isinstance(long[cov].dtype, pd.CategoricalDtype):
            out[cov] = pd.Categorical(out[cov], categories=long[cov].cat.categories)
    return out


def _t_interval(mean: pd.Series, sd: pd.Series, n: pd.Series, conf: float) -> tuple:
    q = t_ppf(0.5 + conf / 2, np.maximum(n - 1, 1))
    half = np.where(n >= 2, q * sd / np.sqrt(n), np.nan)
    return mean - half, mean + half


def observed_means(
    long: pd.DataFrame,
    construct: str,
    wave_ids: Sequence[str],
    min_cell: int = 10,
    conf: float = 0.95,
) -> pd.DataFrame:
    """Observed mean, SD, n and t-based CI per wave: all available scores and completers only.

    Completers are participants with a score at every wave in ``wave_ids``. A row with fewer
    than ``min_cell`` people (but at least one) is not reported: est, se, CI and SD are blank,
    status "not_estimable", flag "small_n", message "only N people answered at <wave> (fewer
    than <min_cell>); the mean is not reported".
    """
    d = long.loc[long["wave"].isin(wave_ids) & long[construct].notna(), ["pid", "wave", construct]]
    n_waves = d.groupby("pid")["wave"].nunique()
    completers = n_waves.index[n_waves == len(wave_ids)]
    parts = []
    for method, sub in (
        ("observed_all", d),
        ("observed_completers", d[d["pid"].isin(completers)]),
    ):
        g = sub.groupby("wave")[construct].agg(["mean", "std", "count"]).reindex(list(wave_ids))
        g["count"] = g["count"].fillna(0).astype(int)
        lo, hi = _t_interval(g["mean"], g["std"], g["count"], conf)
        parts.append(
            pd.DataFrame(
                {
                    "method": method,
                    "wave": list(wave_ids),
                    "est": g["mean"].to_numpy(),
                    "se": (g["std"] / np.sqrt(g["count"].where(g["count"] > 0))).to_numpy(),
                    "ci_lower": np.asarray(lo, dtype=float),
                    "ci_upper": np.asarray(hi, dtype=float),
                    "sd": g["std"].to_numpy(),
                    "n": g["count"].to_numpy(),
                }
            )
        )
    out = pd.concat(parts, ignore_index=True)
    out["status"] = np.where(out["n"] > 0, Status.OK.value, Status.NOT_ESTIMABLE.value)
    out["message"] = np.where(out["n"] > 0, "", "no observed scores at this wave")
    small = (out["n"] > 0) & (out["n"] < min_cell)
    out["flag"] = np.where(small, "small_n", "")
    # a mean (or SD) of fewer than min_cell people is not reported: it can identify people
    out.loc[small, ["est", "se", "ci_lower", "ci_upper", "sd"]] = np.nan
    out.loc[small, "status"] = Status.NOT_ESTIMABLE.value
    out.loc[small, "message"] = [
        too_few_message(n, f"at {w}" if meth == "observed_all" else "at every wave",
                        min_cell, "the mean is not reported")
        for n, w, meth in zip(out.loc[small, "n"], out.loc[small, "wave"], out.loc[small, "method"])
    ]
    return out
