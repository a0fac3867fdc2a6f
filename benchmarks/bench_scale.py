"""Benchmark: the whole workflow on a synthetic study of N participants x W waves (x S schemes).

    .venv/bin/python benchmarks/bench_scale.py --n 10000 --waves 3 [--schemes 1] [--keep DIR]

Steps: the demo generator (``pipeline.demo``, extended to W waves that continue each other and
S schemes with their own seeds and effects) writes the raw files to a temporary folder; each
scheme gets a config (the demo's ``config/config.yaml`` with its waves pointing at the generated
files); the workflow runs from an empty ``results/`` (``snakemake -s Snakefile --directory
<tmp>/work/<scheme> --configfile <cfg> --cores C``), one scheme after the other.

Measured by polling the process tree every 0.2 s (no ``benchmark:`` directives needed): each
job is a ``python -m pipeline.cli <stage>`` process; its wall time runs from the process's
start to the last poll that saw it, its CPU time is the last seen (under load, CPU time is the
steadier number), and its peak memory is the largest ``VmHWM`` (the kernel's
peak resident set) of the process plus its children. ``peak_rss_mb`` is the largest job's peak
(the memory one cluster job must be given); ``peak_concurrent_rss_mb`` the largest sum of the
resident sets of everything running at one moment (snakemake included: what the machine must
hold). CPU time is the children's ``getrusage``. Prints a table per rule (jobs, summed wall,
largest single job, peak memory) and, as its LAST line, one JSON object::

    {"n": N, "waves": W, "schemes": S, "wall_s": ..., "peak_rss_mb": ..., ...}

The config is written by :func:`write_study_config` and the commands by :func:`run_commands`.
A project that reads ``config/studies/<name>.yaml`` and writes ``results/<study>/`` (issue 15)
is recognised by its ``config/studies/`` folder: then every scheme's file is listed in one
programme config and all schemes go in one ``snakemake`` call; otherwise (one study per config
file) one call per scheme, one after the other.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.demo.layout import DATE_COLUMN, wave_months  # noqa: E402
from pipeline.demo.schemes import write_schemes  # noqa: E402

POLL_S = 0.2


# ---------------------------------------------------------------------------------- config


def write_study_config(
    dest: Path, scheme: str, files: dict[str, Path], base: Path | None = None
) -> Path:
    """Config of one generated scheme: the demo's config (``base``) with its study id and waves
    replaced.

    ``files`` maps wave ids (T0, T1, ...) to the generated files (absolute paths). Today one
    study per config file with top-level ``waves:``; with per-study files this writes
    ``config/studies/<scheme>.yaml`` instead (the only change needed here).
    """
    base = base_config(ROOT) if base is None else base
    cfg = yaml.safe_load(base.read_text(encoding="utf-8"))
    cfg["study"]["id"] = scheme
    cfg["study"]["title"] = f"Synthetic scheme {scheme} (bench_scale)"
    cfg["waves"] = [
        {
            "id": w,
            "label": f"{wave_months(w)} months" if w != "T0" else "Pathway entry",
            "file": str(Path(path).resolve()),
            "months": wave_months(w),
            "date_column": DATE_COLUMN,
        }
        for w, path in files.items()
    ]
    path = dest / f"{scheme}.yaml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False), encoding="utf-8")
    return path


def uses_studies(project: Path) -> bool:
    """Whether the project at ``project`` reads ``config/studies/<name>.yaml`` (issue 15)."""
    return (project / "config" / "studies").is_dir()


def base_config(project: Path) -> Path:
    """The demo's config the generated schemes start from."""
    studies = project / "config" / "studies" / "demo.yaml"
    return studies if uses_studies(project) else project / "config" / "config.yaml"


def run_commands(
    tmp: Path, configs: dict[str, Path], cores: int, snakefile: Path, extra: list[str]
) -> list[tuple[str, list[str]]]:
    """The ``snakemake`` commands: with per-study files (``config/studies/``) one call on a
    config listing every scheme's file; else (one study per config file) one call per scheme,
    each in its own working directory. Returns ``[(label, argv), ...]``."""
    base = [sys.executable, "-m", "snakemake", "-s", str(snakefile), "--cores", str(cores)]
    if uses_studies(snakefile.resolve().parent):
        top = tmp / "programme.yaml"
        top.write_text(yaml.safe_dump({"studies": [str(c) for c in configs.values()],
                                       "defaults": {}}, sort_keys=False), encoding="utf-8")
        argv = [*base, "--directory", str(tmp / "work"), "--configfile", str(top), *extra]
        return [("all", argv)]
    return [(scheme, [*base, "--directory", str(tmp / "work" / scheme), "--configfile",
                      str(cfg), *extra]) for scheme, cfg in configs.items()]


