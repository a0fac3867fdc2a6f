"""Tests for benchmarks/bench_scale.py: the generated study's config is one the workflow accepts,
the commands match the project's config layout, and the monitor names and sums jobs right.
(The full runs are the benchmark itself, not a test.)"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))

import bench_scale as bs  # noqa: E402

from pipeline.demo.schemes import write_schemes  # noqa: E402
from pipeline.validate import validate_config  # noqa: E402


def _files(paths):
    return {k: v for k, v in paths.items() if k.startswith("T")}


def test_generated_config_is_accepted_and_names_every_wave(tmp_path):
    written = write_schemes(tmp_path / "raw", 3, 150, waves=4, schemes=2, readme=False)
    cfg_path = bs.write_study_config(tmp_path, "scheme_2", _files(written["scheme_2"]))
    raw = yaml.safe_load(cfg_path.read_text())
    assert [w["id"] for w in raw["waves"]] == ["T0", "T1", "T2", "T3"]
    assert [w["months"] for w in raw["waves"]] == [0, 4, 7, 10]
    assert all(Path(w["file"]).is_absolute() and Path(w["file"]).exists() for w in raw["waves"])
    assert raw["study"]["id"] == "scheme_2"
    cfg = validate_config(raw, root=ROOT)
    assert list(cfg.wave_ids) == ["T0", "T1", "T2", "T3"]


def test_commands_follow_the_projects_config_layout(tmp_path):
    configs = {"scheme_1": tmp_path / "scheme_1.yaml", "scheme_2": tmp_path / "scheme_2.yaml"}
    single = tmp_path / "single"
    (single / "config").mkdir(parents=True)
    cmds = bs.run_commands(tmp_path, configs, 2, single / "Snakefile", ["-n"])
    assert [label for label, _ in cmds] == ["scheme_1", "scheme_2"]
    argv = cmds[1][1]
    assert argv[argv.index("--directory") + 1] == str(tmp_path / "work" / "scheme_2")
    assert argv[-1] == "-n"
    studies = tmp_path / "studies_layout"
    (studies / "config" / "studies").mkdir(parents=True)
    cmds = bs.run_commands(tmp_path, configs, 2, studies / "Snakefile", [])
    assert len(cmds) == 1  # one snakemake call for every scheme
    top = yaml.safe_load((tmp_path / "programme.yaml").read_text())
    assert top["studies"] == [str(c) for c in configs.values()]
    assert bs.base_config(studies).name == "demo.yaml"


def test_job_labels_name_stage_study_and_wildcards():
    io = '{"input": {}, "output": {}, "wildcards": {"wave": "T1"}}'
    argv = ["python", "-m", "pipeline.cli", "ingest", "--config",
            ".snakemake/socialcure/effective_config.json", "--io", io]
    assert bs._job_label(argv) == ("ingest", "ingest/T1")
    argv[5] = ".snakemake/socialcure/scheme_3/effective_config.json"
    assert bs._job_label(argv) == ("ingest", "scheme_3:ingest/T1")
    assert bs._job_label(["python", "-m", "pipeline.cli", "report"]) == ("report", "report")


def test_per_rule_sums_jobs_and_keeps_the_largest_peak():
    jobs = [bs.Job("ingest/T0", "ingest", 0.0, 2.0, 100 * 1024, 1.5),
            bs.Job("ingest/T1", "ingest", 1.0, 4.0, 300 * 1024, 2.0),
            bs.Job("impute", "impute", 0.0, 10.0, 50 * 1024)]
    rows = bs.per_rule(jobs)
    assert [r["rule"] for r in rows] == ["impute", "ingest"]
    ingest = rows[1]
    assert ingest["jobs"] == 2 and ingest["wall_s"] == 5.0 and ingest["max_job_s"] == 3.0
    assert ingest["peak_mb"] == 300.0 and ingest["cpu_s"] == 3.5


def test_monitor_sees_a_cli_process_and_its_peak_memory(tmp_path):
    # a stand-in job: a process whose command line holds "pipeline.cli <stage>", using ~60 MB
    code = "import time; b = bytearray(60 * 2**20); time.sleep(1.0)"
    shell = subprocess.Popen(["bash", "-c", f'exec -a python "{sys.executable}" -c "{code}" '
                              "pipeline.cli impute"])
    mon = bs.Monitor(os.getpid())
    deadline = time.time() + 5
    while shell.poll() is None and time.time() < deadline:
        mon.poll()
        time.sleep(0.1)
    shell.wait()
    jobs = list(mon.jobs.values())
    assert [j.stage for j in jobs] == ["impute"]
    assert jobs[0].peak_kb > 50 * 1024
    assert jobs[0].last - jobs[0].start > 0.5
    assert jobs[0].cpu_s > 0
