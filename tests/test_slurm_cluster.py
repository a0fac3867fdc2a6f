"""The SLURM path (issue 15, "a real cluster, exercised"): the profile in profiles/slurm, the
single-node cluster of scripts/slurm_local.sh and scripts/run_on_slurm.sh.

The cluster test runs wherever SLURM is installed (``slurmctld`` and ``sbatch`` on PATH; Debian:
``apt-get install -y slurm-wlm munge``) and a cluster answers or can be started (as root,
scripts/slurm_local.sh, idempotent); it is skipped with the reason elsewhere. It runs two small
schemes (200 participants x 3 waves, small bootstrap and imputation settings:
``bench_cluster.LIGHT``) through ``run_on_slurm.sh`` (the profile's job groups: one SLURM job
per scheme, one for the pooled jobs) and, at the same time, the same programme config locally
with ``--cores 2`` (no groups); then every report is built, there were exactly schemes + 1 SLURM
jobs and inside them every planned job but the local ``all`` ran once (the snakemake log, the
SLURM jobs' logs and squeue's record of the run), each group job asked SLURM for no more than
the profile's caps, and every file under ``results/`` except the logs is byte-identical between
the two runs.

The executor plugin is not in the ``[test]`` extra: once installed, snakemake imports it at
every start, and on a machine where SLURM is installed but no controller answers its import
waits ~10 s (``scontrol show config``), which would slow every workflow test. When it is not
importable, the test installs exactly the missing distributions (resolved by pip against this
environment) into a temporary ``--target`` folder from the configured package index, on the
PYTHONPATH of the SLURM run only; it skips with the reason when pip cannot.
SOCIALCURE_SLURM_TEST=0 switches the cluster test off (e.g. several suites at once on one node).

The test never waits blindly: before the run, the cluster must have a node that holds one group
job (the profile's cores and mem_mb) and must run a one-second job within 3 minutes, else the
test skips with sinfo/squeue's words (the environment, not the workflow); during the run, a job
SLURM will never start (squeue reasons such as PartitionConfig, ReqNodeNotAvail, launch failed)
or 30 minutes in all end it as a failure with the cluster's state and the logs' tails.
"""

from __future__ import annotations

import filecmp
import json
import os
import re
import shutil
import subprocess
import sys
import time
import tomllib
from collections import Counter
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = ("slurm_local.sh", "run_on_slurm.sh")
sys.path.insert(0, str(ROOT / "benchmarks"))

import bench_cluster  # noqa: E402

PLUGIN = "snakemake_executor_plugin_slurm"
#: the longest the two runs may take together (they take 3-6 min on 2 cores; a stuck job is
#: caught by _stuck within minutes): the test fails with SLURM's state instead of hanging
DEADLINE_S = 1800
SCHEMES = ("scheme_1", "scheme_2")


def test_profile_uses_the_slurm_plugin_without_accounting():
    prof = yaml.safe_load((ROOT / "profiles" / "slurm" / "config.yaml").read_text())
    assert prof["executor"] == "slurm"
    # no slurmdbd on the local cluster: poll squeue and never ask for an account
    assert prof["slurm-status-command"] == "squeue"
    assert prof["slurm-no-account"] is True
    res = prof["default-resources"]
    assert {"mem_mb", "runtime", "slurm_partition"} <= set(res)
    # a default cpus_per_task would override every rule's threads (--cpus-per-task)
    assert "cpus_per_task" not in res


def test_every_rule_is_in_a_job_group_the_profile_packs():
    """One SLURM job per study: every rule of rules/*.smk carries a group (a rule without one
    would be a SLURM job of its own), per-study rules STUDY_GROUP, run-level ones POOLED_GROUP,
    through cluster_group (no group when the executor is local); the profile caps each group
    job and names only these groups."""
    common = (ROOT / "rules" / "common.smk").read_text()
    groups = dict(re.findall(r'^(STUDY_GROUP|POOLED_GROUP) = "(\w+)"$', common, re.M))
    assert set(groups) == {"STUDY_GROUP", "POOLED_GROUP"}
    for path in sorted((ROOT / "rules").glob("*.smk")):
        text = path.read_text()
        rules = re.findall(r"^\s*rule(?: \w+)?:$", text, re.M)
        grouped = re.findall(r"^\s*group:\s+cluster_group\((STUDY_GROUP|POOLED_GROUP)\)$",
                             text, re.M)
        assert len(grouped) == len(rules), path.name
        want = "POOLED_GROUP" if path.name == "pooled.smk" else "STUDY_GROUP"
        assert set(grouped) <= {want}, path.name
    prof = yaml.safe_load((ROOT / "profiles" / "slurm" / "config.yaml").read_text())
    packed = dict(g.split("=") for g in prof["group-components"])
    assert set(packed) <= set(groups.values())
    # a group job's CPUs and memory are capped per group job (cores: always per group; mem_mb:
    # local scope by default), so a group fits on one node
    assert prof["cores"] >= 1
    assert "mem_mb" in dict(r.split("=") for r in prof["resources"])