# ---------------------------------------------------------------------------------- monitor


@dataclass
class Job:
    """One rule job seen in the process tree."""

    label: str
    stage: str
    start: float
    last: float
    peak_kb: int = 0
    cpu_s: float = 0.0


@dataclass
class Monitor:
    """Polls the process tree of ``root_pid``: per-job wall and peak memory, concurrent peak."""

    root_pid: int
    jobs: dict[int, Job] = field(default_factory=dict)
    peak_concurrent_kb: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        while not self._stop.is_set():
            self.poll()
            time.sleep(POLL_S)

    def stop(self) -> None:
        self._stop.set()

    def poll(self) -> None:
        try:
            root = psutil.Process(self.root_pid)
            procs = [root, *root.children(recursive=True)]
        except psutil.Error:
            return
        now = time.time()
        total = 0
        for p in procs:
            total += _status_kb(p.pid, "VmRSS")
            try:
                argv = p.cmdline()
            except psutil.Error:
                continue
            if "pipeline.cli" not in argv:
                continue
            job = self.jobs.get(p.pid)
            if job is None:
                stage, label = _job_label(argv)
                job = self.jobs[p.pid] = Job(label, stage, _created(p, now), now)
            job.last = now
            tree_hwm = _status_kb(p.pid, "VmHWM") + sum(
                _status_kb(c.pid, "VmHWM") for c in _children(p))
            job.peak_kb = max(job.peak_kb, tree_hwm)
            job.cpu_s = max(job.cpu_s, _cpu(p))
        self.peak_concurrent_kb = max(self.peak_concurrent_kb, total)


def _children(p: psutil.Process) -> list[psutil.Process]:
    try:
        return p.children(recursive=True)
    except psutil.Error:
        return []


def _created(p: psutil.Process, default: float) -> float:
    try:
        return p.create_time()
    except psutil.Error:
        return default


def _cpu(p: psutil.Process) -> float:
    """CPU seconds of the process and its waited-for children so far (0 if it is gone)."""
    try:
        t = p.cpu_times()
    except psutil.Error:
        return 0.0
    return t.user + t.system + t.children_user + t.children_system


