"""Shared fixtures for the demo-study generator tests (one simulation, one pair of writes)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import pipeline.demo as demo
from pipeline.config import load_config

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def demo_cfg():
    return load_config(ROOT / "config" / "studies" / "demo.yaml")


@pytest.fixture(scope="session")
def study():
    return demo.simulate_demo(demo.DEFAULT_SEED)


@pytest.fixture(scope="session")
def written(tmp_path_factory):
    """Two writes of the default study into fresh folders."""
    first = tmp_path_factory.mktemp("demo_a")
    second = tmp_path_factory.mktemp("demo_b")
    return demo.write_demo(first, demo.DEFAULT_SEED), demo.write_demo(second, demo.DEFAULT_SEED)


def _config_clean(frame: pd.DataFrame, cfg) -> pd.DataFrame:
    """Independent of pipeline.demo and pipeline.clean: map labels (case and spaces ignored),
    drop out-of-range / -99, reverse-key, all driven by config/studies/demo.yaml."""
    out = {}
    for sc in cfg.scales.values():
        lm = {k.strip().lower(): float(v) for k, v in (sc.label_map or {}).items()}
        lo, hi = sc.range
        for it in sc.items:
            vals = [
                lm.get(v.strip().lower(), np.nan)
                if isinstance(v, str)
                else (np.nan if v is None or pd.isna(v) else float(v))
                for v in frame[it].tolist()
            ]
            s = pd.Series(vals, index=frame.index, dtype=float)
            s = s.where((s >= lo) & (s <= hi))
            out[it] = lo + hi - s if it in sc.reverse else s
    return pd.DataFrame(out)


@pytest.fixture(scope="session")
def config_clean(demo_cfg):
    """``config_clean(frame)``: cleaned items of a raw wave frame (see :func:`_config_clean`)."""
    return lambda frame: _config_clean(frame, demo_cfg)


# --- the controlled study (demo_controlled) ---------------------------------------------------


@pytest.fixture(scope="session")
def controlled_cfg():
    return load_config(ROOT / "config" / "studies" / "demo_controlled.yaml")


@pytest.fixture(scope="session")
def controlled_study():
    from pipeline.demo.controlled_layout import DEFAULT_SEED
    from pipeline.demo.controlled_simulate import simulate_controlled

    return simulate_controlled(DEFAULT_SEED)


@pytest.fixture(scope="session")
def controlled_clean(controlled_cfg):
    """``controlled_clean(frame)``: cleaned items of a raw controlled wave frame, driven by
    config/studies/demo_controlled.yaml (see :func:`_config_clean`)."""
    return lambda frame: _config_clean(frame, controlled_cfg)
