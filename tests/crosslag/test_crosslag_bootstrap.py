"""Cross-lagged models with ``crosslag.se: bootstrap``: every fitted model's SEs and percentile
intervals come from the SEM engine's bootstrap seeded by the model's key, the tables say
"bootstrap (B = ..., percentile)", outputs are byte-identical across runs and processes, and a
model whose bootstrap fails is not estimable (its comparison tests say so)."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

import pipeline.crosslag.models as models_module
from pipeline.config import config_from_dict
from pipeline.crosslag.analysis import analyse
from pipeline.crosslag.models import fit_crosslag, model_syntax
from pipeline.crosslag.settings import from_config
from pipeline.errors import ModelError
from pipeline.seeds import seed_for
from pipeline.sem.bootstrap import bootstrap_sem
from pipeline.tables import write_table

ROOT = Path(__file__).resolve().parents[2]
PANEL = ROOT / "tests" / "fixtures" / "lavaan" / "panel_complete.csv"
PAIR = ["belonging", "qol"]


@pytest.fixture(scope="module")
def raw_cfg():
    return yaml.safe_load((ROOT / "config" / "studies" / "demo.yaml").read_text())


@pytest.fixture(scope="module")
def wide():
    w = pd.read_csv(PANEL)
    return w.drop(columns=[c for c in w.columns if c.endswith("_T3")])


def _setup(raw_cfg, section):
    raw = copy.deepcopy(raw_cfg)
    raw["crosslag"] = {"analyses": {"pair": {"constructs": PAIR}}, "se": "bootstrap", **section}
    cfg = config_from_dict(raw, root=ROOT)
    return cfg, from_config(cfg), {w.id: w.months for w in cfg.waves}


def test_lagged_effects_are_the_engines_bootstrap(raw_cfg, wide):
    cfg, s, months = _setup(raw_cfg, {"bootstrap_B": 200, "models": ["clpm"],
                                      "stationarity_test": False})
    out = analyse(wide, s, months).tables()
    assert list(out["status"]["status"]) == ["ok"]
    lag = out["lagged"]
    assert set(lag["se_type"]) == {"bootstrap (B = 200, percentile)"}
    assert set(out["estimates"]["se_type"]) == {"bootstrap (B = 200, percentile)"}
    assert "bootstrap (B = 200, percentile)" in out["status"]["note"].iloc[0]
    # the same model bootstrapped directly with the model's seed key
    waves = list(s.waves)
    syntax = model_syntax("clpm", PAIR, waves)
    fit = fit_crosslag(wide, PAIR, waves, "clpm", min_df=5, min_n_last=100, se="standard")
    ref = bootstrap_sem(syntax, wide, fit, B=200, processes=1,
                        seed=seed_for(cfg.seed, "crosslag/pair/clpm/free/bootstrap")).estimates
    ref = ref.set_index(["lhs", "rhs"])
    cols = ["est", "se", "ci_lower", "ci_upper"]
    for r in lag.to_dict("records"):
        row = ref.loc[(f"{r['to']}_{r['to_wave']}", f"{r['from']}_{r['from_wave']}")]
        np.testing.assert_allclose([r[c] for c in cols], row[cols].to_numpy(dtype=float),
                                   rtol=1e-12)
    plain = fit.estimates.set_index(["lhs", "rhs"])
    assert not np.allclose(ref.loc[plain.index, "se"], plain["se"], rtol=1e-3)


def test_lavaan_syntax_file_says_how_to_bootstrap_in_r(raw_cfg, wide):
    _, s, months = _setup(raw_cfg, {"bootstrap_B": 100, "models": ["clpm"],
                                    "stationarity_test": False})
    text = analyse(wide, s, months).syntax["crosslag_pair_clpm_free"]
    assert 'se = "bootstrap", bootstrap = 100' in text
    assert 'boot.ci.type = "perc"' in text


def _csvs(wide, s, months, processes: int, out: Path) -> dict[str, bytes]:
    res = analyse(wide, s, months, processes=processes)
    out.mkdir()
    for name, table in res.tables().items():
        write_table(table, out / f"{name}.csv")
    return {p.name: p.read_bytes() for p in sorted(out.iterdir())}


def test_outputs_are_byte_identical_across_runs_and_processes(raw_cfg, wide, tmp_path):
    """600 resamples make two chunks of the engine, so two processes really share the work."""
    _, s, months = _setup(raw_cfg, {"bootstrap_B": 600, "models": ["clpm", "riclpm"],
                                    "stationarity_test": False})
    runs = [_csvs(wide, s, months, p, tmp_path / f"run{i}") for i, p in enumerate((1, 1, 2))]
    assert runs[0] == runs[1] == runs[2]
    assert set(pd.read_csv(tmp_path / "run0" / "status.csv")["status"]) == {"ok"}


def test_failed_bootstrap_makes_the_model_not_estimable(raw_cfg, wide, monkeypatch):
    """The engine refuses (more than half of the resamples failed) for the RI-CLPM only: that
    model is not estimable with the reason and the key to change, has no estimates, and the
    CLPM vs RI-CLPM test says a model is missing; the CLPM is reported as usual."""
    real = bootstrap_sem

    def fragile_riclpm(model, data, fit, **kw):
        if fit.name.startswith("riclpm"):
            raise ModelError(f"{fit.name}: 130 of {kw['B']} bootstrap resamples could not be "
                             "estimated (no convergence); the model is too fragile for these "
                             "data. Simplify the model or use se: robust.")
        return real(model, data, fit, **kw)

    monkeypatch.setattr(models_module, "bootstrap_sem", fragile_riclpm)
    _, s, months = _setup(raw_cfg, {"bootstrap_B": 200, "models": ["clpm", "riclpm"],
                                    "stationarity_test": False})
    out = analyse(wide, s, months).tables()
    st = out["status"].set_index("model")
    assert st.loc["clpm", "status"] == "ok"
    assert st.loc["riclpm", "status"] == "not_estimable"
    assert "130 of 200 bootstrap resamples" in st.loc["riclpm", "message"]
    assert "config key crosslag.se" in st.loc["riclpm", "message"]
    assert set(out["lagged"]["model"]) == {"clpm"}
    assert set(out["estimates"]["model"]) == {"clpm"}
    (cmp,) = out["comparison"].to_dict("records")
    assert cmp["status"] == "not_estimable"


def test_bootstrap_needs_a_seed(wide):
    with pytest.raises(ValueError, match="seed"):
        fit_crosslag(wide, PAIR, ["T0", "T1", "T2"], "clpm", min_df=5, min_n_last=100,
                     se="bootstrap", bootstrap_B=100)


def test_processes_and_seed_keys_reach_the_engine(raw_cfg, wide, monkeypatch):
    calls = []

    def spy(model, data, fit, **kw):
        calls.append((fit.name, kw))
        return bootstrap_sem(model, data, fit, **kw)

    monkeypatch.setattr(models_module, "bootstrap_sem", spy)
    cfg, s, months = _setup(raw_cfg, {"bootstrap_B": 100, "models": ["clpm"]})
    analyse(wide, s, months, processes=2)
    assert [name for name, _ in calls] == ["clpm[belonging,qol]",
                                           "clpm_stationary[belonging,qol]"]
    assert all(kw["processes"] == 2 and kw["B"] == 100 for _, kw in calls)
    assert [kw["seed"] for _, kw in calls] == [
        seed_for(cfg.seed, f"crosslag/pair/clpm/{c}/bootstrap") for c in ("free", "stationary")]