@pytest.mark.parametrize("name", SCRIPTS)
def test_scripts_are_valid_bash_and_executable(name):
    path = ROOT / "scripts" / name
    assert os.access(path, os.X_OK), f"{path} is not executable"
    proc = subprocess.run(["bash", "-n", str(path)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def _cluster_reason() -> str | None:
    """Why the cluster run cannot happen here (None: it can)."""
    if os.environ.get("SOCIALCURE_SLURM_TEST") == "0":
        return "SOCIALCURE_SLURM_TEST=0 (the cluster test is switched off)"
    missing = [c for c in ("slurmctld", "slurmd", "sbatch", "squeue") if not shutil.which(c)]
    if missing:
        return (f"SLURM is not installed ({', '.join(missing)} not on PATH): on Debian, "
                "apt-get install -y slurm-wlm munge, then (as root) scripts/slurm_local.sh")
    answers = subprocess.run(["sinfo", "-h"], capture_output=True).returncode == 0
    if not answers and os.geteuid() != 0:
        return ("no SLURM cluster answers (sinfo) and not root to start one: "
                "sudo scripts/slurm_local.sh")
    return None


def _importable(module: str, pythonpath: str = "") -> bool:
    env = {**os.environ, "PYTHONPATH": pythonpath} if pythonpath else None
    return subprocess.run([sys.executable, "-c", f"import {module}"], env=env,
                          capture_output=True).returncode == 0


def _plugin_requirement() -> str:
    """The executor plugin as the ``slurm`` extra of pyproject.toml names it."""
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return next(r for r in extras["optional-dependencies"]["slurm"]
                if r.startswith("snakemake-executor-plugin-slurm"))


def _install_plugin(target: Path) -> tuple[str, str | None]:
    """(PYTHONPATH for the SLURM run, None) or ("", why not). Installs only what this
    environment lacks (pip's own resolution, ``--dry-run --report``), without dependencies,
    into ``target``: nothing here (pandas, snakemake, ...) is shadowed."""
    pip = [sys.executable, "-m", "pip"]
    req = _plugin_requirement()
    plan = subprocess.run([*pip, "install", "--dry-run", "--quiet", "--report", "-", req],
                          capture_output=True, text=True, timeout=300)
    if plan.returncode != 0:
        return "", f"cannot resolve {req} with pip: {plan.stderr.strip()[-300:]}"
    pins = [f"{i['metadata']['name']}=={i['metadata']['version']}"
            for i in json.loads(plan.stdout)["install"]]
    if not pins:
        return "", f"pip finds {req} installed, yet it cannot be imported"
    proc = subprocess.run([*pip, "install", "--quiet", "--no-deps", "--target", str(target),
                           *pins], capture_output=True, text=True, timeout=600)
    if proc.returncode != 0 or not _importable(PLUGIN, str(target)):
        return "", f"cannot install {' '.join(pins)} with pip: {proc.stderr.strip()[-300:]}"
    return str(target), None


@pytest.fixture(scope="module")
def slurm_env(tmp_path_factory) -> dict[str, str]:
    """Environment of a run through SLURM (the plugin importable), or skip with the reason."""
    reason = _cluster_reason()
    if reason:
        pytest.skip(reason)
    if subprocess.run(["sinfo", "-h"], capture_output=True).returncode != 0:
        # SLURM is installed but no cluster answers: start the local one. A machine where it
        # cannot start (a container without munge's socket, say) is the environment, not the
        # workflow: skip with its words. Once it answers, every failure below is a failure.
        start = subprocess.run([str(ROOT / "scripts" / "slurm_local.sh")], capture_output=True,
                               text=True, timeout=300)
        if start.returncode != 0:
            pytest.skip("SLURM is installed but the local cluster did not start "
                        f"(scripts/slurm_local.sh): {start.stderr.strip()[-300:]}")
    for why in (_too_small_for_the_profile(), _probe_job()):
        if why:
            pytest.skip(why)
    pythonpath = ""
    if not _importable(PLUGIN):
        pythonpath, reason = _install_plugin(tmp_path_factory.mktemp("slurm_plugin"))
        if reason:
            pytest.skip(f"the SLURM executor plugin is not installed and {reason}")
    env = dict(os.environ)
    if pythonpath:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [pythonpath,
                                                          env.get("PYTHONPATH", "")]))
    return env


