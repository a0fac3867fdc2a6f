"""Boot-MI scattered over jobs (pipeline/mediation/parts.py and the stage's block mode): the
pooled tables are byte-identical for any number of blocks, and what the mediation job would
have said about a failed imputation it still says."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from mediation_helpers import boot_mi, reference_spec, wide_from_chain

from pipeline.config import config_from_dict
from pipeline.errors import InputFileError
from pipeline.mediation.mi import draw_rows, mice_imputer
from pipeline.mediation.parts import PartsImputer, block_frame, block_range
from pipeline.mediation.stage import run
from pipeline.stage_io import StageIO
from pipeline.stats.mice import mice

ROOT = Path(__file__).resolve().parents[2]


def _wide() -> pd.DataFrame:
    wide = wide_from_chain()
    rng = np.random.default_rng(4)
    for col, share in [("qol_T1", 0.3), ("support_T1", 0.25), ("group_memberships_T1", 0.2)]:
        wide.loc[rng.random(len(wide)) < share, col] = np.nan
    return wide


def _imputer():
    return mice_imputer(mice, iterations=2, method="pmm", donors=5, ridge=1e-5)


@pytest.mark.parametrize("B,K", [(10, 1), (10, 3), (7, 7), (100, 8)])
def test_blocks_cover_every_sample_once(B, K):
    ranges = [block_range(B, K, k) for k in range(K)]
    assert ranges[0][0] == 0 and ranges[-1][1] == B
    assert all(a[1] == b[0] for a, b in zip(ranges, ranges[1:], strict=False))
    assert max(hi - lo for lo, hi in ranges) - min(hi - lo for lo, hi in ranges) <= 1


def test_a_block_outside_the_configured_ones_is_refused():
    with pytest.raises(InputFileError, match="block 3"):
        block_range(10, 3, 3)


def test_draw_rows_equal_the_full_plan_for_any_range():
    est = boot_mi(_imputer(), B=500)
    p = est.prepare(_wide(), reference_spec(covariates=["age"]))
    full = p.plan.indices()
    for lo, hi in [(0, 500), (0, 1), (207, 209), (300, 500), (499, 500)]:
        np.testing.assert_array_equal(draw_rows(p.plan, lo, hi), full[lo:hi])


@pytest.mark.parametrize("K", [1, 3])
def test_pooled_blocks_give_the_unscattered_table(tmp_path, K):
    wide, spec = _wide(), reference_spec(covariates=["age"])
    whole = boot_mi(_imputer(), B=12, seed=3).fit(wide, spec)
    paths = []
    for k in range(K):
        paths.append(tmp_path / f"mi_block_{k}.parquet")
        block_frame(boot_mi(_imputer(), B=12, seed=3), wide, [spec], K, k).to_parquet(paths[-1])
    pooled = boot_mi(PartsImputer(_imputer(), paths), B=12, seed=3).fit(wide, spec)
    pd.testing.assert_frame_equal(pooled.table, whole.table, check_exact=True)
    pd.testing.assert_frame_equal(pooled.status, whole.status, check_exact=True)


def test_a_failed_imputation_in_a_block_is_the_same_failed_status(tmp_path):
    wide, spec = _wide(), reference_spec(covariates=["age"])

    def leaves_gaps(data, m, seed):
        return [data.copy() for _ in range(m)]

    whole = boot_mi(leaves_gaps, B=10).fit(wide, spec)
    paths = [tmp_path / f"p{k}.parquet" for k in range(2)]
    for k, path in enumerate(paths):
        block_frame(boot_mi(leaves_gaps, B=10), wide, [spec], 2, k).to_parquet(path)
    pooled = boot_mi(PartsImputer(leaves_gaps, paths), B=10).fit(wide, spec)
    assert whole.status["status"].iloc[0] == "failed"
    pd.testing.assert_frame_equal(pooled.status, whole.status)


def test_missing_parts_are_refused_with_the_fix(tmp_path):
    wide, spec = _wide(), reference_spec(covariates=["age"])
    path = tmp_path / "p0.parquet"
    block_frame(boot_mi(_imputer(), B=10), wide, [spec], 2, 0).to_parquet(path)
    with pytest.raises(InputFileError, match="5 of the 10 bootstrap samples"):
        PartsImputer(_imputer(), [path]).gram_source(spec.name, 10, 2, 7)


# --- the stage: block jobs then the pooling job, byte-identical tables for K = 1 and K = 3 ---

def _cfg(blocks: int):
    raw = yaml.safe_load((ROOT / "config" / "studies" / "demo.yaml").read_text())
    raw["mediation"].update(bootstrap={"B": 200}, fiml={"mc_draws": 1000},
                            mi={"B": 100, "M": 2, "iterations": 1, "blocks": blocks},
                            methods=["mi", "complete_case"])
    return config_from_dict(raw, root=ROOT)


def _run_workflow(tmp_path: Path, wide: pd.DataFrame, blocks: int) -> Path:
    tmp_path.mkdir()
    wide_path = tmp_path / "wide.parquet"
    wide.to_parquet(wide_path)
    cfg = _cfg(blocks)
    parts = [str(tmp_path / "parts" / f"mi_block_{k}.parquet") for k in range(blocks)]
    for k in reversed(range(blocks)):  # job order does not matter
        run(cfg, StageIO.from_json(json.dumps({"input": {"wide": str(wide_path)},
                                               "output": {"part": parts[k]},
                                               "wildcards": {"block": str(k)}})))
    figs = [str(tmp_path / "figures" / f"mediation_social_cure_chain_{k}.{e}")
            for k in ("path", "forest") for e in ("png", "svg")]
    run(cfg, StageIO.from_json(json.dumps({
        "input": {"wide": str(wide_path), "mi_parts": parts},
        "output": {name: str(tmp_path / "tables" / f"mediation_{name}.csv")
                   for name in ("estimates", "status", "sentences")} | {"figures": figs}})))
    assert sorted(p.name for p in (tmp_path / "parts").iterdir()) == sorted(
        Path(p).name for p in parts)
    return tmp_path / "tables"


def test_stage_tables_are_byte_identical_for_any_number_of_blocks(tmp_path):
    wide = _wide()
    one = _run_workflow(tmp_path / "k1", wide, 1)
    three = _run_workflow(tmp_path / "k3", wide, 3)
    for name in ("estimates", "status", "sentences"):
        assert (one / f"mediation_{name}.csv").read_bytes() == \
            (three / f"mediation_{name}.csv").read_bytes()
    est = pd.read_csv(one / "mediation_estimates.csv")
    assert set(est["method"]) == {"mi", "complete_case"} and (est["B"] > 0).all()
