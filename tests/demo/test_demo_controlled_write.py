"""pipeline.demo.controlled_write and ``python -m pipeline.demo --study controlled``: byte-
reproducible files, the committed data/raw/demo_controlled/ is what the generator writes, the
.sav declares its labels and user-missing codes (the demo's own files staying byte for byte:
test_demo_schemes.py)."""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from pipeline.demo import controlled_layout as ctl
from pipeline.demo.__main__ import main
from pipeline.demo.controlled_write import write_controlled

ROOT = Path(__file__).resolve().parents[2]
COMMITTED = ROOT / "data" / "raw" / ctl.STUDY_DIR
HINT = "stale: re-run python -m pipeline.demo --study controlled"


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    return write_controlled(tmp_path_factory.mktemp("controlled"))


def test_two_writes_are_byte_identical(written, tmp_path):
    again = write_controlled(tmp_path)
    assert set(written) == {"T0", "T1", "T2", "defects", "readme"}
    for key in written:
        assert _sha(written[key]) == _sha(again[key]), key


def test_committed_files_match_the_generator(written):
    """Text files byte for byte; the Excel and SPSS files by content (a newer openpyxl or
    pyreadstat may serialise differently)."""
    import pyreadstat

    for key, path in written.items():
        committed = COMMITTED / path.name
        assert committed.exists(), f"{committed} missing: {HINT}"
        if key in {"T0", "defects", "readme"}:
            assert committed.read_bytes() == path.read_bytes(), f"{committed.name} {HINT}"
    pd.testing.assert_frame_equal(pd.read_excel(COMMITTED / written["T1"].name),
                                  pd.read_excel(written["T1"]), obj=HINT)
    with zipfile.ZipFile(COMMITTED / written["T1"].name) as zc, \
            zipfile.ZipFile(written["T1"]) as zg:
        assert zc.read("docProps/core.xml") == zg.read("docProps/core.xml"), HINT
    a, _ = pyreadstat.read_sav(COMMITTED / written["T2"].name, user_missing=True)
    b, _ = pyreadstat.read_sav(written["T2"], user_missing=True)
    pd.testing.assert_frame_equal(a, b, obj=HINT)


def test_sav_labels_and_user_missing(written):
    import pyreadstat

    t2, meta = pyreadstat.read_sav(written["T2"], user_missing=True)
    assert meta.variable_value_labels["sisi"][7.0] == "Strongly agree"
    assert meta.variable_value_labels["lon1"][3.0] == "Often"
    assert meta.variable_value_labels["gp_visits"] == {-99.0: "Refused"}
    assert set(meta.missing_ranges) == {"eq_vas", "gp_visits"}
    assert meta.column_names_to_labels["sisi"] == "I identify with the groups I belong to"
    assert meta.column_names_to_labels["gp_visits"] == "GP visits in the last 3 months"
    assert (t2["gp_visits"] == -99).sum() == 2
    plain, _ = pyreadstat.read_sav(written["T2"])
    assert not (plain[list(ctl.ITEM_COLUMNS)] == -99).any().any()


def test_csv_arm_and_labels_read_back(written):
    t0 = pd.read_csv(written["T0"], dtype=str, keep_default_na=False)
    assert len(t0) == 753
    assert t0["arm"].str.strip().str.lower().isin(["social prescribing", "usual care", ""]).all()
    assert t0["sisi"].str.contains("[A-Za-z]", regex=True).sum() == 2


def test_cli_study_controlled(tmp_path, capsys):
    assert main(["--study", "controlled", "--out", str(tmp_path), "--n", "200",
                 "--no-readme"]) == 0
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == sorted([*ctl.FILES.values(), ctl.MANIFEST_FILE])
    assert capsys.readouterr().out.count("sha256:") == 4


def test_cli_study_controlled_refuses_waves(capsys):
    with pytest.raises(SystemExit):
        main(["--study", "controlled", "--waves", "5"])
    assert "three waves" in capsys.readouterr().err

