"""More waves and more schemes (issue 15): ``--waves W`` continues the demo study (same people,
the latent process, dropout and dates continuing), ``--schemes S`` writes S studies with their
own seeds and slightly different effects; the defaults write the committed demo files."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import pipeline.demo as demo
from pipeline.demo.__main__ import main
from pipeline.demo.latent import latent_moments
from pipeline.demo.layout import wave_file, wave_ids, wave_months
from pipeline.demo.schemes import SCHEME_PATHS, scheme_names, scheme_params, write_schemes

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def five():
    return demo.simulate_demo(demo.DEFAULT_SEED, 400, waves=5)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_defaults_write_the_committed_demo_files_byte_for_byte(tmp_path):
    committed = ROOT / "data" / "raw"
    if not (committed / "demo_T0_entry.csv").exists():
        pytest.skip("data/raw/ holds no demo files to compare with")
    assert main(["--out", str(tmp_path), "--waves", "3", "--schemes", "1"]) == 0
    for path in sorted(tmp_path.iterdir()):
        assert _sha(path) == _sha(committed / path.name), path.name


def test_three_of_five_waves_are_the_same_people_continuing(five):
    lat = five.latent
    assert sorted(lat["wave"].unique()) == list(wave_ids(5))
    per_wave = {w: g.set_index("participant_id") for w, g in lat.groupby("wave")}
    assert all(per_wave[w].index.equals(per_wave["T0"].index) for w in per_wave)
    # the random intercepts are the person's, at every wave
    for w in ("T3", "T4"):
        assert np.allclose(per_wave[w]["ri_gm"], per_wave["T0"]["ri_gm"])
    # the within-person process continues: T4 correlates with T3 more than with T0
    r = lambda a, b: np.corrcoef(per_wave[a]["eta_lon"], per_wave[b]["eta_lon"])[0, 1]  # noqa: E731
    assert r("T3", "T4") > r("T0", "T4")


def test_dropout_continues_and_later_waves_keep_mostly_the_last_waves_people(five):
    lat = five.latent[five.latent["in_panel"]]
    resp = {w: set(g.loc[g["responded"], "participant_id"]) for w, g in lat.groupby("wave")}
    n = {w: len(s) for w, s in resp.items()}
    assert n["T0"] == 400 and n["T1"] > n["T2"]
    p = demo.TRUE_PARAMS
    for prev, w in (("T2", "T3"), ("T3", "T4")):
        stay = round(p.cont_retention * n[prev])
        back = round(p.cont_return * n[prev])
        assert len(resp[w] & resp[prev]) == stay
        assert len(resp[w] - resp[prev]) == back
    assert n["T4"] < n["T3"] < n["T2"]


def test_later_waves_are_csv_files_with_later_dates_and_their_own_defects(five, tmp_path):
    paths = demo.write_demo(tmp_path, demo.DEFAULT_SEED, 400, waves=5)
    assert set(paths) == {"T0", "T1", "T2", "T3", "T4", "defects"}  # no README for 5 waves
    assert paths["T3"].name == wave_file("T3") == "demo_T3_10months.csv"
    assert wave_months("T4") == 13
    t2 = five.frames["T2"]
    t3 = pd.read_csv(paths["T3"], dtype=str)
    assert list(t3.columns) == ["participant_id", "completed_at", *demo.ITEM_COLUMNS]
    # every T3 completion comes after the same person's T2 completion
    lat_dates = pd.to_datetime(t3["completed_at"]).dropna()
    assert lat_dates.min() > pd.to_datetime(t2["completed_at"]).min()
    man = pd.read_csv(paths["defects"])
    later = man[man["wave"].isin(["T3", "T4"])]
    kinds = set(later["defect"])
    assert {"duplicate_submission", "id_format", "out_of_range", "unmatched_followup",
            "missing_date"} <= kinds
    assert set(later["file"]) == {wave_file("T3"), wave_file("T4")}


def test_fewer_waves_are_the_first_waves_of_the_demo():
    one = demo.simulate_demo(demo.DEFAULT_SEED, 200, waves=2)
    three = demo.simulate_demo(demo.DEFAULT_SEED, 200)
    assert list(one.frames) == ["T0", "T1"]
    pd.testing.assert_frame_equal(one.frames["T1"], three.frames["T1"])
    assert set(one.defects["wave"]) == {"T0", "T1"}


def test_latent_moments_extend_without_changing_the_first_three_waves():
    m3, m6 = latent_moments(n_waves=3), latent_moments(n_waves=6)
    assert np.array_equal(m3["within_cov"], m6["within_cov"][:3])
    assert np.array_equal(m3["means"], m6["means"][:3])
    # variance stays 1 at every later wave (the disturbances are solved for it)
    for t in range(6):
        total = np.diag(m6["within_cov"][t] + m6["between_cov"])
        assert np.allclose(total, 1.0)


def test_schemes_have_their_own_files_seeds_and_effects(tmp_path):
    written = write_schemes(tmp_path, 7, 150, waves=2, schemes=3)
    assert list(written) == scheme_names(3) == ["scheme_1", "scheme_2", "scheme_3"]
    for name, paths in written.items():
        assert paths["T0"].parent == tmp_path / name
        assert "readme" not in paths
    digests = {_sha(paths["T0"]) for paths in written.values()}
    assert len(digests) == 3
    params = [scheme_params(7, k) for k in (1, 2, 3)]
    assert len({p.a1 for p in params}) == 3
    # adding schemes leaves the others unchanged
    again = write_schemes(tmp_path / "more", 7, 150, waves=2, schemes=4)
    assert _sha(again["scheme_2"]["T0"]) == _sha(written["scheme_2"]["T0"])
    assert scheme_names(12)[0] == "scheme_01"


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), k=st.integers(1, 500))
def test_scheme_parameters_are_near_the_demo_and_proper(seed, k):
    p = scheme_params(seed, k)
    base = demo.TRUE_PARAMS
    for name in SCHEME_PATHS:
        ratio = getattr(p, name) / getattr(base, name)
        assert 0.85 - 1e-12 <= ratio <= 1.15 + 1e-12
    latent_moments(p, 3)  # proper: no ValueError
    assert p == scheme_params(seed, k)


def test_cli_writes_schemes_and_refuses_nonsense(tmp_path, capsys):
    assert main(["--out", str(tmp_path), "--n", "120", "--waves", "4", "--schemes", "2"]) == 0
    out = capsys.readouterr().out
    assert "scheme_2/T3" in out
    assert (tmp_path / "scheme_1" / "demo_T3_10months.csv").exists()
    with pytest.raises(SystemExit):
        main(["--out", str(tmp_path), "--waves", "0"])
