"""Benchmark: a national programme through the cluster path (issue 15, "a real cluster").

    .venv/bin/python benchmarks/bench_cluster.py [--schemes 50] [--n 600] [--waves 3]
                                                  [--light] [--pack K] [--keep DIR]

S synthetic schemes of N participants x W waves go through ``scripts/run_on_slurm.sh``: the
demo generator writes the schemes, one programme config lists them, and one ``snakemake
--profile profiles/slurm`` call runs them. The profile groups the jobs (rules/common.smk:
STUDY_GROUP): each scheme's rule jobs run as ONE SLURM job (``--pack K``: K schemes per SLURM
job, ``--group-components study=K``), the pooled jobs as another. Needs a SLURM cluster that
answers (``sinfo``; as root the script starts the single-node one of
``scripts/slurm_local.sh``) and the executor plugin (``pip install -e '.[slurm]'``). ``--light``
runs with the small bootstrap / imputation settings of the CI test
(``tests/test_slurm_cluster.py``: LIGHT) instead of the demo study's.

Measured while it runs:

* wall time of the ``snakemake`` call (the script's own figure: generation excluded);
* the SLURM jobs: submitted ones from the snakemake log ("Job j has been submitted with SLURM
  jobid k (log: ...)"; a group job's log folder names its group, a single job's rule comes from
  the log), their start and end from ``squeue --states=all`` polled every few seconds (without
  accounting, squeue keeps a finished job for MinJobAge = 600 s only, so it is polled while the
  run goes);
* the rule jobs inside the group jobs: start and end of each from the SLURM jobs' own logs
  (``.snakemake/slurm_logs/``; second resolution);
* CPU seconds: every process whose working directory is the run's (the submitting snakemake and
  everything the SLURM jobs start), own user + system time, last value seen (polled each
  second; a process living less than a poll is missed, so this is a lower bound).

Prints per SLURM unit (``group:study``, ``group:pooled``, or a rule) the number of SLURM jobs
and their summed and longest run time in SLURM, then per stage (``ingest_scheme_07`` counts as
``ingest``) the rule jobs run inside them, then the totals and an extrapolation to 50 schemes
and, as its LAST line, one JSON object::

    {"schemes": S, "n": N, "waves": W, "wall_s": ..., "slurm_jobs": ..., "cpu_s": ..., ...}
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "run_on_slurm.sh"
POLL_S = 1.0
STOP_GRACE_S = 30.0  # --stop-after: how long snakemake may take to stop before SIGKILL
SQUEUE_EVERY_S = 5.0

#: small bootstrap / imputation settings (merged over every scheme's config with --light)
LIGHT = {
    "mediation": {"bootstrap": {"B": 100}, "mi": {"B": 100, "M": 2, "iterations": 5,
                                                  "blocks": 2},
                  "fiml": {"mc_draws": 1000}},
    "missing_data": {"m": 5, "m_max": 5, "iterations": 5,
                     "sensitivity": {"deltas": {"from": -2, "to": 2, "step": 1}}},
    "crosslag": {"se": "standard", "stationarity_test": False},
}

_RULE = re.compile(r"^(?:local)?rule (\S+):$")
_JOBID = re.compile(r"^\s+jobid: (\d+)$")
_SUBMITTED = re.compile(
    r"Job (\S+) has been submitted with SLURM jobid (\d+)(?: \(log: (.*)\))?")
_GROUP_DIR = re.compile(r"/group_([^_/]+)_")
_STAMP = re.compile(r"^\[(\w{3} \w{3} +\d+ \d\d:\d\d:\d\d \d{4})\]")
_FINISHED = re.compile(r"^Finished jobid: (\d+) \(Rule: (\S+)\)")
_RUN_ID = re.compile(r"SLURM run ID: (\S+)")


# ------------------------------------------------------------------------------ the log


def submitted_jobs(log_text: str) -> dict[str, str]:
    """SLURM job id -> what it ran, from a snakemake log of a run with the SLURM executor: a
    group job as ``group:<group>`` (its log folder, ``slurm_logs/group_<group>_<rules>``), a
    single rule job as its rule."""
    rule_of: dict[str, str] = {}
    rule = None
    out: dict[str, str] = {}
    for line in log_text.splitlines():
        m = _RULE.match(line)
        if m:
            rule = m.group(1)
            continue
        m = _JOBID.match(line)
        if m and rule:
            rule_of[m.group(1)] = rule
            rule = None
            continue
        m = _SUBMITTED.search(line)
        if m:
            group = _GROUP_DIR.search(m.group(3) or "")
            out[m.group(2)] = (f"group:{group.group(1)}" if group
                               else rule_of.get(m.group(1), "?"))
    return out


def rule_runs(log_text: str) -> list[tuple[str, float]]:
    """(rule, seconds) of every rule job a snakemake log shows started and finished: the log of
    a group job's SLURM job (``localrule X:`` ... ``jobid: N``, then ``Finished jobid: N``, each
    after a ``[timestamp]`` line)."""
    started: dict[str, tuple[str, float]] = {}
    runs: list[tuple[str, float]] = []
    stamp = None
    rule = None
    for line in log_text.splitlines():
        m = _STAMP.match(line)
        if m:
            stamp = time.mktime(time.strptime(m.group(1), "%a %b %d %H:%M:%S %Y"))
            continue
        m = _RULE.match(line)
        if m:
            rule = m.group(1)
            continue
        m = _JOBID.match(line)
        if m and rule and stamp is not None:
            started[m.group(1)] = (rule, stamp)
            rule = None
            continue
        m = _FINISHED.match(line)
        if m and m.group(1) in started and stamp is not None:
            name, t0 = started.pop(m.group(1))
            runs.append((name, max(stamp - t0, 0.0)))
    return runs


def run_id(log_text: str) -> str | None:
    """The SLURM executor's run id (every job's ``--job-name``), or None."""
    m = _RUN_ID.search(log_text)
    return m.group(1) if m else None


def stage_of(rule: str, schemes: list[str]) -> str:
    """``ingest_scheme_07`` -> ``ingest``; a rule of the run as a whole (``pooled``) as it is."""
    for s in schemes:
        if rule.endswith("_" + s):
            return rule[: -len(s) - 1]
    return rule


def planned_jobs(log_text: str) -> dict[str, int]:
    """The "Job stats" table snakemake prints first: rule -> planned jobs (``total`` left out)."""
    counts: dict[str, int] = {}
    lines = log_text.splitlines()
    try:
        start = lines.index("Job stats:") + 3
    except ValueError:
        return counts
    for line in lines[start:]:
        parts = line.split()
        if len(parts) != 2 or not parts[1].isdigit():
            break
        if parts[0] != "total":
            counts[parts[0]] = int(parts[1])
    return counts


# ------------------------------------------------------------------------------ monitor


@dataclass
class SlurmJob:
    """One SLURM job as squeue last showed it."""

    state: str
    start: str
    end: str


@dataclass
class Monitor:
    """Polls squeue (the run's jobs) and /proc (CPU of processes working in ``work``)."""

    work: Path
    log: Path
    run: str | None = None
    jobs: dict[str, SlurmJob] = field(default_factory=dict)
    cpu: dict[int, float] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)

    def loop(self) -> None:
        last_squeue = 0.0
        while not self._stop.is_set():
            self.poll_cpu()
            if time.monotonic() - last_squeue >= SQUEUE_EVERY_S:
                self.poll_squeue()
                last_squeue = time.monotonic()
            self._stop.wait(POLL_S)
        self.poll_squeue()

    def stop(self) -> None:
        self._stop.set()

    def poll_squeue(self) -> None:
        if self.run is None and self.log.exists():
            self.run = run_id(self.log.read_text(encoding="utf-8", errors="replace"))
        if self.run is None:
            return
        proc = subprocess.run(["squeue", "-h", "-t", "all", "--name", self.run,
                               "-o", "%i|%T|%S|%e"], capture_output=True, text=True)
        for line in proc.stdout.splitlines():
            parts = line.strip().split("|")
            if len(parts) == 4:
                self.jobs[parts[0]] = SlurmJob(*parts[1:])

    def poll_cpu(self) -> None:
        tick = os.sysconf("SC_CLK_TCK")
        work = str(self.work)
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            try:
                if not os.readlink(f"/proc/{entry.name}/cwd").startswith(work):
                    continue
                with open(f"/proc/{entry.name}/stat", encoding="ascii") as fh:
                    fields = fh.read().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            pid = int(entry.name)
            self.cpu[pid] = max(self.cpu.get(pid, 0.0), (int(fields[11]) + int(fields[12])) / tick)


