"""The change stage end to end through the workflow's own rules: a study whose loneliness
scale names the UCLA-3 preset and whose well-being is the ONS4 battery gets the shares per
published band (tables/change_bands.csv and its public copy, declared by rules/change.smk only
because the presets publish bands) and one bands sentence per banded construct."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]


def _study(tmp: Path) -> Path:
    rng = np.random.default_rng(11)
    n = 60
    waves = []
    for w, months in (("T0", 0), ("T1", 4)):
        d = {"participant_id": [f"P{i:03d}" for i in range(n)],
             "completed_at": [f"2024-0{1 + months // 4}-01"] * n}
        d |= {f"lon{i}": rng.integers(1, 4, n) for i in (1, 2, 3)}
        d |= {c: rng.integers(0, 11, n) for c in ("sat", "wor", "hap", "anx")}
        pd.DataFrame(d).to_csv(tmp / f"{w}.csv", index=False)
        waves.append({"id": w, "file": str(tmp / f"{w}.csv"), "months": months,
                      "date_column": "completed_at"})
    cfg = {"study": {"id": "banded"}, "seed": 1, "pseudonymisation": {"salt": "test"},
           "id_column": "participant_id", "waves": waves,
           "scales": {"loneliness": {"instrument": "ucla3", "items": ["lon1", "lon2", "lon3"]},
                      "ons": {"instrument": "ons4", "items": ["sat", "wor", "hap", "anx"]}},
           "missing_data": {"enabled": False}, "attrition": {"enabled": False}}
    path = tmp / "study.yaml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    return path


def test_band_tables_and_sentences_are_written(tmp_path):
    config = _study(tmp_path)
    work = tmp_path / "work"
    proc = subprocess.run(
        [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), "-d", str(work),
         "--configfile", str(config), "--cores", "1",
         "results/banded/tables/change_bands_public.csv"],
        capture_output=True, text=True, timeout=1800)
    assert proc.returncode == 0, proc.stderr[-3000:]
    t = work / "results" / "banded" / "tables"
    bands = pd.read_csv(t / "change_bands.csv")
    long = pd.read_parquet(work / "results" / "banded" / "clean" / "long.parquet")
    lon0 = long.loc[long["wave"] == "T0", "loneliness"].dropna()
    got = bands.set_index(["construct", "wave", "band"])
    assert got.loc[("loneliness", "T0", "lonely"), "count"] == (lon0 >= 6).sum()
    assert got.loc[("loneliness", "T0", "lonely"), "n"] == len(lon0) == 60
    assert set(bands["construct"]) == {"loneliness", "ons_life_satisfaction", "ons_worthwhile",
                                       "ons_happiness", "ons_anxiety"}
    assert "common convention" in got.loc[("loneliness", "T0", "lonely"), "reference"]
    public = pd.read_csv(t / "change_bands_public.csv", dtype=str)
    assert list(public.columns) == list(bands.columns)
    sentences = pd.read_csv(t / "change_sentences.csv")
    lon = sentences[(sentences["kind"] == "bands") & (sentences["construct"] == "loneliness")]
    share = 100 * (lon0 >= 6).mean()
    assert lon["sentence"].iloc[0].startswith(
        f"Loneliness (UCLA-3): at entry {share:.0f}% scored as lonely (6 or more); at T1 ")
    # a band the public copy hides is never a percentage in its sentence
    for r in public[public["count"].str.startswith("<")].itertuples():
        said = sentences.loc[(sentences["kind"] == "bands")
                             & (sentences["construct"] == r.construct), "sentence"].iloc[0]
        assert "fewer than 10 people" in said


def _demo_cfg():
    from pipeline.studies import study_configs
    from pipeline.validate import validate_config
    _, raw = study_configs(yaml.safe_load((ROOT / "config" / "config.yaml").read_text()),
                           ROOT)["demo"]
    return validate_config(raw, ROOT)


@pytest.mark.parametrize("one_wave", [True, False])
def test_write_bands_for_the_demo_loneliness(tmp_path, one_wave):
    """The demo's loneliness names the UCLA-3 preset, so the stage writes its band tables
    (a wave without scores gives not-estimable rows); no other demo scale has bands."""
    from pipeline.change.stage import write_bands
    from pipeline.stage_io import StageIO
    cfg = _demo_cfg()
    waves = cfg.wave_ids[:1] if one_wave else cfg.wave_ids[:2]
    long = pd.DataFrame({"pid": [f"p{i}" for i in range(40)] * len(waves),
                         "wave": np.repeat(waves, 40),
                         "loneliness": np.tile([7.0] * 25 + [4.0] * 15, len(waves))})
    io = StageIO(outputs={"bands": str(tmp_path / "b.csv"),
                          "bands_public": str(tmp_path / "bp.csv")})
    public = write_bands(cfg, io, long, {w: 40.0 for w in waves}, 0.95)
    assert set(public["construct"]) == {"loneliness"}
    plain = pd.read_csv(tmp_path / "b.csv")
    lonely = plain[(plain["band"] == "lonely") & plain["count"].notna()]
    assert list(lonely["wave"]) == list(waves) and (lonely["count"] == 25).all()
    assert (tmp_path / "bp.csv").exists()
