"""FIML mediation with ``fiml.se: bootstrap``: SEs and percentile intervals come from the SEM
engine's case-resampling bootstrap (seeded by the analysis's key), the tables are byte-identical
across runs and numbers of processes, and a bootstrap the data cannot support is not estimable."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from mediation_helpers import fiml, reference_spec, wide_from_chain

import pipeline.mediation.fiml as fiml_module
from pipeline.config import config_from_dict
from pipeline.errors import ModelError
from pipeline.mediation.analysis import run_analyses
from pipeline.mediation.estimator import job_key
from pipeline.mediation.fiml import fiml_frame
from pipeline.mediation.frame import covariate_names
from pipeline.mediation.lavaan import chain_lavaan_syntax
from pipeline.mediation.outputs import sentences_table, stack
from pipeline.mediation.settings import from_config
from pipeline.seeds import seed_for
from pipeline.sem import fit_sem
from pipeline.sem.bootstrap import bootstrap_sem
from pipeline.tables import write_table

ROOT = Path(__file__).resolve().parents[2]
B = 200


@pytest.fixture(scope="module")
def wide():
    return wide_from_chain()


@pytest.fixture(scope="module")
def boot_result(wide):
    return fiml(seed=7, se="bootstrap", bootstrap_B=B).fit(wide, reference_spec())


def _engine_bootstrap(wide, seed: int):
    """The engine's bootstrap of the same model, data and seed key, called directly."""
    spec = reference_spec()
    frame, dummies, _ = fiml_frame(wide, spec)
    syntax = chain_lavaan_syntax(spec.x.column, [m.column for m in spec.mediators],
                                 spec.y.column, covariate_names(spec, dummies or None))
    res = fit_sem(syntax, frame, missing="ml", se="standard", name="chain")
    return res, bootstrap_sem(syntax, frame, res, B=B, conf=0.95, processes=1,
                              seed=seed_for(seed, job_key(spec.name, "fiml_bootstrap")))


def test_se_and_intervals_are_the_engines_bootstrap(wide, boot_result):
    assert boot_result.ok
    table = boot_result.table.set_index("label")
    res, boot = _engine_bootstrap(wide, seed=7)
    ref = boot.estimates[boot.estimates["label"] != ""].set_index("label")
    labels = ["a1", "d21", "b3", "cp", "ind_1", "ind_123", "ind_total", "total"]
    for col in ("est", "se", "ci_lower", "ci_upper", "pvalue"):
        np.testing.assert_allclose(table.loc[labels, col], ref.loc[labels, col], rtol=1e-12)
    assert (table.loc[labels, "ci_method"] == "percentile").all()
    assert (table["B"] == B).all()
    # bootstrap SEs, not the model-based ones of the ML fit
    ml = res.estimates[res.estimates["label"] != ""].set_index("label")
    assert not np.allclose(table.loc[labels, "se"], ml.loc[labels, "se"], rtol=1e-3)
    # a bootstrap bound carries its Monte Carlo SE; the delta-method std effects do not
    assert (table.loc[labels, "ci_lower_mcse"] > 0).all()
    std = boot_result.table[boot_result.table["effect_type"] == "std_indirect"]
    assert len(std) and (std["ci_method"] == "delta").all()
    message = boot_result.status["message"].iloc[0]
    assert "bootstrap (B = 200, percentile) SEs and CIs" in message
    assert "Monte Carlo" not in message


def test_another_seed_gives_other_draws(wide, boot_result):
    other = fiml(seed=8, se="bootstrap", bootstrap_B=B).fit(wide, reference_spec())
    a = boot_result.table.set_index("label").loc["ind_123"]
    b = other.table.set_index("label").loc["ind_123"]
    assert a["est"] == b["est"] and a["ci_lower"] != b["ci_lower"]


def _settings(B_: int):
    raw = yaml.safe_load((ROOT / "config" / "studies" / "demo.yaml").read_text())
    s = from_config(config_from_dict(raw, root=ROOT))
    return replace(s, methods=("fiml",), primary="fiml", fiml_se="bootstrap",
                   fiml_bootstrap_B=B_, analyses=(reference_spec(),))


def _csvs(wide, settings, processes: int, out: Path) -> tuple[bytes, bytes]:
    tables, statuses = run_analyses(wide, settings, seed=11, processes=processes)
    write_table(stack(tables), out / "estimates.csv")
    write_table(sentences_table(tables, statuses, settings.analyses, conf=0.95, warn_n=30),
                out / "sentences.csv")
    return (out / "estimates.csv").read_bytes(), (out / "sentences.csv").read_bytes()


def test_tables_are_byte_identical_across_runs_and_processes(wide, tmp_path):
    """600 resamples span two chunks of the engine, so two processes really split the work."""
    settings = _settings(600)
    runs = []
    for i, processes in enumerate((1, 1, 2)):
        out = tmp_path / str(i)
        out.mkdir()
        runs.append(_csvs(wide, settings, processes, out))
    assert runs[0] == runs[1] == runs[2]
    est = pd.read_csv(tmp_path / "0" / "estimates.csv")
    assert (est["B"] == 600).all() and "percentile" in set(est["ci_method"])


def test_failing_bootstrap_makes_the_analysis_not_estimable(wide, monkeypatch):
    def fragile(model, data, fit, **kw):
        raise ModelError(f"{fit.name}: 1300 of {kw['B']} bootstrap resamples could not be "
                         "estimated (no convergence); the model is too fragile for these data. "
                         "Simplify the model or use se: robust.")

    monkeypatch.setattr(fiml_module, "bootstrap_sem", fragile)
    res = fiml(seed=1, se="bootstrap", bootstrap_B=2000).fit(wide, reference_spec())
    st = res.status.iloc[0]
    assert st["status"] == "not_estimable" and len(res.table) == 0
    assert "1300 of 2000 bootstrap resamples" in st["message"]
    assert "config key mediation.fiml.se" in st["message"]
    assert "bootstrap (B = 2000, percentile)" in st["message"]


def test_unknown_se_is_refused():
    with pytest.raises(ValueError, match="se must be one of"):
        fiml(se="jackknife")


def test_processes_and_seed_key_reach_the_engine(wide, monkeypatch):
    calls = []
    real = fiml_module.bootstrap_sem

    def spy(model, data, fit, **kw):
        calls.append(kw)
        return real(model, data, fit, **kw)

    monkeypatch.setattr(fiml_module, "bootstrap_sem", spy)
    settings = _settings(100)
    run_analyses(wide, settings, seed=11, processes=2)
    (kw,) = calls
    assert kw["processes"] == 2 and kw["B"] == 100 and kw["conf"] == settings.bootstrap.conf
    assert kw["seed"] == seed_for(11, "mediation/chain/fiml_bootstrap")