def _seconds(job: SlurmJob) -> float | None:
    """Run time of a finished job from squeue's start and end times."""
    try:
        t0 = time.mktime(time.strptime(job.start, "%Y-%m-%dT%H:%M:%S"))
        t1 = time.mktime(time.strptime(job.end, "%Y-%m-%dT%H:%M:%S"))
    except ValueError:
        return None
    return max(t1 - t0, 0.0)


def per_rule(submitted: dict[str, str], seen: dict[str, SlurmJob], schemes: list[str]
             ) -> list[dict]:
    """Per SLURM unit (a group, or a rule's stage): SLURM jobs, summed and longest run time (of
    the jobs squeue still showed)."""
    rows: dict[str, dict] = {}
    for jobid, rule in submitted.items():
        stage = stage_of(rule, schemes)
        r = rows.setdefault(stage, {"rule": stage, "jobs": 0, "timed": 0, "run_s": 0.0,
                                    "max_s": 0.0})
        r["jobs"] += 1
        secs = _seconds(seen[jobid]) if jobid in seen else None
        if secs is not None:
            r["timed"] += 1
            r["run_s"] += secs
            r["max_s"] = max(r["max_s"], secs)
    return sorted(rows.values(), key=lambda r: -r["run_s"])


def per_stage(runs: list[tuple[str, float]], schemes: list[str]) -> list[dict]:
    """Per stage: rule jobs run inside the SLURM jobs (their logs), summed and longest time."""
    rows: dict[str, dict] = {}
    for rule, secs in runs:
        stage = stage_of(rule, schemes)
        r = rows.setdefault(stage, {"rule": stage, "jobs": 0, "run_s": 0.0, "max_s": 0.0})
        r["jobs"] += 1
        r["run_s"] += secs
        r["max_s"] = max(r["max_s"], secs)
    return sorted(rows.values(), key=lambda r: -r["run_s"])


