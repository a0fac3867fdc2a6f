"""Several studies in one workflow (issue 15): each study is a file, its rules are named
<stage>_<study> and write under results/<study>/; adding a wave to one study replans only that
study's jobs, and only the new wave is read.

Two small studies from the demo generator (``python -m pipeline.demo --n 100``): ``alpha``
with three waves, ``beta`` with two and its cross-lagged analysis switched off (which wings run
differs per study). The workflow is not run: ``snakemake --touch`` marks every
planned output as made (empty files), which is enough for ``snakemake -n`` to show what a
change replans.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "config" / "studies" / "demo.yaml"


def _snakemake(work: Path, config: Path, *extra: str) -> str:
    cmd = [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), "-d", str(work),
           "--configfile", str(config), "--cores", "1", *extra]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout + proc.stderr


def _planned(work: Path, config: Path) -> dict[str, list[str]]:
    """Rule name -> the wildcards of each planned job ("" for a rule without any)."""
    jobs: dict[str, list[str]] = {}
    rule = None
    for line in _snakemake(work, config, "-n").splitlines():
        if line.startswith(("rule ", "localrule ")):
            rule = line.split(" ", 1)[1].rstrip(":")
            jobs.setdefault(rule, []).append("")
        elif rule and line.strip().startswith("wildcards:"):
            jobs[rule][-1] = line.split(":", 1)[1].strip()
    return jobs


def _write_study(path: Path, data: Path, waves: int, **sections) -> Path:
    """A study file ``path`` (no study.id: the file name is the study's name) from the demo's
    config on the generated data, its first ``waves`` waves, ``sections`` replaced."""
    cfg = yaml.safe_load(DEMO.read_text(encoding="utf-8"))
    del cfg["study"]["id"]
    cfg["waves"] = cfg["waves"][:waves]
    for w in cfg["waves"]:
        w["file"] = str(data / Path(w["file"]).name)
    cfg.update(sections)
    path.write_text(yaml.safe_dump(cfg, sort_keys=False), encoding="utf-8")
    return path


def _write_config(path: Path, studies: list[Path], **defaults) -> Path:
    path.write_text(yaml.safe_dump({"studies": [str(p) for p in studies],
                                    "defaults": defaults}), encoding="utf-8")
    return path


def _touch_everything(work: Path, config: Path) -> None:
    """Create every output the workflow plans (empty) and mark it made (--touch)."""
    summary = _snakemake(work, config, "--summary")
    for line in summary.splitlines():
        path = line.split("\t", 1)[0]
        if path.startswith("results/"):
            (work / path).parent.mkdir(parents=True, exist_ok=True)
            (work / path).touch()
    _snakemake(work, config, "--touch")


@pytest.fixture(scope="module")
def two_studies(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("studies")
    data = tmp / "data"
    subprocess.run([sys.executable, "-m", "pipeline.demo", "--out", str(data), "--n", "100",
                    "--no-readme"], check=True, cwd=ROOT, capture_output=True)
    alpha = _write_study(tmp / "alpha.yaml", data, 3)
    beta = _write_study(tmp / "beta.yaml", data, 2, crosslag={"enabled": False})
    config = _write_config(tmp / "studies.yaml", [alpha, beta], disclosure={"min_cell": 5})
    work = tmp / "work"
    _touch_everything(work, config)
    return tmp, work, config


def test_each_study_has_its_own_rules_folder_and_effective_config(two_studies):
    tmp, work, config = two_studies
    for name in ("alpha", "beta"):
        assert (work / "results" / name / "tables" / "findings.csv").exists()
        assert (work / "results" / name / "report" / f"{name}_report.pdf").exists()
        effective = json.loads((work / ".snakemake" / "socialcure" / name
                                / "effective_config.json").read_text())
        assert effective["study"]["id"] == name
    alpha = json.loads((work / ".snakemake/socialcure/alpha/effective_config.json").read_text())
    beta = json.loads((work / ".snakemake/socialcure/beta/effective_config.json").read_text())
    assert [w["id"] for w in alpha["waves"]] == ["T0", "T1", "T2"]
    assert [w["id"] for w in beta["waves"]] == ["T0", "T1"]
    # the study file's own value wins over the shared default
    assert alpha["disclosure"]["min_cell"] == beta["disclosure"]["min_cell"] == 10
    # beta's cross-lags are switched off: no rule, no table; alpha's run
    assert (work / "results/alpha/tables/crosslag_status.csv").exists()
    assert not (work / "results/beta/tables/crosslag_status.csv").exists()
    assert _planned(work, config) == {}  # everything made


def test_adding_a_wave_to_one_study_replans_only_that_study(two_studies):
    tmp, work, config = two_studies
    data = tmp / "data"
    (tmp / "more").mkdir()
    beta3 = _write_study(tmp / "more" / "beta.yaml", data, 3, crosslag={"enabled": False})
    grown = _write_config(tmp / "grown.yaml", [tmp / "alpha.yaml", beta3],
                          disclosure={"min_cell": 5})
    planned = _planned(work, grown)
    assert planned, "adding T2 to beta must plan its jobs"
    assert not [r for r in planned if r.endswith("_alpha")], planned
    assert planned["ingest_beta"] == ["wave=T2"]  # T0 and T1 are not read again
    assert {"clean_beta", "change_beta", "findings_beta", "report_beta"} <= set(planned)
    assert "pooled" in planned  # the pooled analysis reads beta's change table


def test_one_study_file_alone_plans_the_same_jobs(two_studies):
    """`--configfile alpha.yaml` runs that study on its own: same rules, same folder."""
    tmp, work, _ = two_studies
    alpha = yaml.safe_load((tmp / "alpha.yaml").read_text(encoding="utf-8"))
    alpha["study"]["id"] = "alpha"
    alpha["disclosure"] = {"min_cell": 10}
    single = tmp / "alpha_alone.yaml"
    single.write_text(yaml.safe_dump(alpha, sort_keys=False), encoding="utf-8")
    assert _planned(work, single) == {}


def test_a_study_setting_reruns_only_that_study(two_studies):
    tmp, work, _ = two_studies
    beta = yaml.safe_load((tmp / "beta.yaml").read_text(encoding="utf-8"))
    beta["change"]["conf_level"] = 0.9
    (tmp / "tuned").mkdir()
    tuned = tmp / "tuned" / "beta.yaml"
    tuned.write_text(yaml.safe_dump(beta, sort_keys=False), encoding="utf-8")
    config = _write_config(tmp / "tuned.yaml", [tmp / "alpha.yaml", tuned],
                           disclosure={"min_cell": 5})
    # and the pooled analysis across the two studies, which reads beta's change table, and
    # its report
    assert set(_planned(work, config)) - {"all"} == {"change_beta", "findings_beta",
                                                      "report_beta", "pooled",
                                                      "pooled_report"}


def test_stages_name_the_study_file_an_evaluator_edits(two_studies):
    """Beside each study's effective config the Snakefile writes the file an evaluator edits
    (config_name.txt, read by the stages for their messages): the study's own file in a
    multi-study run, the --configfile for a single study, never config/config.yaml. It is not
    a rule input, so it never replans anything."""
    tmp, work, config = two_studies
    name = work / ".snakemake" / "socialcure" / "alpha" / "config_name.txt"
    _snakemake(work, config, "-n")
    assert name.read_text() == str(tmp / "alpha.yaml")
    alpha = yaml.safe_load((tmp / "alpha.yaml").read_text(encoding="utf-8"))
    alpha["study"]["id"] = "alpha"
    alpha["disclosure"] = {"min_cell": 10}
    single = tmp / "alpha_named.yaml"
    single.write_text(yaml.safe_dump(alpha, sort_keys=False), encoding="utf-8")
    assert _planned(work, single) == {}
    assert name.read_text().endswith("alpha_named.yaml")


def test_each_job_runs_with_its_own_studys_config(two_studies):
    """A job must read its own study's config, not the last study's: Snakemake evaluates a
    rule's shell expression again when the job runs, when the rule files' loop variable holds
    the last study (beta, two waves). Running alpha's T2 ingest for real fails with beta's
    config ("wave 'T2' is not in config 'waves'")."""
    tmp, work, config = two_studies
    target = "results/alpha/interim/raw_T2.parquet"
    _snakemake(work, config, "--forcerun", "ingest_alpha", "--allowed-rules", "ingest_alpha",
               target)
    import pandas as pd

    assert len(pd.read_parquet(work / target)) > 0
    effective = json.loads((work / ".snakemake/socialcure/alpha/effective_config.json")
                           .read_text())
    assert [w["id"] for w in effective["waves"]] == ["T0", "T1", "T2"]
