"""The committed fixtures are what make_fixtures.py writes, and every one is covered."""

from __future__ import annotations

import importlib.util
import io
import json

import pyreadstat
import pytest
from io_helpers import EXPECTED, FIXTURES

from pipeline.errors import PipelineError
from pipeline.ingest import parquet_safe, read_wave


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory):
    spec = importlib.util.spec_from_file_location("make_io_fixtures", FIXTURES / "make_fixtures.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    out = tmp_path_factory.mktemp("io_fixtures")
    module.main(out)
    return out


def test_regeneration_matches_committed_files(regenerated):
    made = sorted(p.name for p in regenerated.iterdir())
    committed = sorted(p.name for p in FIXTURES.iterdir() if p.suffix != ".py" and p.is_file())
    assert made == committed
    for name in made:
        if name.endswith((".sav", ".dta")):  # these embed a creation time: compare contents
            reader = pyreadstat.read_sav if name.endswith(".sav") else pyreadstat.read_dta
            assert reader(str(regenerated / name))[0].equals(reader(str(FIXTURES / name))[0]), name
        else:
            assert (regenerated / name).read_bytes() == (FIXTURES / name).read_bytes(), name


@pytest.mark.parametrize(
    "path", sorted(p for p in FIXTURES.iterdir() if p.suffix != ".py"), ids=lambda p: p.name
)
def test_every_fixture_is_read_or_refused_cleanly(path):
    """No fixture produces a bare exception; accepted ones keep the row invariant and JSON meta."""
    kw = {"id_column": "participant_id", "expected_columns": []}
    if path.name.startswith("redcap"):
        kw["event"] = "baseline_arm_1"
    if path.name.startswith("long_"):
        kw["wave_column"] = "wave"
        kw["event"] = "T0"
    if path.name.startswith("dta"):
        kw["id_column"] = "pid"
    try:
        r = read_wave(path, wave_id="T0", **kw)
    except PipelineError:
        return
    assert r.meta["n_rows_read"] == len(r.data) + r.n_dropped
    json.dumps(r.meta)
    parquet_safe(r.data)[0].to_parquet(io.BytesIO())
    assert list(r.log.columns) == ["file", "row", "column", "original_value", "issue", "action"]


def test_expected_columns_constant_matches_fixture_header():
    header = (FIXTURES / "csv_utf8.csv").read_text(encoding="utf-8").splitlines()[0].split(",")
    assert header == ["participant_id", *EXPECTED]