def slurm_log_runs(work: Path) -> list[tuple[str, float]]:
    """The rule jobs of every SLURM job's log under ``work/.snakemake/slurm_logs``."""
    return [run for path in sorted((work / ".snakemake" / "slurm_logs").rglob("*.log"))
            for run in rule_runs(path.read_text(encoding="utf-8", errors="replace"))]


# ------------------------------------------------------------------------------ running


def _workflow_pids(work: Path) -> list[int]:
    """The submitting snakemake of the run in ``work`` (``--directory work/work``)."""
    pids = []
    for entry in os.scandir("/proc"):
        try:
            args = Path(f"/proc/{entry.name}/cmdline").read_bytes().split(b"\0")
        except (OSError, ValueError):
            continue
        if b"snakemake" in b" ".join(args) and str(work / "work").encode() in args \
                and b"--directory" in args:
            pids.append(int(entry.name))
    return pids


def _stop(work: Path) -> None:
    """Stops the run: SIGTERM to its snakemake (which may wait for running jobs), after 30 s
    ``scancel`` of the run's SLURM jobs (by the run id, their job name) and SIGKILL."""
    for pid in _workflow_pids(work):
        os.kill(pid, signal.SIGTERM)
    time.sleep(STOP_GRACE_S)
    log = work / "logs" / "all.log"
    run = run_id(log.read_text(encoding="utf-8", errors="replace")) if log.exists() else None
    if run:
        subprocess.run(["scancel", "--name", run], capture_output=True)
    for pid in _workflow_pids(work):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def run_script(work: Path, env: dict, stop_after: float | None
               ) -> tuple[subprocess.CompletedProcess, bool]:
    """Runs run_on_slurm.sh; after ``stop_after`` seconds stops its snakemake (SIGTERM: the
    executor cancels the queued SLURM jobs, the script then reports what finished). Returns the
    script's result and whether it was stopped."""
    with subprocess.Popen([str(SCRIPT), str(work)], env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True) as proc:
        stopped = False
        try:
            out, err = proc.communicate(timeout=stop_after)
        except subprocess.TimeoutExpired:
            stopped = True
            _stop(work)
            out, err = proc.communicate()
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err), stopped


def _partial(args, summary: dict, schemes: list[str], cpu: float) -> dict:
    """A run stopped early: its rate, and the whole programme at that rate."""
    done = len(schemes)
    rate = done / summary["wall_s"] * 3600 if summary["wall_s"] else 0.0
    est = {"schemes_done": done, "schemes_per_hour": round(rate, 2)}
    if done:
        est["wall_s_at_this_rate"] = round(summary["wall_s"] / done * args.schemes)
        est["cpu_s_per_scheme_upper"] = round(cpu / done, 1)
    print(f"STOPPED after {summary['wall_s']:.0f} s: {done} of {args.schemes} schemes done "
          f"({rate:.2f} per hour); at this rate all {args.schemes}: "
          f"{est.get('wall_s_at_this_rate', float('nan')):.0f} s wall; CPU so far "
          f"{cpu:.0f} s (<= {est.get('cpu_s_per_scheme_upper', float('nan')):.0f} s per "
          "finished scheme: the stopped ones' work counts too)")
    return est


