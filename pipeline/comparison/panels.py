"""The cross-lagged models by arm: do the lagged effects differ between the arms?

Each analysis of ``comparison.crosslag`` (constructs, waves, models and covariates from the
crosslag wing's settings) is fitted per model (CLPM in ``sem()`` mode; RI-CLPM in ``lavaan()``
mode, Mulder & Hamaker 2021) as a two-group FIML model with the arm as the group
(:mod:`pipeline.comparison.armfits`; syntax from :mod:`pipeline.sem.panel_syntax`, the same
text the crosslag wing fits): the lagged effects free over time and free in each arm, and the
**cross-lagged** effects equal across arms (lavaan ``group.equal = "regressions"`` with the
autoregressive paths and the covariates' effects in ``group.partial``), so the test asks
whether one construct predicts another differently in the two arms. Tests: LR (ML) and, with
robust FIML SEs, the Satorra-Bentler scaled LR test (the headline when computable) and the
robust Wald test of the same equalities.

``comparison_crosslag.csv`` (:data:`CROSSLAG_COLUMNS`): per analysis, model and arm each
lagged effect (autoregressive and cross-lagged) of the free model with its Wald interval
(robust SEs under MLR).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.comparison.armfits import (
    ARM_GROUP,
    TEST_COLUMNS,
    ArmFits,
    arm_test_rows,
    fit_by_arm,
    wald_table,
)
from pipeline.errors import ModelError
from pipeline.sem.panel_syntax import model_syntax, observed_column, within_name
from pipeline.status import Status

__all__ = ["CROSSLAG_COLUMNS", "MODEL_NAMES", "lagged_rows", "panel_by_arm", "crosslag_tables"]

CROSSLAG_COLUMNS = ["analysis", "model", "arm", "role_arm", "kind", "from_construct",
                    "to_construct", "from_wave", "to_wave", "est", "se", "z", "pvalue",
                    "ci_lower", "ci_upper", "ci_level", "estimator", "n_arm", "status",
                    "message"]
MODEL_NAMES = {"clpm": "CLPM", "riclpm": "RI-CLPM"}


def lagged_rows(model: str, constructs, waves) -> list[tuple[str, str, str, str, str, str]]:
    """Every lagged path of the model: (lhs, rhs, from construct, to construct, from wave,
    to wave), in the syntax's order."""
    name = observed_column if model == "clpm" else within_name
    return [(name(dst, cur), name(src, prev), src, dst, prev, cur)
            for prev, cur in zip(waves, waves[1:]) for dst in constructs for src in constructs]


def _frame(wide: pd.DataFrame, panel, group: str) -> pd.DataFrame:
    cols = [observed_column(c, w) for c in panel.constructs for w in panel.waves]
    cols += [c for c in panel.covariates if c not in cols]
    absent = [c for c in cols if c not in wide.columns]
    if absent:
        raise ModelError(f"comparison by arm, cross-lagged analysis '{panel.name}': column(s) "
                         f"{absent} are not in the clean wide data; check crosslag.analyses.")
    w = wide[wide[group].notna()]
    frame = w[cols].apply(pd.to_numeric, errors="coerce").astype(float)
    frame[ARM_GROUP] = w[group].astype(str)
    return frame.reset_index(drop=True)


def panel_by_arm(wide: pd.DataFrame, panel, model: str, group: str, arms: tuple[str, str], *,
                 robust: bool) -> ArmFits:
    """The fits of one cross-lagged model by arm (see the module notes)."""
    name = f"{MODEL_NAMES[model]} {panel.name} by arm"
    paths = lagged_rows(model, panel.constructs, panel.waves)
    cross = [f"{lhs}~{rhs}" for lhs, rhs, src, dst, *_ in paths if src != dst]
    if not cross:
        return ArmFits(name, arms, status=Status.NOT_RUN.value,
                       message="one construct: no cross-lagged effects to compare")
    covs = list(panel.covariates) if model == "riclpm" else []
    try:
        syntax = model_syntax(model, list(panel.constructs), list(panel.waves),
                              covariates=covs)
        frame = _frame(wide, panel, group)
    except ModelError as exc:
        return ArmFits(name, arms, status=Status.NOT_ESTIMABLE.value, message=str(exc))
    partial = [f"{lhs}~{rhs}" for lhs, rhs, src, dst, *_ in paths if src == dst]
    partial += [f"{observed_column(c, w)}~{v}" for c in panel.constructs for w in panel.waves
                for v in covs]
    return fit_by_arm(name, syntax, frame, arms, equal=["regressions"], partial=partial,
                      wald_rows=cross, robust=robust,
                      mode="sem" if model == "clpm" else "lavaan")


def _rows(fits: ArmFits, panel, model: str, conf: float) -> pd.DataFrame:
    ref, prog = fits.arms
    est = wald_table(fits.reported.estimates, conf)
    est = est[est["op"] == "~"].set_index(["group", "lhs", "rhs"])
    out = []
    for arm in (prog, ref):
        for lhs, rhs, src, dst, w0, w1 in lagged_rows(model, panel.constructs, panel.waves):
            r = est.loc[(arm, lhs, rhs)]
            out.append({"arm": arm, "role_arm": "programme" if arm == prog else "reference",
                        "kind": "autoregressive" if src == dst else "cross-lagged",
                        "from_construct": src, "to_construct": dst, "from_wave": w0,
                        "to_wave": w1, "n_arm": fits.n(arm),
                        **{k: float(r[k]) for k in ("est", "se", "z", "pvalue", "ci_lower",
                                                    "ci_upper")}})
    return pd.DataFrame(out)


def crosslag_tables(fitted: list[tuple], conf: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(comparison_crosslag, comparison_crosslag_test) from ``(panel, model, fits)``."""
    rows, tests = [], []
    for panel, model, fits in fitted:
        tests += arm_test_rows(fits, panel.name, MODEL_NAMES[model], "cross-lagged effects")
        if not fits.ok:
            rows.append(pd.DataFrame([{"analysis": panel.name, "model": MODEL_NAMES[model],
                                       "status": fits.status, "message": fits.message}]))
            continue
        t = _rows(fits, panel, model, conf)
        t["analysis"], t["model"], t["ci_level"] = panel.name, MODEL_NAMES[model], conf
        t["estimator"] = "MLR" if fits.robust else "ML"
        t["status"] = Status.OK.value
        t["message"] = np.where(t["kind"] == "cross-lagged",
                                "FIML by arm (two-group model); lagged effects free over time",
                                "FIML by arm (two-group model)")
        rows.append(t)
    tab = (pd.concat(rows, ignore_index=True).reindex(columns=CROSSLAG_COLUMNS) if rows
           else pd.DataFrame(columns=CROSSLAG_COLUMNS))
    return tab, pd.DataFrame(tests).reindex(columns=TEST_COLUMNS)
