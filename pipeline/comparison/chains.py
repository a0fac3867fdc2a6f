"""The mediation chains by arm: does the chain work the same way in both arms?

Each chain of ``comparison.mediation`` (its spec from the mediation wing's settings: the same X,
mediators, Y, covariates and baseline adjustment as the single-group analysis) is fitted as a
two-group FIML model with the arm as the group (:mod:`pipeline.comparison.armfits`): the
chain's paths (a, d, b, c') free in each arm, and equal across arms; the LR test (ML) and,
with robust FIML SEs, the Satorra-Bentler scaled LR test (the headline when computable) and
the robust Wald test of the equalities. The chain's syntax is the
engine's (:func:`pipeline.sem.chain_syntax.chain_lavaan_syntax`), its variables are built as
the mediation wing builds them (a change score is the later wave minus the earlier; a
categorical covariate one 0/1 indicator per non-reference level; with ``adjust_baseline``
each chain variable's baseline level), and a covariate that does not vary within an arm (the
arm itself, a level nobody in an arm has) is left out, with a note.

``comparison_mediation.csv`` (:data:`MEDIATION_COLUMNS`): per arm the paths (Wald intervals)
and the indirect, total indirect and total effects, with Monte Carlo intervals (Preacher &
Selig 2012, as the single-group FIML analysis; ``mediation.fiml.mc_draws`` draws seeded
``comparison/mediation/<name>/mc``) and delta-method SEs (robust under MLR); the difference
between the arms (programme minus reference) of each effect from the same joint draws; and
the paths and effects of the equal-paths model ("both arms").
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from pipeline.comparison.armfits import (
    ARM_GROUP,
    TEST_COLUMNS,
    ArmFits,
    arm_test_rows,
    defined_draws,
    fit_by_arm,
    wald_table,
)
from pipeline.errors import DataError
from pipeline.seeds import seed_for
from pipeline.sem.chain_syntax import chain_lavaan_syntax, chain_path_labels
from pipeline.sem.montecarlo import percentile_interval
from pipeline.stats.distributions import norm_sf
from pipeline.status import Status

__all__ = ["MEDIATION_COLUMNS", "chain_frame", "chain_by_arm", "mediation_tables"]

MEDIATION_COLUMNS = ["analysis", "model", "arm", "role_arm", "effect", "path", "label", "est",
                     "se", "z", "pvalue", "ci_lower", "ci_upper", "ci_level", "ci_method",
                     "estimator", "n_arm", "status", "message"]
_KIND = {"a": "a", "d": "d", "b": "b", "cp": "direct", "ind_total": "indirect_total",
         "total": "total"}


def _safe(text: str) -> str:
    return re.sub(r"[^0-9A-Za-z_]+", "_", str(text)).strip("_")


def _value(wide: pd.DataFrame, b) -> pd.Series:
    cols = [pd.to_numeric(wide[c], errors="coerce") for c in b.source_columns]
    return cols[1] - cols[0] if b.change else cols[0]


def chain_frame(wide: pd.DataFrame, spec, group: str) -> tuple[pd.DataFrame, list[str]]:
    """(frame of the chain's variables and ``ARM_GROUP``, covariate names), the rows whose arm
    is known; names as the mediation wing's design (``pipeline.mediation.frame``)."""
    cols = [c for b in (spec.x, *spec.mediators, spec.y, *spec.scale_covariates,
                        *spec.baseline_bindings) for c in b.source_columns]
    cols += [spec.covariate_columns.get(k, k) for k in spec.covariates]
    absent = sorted({c for c in cols if c not in wide.columns})
    if absent:
        raise DataError(f"comparison by arm, chain '{spec.name}': column(s) {absent} are not in "
                        "the clean wide data; check mediation.analyses in the config.")
    w = wide[wide[group].notna()]
    out: dict[str, pd.Series] = {spec.x.column: _value(w, spec.x)}
    covs: list[str] = []
    for key in spec.covariates:
        col = w[spec.covariate_columns.get(key, key)]
        if key in spec.categorical:
            text = col.astype(object).where(col.notna())
            for lv in list(spec.categorical[key])[1:]:
                out[f"{key}_{_safe(lv)}"] = (text.astype(str) == lv).astype(float).where(
                    text.notna())
                covs.append(f"{key}_{_safe(lv)}")
        else:
            out[key] = pd.to_numeric(col, errors="coerce")
            covs.append(key)
    for b in (*spec.scale_covariates, *spec.baseline_bindings):
        out[b.column] = _value(w, b)
        covs.append(b.column)
    for b in (*spec.mediators, spec.y):
        out[b.column] = _value(w, b)
    frame = pd.DataFrame(out, index=w.index).astype(float)
    frame[ARM_GROUP] = w[group].astype(str)
    return frame.reset_index(drop=True), covs


def _wald_rows(x: str, mediators: list[str], y: str) -> list[str]:
    rows = [f"{m}~{x}" for m in mediators]
    rows += [f"{m}~{mediators[i]}" for j, m in enumerate(mediators) for i in range(j)]
    return rows + [f"{y}~{m}" for m in mediators] + [f"{y}~{x}"]


def chain_by_arm(wide: pd.DataFrame, spec, group: str, arms: tuple[str, str], *,
                 robust: bool) -> tuple[ArmFits, list[str]]:
    """(the fits of the chain by arm, notes): see the module notes."""
    try:
        frame, covs = chain_frame(wide, spec, group)
    except DataError as exc:
        return ArmFits(spec.name, arms, status=Status.NOT_ESTIMABLE.value, message=str(exc)), []
    inside = [frame[frame[ARM_GROUP] == a] for a in arms]
    keep = [c for c in covs if all(f[c].nunique(dropna=True) > 1 for f in inside)]
    dropped = [c for c in covs if c not in keep]
    notes = [f"left out (no variation within an arm): {', '.join(dropped)}"] if dropped else []
    frame = frame.drop(columns=[c for c in covs if c not in keep])
    x, meds, y = spec.x.column, [m.column for m in spec.mediators], spec.y.column
    syntax = chain_lavaan_syntax(x, meds, y, keep)
    fits = fit_by_arm(f"chain {spec.name} by arm", syntax, frame, arms,
                      equal=chain_path_labels(len(meds)), wald_rows=_wald_rows(x, meds, y),
                      robust=robust)
    return fits, notes


def _keep(label: str) -> bool:
    return bool(label) and not label.startswith("con_")


def _effect(label: str) -> str:
    if label.startswith("ind_") and label != "ind_total":
        return "indirect"
    return _KIND.get(label, _KIND.get(label[:1], label))


def _path_text(row, names: dict[str, str]) -> str:
    if row["op"] == "~":
        return f"{names.get(row['rhs'], row['rhs'])} -> {names.get(row['lhs'], row['lhs'])}"
    return str(row["label"])


def _arm_rows(fits: ArmFits, conf: float, draws: int, seed: int) -> list[pd.DataFrame]:
    ref, prog = fits.arms
    fit = fits.reported
    est = wald_table(fit.estimates, conf)
    est = est[est["label"].fillna("").map(_keep)].copy()
    mc = defined_draws(fit, draws, seed)
    lo, hi = {}, {}
    for g, by_name in mc.items():
        for name, d in by_name.items():
            low, high = percentile_interval(d[:, None], conf)
            lo[(g, name)], hi[(g, name)] = float(low[0]), float(high[0])
    is_def = est["op"] == ":="
    est.loc[is_def, "ci_lower"] = [lo[(g, n)] for g, n in zip(est.loc[is_def, "group"],
                                                              est.loc[is_def, "label"])]
    est.loc[is_def, "ci_upper"] = [hi[(g, n)] for g, n in zip(est.loc[is_def, "group"],
                                                              est.loc[is_def, "label"])]
    est["ci_method"] = np.where(is_def, "monte_carlo", "wald")
    est["model"], est["arm"] = "free", est["group"]
    est["role_arm"] = np.where(est["group"] == prog, "programme", "reference")
    est["n_arm"] = est["group"].map(fits.n)
    diff = []
    for name in [n for n in mc[prog] if _keep(n)]:
        d = mc[prog][name] - mc[ref][name]
        a = est[(est["label"] == name) & (est["op"] == ":=")].set_index("group")["est"]
        dl, dh = percentile_interval(d[:, None], conf)
        diff.append({"label": name, "op": ":=", "est": float(a[prog] - a[ref]),
                     "se": float(np.std(d, ddof=1)), "ci_lower": float(dl[0]),
                     "ci_upper": float(dh[0]), "ci_method": "monte_carlo", "model": "difference",
                     "arm": f"{prog} - {ref}", "role_arm": "programme - reference"})
    parts = [est]
    if diff:
        d = pd.DataFrame(diff)
        with np.errstate(invalid="ignore", divide="ignore"):
            d["z"] = d["est"] / d["se"]
        d["pvalue"] = 2 * norm_sf(np.abs(d["z"].to_numpy(float)))
        parts.append(d)
    return parts


def _equal_rows(fits: ArmFits, conf: float) -> pd.DataFrame:
    est = wald_table(fits.equal.estimates, conf)
    est = est[est["label"].fillna("").map(_keep) & est["equal"].astype(bool)]
    est = est.drop_duplicates(subset=["lhs", "op", "rhs"]).copy()
    est["ci_method"] = np.where(est["op"] == ":=", "delta", "wald")
    est["model"], est["arm"], est["role_arm"] = "equal", "both arms", "both arms"
    est["n_arm"] = sum(fits.n(a) for a in fits.arms)
    return est


def mediation_tables(fitted: list[tuple], conf: float, draws: int, seed: int,
                     ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(comparison_mediation, comparison_mediation_test) from ``(spec, fits, notes)``."""
    rows, tests = [], []
    for spec, fits, notes in fitted:
        label = spec.label or spec.name
        paths = ", ".join(chain_path_labels(len(spec.mediators)))
        tests += [{**r, "message": "; ".join([r["message"], *notes]).strip("; ")}
                  for r in arm_test_rows(fits, spec.name, "serial mediation", paths)]
        if not fits.ok:
            rows.append(pd.DataFrame([{"analysis": spec.name, "model": "free",
                                       "status": fits.status, "message": fits.message}]))
            continue
        names = {spec.x.column: spec.x.column}
        parts = _arm_rows(fits, conf, draws, seed_for(seed, f"comparison/mediation/"
                                                            f"{spec.name}/mc"))
        parts.append(_equal_rows(fits, conf))
        t = pd.concat(parts, ignore_index=True)
        t["path"] = [_path_text(r, names) for _, r in t.iterrows()]
        t["effect"] = t["label"].map(_effect)
        t["analysis"], t["ci_level"], t["status"] = spec.name, conf, Status.OK.value
        t["estimator"] = np.where(t["model"] == "equal", "ML",
                                  "MLR" if fits.robust else "ML")
        t["message"] = f"{label}; " + "; ".join(
            ["FIML by arm (two-group model)", *notes])
        rows.append(t)
    med = (pd.concat(rows, ignore_index=True).reindex(columns=MEDIATION_COLUMNS) if rows
           else pd.DataFrame(columns=MEDIATION_COLUMNS))
    return med, pd.DataFrame(tests).reindex(columns=TEST_COLUMNS)