def _print_table(title: str, rows: list[dict], timed: bool) -> None:
    print(f"{title:22s} {'jobs':>5s} {'timed' if timed else '':>6s} {'run_s':>9s} "
          f"{'max_s':>7s}")
    for r in rows:
        print(f"{r['rule']:22s} {r['jobs']:5d} {r['timed'] if timed else '':>6} "
              f"{r['run_s']:9.0f} {r['max_s']:7.0f}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--schemes", type=int, default=50)
    ap.add_argument("--n", type=int, default=600, help="baseline participants per scheme")
    ap.add_argument("--waves", type=int, default=3)
    ap.add_argument("--light", action="store_true",
                    help="small bootstrap / imputation settings (LIGHT) for every scheme")
    ap.add_argument("--pack", type=int, default=1,
                    help="schemes per SLURM job (--group-components study=K; default 1)")
    ap.add_argument("--stop-after", type=float, default=None,
                    help="stop the run after this many seconds and report the partial numbers")
    ap.add_argument("--keep", type=Path, default=None,
                    help="work in this folder and keep it (default: a temporary folder, removed)")
    args = ap.parse_args(argv)
    work = (args.keep or Path(tempfile.mkdtemp(prefix="bench_cluster_"))).resolve()
    work.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "SCHEMES": str(args.schemes), "N": str(args.n),
           "WAVES": str(args.waves), "PY": sys.executable}
    if args.pack != 1:
        extra = os.environ.get("SNAKEMAKE_ARGS", "")
        env["SNAKEMAKE_ARGS"] = f"{extra} --group-components study={args.pack} pooled=1".strip()
    if args.light:
        (work / "light.yaml").write_text(yaml.safe_dump(LIGHT), encoding="utf-8")
        env["OVERRIDES"] = str(work / "light.yaml")
    mon = Monitor(work / "work", work / "logs" / "all.log")
    thread = threading.Thread(target=mon.loop, daemon=True)
    try:
        thread.start()
        proc, stopped = run_script(work, env, args.stop_after)
        mon.stop()
        thread.join()
        log_path = work / "logs" / "all.log"
        log = log_path.read_text(encoding="utf-8", errors="replace") if log_path.exists() else ""
        runs = slurm_log_runs(work / "work")
        names = sorted(c.stem for c in (work / "config").glob("*.yaml"))  # every scheme
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    lines = proc.stdout.strip().splitlines()
    if (proc.returncode != 0 and not stopped) or not lines:
        sys.stderr.write(proc.stdout[-3000:] + proc.stderr[-3000:])
        raise SystemExit(f"bench_cluster: run_on_slurm.sh failed (exit {proc.returncode})")
    summary = json.loads(lines[-1])
    schemes = [s for s in re.findall(r"^scheme (\S+): report", proc.stdout, re.M)]
    submitted = submitted_jobs(log)
    rows = per_rule(submitted, mon.jobs, schemes)
    _print_table("SLURM jobs of", rows, timed=True)
    stages = per_stage(runs, names)
    _print_table("rule jobs inside", stages, timed=False)
    cpu = sum(mon.cpu.values())
    per_scheme_jobs = (len(submitted) - 1) / args.schemes  # the pooled job is once per run
    load1 = os.getloadavg()[0]
    print(f"{args.schemes} schemes x {args.n} x {args.waves} waves: {summary['wall_s']:.0f} s "
          f"wall, {len(submitted)} SLURM jobs ({len(mon.jobs)} seen in squeue) running "
          f"{len(runs)} rule jobs, >= {cpu:.0f} s CPU; load {load1:.1f}")
    partial = _partial(args, summary, schemes, cpu) if stopped else {}
    if args.schemes != 50 and not stopped:
        print(f"50 schemes: {50 * per_scheme_jobs + 1:.0f} SLURM jobs and about "
              f"{cpu / args.schemes * 50:.0f} CPU-seconds (linear in schemes); on one 2-CPU node "
              f"at least {cpu / args.schemes * 50 / 2:.0f} s wall")
    out = {"schemes": args.schemes, "n": args.n, "waves": args.waves,
           "light": args.light, "pack": args.pack, "wall_s": summary["wall_s"],
           "slurm_jobs": len(submitted),
           "per_rule_jobs": {r["rule"]: r["jobs"] for r in rows},
           "rule_jobs": {r["rule"]: r["jobs"] for r in stages}, "cpu_s": round(cpu, 1),
           "slurm_states": dict(Counter(j.state for j in mon.jobs.values())),
           "load1": round(load1, 2), "stopped": stopped, **partial}
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
