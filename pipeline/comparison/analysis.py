"""The comparison's estimates: difference in change and within-arm change, every method.

``comparison_change.csv`` (:data:`CHANGE_COLUMNS`): per outcome, follow-up wave, estimand and
method one row. Estimands: ``difference in change`` (programme minus reference, the headline)
and ``change within arm`` (one row per arm). Methods (:mod:`pipeline.comparison.fiml`,
:mod:`pipeline.comparison.regression`): ``fiml`` (auxiliaries as the change wing's
``change.auxiliary``), ``mi`` (the impute stage's imputations), ``complete_case`` and
``weighted`` (propensity score); the comparison's primary method (``missing_data.primary``)
is ``role = primary``, the others ``sensitivity``. A primary row that cannot be estimated
names the first method that can (``stands_in``). ``comparison_means.csv``: each arm's mean at
each wave (FIML, MI and complete cases), for the figure.

Not randomised: FIML, MI and complete cases are adjusted for ``adjust_for`` (centred, so the
within-arm changes are at the sample's average covariates); the weighted rows are adjusted by
the weights. A wave answered by fewer than ``min_cell`` people in either arm is not estimated
(status not_estimable) and stays out of the FIML model.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from pipeline.comparison.fiml import fiml_arm_rows
from pipeline.comparison.frame import ARM, Design
from pipeline.comparison.regression import cc_rows, mi_rows, weighted_rows
from pipeline.errors import DataError
from pipeline.stats.distributions import norm_ppf, norm_sf, t_ppf, t_sf
from pipeline.status import Status

__all__ = ["CHANGE_COLUMNS", "MEANS_COLUMNS", "comparison_estimates"]

CHANGE_COLUMNS = ["outcome", "wave", "contrast", "estimand", "arm", "method", "role", "est",
                  "se", "df", "ci_lower", "ci_upper", "ci_level", "pvalue", "n_contributing",
                  "n_pairs_programme", "n_pairs_reference", "adjusted_for", "units",
                  "scale_min", "scale_max", "status", "message", "stands_in"]
MEANS_COLUMNS = ["outcome", "wave", "arm", "role_arm", "method", "est", "se", "ci_lower",
                 "ci_upper", "ci_level", "n_observed", "status", "message"]
OK, NOT_ESTIMABLE = Status.OK.value, Status.NOT_ESTIMABLE.value


def _usable_waves(frame: pd.DataFrame, outcome: str, waves: Sequence[str], min_cell: int
                  ) -> list[str]:
    """Waves (the first always first) answered by at least ``min_cell`` people in each arm;
    [] when the first is not."""
    def enough(w: str) -> bool:
        seen = frame[f"{outcome}_{w}"].notna()
        return all(int((seen & (frame[ARM] == a)).sum()) >= min_cell for a in (0, 1))
    if not enough(waves[0]):
        return []
    return [w for w in waves if enough(w)]


def _fiml(design: Design, outcomes: Mapping[str, list[str]], aux_list, joint: bool,
          se: str) -> list[dict]:
    groups = [dict(outcomes)] if joint else [{k: v} for k, v in outcomes.items()]
    rows = []
    for g in groups:
        cols = {k: [f"{k}_{w}" for w in ws] for k, ws in g.items()}
        aux = design.auxiliaries if joint else aux_list(list(g)[0])
        try:
            found = fiml_arm_rows(design.frame, cols, ARM, design.covariates, aux, se=se)
        except DataError as exc:
            found = [{"outcome": k, "estimand": e, "k": i, "status": NOT_ESTIMABLE,
                      "message": str(exc)} for k, ws in g.items() for i in range(len(ws))
                     for e in ("mean_ref", "mean_prog", "did", "chg_ref", "chg_prog")
                     if i or e.startswith("mean")]
        for r in found:
            r["method"] = "fiml"
            if r["status"] == OK:
                r["message"] = f"{r.pop('auxiliaries')} auxiliary variables; {se} SE"
        rows += found
    return rows


def _method_rows(design: Design, usable: Mapping[str, list[str]], methods: Sequence[str], *,
                 aux_list, joint: bool, fiml_se: str, imputed, m: int, weighting: str
                 ) -> list[dict]:
    rows: list[dict] = []
    for method in methods:
        if method == "fiml":
            rows += _fiml(design, usable, aux_list, joint, fiml_se)
            continue
        if method == "mi" and imputed is None:
            rows += [{"outcome": k, "estimand": e, "k": i, "method": "mi",
                      "status": NOT_ESTIMABLE, "message": "no imputations of the arm, the "
                      "covariates and the outcome (the impute stage's columns)"}
                     for k, ws in usable.items() for i in range(len(ws))
                     for e in ("mean_ref", "mean_prog", "did", "chg_ref", "chg_prog")
                     if i or e.startswith("mean")]
            continue
        for k, ws in usable.items():
            for r in (cc_rows(design.frame, k, ws, ARM, design.covariates)
                      if method == "complete_case" else
                      weighted_rows(design.frame, k, ws, ARM, "ps_weight", weighting)
                      if method == "weighted" else
                      mi_rows(imputed, k, ws, ARM, design.covariates, m)):
                r.setdefault("method", method)
                rows.append(r)
    for r in rows:  # k -> the wave (within the outcome's usable waves)
        r["wave"] = usable[r["outcome"]][r.pop("k")]
    return rows


def _finish(t: pd.DataFrame, conf: float) -> pd.DataFrame:
    est, se = t["est"].to_numpy(float), t["se"].to_numpy(float)
    df = t["df"].to_numpy(float)
    fin = np.isfinite(df)
    q = np.where(fin, t_ppf(0.5 + conf / 2, np.where(fin, df, 1)),
                 norm_ppf(0.5 + conf / 2))
    t["ci_lower"], t["ci_upper"], t["ci_level"] = est - q * se, est + q * se, conf
    with np.errstate(divide="ignore", invalid="ignore"):
        zt = np.abs(est / se)
    t["pvalue"] = np.where(fin, 2 * t_sf(zt, np.where(fin, df, 1)), 2 * norm_sf(zt))
    return t


def _stand_ins(t: pd.DataFrame, order: Sequence[str]) -> pd.DataFrame:
    t["stands_in"] = ""
    for i in t.index[(t["role"] == "primary") & (t["status"] != OK)]:
        r = t.loc[i]
        same = t[(t["outcome"] == r["outcome"]) & (t["wave"] == r["wave"])
                 & (t["estimand"] == r["estimand"]) & (t["arm"] == r["arm"])
                 & (t["status"] == OK)]
        sub = [m for m in order if m in set(same["method"])]
        if sub:
            t.loc[i, "stands_in"] = sub[0]
            t.loc[i, "message"] = (f"{str(r['message']).rstrip('.')}; {sub[0]} stands in for "
                                   f"the primary method ({r['method']})").lstrip("; ")
    return t


def comparison_estimates(design: Design, outcomes: Sequence[str], waves: Sequence[str], *,
                         methods: Sequence[str], primary: str, aux_list, joint: bool,
                         fiml_se: str, conf: float, min_cell: int, units: Mapping[str, tuple],
                         imputed=None, m: int = 0, weighting: str = "overlap",
                         adjusted_for: Sequence[str] = ()) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(comparison_change table, comparison_means table); see the module notes.
    ``imputed()``: the completed design frames one at a time (MI); ``aux_list(outcome)``: the
    auxiliaries of a per-outcome FIML fit (``joint``: one fit, ``design.auxiliaries``);
    ``units``: outcome -> (units text, scale min, scale max)."""
    f = design.frame
    usable = {k: ws for k in outcomes if len(ws := _usable_waves(f, k, waves, min_cell)) >= 2}
    rows = _method_rows(design, usable, methods,
                        aux_list=aux_list, joint=joint, fiml_se=fiml_se, imputed=imputed, m=m,
                        weighting=weighting)
    for k in outcomes:
        for w in waves[1:]:
            if k not in usable or w not in usable[k]:
                rows.append({"outcome": k, "wave": w, "estimand": "did", "method": primary,
                             "status": NOT_ESTIMABLE, "message": f"fewer than {min_cell} "
                             f"people answered {k} at {w} (or at {waves[0]}) in an arm"})
    t = _finish(pd.DataFrame(rows).reindex(columns=[*CHANGE_COLUMNS, "k"]), conf)
    names = {"did": "programme - reference", "chg_ref": design.reference,
             "chg_prog": design.programme, "mean_ref": design.reference,
             "mean_prog": design.programme}
    t["estimand_key"] = t["estimand"]
    t["arm"] = t["estimand"].map(names)
    t["role"] = np.where(t["method"] == primary, "primary", "sensitivity")
    t.loc[t["status"] != OK, ["est", "se", "ci_lower", "ci_upper", "pvalue"]] = np.nan
    means = t[t["estimand_key"].str.startswith("mean")].copy()
    t = t[~t["estimand_key"].str.startswith("mean")].copy()
    t["estimand"] = np.where(t["estimand_key"] == "did", "difference in change",
                             "change within arm")
    t["contrast"] = t["wave"] + f" - {waves[0]}"
    for code, col in ((1, "n_pairs_programme"), (0, "n_pairs_reference")):
        inside = f[ARM] == code
        t[col] = [int((f[f"{k}_{w}"].notna() & f[f"{k}_{waves[0]}"].notna() & inside).sum())
                  for k, w in zip(t["outcome"], t["wave"])]
    t["adjusted_for"] = np.where(t["method"] == "weighted", "propensity weights",
                                 ", ".join(adjusted_for) or "none")
    t["units"] = t["outcome"].map({k: u[0] for k, u in units.items()})
    t["scale_min"] = t["outcome"].map({k: u[1] for k, u in units.items()})
    t["scale_max"] = t["outcome"].map({k: u[2] for k, u in units.items()})
    order = {m_: i for i, m_ in enumerate(methods)}
    emap = {"did": 0, "chg_ref": 1, "chg_prog": 2}
    t = t.assign(_o=t["outcome"].map({k: i for i, k in enumerate(outcomes)}),
                 _w=t["wave"].map({w: i for i, w in enumerate(waves)}),
                 _e=t["estimand_key"].map(emap), _m=t["method"].map(order)).sort_values(
        ["_o", "_w", "_e", "_m"], kind="stable")
    t = _stand_ins(t.reset_index(drop=True), methods)
    means["role_arm"] = np.where(means["estimand_key"] == "mean_prog", "programme", "reference")
    means["n_observed"] = [int((f[f"{k}_{w}"].notna() & (f[ARM] == (r == "programme"))).sum())
                           for k, w, r in zip(means["outcome"], means["wave"],
                                              means["role_arm"])]
    means = means[means["method"] != "weighted"]
    return t[CHANGE_COLUMNS].reset_index(drop=True), means[MEANS_COLUMNS].reset_index(drop=True)