def _profile() -> dict:
    return yaml.safe_load((ROOT / "profiles" / "slurm" / "config.yaml").read_text())


def _partition() -> str:
    return str(_profile()["default-resources"]["slurm_partition"])


def _too_small_for_the_profile() -> str | None:
    """Why no node of the profile's partition can hold one group job (None: one can). Such a job
    would wait in the queue for ever (squeue reason PartitionConfig), not fail."""
    prof = _profile()
    cores = int(prof["cores"])
    mem_mb = int(dict(r.split("=") for r in prof["resources"])["mem_mb"])
    nodes = subprocess.run(["sinfo", "-h", "-N", "-p", _partition(), "-o", "%c %m"],
                           capture_output=True, text=True).stdout.split()
    sizes = [(int(c), int(m.rstrip("+"))) for c, m in zip(nodes[::2], nodes[1::2])]
    if not any(c >= cores and m >= mem_mb for c, m in sizes):
        return (f"no node of SLURM partition '{_partition()}' has the {cores} CPUs and {mem_mb} MB "
                f"one group job of profiles/slurm asks for (nodes: CPUs, MB = {sizes})")
    return None


def _slurm_state() -> str:
    """sinfo's nodes and squeue's jobs with their reasons: the diagnostics of a stuck run."""
    out = []
    for cmd in (["sinfo", "-N", "-o", "%N %T %c %m %E"],
                ["squeue", "-t", "all", "-o", "%i %j %T %r %M %C %m"]):
        proc = subprocess.run(cmd, capture_output=True, text=True)
        out.append(f"$ {' '.join(cmd)}\n{proc.stdout}{proc.stderr}")
    return "\n".join(out)


#: squeue reasons of a pending job that SLURM will never start by itself
NEVER_STARTS = re.compile(r"PartitionConfig|PartitionNodeLimit|PartitionDown|PartitionInactive|"
                          r"ReqNodeNotAvail|NodeDown|BadConstraints|launch failed|JobHeld|"
                          r"InvalidQOS|InvalidAccount|Nodes required", re.I)


def _probe_job(timeout: float = 180) -> str | None:
    """Why the cluster does not run a one-second job within ``timeout`` s (None: it did)."""
    sub = subprocess.run(["sbatch", "--parsable", "--partition", _partition(), "--time", "2",
                          "--job-name", "socialcure-probe", "--output", "/dev/null",
                          "--wrap", "true"], capture_output=True, text=True, timeout=60)
    if sub.returncode != 0:
        return f"SLURM refused a one-second job (sbatch): {sub.stderr.strip()[-300:]}"
    jobid = sub.stdout.strip().split(";")[0]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = subprocess.run(["squeue", "-h", "-t", "all", "-j", jobid, "-o", "%T %r"],
                               capture_output=True, text=True).stdout.strip()
        if not state or state.startswith("COMPLETED"):  # gone: ended more than MinJobAge ago
            return None
        if state.split()[0] in {"FAILED", "CANCELLED", "NODE_FAIL", "TIMEOUT", "BOOT_FAIL",
                                "OUT_OF_MEMORY", "PREEMPTED", "DEADLINE"}:
            return f"SLURM ran a one-second job and it ended {state}:\n{_slurm_state()}"
        if state.startswith("PENDING") and NEVER_STARTS.search(state):
            break
        time.sleep(1)
    state = _slurm_state()
    subprocess.run(["scancel", jobid], capture_output=True)
    return f"SLURM answers but did not run a one-second job within {timeout:.0f} s:\n{state}"