def _status_kb(pid: int, key: str) -> int:
    """``VmRSS`` / ``VmHWM`` of a process in kB from /proc (0 if it is gone)."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def _job_label(argv: list[str]) -> tuple[str, str]:
    """(stage, label): the stage after ``pipeline.cli`` plus its wildcards (ingest's wave)."""
    stage = argv[argv.index("pipeline.cli") + 1]
    label = stage
    if "--config" in argv:  # .snakemake/socialcure/<study>/effective_config.json: the study
        study = Path(argv[argv.index("--config") + 1]).parent.name
        label = stage if study == "socialcure" else f"{study}:{stage}"
    if "--io" in argv:
        try:
            wildcards = json.loads(argv[argv.index("--io") + 1]).get("wildcards", {})
            label = "/".join([label, *map(str, wildcards.values())])
        except (ValueError, IndexError, AttributeError):
            pass
    return stage, label


# ---------------------------------------------------------------------------------- running


def run_measured(
    commands: list[tuple[str, list[str]]], log_dir: Path, env: dict | None = None,
    cwd: Path = ROOT,
) -> dict:
    """Run the commands one after another under the monitor; stop at the first failure.
    ``cwd`` is the project whose ``pipeline`` the Snakefile imports (``python -m`` puts the
    working directory first on the module path)."""
    jobs: list[Job] = []
    peak_concurrent = 0
    steps = 0
    t0 = time.perf_counter()
    cpu0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    for scheme, argv in commands:
        log = log_dir / f"snakemake_{scheme}.log"
        with open(log, "w", encoding="utf-8") as fh:
            proc = subprocess.Popen(argv, stdout=fh, stderr=subprocess.STDOUT, cwd=cwd, env=env)
            mon = Monitor(proc.pid)
            thread = threading.Thread(target=mon.run, daemon=True)
            thread.start()
            rc = proc.wait()
            mon.stop()
            thread.join()
        text = log.read_text(encoding="utf-8", errors="replace")
        if rc != 0:
            sys.stderr.write(text[-4000:])
            raise SystemExit(f"bench_scale: snakemake failed for {scheme} (exit {rc}); log {log}")
        found = re.findall(r"(\d+) of (\d+) steps \(100%\) done", text)
        steps += int(found[-1][1]) if found else 0
        jobs.extend(mon.jobs.values())
        peak_concurrent = max(peak_concurrent, mon.peak_concurrent_kb)
    cpu1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
    return {"jobs": jobs, "wall_s": time.perf_counter() - t0, "cpu_s": cpu,
            "peak_concurrent_kb": peak_concurrent, "steps": steps}


def per_rule(jobs: list[Job]) -> list[dict]:
    """Per stage: job count, summed wall, longest job, peak memory; slowest first."""
    rows: dict[str, dict] = {}
    for j in jobs:
        wall = max(j.last - j.start, 0.0)
        r = rows.setdefault(j.stage, {"rule": j.stage, "jobs": 0, "wall_s": 0.0, "cpu_s": 0.0,
                                      "max_job_s": 0.0, "peak_mb": 0.0})
        r["jobs"] += 1
        r["wall_s"] += wall
        r["cpu_s"] += j.cpu_s
        r["max_job_s"] = max(r["max_job_s"], wall)
        r["peak_mb"] = max(r["peak_mb"], j.peak_kb / 1024)
    return sorted(rows.values(), key=lambda r: -r["wall_s"])


def print_table(rows: list[dict]) -> None:
    print(f"{'rule':12s} {'jobs':>5s} {'wall_s':>9s} {'cpu_s':>9s} {'max_job_s':>10s} "
          f"{'peak_mb':>9s}")
    for r in rows:
        print(f"{r['rule']:12s} {r['jobs']:5d} {r['wall_s']:9.1f} {r['cpu_s']:9.1f} "
              f"{r['max_job_s']:10.1f} {r['peak_mb']:9.0f}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, required=True, help="baseline participants per scheme")
    ap.add_argument("--waves", type=int, default=3)
    ap.add_argument("--schemes", type=int, default=1)
    ap.add_argument("--seed", type=int, default=20220201)
    ap.add_argument("--cores", type=int, default=2)
    ap.add_argument("--snakefile", type=Path, default=ROOT / "Snakefile",
                    help="another copy of the project (its Snakefile): its config/config.yaml "
                    "and its pipeline/ are used (PYTHONPATH), e.g. a quiet snapshot")
    ap.add_argument("--keep", type=Path, default=None,
                    help="work in this folder and keep it (default: a temporary folder, removed)")
    ap.add_argument("--snakemake-arg", action="append", default=[],
                    help="extra argument for snakemake (repeatable), e.g. --snakemake-arg=-n")
    args = ap.parse_args(argv)
    tmp = args.keep or Path(tempfile.mkdtemp(prefix="bench_scale_"))
    tmp.mkdir(parents=True, exist_ok=True)
    try:
        t0 = time.perf_counter()
        written = write_schemes(tmp / "raw", args.seed, args.n, args.waves, args.schemes,
                                readme=False)
        gen_s = time.perf_counter() - t0
        configs = {}
        for scheme, paths in written.items():
            files = {k: v for k, v in paths.items() if re.fullmatch(r"T\d+", k)}
            base = base_config(args.snakefile.resolve().parent)
            configs[scheme] = write_study_config(tmp, scheme, files, base)
        commands = run_commands(tmp, configs, args.cores, args.snakefile, args.snakemake_arg)
        env = dict(os.environ)
        if args.snakefile.resolve().parent != ROOT:
            env["PYTHONPATH"] = str(args.snakefile.resolve().parent)
        res = run_measured(commands, tmp, env, cwd=args.snakefile.resolve().parent)
    finally:
        if args.keep is None:
            shutil.rmtree(tmp, ignore_errors=True)
    rows = per_rule(res["jobs"])
    print_table(rows)
    load1 = os.getloadavg()[0]
    print(f"generate {gen_s:.1f} s; workflow {res['wall_s']:.1f} s wall, {res['cpu_s']:.1f} s CPU,"
          f" {len(res['jobs'])} jobs seen ({res['steps']} snakemake steps); load {load1:.2f}")
    summary = {
        "n": args.n,
        "waves": args.waves,
        "schemes": args.schemes,
        "wall_s": round(res["wall_s"], 1),
        "peak_rss_mb": round(max((r["peak_mb"] for r in rows), default=0.0), 1),
        "peak_concurrent_rss_mb": round(res["peak_concurrent_kb"] / 1024, 1),
        "cpu_s": round(res["cpu_s"], 1),
        "generate_s": round(gen_s, 1),
        "jobs": res["steps"],
        "load1": round(load1, 2),
    }
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
