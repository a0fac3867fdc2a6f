"""The clean stage's cross-wave guards."""

from __future__ import annotations

import copy
from pathlib import Path

import pandas as pd
import pytest
import yaml

from pipeline.config import config_from_dict
from pipeline.errors import DataError
from pipeline.clean.stage import check_unmatched

ROOT = Path(__file__).resolve().parents[2]


def _setup(n_bad: int, limit=None):
    raw_cfg = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    if limit is not None:
        raw_cfg = copy.deepcopy(raw_cfg)
        raw_cfg["cleaning"]["max_unmatched_share"] = limit
    cfg = config_from_dict(raw_cfg, root=ROOT)
    ids0 = [f"SP-{i:04d}" for i in range(1, 101)]
    ids1 = [f"SP-{i:04d}" for i in range(1, 51)]
    ids1 = [str(int(x[3:])) if k < n_bad else x for k, x in enumerate(ids1)]  # "12" for SP-0012
    raw = {
        "T0": pd.DataFrame({"participant_id": ids0, "_source_row": range(2, 102)}),
        "T1": pd.DataFrame({"participant_id": ids1, "_source_row": range(2, 52)}),
        "T2": pd.DataFrame({"participant_id": [], "_source_row": []}),
    }
    cleaned = [pd.DataFrame(index=range(100)), pd.DataFrame(index=range(50)),
               pd.DataFrame(index=range(0))]
    link_log = pd.DataFrame({"wave": "T1", "row": list(range(2, 2 + n_bad))})
    return cfg, cleaned, link_log, raw


def test_many_unmatched_followup_ids_are_refused_with_id_patterns():
    cfg, cleaned, link_log, raw = _setup(20)
    with pytest.raises(DataError) as exc:
        check_unmatched(cfg, cleaned, link_log, raw)
    msg = str(exc.value)
    assert "20 of the 50" in msg and "'99' x" in msg and "'AA-9999'" in msg
    assert "SP-00" not in msg, "raw ids are not printed"


def test_a_few_unmatched_ids_pass_and_the_limit_is_configurable():
    cfg, cleaned, link_log, raw = _setup(3)
    check_unmatched(cfg, cleaned, link_log, raw)  # 6% <= 10%
    cfg, cleaned, link_log, raw = _setup(20, limit=0.5)
    check_unmatched(cfg, cleaned, link_log, raw)
