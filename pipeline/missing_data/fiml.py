"""The FIML row of the primary table: the estimand by full-information maximum likelihood.

The mean change ``mu_wave - mu_base`` of the estimand's scale is the contrast of two means of the
saturated multivariate normal model of the estimand's two columns and the auxiliary variables,
fitted by FIML (:func:`pipeline.stats.fiml_means.fiml_change`; Graham 2003 saturated correlates;
lavaan ``sem(model, missing = "ml")``, ``estimator = "MLR"`` for robust SEs). The auxiliaries are
the *other columns of the imputation model* (by default every covariate and every scale at every
wave: the other constructs, the outcome at the other waves and the retention predictors), so that
FIML and MI condition on the same variables under MAR. With a saturated model the contrast is the
same whether the outcome's other waves are outcomes or auxiliaries (one likelihood), so it
equals the change wing's FIML contrast for the same auxiliaries.

Categorical auxiliaries enter as 0/1 indicators, one per level but the first (levels in the
order of a pandas categorical, else sorted), missing where the variable is missing: the rule of
the change wing's auxiliary frame.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import pandas as pd

from pipeline.errors import PipelineError
from pipeline.stats.fiml_means import fiml_change
from pipeline.status import Status, status_row

__all__ = ["auxiliary_frame", "fiml_row"]


def _levels(s: pd.Series) -> list:
    if isinstance(s.dtype, pd.CategoricalDtype):
        return [c for c in s.cat.categories if c in set(s.dropna())]
    return sorted(pd.unique(s.dropna()), key=str)


def auxiliary_frame(wide: pd.DataFrame, columns: Sequence[str]
                    ) -> tuple[pd.DataFrame, list[str]]:
    """``columns`` of ``wide`` as numbers: numeric ones as floats, categorical ones as 0/1
    indicators named ``<col>_<level>`` with non-alphanumerics as ``_`` (lavaan names; NaN where
    the column is missing). Returns the frame and its column names."""
    parts = {}
    for c in columns:
        s = wide[c]
        if pd.api.types.is_bool_dtype(s) or pd.api.types.is_numeric_dtype(s):
            parts[c] = pd.to_numeric(s, errors="coerce").astype(float)
            continue
        miss = s.isna().to_numpy()
        for level in _levels(s)[1:]:
            name = re.sub(r"\W+", "_", f"{c}_{level}").strip("_")
            while name in parts or name in wide.columns:
                name += "_"
            parts[name] = np.where(miss, np.nan, (s == level).fillna(False)
                                              .to_numpy(dtype=bool).astype(float))
    frame = pd.DataFrame(parts, index=wide.index)
    return frame, list(frame.columns)


def fiml_row(wide: pd.DataFrame, baseline: str, outcome: str, columns: Sequence[str], term: str,
             se: str = "robust") -> dict:
    """The FIML row of the primary table (``PRIMARY_COLUMNS`` keys) for ``outcome - baseline``
    with the other ``columns`` as auxiliaries. A fit that is not ok gives a status row (no
    numbers, the engine's message). ``n`` = people with data on any model variable
    (``n_contributing``), ``n_observed`` = people observed on the outcome (the findings
    contract); Wald z CI (95%)."""
    aux_cols = [c for c in columns if c not in (baseline, outcome)]
    aux, aux_names = auxiliary_frame(wide, aux_cols)
    data = pd.concat([wide[[baseline, outcome]].astype(float), aux], axis=1)
    base = {"method": "fiml", "term": term, "se_type": se,
            "n_observed": int(data[outcome].notna().sum())}
    try:
        table = fiml_change(data, [baseline, outcome], aux_names, se=se, conf=0.95,
                            name=f"fiml {term}")
    except PipelineError as err:  # e.g. a constant or (nearly) unobserved outcome column
        return {**status_row(term, "fiml", Status.NOT_ESTIMABLE, str(err), term=term), **base}
    r = table[table["kind"] == "contrast"].iloc[0]
    base["n_auxiliaries"] = int(r["n_auxiliaries"])
    if r["status"] != Status.OK.value or not (np.isfinite(r["est"]) and r["se"] > 0):
        msg = str(r["message"] or "the FIML model could not be estimated")
        status = Status.NOT_ESTIMABLE if r["status"] == Status.OK.value else r["status"]
        row = status_row(term, "fiml", status, msg, term=term)
        return {**row, **base}
    return {**base, "m": np.nan, "estimate": float(r["est"]), "se": float(r["se"]),
            "df": np.inf, "statistic": float(r["z"]), "pvalue": float(r["pvalue"]),
            "ci_lower": float(r["ci_lower"]), "ci_upper": float(r["ci_upper"]),
            "n": int(r["n_contributing"]), "status": Status.OK.value,
            "message": str(r["message"] or "")}
