"""A study runs from its first wave (issue 13): with only T0 configured the workflow builds the
clean data, reliability, the baseline descriptives, the data-quality table, the findings and the
report, and says that the other analyses wait for a second wave; adding T1 plans them.

The config is the demo's own (its sections name T1 and T2 throughout), with the waves cut to
T0: nothing in it may be refused because of the later waves.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent

ANALYSIS_RULES = ("change", "attrition", "impute", "mediation", "crosslag")


def run_workflow(workdir: Path, *extra: str, quiet: bool = True):
    """The project's Snakefile with ``workdir`` as working directory (as tests/conftest.py)."""
    cmd = [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), "-d", str(workdir),
           "--cores", "2", *(["--quiet"] if quiet else []), *extra]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=3600)


def _raw_files(dest: Path) -> Path:
    """The demo's T0 and T1 files in ``dest`` (copied, or generated when data/raw lacks them)."""
    src = ROOT / "data" / "raw"
    names = ("demo_T0_entry.csv", "demo_T1_4months.xlsx")
    if not all((src / n).exists() for n in names):
        subprocess.run([sys.executable, "-m", "pipeline.demo", "--out", str(dest / "gen"),
                        "--no-readme"], check=True, cwd=ROOT, capture_output=True)
        src = dest / "gen"
    for n in names:
        shutil.copy(src / n, dest / n)
    return dest


def _config(tmp: Path, waves: int, **changes) -> Path:
    cfg = yaml.safe_load((ROOT / "config" / "studies" / "demo.yaml").read_text())
    cfg["waves"] = cfg["waves"][:waves]
    for w in cfg["waves"]:
        w["file"] = str(tmp / Path(w["file"]).name)
    for key, value in changes.items():
        section, _, sub = key.partition("__")
        if value is None:
            cfg[section].pop(sub)
        else:
            cfg[section][sub] = value
    path = tmp / f"study_{waves}.yaml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    return path


def _planned(work: Path, config: Path) -> set[str]:
    """The stages planned for the demo study (its rules are named <stage>_demo)."""
    proc = run_workflow(work, "--configfile", str(config), "-n", quiet=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    rules = {line.split("rule ", 1)[1].rstrip(":") for line in proc.stdout.splitlines()
             if line.startswith(("rule ", "localrule "))}
    return {r.removesuffix("_demo") for r in rules}


@pytest.fixture(scope="module")
def first_wave(tmp_path_factory):
    tmp = _raw_files(tmp_path_factory.mktemp("first_wave"))
    work = tmp / "work"
    config = _config(tmp, 1)
    proc = run_workflow(work, "--configfile", str(config))
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    assert "Configuration problem" not in proc.stderr
    return tmp, work


def test_first_wave_builds_the_descriptive_outputs(first_wave):
    _, work = first_wave
    res = work / "results" / "demo"
    for rel in ("clean/long.parquet", "clean/wide.parquet", "clean/qc_log.csv",
                "tables/reliability.csv", "tables/data_quality.csv",
                "tables/descriptives_baseline.csv", "tables/descriptives_baseline_public.csv",
                "tables/descriptives_correlations.csv", "tables/findings.csv",
                "tables/findings_public.csv", "report/demo_report.pdf",
                "report/demo_report.html"):
        assert (res / rel).exists(), rel
    base = pd.read_csv(res / "tables/descriptives_baseline.csv")
    assert set(base["group"]) == {"baseline"}
    assert base.loc[base["variable"] == "qol_T0", "mean"].notna().all()
    # no table of an analysis that waits (declared outputs are exact)
    assert not list((res / "tables").glob("change_*")) and not (res / "attrition").exists()


def test_findings_and_report_say_what_waits(first_wave):
    _, work = first_wave
    res = work / "results" / "demo"
    f = pd.read_csv(res / "tables/findings.csv")
    waiting = f[f["status"] == "waits_for_data"]
    assert set(waiting["analysis"]) == set(ANALYSIS_RULES)
    assert waiting["sentence"].str.contains("waits for a second wave").all()
    assert (f["status"] != "not_estimable").all()  # waiting is not a failure of the data
    assert not f["message"].astype(str).str.contains("social_cure_chain").any()
    html = (res / "report/demo_report.html").read_text(encoding="utf-8")
    assert "Change over time: waits for a second wave" in html
    assert "Scores at entry" in html and "not estimable because" not in html


def test_adding_the_second_wave_plans_the_analyses(first_wave):
    tmp, work = first_wave
    planned = _planned(work, _config(tmp, 2))
    assert set(ANALYSIS_RULES) <= planned and "clean" in planned


def test_no_mediation_analyses_plans_no_chain(first_wave):
    tmp, work = first_wave
    planned = _planned(work, _config(tmp, 2, mediation__analyses=None))
    assert "mediation" not in planned and "change" in planned


def test_switched_off_analysis_has_no_rule(first_wave):
    tmp, work = first_wave
    planned = _planned(work, _config(tmp, 2, crosslag__enabled=False,
                                     attrition__enabled=False))
    assert "crosslag" not in planned and "attrition" not in planned
    assert {"change", "impute", "mediation", "findings", "report"} <= planned
