"""The imputation chains in parts (pipeline/missing_data/chains.py): how many parts, which chains
each holds, the part file, and gathering the parts into the result of one run of all chains."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.config import config_from_dict
from pipeline.errors import InputFileError
from pipeline.missing_data import chains
from pipeline.stats.mice import mice, mice_plan

ROOT = Path(__file__).resolve().parents[2]


def _cfg(**missing_data):
    """The demo's config with ``missing_data`` keys replaced (``chain_blocks`` auto unless
    given: the demo itself runs its chains in one job, see config/studies/demo.yaml)."""
    missing_data.setdefault("chain_blocks", "auto")
    raw = yaml.safe_load((ROOT / "config" / "studies" / "demo.yaml").read_text())
    raw = copy.deepcopy(raw)
    raw["missing_data"] = {**(raw.get("missing_data") or {}), **missing_data}
    return config_from_dict(raw, root=ROOT)


def _frame(n=120, seed=3):
    """Numeric and categorical columns, some missing, one predictor a copy of another (events in
    the log) and a variable with a single missing value (its SD trace is NaN)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    df = pd.DataFrame({
        "x": x, "x2": 3 * x - 1,
        "g": pd.Categorical(rng.choice(["a", "b", "c"], n)),
        "y": x + rng.normal(size=n), "w": rng.normal(size=n),
    })
    df.loc[rng.random(n) < 0.3, "y"] = np.nan
    df.loc[rng.random(n) < 0.2, "g"] = np.nan
    df.loc[7, "w"] = np.nan
    return df


def test_auto_parts_follow_m_and_a_number_is_kept_within_m():
    assert chains.chain_blocks(_cfg()) == 2  # m auto, m_max 100: 2 jobs for two cores
    assert chains.chain_blocks(_cfg(m_max=400)) == 8
    assert chains.chain_blocks(_cfg(m_max=401)) == 8  # at most MAX_BLOCKS
    assert chains.chain_blocks(_cfg(m=5)) == 2  # at least 2 ...
    assert chains.chain_blocks(_cfg(m_max=1, m_min=1)) == 1  # ... but never more than m
    assert chains.chain_blocks(_cfg(chain_blocks=6)) == 6
    assert chains.chain_blocks(_cfg(m=3, chain_blocks=6)) == 3


def test_chain_blocks_is_validated_with_the_key_named():
    from pipeline.errors import ConfigError

    with pytest.raises(ConfigError, match="chain_blocks"):
        chains.chain_blocks(_cfg(chain_blocks=0))
    with pytest.raises(ConfigError, match="chain_blocks"):
        chains.chain_blocks(_cfg(chain_blocks="many"))


@settings(max_examples=200, deadline=None)
@given(m=st.integers(1, 300), K=st.integers(1, 20))
def test_parts_hold_every_chain_once(m, K):
    ranges = [chains.block_range(m, K, k) for k in range(K)]
    got = [i for lo, hi in ranges for i in range(lo, hi)]
    assert got == list(range(m))
    sizes = [hi - lo for lo, hi in ranges]
    assert max(sizes) - min(sizes) <= 1


def test_a_part_outside_the_configured_ones_is_refused():
    with pytest.raises(InputFileError, match="chain_blocks"):
        chains.block_range(10, 2, 2)


def test_block_params_change_only_with_what_the_chain_jobs_read():
    base = chains.block_params(_cfg())
    assert chains.block_params(_cfg(sensitivity={"deltas": [-1, 0, 1]})) == base
    assert chains.block_params(_cfg(primary="mi")) == base
    assert chains.block_params(_cfg(iterations=7)) != base
    assert chains.block_params(_cfg(chain_blocks=3)) != base
    assert json.loads(base)["core"]["seed"] == _cfg().seed


