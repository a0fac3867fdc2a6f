"""The imputations file: imputed cells written by the impute stage, completed data sets rebuilt
one at a time by its readers (pipeline.stage_io; issue 15)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.errors import InputFileError
from pipeline.missing_data.imputation import cell_levels, imputed_cell_parts, imputed_cells
from pipeline.stage_io import StageIO, read_imputed, write_imputed_cells
from pipeline.stats.mice import mice


def _wide(n: int = 50, seed: int = 2) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({"pid": [f"P{i:03d}" for i in range(n)], "x": rng.normal(size=n),
                       "y": rng.normal(size=n), "g": rng.choice(["a", "b", "c"], n).astype(object),
                       "k": pd.Categorical(rng.choice(["u", "v"], n))})
    df.loc[: n // 5, "y"] = np.nan
    df.loc[n // 2: n // 2 + 4, "g"] = None
    df.loc[n - 6:, "k"] = np.nan
    return df


def _write(tmp_path, wide, m=4):
    cols = ["x", "y", "g", "k"]
    res = mice(wide, cols, m=m, iterations=2, seed=5)
    cells, levels = imputed_cells(res)
    path = tmp_path / "imp.parquet"
    write_imputed_cells(cells, res.m, cols, levels, path)
    return res, path


def test_round_trip_gives_back_every_completed_data_set(tmp_path):
    wide = _wide()
    res, path = _write(tmp_path, wide)
    sets = read_imputed(path, wide)
    assert len(sets) == 4 and sets.columns == ["pid", "x", "y", "g", "k"]
    for i, done in enumerate(res.imputations):
        got = sets[i]
        pd.testing.assert_frame_equal(got, done[sets.columns], check_exact=True)
    narrow = next(sets.frames(["y"]))
    assert list(narrow.columns) == ["y"] and narrow["y"].notna().all()
    assert not sets.has_missing(["y", "g", "k"]) and sets.has_missing(["y"]) is False


def test_reader_aligns_by_pid_not_by_row_order(tmp_path):
    wide = _wide()
    res, path = _write(tmp_path, wide)
    shuffled = wide.sample(frac=1.0, random_state=1).reset_index(drop=True)
    got = read_imputed(path, shuffled)[2].set_index("pid").sort_index()
    want = res.imputations[2].set_index("pid").sort_index()[got.columns]
    pd.testing.assert_frame_equal(got, want, check_exact=True)


def test_imputations_that_do_not_fit_the_clean_data_are_refused(tmp_path):
    wide = _wide()
    _, path = _write(tmp_path, wide)
    newer = wide.copy()
    newer.loc[0, "y"] = 1.0  # a value the imputations filled is now observed
    with pytest.raises(InputFileError, match="rerun the impute rule"):
        read_imputed(path, newer)
    with pytest.raises(InputFileError, match="rerun the impute rule"):
        read_imputed(path, wide[wide["pid"] != "P000"].reset_index(drop=True))
    other = tmp_path / "other.parquet"
    wide.to_parquet(other)
    with pytest.raises(InputFileError, match="not an imputations file"):
        read_imputed(other, wide)


def test_file_size_grows_with_missing_cells_not_the_table(tmp_path):
    """Adding complete columns to the wide table does not grow the imputations file."""
    wide = _wide(200)
    _, small = _write(tmp_path, wide, m=10)
    extra = wide.assign(**{f"z{j}": np.arange(200.0) + j for j in range(30)})
    cells, levels = imputed_cells(mice(extra, ["x", "y", "g", "k"], m=10, iterations=2, seed=5))
    assert len(cells) == int(wide[["y", "g", "k"]].isna().sum().sum())
    write_imputed_cells(cells, 10, ["x", "y", "g", "k"], levels, tmp_path / "big.parquet")
    assert (tmp_path / "big.parquet").stat().st_size < 1.2 * small.stat().st_size


@settings(max_examples=25, deadline=None)
@given(n=st.integers(3, 40), m=st.integers(1, 5), share=st.floats(0.05, 0.8),
       seed=st.integers(0, 10_000))
def test_property_round_trip(tmp_path_factory, n, m, share, seed):
    rng = np.random.default_rng(seed)
    wide = pd.DataFrame({"pid": [f"id{i}" for i in range(n)], "a": rng.normal(size=n),
                         "b": rng.integers(1, 5, n).astype(float)})
    wide.loc[rng.random(n) < share, "b"] = np.nan
    wide.loc[0, "b"], wide.loc[1, "b"] = 1.0, 2.0  # observed, not constant
    res = mice(wide, ["a", "b"], m=m, iterations=1, seed=seed)
    cells, levels = imputed_cells(res)
    path = tmp_path_factory.mktemp("imp") / "i.parquet"
    write_imputed_cells(cells, m, ["a", "b"], levels, path)
    sets = read_imputed(path, wide)
    assert len(sets) == m
    for i in range(m):
        pd.testing.assert_frame_equal(sets[i], res.imputations[i][["pid", "a", "b"]],
                                      check_exact=True)


def test_streamed_parts_give_the_same_file_as_one_table(tmp_path):
    """The impute stage streams one part per variable (no concatenated copy): the completed
    data sets read back are the same as from the one-table write, and the file holds one row
    group per variable."""
    import pyarrow.parquet as pq

    wide = _wide(80)
    cols = ["x", "y", "g", "k"]
    res = mice(wide, cols, m=3, iterations=2, seed=5)
    write_imputed_cells(imputed_cell_parts(res), res.m, cols, cell_levels(res),
                        tmp_path / "s.parquet")
    cells, levels = imputed_cells(res)
    write_imputed_cells(cells, res.m, cols, levels, tmp_path / "o.parquet")
    assert pq.ParquetFile(tmp_path / "s.parquet").metadata.num_row_groups == 3  # y, g, k
    a, b = read_imputed(tmp_path / "s.parquet", wide), read_imputed(tmp_path / "o.parquet", wide)
    for i in range(3):
        pd.testing.assert_frame_equal(a[i], b[i], check_exact=True)
        pd.testing.assert_frame_equal(a[i], res.imputations[i][a.columns], check_exact=True)


def test_cells_in_any_order_are_held_once(tmp_path):
    """Cells of several variables interleaved in the file are placed by pid; every variable's
    imputed values are views of one m x cells matrix (one copy, issue 15)."""
    wide = _wide(60)
    wide.loc[40:44, "x"] = np.nan  # two numeric imputed variables
    res, path = _write(tmp_path, wide, m=3)
    cells, levels = imputed_cells(res)
    shuffled = cells.sample(frac=1.0, random_state=3).reset_index(drop=True)
    write_imputed_cells(shuffled, 3, ["x", "y", "g", "k"], levels, tmp_path / "sh.parquet")
    sets = read_imputed(tmp_path / "sh.parquet", wide)
    for i in range(3):
        pd.testing.assert_frame_equal(sets[i], res.imputations[i][sets.columns],
                                      check_exact=True)
    numeric = [v[1] for v in sets.cells.values() if v[2]]
    assert len(numeric) == 2 and all(v.base is not None for v in numeric)
    assert all(v.base is numeric[0].base for v in numeric)  # blocks of one matrix


def test_an_empty_imputations_file_reads_back_empty_sets(tmp_path):
    wide = _wide(20).dropna().reset_index(drop=True)
    write_imputed_cells(iter([]), 3, ["x", "y"], {}, tmp_path / "e.parquet")
    sets = read_imputed(tmp_path / "e.parquet", wide)
    assert len(sets) == 3 and not sets.cells
    pd.testing.assert_frame_equal(sets[0], wide[["pid", "x", "y"]])


def test_stage_io_refuses_undeclared_outputs(tmp_path):
    io = StageIO(outputs={"figs": [str(tmp_path / "a.png")]})
    assert io.member("figs", "a.png").name == "a.png"
    with pytest.raises(KeyError):
        io.member("figs", "b.png")
