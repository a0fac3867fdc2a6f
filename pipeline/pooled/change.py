"""Change pooled across schemes: a random-effects meta-analysis of each scheme's primary change.

Per scheme, construct and follow-up wave, the change from entry under the scheme's primary
missing-data method is read from its ``change_primary.csv`` (estimate and SE): the
``role = primary`` row when its status is ``ok``; else the row of the method the change wing
names in ``stands_in`` (said in ``method`` and ``message``, as the findings table does); else
the scheme has no estimate (its reason in ``message``). A follow-up wave is matched across
schemes by its id (T1 with T1).

Per construct and wave with at least ``min_schemes`` estimates, :func:`pipeline.stats.
meta_analysis.random_effects` pools them with the scheme as the random effect (REML tau^2,
Knapp-Hartung CI, Q test, I^2, prediction interval; metafor's ``rma(method = "REML", test =
"knha")``). Each scheme's weight (``weight_pct``) is its share of ``1 / (SE^2 + tau^2)``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from pipeline.errors import DataError
from pipeline.pooled.settings import Construct
from pipeline.stats.meta_analysis import random_effects
from pipeline.status import Status

__all__ = ["SCHEME_ROW_COLUMNS", "POOLED_COLUMNS", "scheme_estimates", "pool_change"]

OK = Status.OK.value
NEEDED = ["construct", "wave", "method", "role", "est", "se", "status"]
SCHEME_ROW_COLUMNS = ["construct", "wave", "scheme", "method", "primary_method", "est", "se",
                      "ci_lower", "ci_upper", "n_observed", "weight_pct", "status", "message"]
POOLED_COLUMNS = ["construct", "wave", "k", "schemes", "methods", "est", "se", "tval", "df",
                  "pvalue", "ci_lower", "ci_upper", "ci_level", "tau2", "tau", "se_tau2", "I2",
                  "H2", "Q", "Q_df", "Q_pvalue", "pi_lower", "pi_upper", "method", "status",
                  "message"]


def _pick(rows: pd.DataFrame) -> tuple[pd.Series | None, str, str]:
    """(the row used, the primary method, a note) for one construct x wave of one scheme."""
    prim = rows[rows["role"] == "primary"]
    if prim.empty:
        return None, "", "no primary row in change_primary.csv"
    p = prim.iloc[0]
    if p["status"] == OK and np.isfinite(p["est"]) and np.isfinite(p["se"]):
        return p, str(p["method"]), ""
    why = str(p.get("message", "") or p["status"])
    stand = str(p.get("stands_in", "") or "")
    alt = rows[(rows["method"] == stand) & (rows["status"] == OK)] if stand else rows.iloc[:0]
    if len(alt) and np.isfinite(alt["se"].iloc[0]):
        return alt.iloc[0], str(p["method"]), f"{stand} stands in for {p['method']}: {why}"
    return None, str(p["method"]), f"not estimable under {p['method']}: {why}"


def scheme_estimates(tables: Mapping[str, pd.DataFrame | None],
                     constructs: Sequence[Construct]) -> pd.DataFrame:
    """One row per scheme, pooled construct and follow-up wave of its change table: the
    estimate used (see the module notes) or why there is none. ``tables[scheme]`` is None when
    the change analysis did not run for the scheme (a row per construct says so)."""
    keys = [c.key for c in constructs]
    out = []
    for scheme, t in tables.items():
        if t is None:
            out += [{"construct": k, "wave": "", "scheme": scheme,
                     "status": Status.NOT_RUN.value,
                     "message": "the change analysis did not run for this scheme"} for k in keys]
            continue
        gone = [c for c in NEEDED if c not in t.columns]
        if gone:
            raise DataError(f"change_primary.csv of scheme '{scheme}' lacks columns {gone}: "
                            "rerun its change rule (snakemake --forcerun change_<scheme>).")
        t = t[t["construct"].isin(keys)]
        for (construct, wave), rows in t.groupby(["construct", "wave"], sort=False):
            row, primary, note = _pick(rows)
            base = {"construct": construct, "wave": wave, "scheme": scheme,
                    "primary_method": primary, "message": note}
            if row is None:
                out.append(base | {"status": Status.NOT_ESTIMABLE.value})
                continue
            out.append(base | {k: row.get(k) for k in ("est", "se", "ci_lower", "ci_upper",
                                                        "n_observed")}
                       | {"method": row["method"], "status": OK})
    table = pd.DataFrame(out, columns=SCHEME_ROW_COLUMNS)
    order = {k: i for i, k in enumerate(keys)}
    return table.sort_values("construct", key=lambda s: s.map(order), kind="stable"
                             ).reset_index(drop=True)


def _pooled_row(construct: str, wave: str, ok: pd.DataFrame, conf: float) -> dict:
    res = random_effects(ok["est"].to_numpy(float), ok["se"].to_numpy(float) ** 2, conf)
    d = res.as_dict()
    return {"construct": construct, "wave": wave, "k": res.k,
            "schemes": ";".join(ok["scheme"]), "methods": ";".join(sorted(set(ok["method"]))),
            "est": d.pop("mu"), "tau": float(np.sqrt(res.tau2)), "ci_level": conf,
            "method": "REML random effects, Knapp-Hartung", "status": OK, "message": ""} | {
            k: v for k, v in d.items() if k in POOLED_COLUMNS}


def _schemes_have(k: int) -> str:
    """"no scheme has", "1 scheme has", "3 schemes have"."""
    return "no scheme has" if k == 0 else f"{k} scheme has" if k == 1 else f"{k} schemes have"


def pool_change(rows: pd.DataFrame, min_schemes: int, conf: float
                ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(pooled rows, scheme rows with their weights) for every construct x follow-up wave of
    ``rows`` (:func:`scheme_estimates`)."""
    rows = rows.copy()
    pooled = []
    for (construct, wave), g in rows[rows["wave"] != ""].groupby(["construct", "wave"],
                                                                  sort=False):
        ok = g[g["status"] == OK]
        if len(ok) < min_schemes:
            pooled.append({"construct": construct, "wave": wave, "k": len(ok),
                           "schemes": ";".join(ok["scheme"]), "ci_level": conf,
                           "status": Status.NOT_ESTIMABLE.value,
                           "message": f"{_schemes_have(len(ok))} an estimate of this "
                                      f"change; pooling needs at least {min_schemes} "
                                      "(pooled.min_schemes)"})
            continue
        row = _pooled_row(construct, wave, ok, conf)
        w = 1.0 / (ok["se"].to_numpy(float) ** 2 + row["tau2"])
        rows.loc[ok.index, "weight_pct"] = 100 * w / w.sum()
        pooled.append(row)
    return pd.DataFrame(pooled, columns=POOLED_COLUMNS), rows
