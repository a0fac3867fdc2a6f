"""Benchmark: the demo study end to end (issue 14: target <= 15 s on two cores, quiet machine).

Run from the project root:  .venv/bin/python benchmarks/bench_demo.py [--repeat 3] [--cores 2]
                            [--keep DIR]
Each repeat runs ``snakemake -s <repo>/Snakefile --directory <tmp> --cores 2`` in a fresh
temporary working directory (so ``results/`` starts empty; the demo's config and raw files are
read from the repository, nothing in it is written) and times the whole call. Per rule it
reads the start and end time Snakemake records for every job (``.snakemake/metadata``): a
rule's wall is the time from its first job's start to its last job's end (the three ingest
jobs overlap), and ``start`` is when its first job started after the run began, which shows
the critical path. Prints each repeat, then per rule the median and the spread (min-max) over
the repeats, the total, the floor of the wall time on the given cores (the run's CPU divided by
the cores, and the same for the MICE rules alone: no scheduling gets under it), the load average
before each repeat (``os.getloadavg``: the numbers are only comparable on a quiet machine) and
the peak resident memory of any one process; the last line is one JSON object with the same
numbers.

CPU time per rule (user + system seconds of each stage process, summed over a rule's jobs) is
less noisy than wall time on a shared machine: a ``sitecustomize`` module put on the jobs'
``PYTHONPATH`` records each ``pipeline.cli`` process's own ``getrusage`` at exit (nothing in
the pipeline changes), credited to the rule its log file names (:func:`rule_cpu`: rules that
run the same stage, impute and impute_chains, are kept apart); the total CPU of the run
(Snakemake included) comes from the children's ``getrusage``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: issue 14's target for the demo end to end on two cores (seconds)
TARGET_S = 15.0
#: the rules that run MICE (the imputation chains and the boot-MI blocks)
MICE_RULES = ("impute_chains_", "mediation_mi_block_")

#: Written beside each run; on the jobs' PYTHONPATH it appends one JSON line per stage process
#: (stage, log file, CPU seconds) to the file named by SOCIALCURE_BENCH_CPU.
SITECUSTOMIZE = r"""
import atexit, json, os, resource, sys

def _socialcure_bench_cpu():
    out = os.environ.get("SOCIALCURE_BENCH_CPU")
    if not out or not sys.argv or not sys.argv[0].endswith(os.path.join("pipeline", "cli.py")):
        return
    ru = resource.getrusage(resource.RUSAGE_SELF)
    log = sys.argv[sys.argv.index("--log") + 1] if "--log" in sys.argv else ""
    with open(out, "a") as fh:
        fh.write(json.dumps({"stage": sys.argv[1] if len(sys.argv) > 1 else "", "log": log,
                             "cpu": ru.ru_utime + ru.ru_stime}) + "\n")

atexit.register(_socialcure_bench_cpu)
"""


def snakemake_exe() -> str:
    """The snakemake of this interpreter's environment (else the one on PATH)."""
    here = Path(sys.executable).parent / "snakemake"
    return str(here) if here.exists() else (shutil.which("snakemake") or "snakemake")


def rule_times(workdir: Path) -> dict[str, dict[str, float]]:
    """Rule -> {"start", "end", "wall", "jobs"} from Snakemake's per-output metadata (seconds;
    start and end relative to the first job's start)."""
    jobs: dict[tuple[str, str], tuple[float, float]] = {}
    for f in (workdir / ".snakemake" / "metadata").iterdir():
        try:
            meta = json.loads(f.read_text())
        except (ValueError, OSError):
            continue
        if meta.get("rule") and meta.get("starttime") and meta.get("endtime"):
            jobs[(meta["rule"], str(meta.get("job_hash")))] = (meta["starttime"], meta["endtime"])
    if not jobs:
        return {}
    t0 = min(s for s, _ in jobs.values())
    out: dict[str, dict[str, float]] = {}
    for (rule, _), (s, e) in jobs.items():
        r = out.setdefault(rule, {"start": s - t0, "end": e - t0, "jobs": 0})
        r["start"], r["end"] = min(r["start"], s - t0), max(r["end"], e - t0)
        r["jobs"] += 1
    for r in out.values():
        r["wall"] = r["end"] - r["start"]
    return dict(sorted(out.items(), key=lambda kv: kv[1]["start"]))


def rule_cpu(path: Path, rules: Iterable[str]) -> dict[str, float]:
    """Rule -> CPU seconds of its jobs, from the lines :data:`SITECUSTOMIZE` wrote. A job's rule
    is named from its log file ``results/<study>/logs/<name>[_<block>].log``: ``<name>_<study>``
    when that is one of ``rules`` (``impute_chains_demo``, ``mediation_mi_block_demo``), else
    its stage's rule ``<stage>_<study>`` (an ingest job's log names its wave). Matched exactly:
    several rules run the same stage (``impute`` and ``impute_chains``)."""
    rules = set(rules)
    out: dict[str, float] = {}
    if not path.exists():
        return out
    for line in path.read_text().splitlines():
        rec = json.loads(line)
        log = Path(rec["log"])
        study = log.parent.parent.name
        name = f"{re.sub(r'_[0-9]+$', '', log.stem)}_{study}"
        rule = name if name in rules else f"{rec['stage']}_{study}"
        out[rule] = out.get(rule, 0.0) + rec["cpu"]
    return out


