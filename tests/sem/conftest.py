"""Shared helpers for the SEM engine tests: the lavaan reference fixtures."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

LAVAAN_DIR = Path(__file__).resolve().parents[1] / "fixtures" / "lavaan"


def load_cases() -> dict[str, dict]:
    return {c["name"]: c for c in json.loads((LAVAAN_DIR / "cases.json").read_text())["cases"]}


def load_reference(name: str) -> dict:
    return json.loads((LAVAAN_DIR / "reference" / f"{name}.json").read_text())


def reference_estimates(name: str) -> pd.DataFrame:
    est = pd.DataFrame(load_reference(name)["estimates"])
    return est.rename(columns={"ci.lower": "ci_lower", "ci.upper": "ci_upper"})


def case_inputs(name: str) -> tuple[str, pd.DataFrame, dict]:
    """(syntax, data, fit_sem keyword arguments) of a reference case."""
    cs = load_cases()[name]
    syntax = (LAVAAN_DIR / "models" / cs["syntax"]).read_text()
    data = pd.read_csv(LAVAAN_DIR / cs["data"])
    kw = {"mode": cs["mode"], "missing": cs["missing"], "information": cs.get("information"),
          "se": "robust" if cs.get("estimator") == "MLR" else "standard", "name": name}
    return syntax, data, kw


@pytest.fixture(scope="session")
def fitted():
    """Memoised ``fit_sem`` of reference cases (each case is fitted once per session)."""
    from pipeline.sem import fit_sem

    cache: dict = {}

    def get(name: str):
        if name not in cache:
            syntax, data, kw = case_inputs(name)
            cache[name] = fit_sem(syntax, data, **kw)
        return cache[name]

    return get
