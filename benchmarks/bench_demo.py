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
the repeats, the total, the load average before each repeat (``os.getloadavg``: the numbers
are only comparable on a quiet machine) and the peak resident memory of any one process; the
last line is one JSON object with the same numbers.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


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


def run_once(cores: int, keep: Path | None) -> tuple[float, dict, float]:
    """One run from an empty results/: (total wall, rule times, load average before)."""
    tmp = Path(tempfile.mkdtemp(prefix="bench_demo_"))
    load = os.getloadavg()[0]
    cmd = [snakemake_exe(), "-s", str(ROOT / "Snakefile"), "--directory", str(tmp),
           "--cores", str(cores), "--quiet", "all"]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=tmp, capture_output=True, text=True)
    total = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-4000:] + proc.stderr[-4000:])
        raise SystemExit(f"snakemake failed (exit {proc.returncode}); working directory {tmp}")
    rules = rule_times(tmp)
    if keep is not None:
        shutil.rmtree(keep, ignore_errors=True)
        shutil.copytree(tmp, keep)
    shutil.rmtree(tmp, ignore_errors=True)
    return total, rules, load


def spread(values: list[float]) -> str:
    return f"{statistics.median(values):7.2f} s  ({min(values):.2f}-{max(values):.2f})"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--cores", type=int, default=2)
    ap.add_argument("--keep", type=Path, default=None,
                    help="copy the last run's working directory (results, logs) here")
    args = ap.parse_args()
    totals, loads, per_rule = [], [], {}
    for i in range(args.repeat):
        total, rules, load = run_once(args.cores, args.keep)
        totals.append(total)
        loads.append(load)
        print(f"repeat {i + 1}: total {total:.2f} s (load before {load:.2f})")
        for rule, r in rules.items():
            per_rule.setdefault(rule, []).append(r)
            print(f"  {rule:<12} start {r['start']:6.2f}  wall {r['wall']:6.2f} s"
                  f"  ({int(r['jobs'])} job{'s' if r['jobs'] > 1 else ''})")
    print(f"\nover {args.repeat} repeats, --cores {args.cores}: median (min-max)")
    for rule, rs in per_rule.items():
        print(f"  {rule:<12} start {statistics.median(r['start'] for r in rs):6.2f}  wall "
              + spread([r["wall"] for r in rs]))
    print(f"  {'total':<12} {'':12} " + spread(totals))
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
        "load_before": loads, "peak_rss_mb": round(peak, 1)}, sort_keys=True))


if __name__ == "__main__":
    main()