def _stuck(run_name: str | None, pending_since: dict[str, float], grace: float = 120
           ) -> str | None:
    """Why the run's SLURM jobs cannot finish (None: they may): a job pending for more than
    ``grace`` s for a reason SLURM never resolves itself (``pending_since``: first seen, by job)."""
    if not run_name:
        return None
    lines = subprocess.run(["squeue", "-h", "--name", run_name, "-o", "%i %T %r"],
                           capture_output=True, text=True).stdout.splitlines()
    now = time.monotonic()
    for line in lines:
        jobid, state, reason = (line.split(None, 2) + ["", ""])[:3]
        if state == "PENDING" and NEVER_STARTS.search(reason):
            if now - pending_since.setdefault(jobid, now) > grace:
                return f"SLURM job {jobid} waits for ever ({reason})"
        else:
            pending_since.pop(jobid, None)
    return None


def _results(work: Path) -> dict[str, Path]:
    """Every file under ``work/results`` except the logs, by relative path."""
    base = work / "results"
    return {p.relative_to(base).as_posix(): p for p in sorted(base.rglob("*"))
            if p.is_file() and "logs" not in p.relative_to(base).parts}


def test_a_job_no_node_can_hold_is_caught_not_waited_for(slurm_env):
    """The watchdog of the run below: SLURM accepts a job asking more CPUs than any node has and
    lets it wait for ever (PartitionConfig); _stuck names it once it has waited its grace."""
    cpus = max(int(c) for c in subprocess.run(["sinfo", "-h", "-N", "-o", "%c"],
                                              capture_output=True, text=True).stdout.split())
    name = f"socialcure-too-big-{os.getpid()}"
    sub = subprocess.run(["sbatch", "--parsable", "--partition", _partition(), "--job-name", name,
                          "--cpus-per-task", str(cpus + 1), "--time", "1", "--output",
                          "/dev/null", "--wrap", "true"], capture_output=True, text=True)
    try:
        if sub.returncode != 0:  # a cluster that refuses it at once cannot hang on it either
            assert "configuration is not available" in sub.stderr, sub.stderr
            return
        since: dict[str, float] = {}
        why, deadline = None, time.monotonic() + 60
        while why is None and time.monotonic() < deadline:
            why = _stuck(name, since, grace=0)
            time.sleep(1)
        assert why and "waits for ever" in why, _slurm_state()
        assert _stuck(None, {}) is None
    finally:
        subprocess.run(["scancel", "--name", name], capture_output=True)


def test_slurm_local_counts_the_cpus_slurmd_sees_not_omp_num_threads():
    """The suite sets OMP_NUM_THREADS=1, and `nproc` follows it: a cluster configured from it
    had 1 CPU and never ran the profile's 2-CPU group jobs (the CI hang of stop 22)."""
    text = (ROOT / "scripts" / "slurm_local.sh").read_text()
    assert "slurmd -C" in text
    assert not re.search(r"cpus=\$\(nproc\)", text)
    assert "env -u OMP_NUM_THREADS" in text


