"""Benchmark: a national programme through the cluster path (issue 15, "a real cluster").

    .venv/bin/python benchmarks/bench_cluster.py [--schemes 50] [--n 600] [--waves 3]
                                                  [--light] [--keep DIR]

S synthetic schemes of N participants x W waves go through ``scripts/run_on_slurm.sh``: the
demo generator writes the schemes, one programme config lists them, and one ``snakemake
--profile profiles/slurm`` call runs every rule job of every scheme (and the pooled job) as a
SLURM job. Needs a SLURM cluster that answers (``sinfo``; as root the script starts the
single-node one of ``scripts/slurm_local.sh``) and the executor plugin (``pip install -e
'.[slurm]'``). ``--light`` runs with the small bootstrap / imputation settings of the CI test
(``tests/test_slurm_cluster.py``: LIGHT) instead of the demo study's.

Measured while it runs:

* wall time of the ``snakemake`` call (the script's own figure: generation excluded);
* the SLURM jobs: submitted ones from the snakemake log ("Job j has been submitted with SLURM
  jobid k", each job's rule from the log), their start and end from ``squeue --states=all``
  polled every few seconds (without accounting, squeue keeps a finished job for MinJobAge =
  600 s only, so it is polled while the run goes);
* CPU seconds: every process whose working directory is the run's (the submitting snakemake and
  everything the SLURM jobs start), own user + system time, last value seen (polled each
  second; a process living less than a poll is missed, so this is a lower bound).

Prints per rule (the stage: ``ingest_scheme_07`` counts as ``ingest``) the number of SLURM jobs,
their summed and longest run time in SLURM, then the totals and an extrapolation to 50 schemes
and, as its LAST line, one JSON object::

    {"schemes": S, "n": N, "waves": W, "wall_s": ..., "slurm_jobs": ..., "cpu_s": ..., ...}
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "run_on_slurm.sh"
POLL_S = 1.0
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
_SUBMITTED = re.compile(r"Job (\d+) has been submitted with SLURM jobid (\d+)")
_RUN_ID = re.compile(r"SLURM run ID: (\S+)")


# ------------------------------------------------------------------------------ the log


def submitted_jobs(log_text: str) -> dict[str, str]:
    """SLURM job id -> rule name, from a snakemake log of a run with the SLURM executor."""
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
            out[m.group(2)] = rule_of.get(m.group(1), "?")
    return out


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
    """Per stage: SLURM jobs, summed and longest run time (of the jobs squeue still showed)."""
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


# ------------------------------------------------------------------------------ running


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--schemes", type=int, default=50)
    ap.add_argument("--n", type=int, default=600, help="baseline participants per scheme")
    ap.add_argument("--waves", type=int, default=3)
    ap.add_argument("--light", action="store_true",
                    help="small bootstrap / imputation settings (LIGHT) for every scheme")
    ap.add_argument("--keep", type=Path, default=None,
                    help="work in this folder and keep it (default: a temporary folder, removed)")
    args = ap.parse_args(argv)
    work = (args.keep or Path(tempfile.mkdtemp(prefix="bench_cluster_"))).resolve()
    work.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "SCHEMES": str(args.schemes), "N": str(args.n),
           "WAVES": str(args.waves), "PY": sys.executable}
    if args.light:
        (work / "light.yaml").write_text(yaml.safe_dump(LIGHT), encoding="utf-8")
        env["OVERRIDES"] = str(work / "light.yaml")
    mon = Monitor(work / "work", work / "logs" / "all.log")
    thread = threading.Thread(target=mon.loop, daemon=True)
    try:
        thread.start()
        proc = subprocess.run([str(SCRIPT), str(work)], env=env, capture_output=True,
                              text=True)
        mon.stop()
        thread.join()
        log_path = work / "logs" / "all.log"
        log = log_path.read_text(encoding="utf-8", errors="replace") if log_path.exists() else ""
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        sys.stderr.write(proc.stdout[-3000:] + proc.stderr[-3000:])
        raise SystemExit(f"bench_cluster: run_on_slurm.sh failed (exit {proc.returncode})")
    summary = json.loads(lines[-1])
    schemes = [s for s in re.findall(r"^scheme (\S+): report", proc.stdout, re.M)]
    submitted = submitted_jobs(log)
    rows = per_rule(submitted, mon.jobs, schemes)
    print(f"{'rule':22s} {'jobs':>5s} {'timed':>6s} {'run_s':>9s} {'max_s':>7s}")
    for r in rows:
        print(f"{r['rule']:22s} {r['jobs']:5d} {r['timed']:6d} {r['run_s']:9.0f} "
              f"{r['max_s']:7.0f}")
    cpu = sum(mon.cpu.values())
    per_scheme_jobs = (len(submitted) - 1) / args.schemes  # the pooled job is once per run
    load1 = os.getloadavg()[0]
    print(f"{args.schemes} schemes x {args.n} x {args.waves} waves: {summary['wall_s']:.0f} s "
          f"wall, {len(submitted)} SLURM jobs ({len(mon.jobs)} seen in squeue), >= {cpu:.0f} s "
          f"CPU; load {load1:.1f}")
    if args.schemes != 50:
        print(f"50 schemes: {50 * per_scheme_jobs + 1:.0f} SLURM jobs and about "
              f"{cpu / args.schemes * 50:.0f} CPU-seconds (linear in schemes); on one 2-CPU node "
              f"at least {cpu / args.schemes * 50 / 2:.0f} s wall")
    out = {"schemes": args.schemes, "n": args.n, "waves": args.waves,
           "light": args.light, "wall_s": summary["wall_s"], "slurm_jobs": len(submitted),
           "per_rule_jobs": {r["rule"]: r["jobs"] for r in rows}, "cpu_s": round(cpu, 1),
           "load1": round(load1, 2)}
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