def run_once(cores: int, keep: Path | None) -> tuple[float, dict, float, dict, float]:
    """One run from an empty results/: (total wall, rule times, load average before, CPU per
    rule, CPU of the whole run)."""
    tmp = Path(tempfile.mkdtemp(prefix="bench_demo_"))
    hook = Path(tempfile.mkdtemp(prefix="bench_demo_hook_"))
    (hook / "sitecustomize.py").write_text(SITECUSTOMIZE)
    env = dict(os.environ, SOCIALCURE_BENCH_CPU=str(hook / "cpu.jsonl"),
               PYTHONPATH=os.pathsep.join(filter(None, [str(hook),
                                                        os.environ.get("PYTHONPATH")])))
    load = os.getloadavg()[0]
    cmd = [snakemake_exe(), "-s", str(ROOT / "Snakefile"), "--directory", str(tmp),
           "--cores", str(cores), "--quiet", "all"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=tmp, capture_output=True, text=True, env=env)
    total = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_all = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-4000:] + proc.stderr[-4000:])
        raise SystemExit(f"snakemake failed (exit {proc.returncode}); working directory {tmp}")
    rules = rule_times(tmp)
    cpu = rule_cpu(hook / "cpu.jsonl", rules)
    shutil.rmtree(hook, ignore_errors=True)
    if keep is not None:
        shutil.rmtree(keep, ignore_errors=True)
        shutil.copytree(tmp, keep)
    shutil.rmtree(tmp, ignore_errors=True)
    return total, rules, load, cpu, cpu_all


def floors(cpu_all: float, rules_cpu: dict[str, float], cores: int) -> dict[str, float]:
    """The least wall time ``cores`` cores can take for the run's CPU seconds (``all``) and for
    the MICE rules' alone (``mice``): CPU / cores, reached only if no core ever waits."""
    mice = sum(c for rule, c in rules_cpu.items() if rule.startswith(MICE_RULES))
    return {"all": cpu_all / cores, "mice": mice / cores}


def spread(values: list[float]) -> str:
    return f"{statistics.median(values):7.2f} s  ({min(values):.2f}-{max(values):.2f})"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--cores", type=int, default=2)
    ap.add_argument("--keep", type=Path, default=None,
                    help="copy the last run's working directory (results, logs) here")
    args = ap.parse_args()
    totals, loads, per_rule, cpus, cpu_alls = [], [], {}, {}, []
    for i in range(args.repeat):
        total, rules, load, cpu, cpu_all = run_once(args.cores, args.keep)
        totals.append(total)
        loads.append(load)
        cpu_alls.append(cpu_all)
        print(f"repeat {i + 1}: total {total:.2f} s, CPU {cpu_all:.1f} s (load before "
              f"{load:.2f})")
        for rule, r in rules.items():
            per_rule.setdefault(rule, []).append(r)
            c = cpu.get(rule, float("nan"))
            cpus.setdefault(rule, []).append(c)
            print(f"  {rule:<12} start {r['start']:6.2f}  wall {r['wall']:6.2f} s  CPU "
                  f"{c:6.2f} s  ({int(r['jobs'])} job{'s' if r['jobs'] > 1 else ''})")
    print(f"\nover {args.repeat} repeats, --cores {args.cores}: median (min-max)")
    for rule, rs in per_rule.items():
        print(f"  {rule:<12} start {statistics.median(r['start'] for r in rs):6.2f}  wall "
              + spread([r["wall"] for r in rs]) + "  CPU " + spread(cpus[rule]))
    print(f"  {'total':<12} {'':12} " + spread(totals) + "  CPU " + spread(cpu_alls))
    floor = floors(statistics.median(cpu_alls),
                   {rule: statistics.median(c) for rule, c in cpus.items()}, args.cores)
    print(f"floor on {args.cores} cores (CPU / cores, perfect packing): whole run "
          f"{floor['all']:.1f} s; the MICE rules alone ({', '.join(MICE_RULES)}) "
          f"{floor['mice']:.1f} s; issue 14's target: {TARGET_S:.0f} s")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"load average before each repeat: {', '.join(f'{x:.2f}' for x in loads)}; peak RSS "
          f"of one process {peak:.0f} MB")
    print(json.dumps({
        "benchmark": "demo_end_to_end", "cores": args.cores, "repeats": args.repeat,
        "total_s": {"median": statistics.median(totals), "min": min(totals),
                    "max": max(totals)},
        "rules_wall_s": {rule: statistics.median(r["wall"] for r in rs)
                         for rule, rs in per_rule.items()},
        "rules_start_s": {rule: statistics.median(r["start"] for r in rs)
                          for rule, rs in per_rule.items()},
        "rules_cpu_s": {rule: statistics.median(c) for rule, c in cpus.items()},
        "cpu_s": {"median": statistics.median(cpu_alls), "min": min(cpu_alls),
                  "max": max(cpu_alls)},
        "floor_s": floor,
        "load_before": loads, "peak_rss_mb": round(peak, 1)}, sort_keys=True))


if __name__ == "__main__":
    main()