@pytest.mark.slow
@pytest.mark.e2e
def test_two_schemes_through_slurm_equal_a_local_run(tmp_path, slurm_env):
    light = tmp_path / "light.yaml"
    light.write_text(yaml.safe_dump(bench_cluster.LIGHT), encoding="utf-8")
    run = tmp_path / "run"
    # run_on_slurm.sh writes the data and configs first; the local run starts once they exist
    env = {**slurm_env, "N": "200", "SCHEMES": "2", "WAVES": "3", "PY": sys.executable,
           "OVERRIDES": str(light)}
    slurm_log, local_log = tmp_path / "run_on_slurm.out", tmp_path / "local.out"
    with open(slurm_log, "w") as fh:
        slurm = subprocess.Popen([str(ROOT / "scripts" / "run_on_slurm.sh"), str(run)],
                                 env=env, stdout=fh, stderr=subprocess.STDOUT)
    local = None
    try:
        while local is None and slurm.poll() is None:
            if (run / "logs" / "all.log").exists():  # programme.yaml is complete
                with open(local_log, "w") as fh:
                    local = subprocess.Popen(
                        [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"),
                         "--directory", str(tmp_path / "local"), "--configfile",
                         str(run / "programme.yaml"), "--cores", "2", "--quiet"],
                        cwd=ROOT, stdout=fh, stderr=subprocess.STDOUT)
            else:
                time.sleep(1)
        # the run ends by itself, or the test ends it with SLURM's words: never a silent hang
        all_log, pending_since = run / "logs" / "all.log", {}
        deadline = time.monotonic() + DEADLINE_S
        while slurm.poll() is None or (local is not None and local.poll() is None):
            run_name = bench_cluster.run_id(all_log.read_text(encoding="utf-8", errors="replace")
                                            ) if all_log.exists() else None
            why = _stuck(run_name, pending_since)
            if why is None and time.monotonic() > deadline:
                why = f"the two runs did not end within {DEADLINE_S} s"
            if why:
                state = _slurm_state()
                if run_name:
                    subprocess.run(["scancel", "--name", run_name], capture_output=True)
                tails = "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-1500:]}"
                                   for p in (slurm_log, all_log, local_log) if p.exists())
                pytest.fail(f"{why}\n{state}\n{tails}")
            time.sleep(5)
    finally:
        for p in (slurm, local):
            if p is not None and p.poll() is None:
                p.kill()
    out = slurm_log.read_text()
    assert slurm.returncode == 0, out[-3000:]
    assert local is not None and local.returncode == 0, local_log.read_text()[-3000:]

    summary = json.loads(out.strip().splitlines()[-1])
    assert summary["schemes"] == 2
    work = run / "work"
    for scheme in SCHEMES:
        assert list((work / "results" / scheme / "report").glob("*_report.pdf")), scheme
    assert (work / "results" / "pooled" / "tables" / "pooled_change.csv").exists()

    # one SLURM job per scheme (group `study`) and one for the pooled jobs (group `pooled`);
    # inside them every planned job but the local rule `all`, each exactly once
    log = (run / "logs" / "all.log").read_text(encoding="utf-8")
    submitted = bench_cluster.submitted_jobs(log)
    planned = bench_cluster.planned_jobs(log)
    assert planned and summary["slurm_jobs"] == len(submitted)
    assert sorted(submitted.values()) == ["group:pooled"] + ["group:study"] * len(SCHEMES)
    ran = Counter(rule for rule, _ in bench_cluster.slurm_log_runs(work))
    assert ran == Counter({r: n for r, n in planned.items() if r != "all"})
    run_id = bench_cluster.run_id(log)
    assert run_id, "no 'SLURM run ID' in the snakemake log"
    seen = subprocess.run(["squeue", "-h", "-t", "all", "--name", run_id, "-o", "%i %T %C %m"],
                          capture_output=True, text=True).stdout.split("\n")
    jobs = {line.split()[0]: line.split()[1:] for line in seen if line.strip()}
    # squeue forgets a job MinJobAge (600 s) after it ended: the ones it still lists
    listed = {j: jobs[j] for j in submitted if j in jobs}
    assert listed and {state for state, _, _ in listed.values()} == {"COMPLETED"}, jobs
    # what a group job asked SLURM for: within the profile's caps per group job (cores,
    # resources: mem_mb), and at least what its largest rule job needs
    prof = yaml.safe_load((ROOT / "profiles" / "slurm" / "config.yaml").read_text())
    cap_mb = int(dict(r.split("=") for r in prof["resources"])["mem_mb"])
    for jobid, (_, cpus, mem) in listed.items():
        mem_mb = int(mem.rstrip("M")) if mem.endswith("M") else int(float(mem[:-1]) * 1024)
        assert 1 <= int(cpus) <= prof["cores"], (jobid, cpus)
        assert 3000 <= mem_mb <= cap_mb, (jobid, mem)

    # the cluster changes nothing: every result byte-identical to the local --cores 2 run
    on_slurm, here = _results(work), _results(tmp_path / "local")
    assert sorted(on_slurm) == sorted(here)
    differ = [rel for rel in on_slurm if not filecmp.cmp(on_slurm[rel], here[rel],
                                                         shallow=False)]
    assert not differ, differ
