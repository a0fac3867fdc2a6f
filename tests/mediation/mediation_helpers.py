"""Shared helpers of the mediation tests: the reference data and a wide.parquet-like frame."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.mediation.complete_case import CompleteCaseBootstrap
from pipeline.mediation.fiml import FIMLMonteCarlo
from pipeline.mediation.mi import BootMI
from pipeline.mediation.spec import build_specs
from pipeline.settings import section_defaults, section_settings

FIXTURES = Path(__file__).parents[1] / "fixtures" / "mediation"
SCALES = {  # scale key -> label
    "group_memberships": "Group memberships",
    "belonging": "Community belonging",
    "support": "Social support",
    "loneliness": "Loneliness",
    "qol": "Quality of life",
}
#: construct -> (score min, score max, score) as settings.from_config derives them from the config
RANGES = {"group_memberships": (1.0, 7.0, "mean"), "belonging": (1.0, 7.0, "mean"),
          "support": (1.0, 7.0, "mean"), "loneliness": (3.0, 9.0, "sum"),
          "qol": (0.0, 100.0, "mean")}
WAVES = ["T0", "T1", "T2"]
COVARIATES = {
    "age": {"column": "age", "type": "numeric"},
    "gender": {"column": "gender", "type": "categorical",
               "levels": ["Woman", "Man", "Non-binary / other"]},
}
DESIGN = ["x", "age", "female", "m1", "m2", "m3", "y"]   # design order of the reference data


def load_chain() -> pd.DataFrame:
    return pd.read_csv(FIXTURES / "chain_n630.csv")


def load_json(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text())


def chain_design(df: pd.DataFrame | None = None) -> np.ndarray:
    df = load_chain() if df is None else df
    return np.column_stack([np.ones(len(df)), df[DESIGN].to_numpy(dtype=float)])


def wide_from_chain(df: pd.DataFrame | None = None, seed: int = 1) -> pd.DataFrame:
    """A wide.parquet-shaped frame whose default analysis equals the reference chain:
    group_memberships_T1 - group_memberships_T0 = x, belonging/support/loneliness/qol at T1."""
    df = load_chain() if df is None else df
    rng = np.random.default_rng(seed)
    n = len(df)
    gm0 = rng.normal(4, 1, n).round(4)
    wide = pd.DataFrame({
        "pid": [f"p{i:04d}" for i in range(n)],
        "age": df["age"],
        "gender": np.where(df["female"] == 1, "Woman", "Man"),
        "group_memberships_T0": gm0,
        "group_memberships_T1": gm0 + df["x"],
        "belonging_T0": df["m1"] + rng.normal(0, 1, n),
        "belonging_T1": df["m1"],
        "support_T0": df["m2"] + rng.normal(0, 1, n),
        "support_T1": df["m2"],
        "loneliness_T0": df["m3"] + rng.normal(0, 1, n),
        "loneliness_T1": df["m3"],
        "qol_T0": df["y"] + rng.normal(0, 8, n),
        "qol_T1": df["y"],
        "group_memberships_T2": gm0 + rng.normal(0, 1, n),
        "belonging_T2": df["m1"] + rng.normal(0, 1, n),
        "support_T2": df["m2"] + rng.normal(0, 1, n),
        "loneliness_T2": df["m3"] + rng.normal(0, 1, n),
        "qol_T2": df["y"] + rng.normal(0, 8, n),
    })
    for w in WAVES:
        wide[f"responded_{w}"] = True
    return wide


def reference_spec(**overrides):
    """The default chain with covariates age and gender (= the reference model's age, female)."""
    a = {
        "x": {"construct": "group_memberships", "change": ["T0", "T1"]},
        "mediators": [{"construct": c, "wave": "T1"}
                      for c in ("belonging", "support", "loneliness")],
        "y": {"construct": "qol", "wave": "T1"},
        "covariates": ["age", "gender"],
    }
    a.update(overrides)
    return specs({"chain": a})[0]


def specs(analyses: dict, waves=WAVES):
    """Specs of ``mediation.analyses`` entries, schema defaults filled in (as from_config does)."""
    filled = section_settings({"mediation": {"analyses": analyses}}, "mediation")["analyses"]
    return tuple(replace(sp, scale_ranges=RANGES)
                 for sp in build_specs(filled, SCALES, waves, COVARIATES))


DEFAULTS = section_defaults("mediation")   # the schema's defaults, the only ones


def common(**kw) -> dict:
    """The settings every estimator takes, schema defaults unless overridden."""
    out = {"seed": 1, "conf": DEFAULTS["bootstrap"]["conf"], "min_df": DEFAULTS["min_df"],
           "warn_n": DEFAULTS["warn_n"]}
    out.update(kw)
    return out


def complete_case(*, B: int = 200, ci: str | None = None, plan=None, chunk_draws=None, **kw):
    return CompleteCaseBootstrap(B=B, ci=ci or DEFAULTS["bootstrap"]["ci"], plan=plan,
                                 chunk_draws=chunk_draws, **common(**kw))


def fiml(*, mc_draws: int = 2000, **kw):
    return FIMLMonteCarlo(mc_draws=mc_draws, **common(**kw))


def boot_mi(impute_fn, *, B: int = 100, M: int = 2, plan=None, **kw):
    return BootMI(B=B, M=M, impute_fn=impute_fn, plan=plan, **common(**kw))
