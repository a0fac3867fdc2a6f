"""Tests for benchmarks/bench_scale.py: the generated study's config is one the workflow accepts,
the commands match the project's config layout, and the monitor names and sums jobs right.
(The full runs are the benchmark itself, not a test.)"""

from __future__ import annotations

import json
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


def test_national_preset_is_merged_over_the_demo_and_accepted(tmp_path, capsys):
    """--preset national: its keys win, everything else stays the demo's; a project without
    mediation.mi.method (Rubin's rules) runs without MI mediation and says so."""
    written = write_schemes(tmp_path / "raw", 3, 150, waves=3, schemes=1, readme=False)
    preset = bs.load_preset("national")
    assert preset["mediation"]["mi"]["method"] == "rubin"
    cfg_path = bs.write_study_config(tmp_path, "scheme_1", _files(next(iter(written.values()))),
                                     preset=preset)
    raw = yaml.safe_load(cfg_path.read_text())
    md = raw["missing_data"]
    assert (md["m"], md["m_max"], md["iterations"], md["chain_blocks"]) == ("auto", 20, 120, 2)
    assert md["sensitivity"]["outcome"] == "qol"  # the demo's, untouched
    if bs._knows_mi_method(ROOT):
        assert raw["mediation"]["mi"]["method"] == "rubin"
    else:
        assert "method" not in raw["mediation"]["mi"] and raw["mediation"]["mi"]["B"] == 1000
        assert "mi" not in raw["mediation"]["methods"]
        assert "not known to this project" in capsys.readouterr().out
    validate_config(raw, root=ROOT)


def test_a_project_with_rubins_rules_keeps_the_preset_whole(tmp_path):
    schema = tmp_path / "pipeline" / "mediation" / "settings.schema.yaml"
    schema.parent.mkdir(parents=True)
    schema.write_text(yaml.safe_dump({"properties": {"mi": {"properties": {
        "method": {"enum": ["bootmi", "rubin"]}}}}}))
    cfg = {"mediation": {"methods": ["fiml", "mi"], "mi": {"B": 1000}}, "seed": 1}
    out, notes = bs.apply_preset(cfg, {"mediation": {"mi": {"method": "rubin"}}}, tmp_path)
    assert out == {"mediation": {"methods": ["fiml", "mi"], "mi": {"B": 1000, "method": "rubin"}},
                   "seed": 1} and notes == []
    out, notes = bs.apply_preset(cfg, {"mediation": {"mi": {"method": "rubin"}}}, tmp_path / "x")
    assert out["mediation"] == {"methods": ["fiml"], "mi": {"B": 1000}} and len(notes) == 1
    assert cfg["mediation"]["mi"] == {"B": 1000}  # the input is not changed


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


def test_rule_is_the_log_name_less_wildcards_so_scattered_jobs_are_apart():
    """The boot-MI blocks run ``pipeline.cli mediation`` like the job pooling them: the rule
    (from the log name) keeps them apart in the table."""
    block = ["python", "-m", "pipeline.cli", "mediation", "--config",
             ".snakemake/socialcure/demo/effective_config.json", "--io",
             '{"wildcards": {"block": "3"}}', "--threads", "1", "--log",
             "results/demo/logs/mediation_mi_block_3.log"]
    assert bs._job_label(block) == ("mediation_mi_block", "demo:mediation/3")
    pool = [*block[:7], '{"wildcards": {}}', "--log", "results/demo/logs/mediation.log"]
    assert bs._job_label(pool) == ("mediation", "demo:mediation")
    ingest = [*block[:3], "ingest", *block[4:7], '{"wildcards": {"wave": "T10"}}', "--log",
              "results/demo/logs/ingest_T10.log"]
    assert bs._job_label(ingest)[0] == "ingest"


def test_growth_table_compares_cpu_growth_with_participant_growth():
    def run(n, clean_cpu, impute_cpu):
        return {"n": n, "cpu_s": clean_cpu + impute_cpu, "peak_rss_mb": n / 100,
                "rules": [{"rule": "clean", "cpu_s": clean_cpu, "peak_mb": 100.0},
                          {"rule": "impute", "cpu_s": impute_cpu, "peak_mb": 200.0}]}
    lines = bs.growth_table([run(10000, 20.0, 300.0), run(1000, 2.0, 40.0)])
    assert "1k -> 10k" in lines[0]
    clean = next(ln for ln in lines if ln.startswith("clean"))
    assert clean.split()[-2:] == ["10.0", "10.0"]  # linear: CPU x10 for n x10
    impute = next(ln for ln in lines if ln.startswith("impute"))
    assert impute.split()[-2] == "7.5"
    whole = next(ln for ln in lines if ln.startswith("(whole run)"))
    assert whole.split()[2:4] == ["42.0", "10"]  # CPU and peak MB at 1k


def test_a_finished_job_is_streamed_with_its_numbers(tmp_path):
    mon = bs.Monitor(os.getpid(), stream=tmp_path / "jobs.jsonl")
    mon.jobs[123] = bs.Job("demo:clean", "clean", 0.0, 5.0, 2048, 4.0, load1=3.0, polls=1)
    mon.flush({123})
    assert not (tmp_path / "jobs.jsonl").exists()  # still running
    mon.flush(set())
    mon.flush(set())  # written once
    rows = [json.loads(x) for x in (tmp_path / "jobs.jsonl").read_text().splitlines()]
    assert rows == [{"label": "demo:clean", "rule": "clean", "wall_s": 5.0, "cpu_s": 4.0,
                     "peak_mb": 2.0, "load1": 3.0}]


def test_per_rule_sums_jobs_and_keeps_the_largest_peak():  # most CPU first
    jobs = [bs.Job("ingest/T0", "ingest", 0.0, 2.0, 100 * 1024, 1.5),
            bs.Job("ingest/T1", "ingest", 1.0, 4.0, 300 * 1024, 2.0),
            bs.Job("impute", "impute", 0.0, 10.0, 50 * 1024, 9.0)]
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