@pytest.mark.parametrize("K", [1, 2, 3, 7])
def test_parts_written_and_gathered_give_one_runs_result(tmp_path, K):
    """Each part through its file (as the impute_chains jobs write them); the gathered result
    equals mice() of all chains at once, NaN traces, categorical codes and event log included;
    with K > m some parts hold no chain."""
    df = _frame()
    cols = list(df.columns)
    whole = mice(df, cols, m=5, iterations=3, seed=9)
    plan = mice_plan(df, cols, m=5, iterations=3, seed=9)
    paths = []
    for k in range(K):
        paths.append(tmp_path / f"chains_{k}.parquet")
        chains.write_part(plan, chains.run_block(plan, K, k), paths[-1])
    got = chains.gather(mice_plan(df, cols, m=5, iterations=3, seed=9), paths[::-1])
    for name in whole.variables:
        np.testing.assert_array_equal(got.imputations.cells[name], whole.imputations.cells[name])
        pd.testing.assert_frame_equal(got.imputations[4], whole.imputations[4])
    np.testing.assert_array_equal(got.chain_means, whole.chain_means)
    np.testing.assert_array_equal(got.chain_sds, whole.chain_sds)
    assert np.isnan(whole.chain_sds[:, :, whole.variables.index("w")]).all()
    pd.testing.assert_frame_equal(got.log, whole.log)
    assert "predictor_removed" in set(whole.log["event"])
    part = pd.read_parquet(paths[0])
    assert list(part.columns) == ["chain", "variable", "cells", "mean", "sd"]


def test_a_stale_or_missing_part_is_refused_with_what_to_do(tmp_path):
    df = _frame()
    cols = list(df.columns)
    plan = mice_plan(df, cols, m=4, iterations=2, seed=9)
    paths = [tmp_path / f"chains_{k}.parquet" for k in range(2)]
    for k, p in enumerate(paths):
        chains.write_part(plan, chains.run_block(plan, 2, k), p)
    with pytest.raises(InputFileError,
                       match="do not fit together.*end at 2, not at m=4.*delete the folder"):
        chains.gather(plan, paths[:1])
    for other in (mice_plan(df, cols, m=4, iterations=2, seed=10),
                  mice_plan(df, cols, m=4, iterations=3, seed=9),
                  mice_plan(df.iloc[1:], cols, m=4, iterations=2, seed=9),
                  mice_plan(df.assign(x=df["x"] + 1e-9), cols, m=4, iterations=2, seed=9),
                  mice_plan(df, cols, m=4, iterations=2, seed=9, donors=3)):
        with pytest.raises(InputFileError, match="another imputation run.*delete"):
            chains.gather(other, paths)
    paths[1].write_text("not parquet")
    with pytest.raises(InputFileError, match="not an imputation chain part"):
        chains.gather(plan, paths)


def test_a_part_holds_no_participant_ids(tmp_path):
    df = _frame()
    df.insert(0, "pid", [f"SP-{i:04d}" for i in range(len(df))])
    plan = mice_plan(df, list(df.columns[1:]), m=2, iterations=1, seed=9)
    path = tmp_path / "chains_0.parquet"
    chains.write_part(plan, plan.run(0, 2), path)
    assert b"SP-" not in path.read_bytes()


def test_a_part_whose_rows_do_not_fit_is_refused(tmp_path):
    """A part with the right metadata but a row cut short (a damaged or hand-edited file)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    df = _frame()
    plan = mice_plan(df, list(df.columns), m=2, iterations=2, seed=9)
    path = tmp_path / "chains_0.parquet"
    chains.write_part(plan, plan.run(0, 2), path)
    table = pq.read_table(path)
    cells = table.column("cells").to_pylist()
    cells[1] = cells[1][:-1]
    cut = table.set_column(2, "cells", pa.array(cells, table.schema.field("cells").type))
    pq.write_table(cut.replace_schema_metadata(table.schema.metadata), path)
    with pytest.raises(InputFileError, match="does not hold the imputed cells"):
        chains.read_part(plan, path)


def test_a_chain_job_does_not_import_matplotlib():
    """The impute_chains jobs import the impute stage but draw nothing: matplotlib (about half
    a second of a job on two cores) is imported only where a figure is drawn (issue 14)."""
    import subprocess
    import sys

    code = "import sys, pipeline.missing_data.stage; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
