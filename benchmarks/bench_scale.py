"""Benchmark: the whole workflow on a synthetic study of N participants x W waves (x S schemes).
(Over 400 lines: the config writing, the process monitor and the report of one benchmark,
read together.)

    .venv/bin/python benchmarks/bench_scale.py --n 1000 10000 100000 --waves 5 [--schemes 1]
                                                [--keep DIR] [--cores 2] [--preset national]

Steps, for each size N (smallest first): the demo generator (``pipeline.demo``, extended to W
waves that continue each other and S schemes with their own seeds and effects) writes the raw
files to a temporary folder; each scheme gets a config (the demo's study config with its waves
pointing at the generated files; ``--preset national`` merges ``config/presets/national.yaml``
over it: the settings a national programme runs at this size); the workflow runs from an empty
``results/``.

Measured by polling the process tree every 0.2 s (no ``benchmark:`` directives needed): each
job is a ``python -m pipeline.cli <stage>`` process, counted under its rule (the rule's log
name less its wildcard values: ``mediation_mi_block`` apart from ``mediation``); its wall time
runs from the process's start to the last poll that saw it, its CPU time is the last seen
(process and waited-for children; under load CPU time is the steadier number), its peak
memory the largest ``VmHWM`` (the kernel's peak resident set) of the process plus its
children, and its load the mean 1-minute load average over its polls. ``peak_rss_mb`` is the
largest job's peak (the memory one cluster job must be given); ``peak_concurrent_rss_mb`` the
largest sum of the resident sets of everything running at one moment (snakemake included:
what the machine must hold). The run's CPU time is the children's ``getrusage``. Each job is
appended to ``<work>/jobs.jsonl`` when it ends, so a stopped or failed run keeps its numbers.

Prints per size a table per rule (jobs, summed wall and CPU, longest job, peak memory, load;
most CPU first), with several sizes a growth table (per rule CPU and peak MB at each size,
the last two sizes' CPU factor beside their n factor), and as its LAST line one JSON object::

    {"n": N, "waves": W, "schemes": S, "wall_s": ..., "peak_rss_mb": ..., "cpu_s": ...,
     "load1_mean": ..., "complete": true, "growth": [...]}

(the largest size's; ``growth`` lists every size's wall, CPU, peak and load). A failed run
prints the partial table marked INCOMPLETE and exits 1.

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


def load_preset(name: str | None, project: Path = ROOT) -> dict:
    """The preset ``name`` (``config/presets/<name>.yaml`` of ``project``, or a path to a YAML
    file); {} for None."""
    if not name:
        return {}
    path = Path(name)
    if not path.suffix:
        path = project / "config" / "presets" / f"{name}.yaml"
    if not path.is_file():
        sys.exit(f"bench_scale: no preset {name} ({path} does not exist)")
    return yaml.safe_load(path.read_text(encoding="utf-8")) or {}


def merge(base: dict, over: dict) -> dict:
    """``base`` with ``over`` merged in: mappings key by key, anything else replaced."""
    out = dict(base)
    for k, v in over.items():
        out[k] = merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def _knows_mi_method(project: Path) -> bool:
    """Whether the project's mediation schema has ``mediation.mi.method`` (helper rubinmi)."""
    schema = project / "pipeline" / "mediation" / "settings.schema.yaml"
    try:
        props = yaml.safe_load(schema.read_text(encoding="utf-8"))["properties"]
        return "method" in props["mi"]["properties"]
    except (OSError, KeyError, TypeError):
        return False


def apply_preset(cfg: dict, preset: dict, project: Path = ROOT) -> tuple[dict, list[str]]:
    """``cfg`` with ``preset`` merged over it, and notes on what had to change: a project
    without ``mediation.mi.method`` (Rubin's rules for mediation) cannot take ``rubin``; the
    boot-MI mediation it would run instead is left out of ``mediation.methods`` (said in the
    notes and printed), so the benchmark measures the rest rather than hours of MICE runs."""
    out, notes = merge(cfg, preset), []
    method = (out.get("mediation", {}).get("mi") or {}).get("method")
    if method is not None and not _knows_mi_method(project):
        del out["mediation"]["mi"]["method"]
        if method != "bootmi":
            methods = out["mediation"].get("methods", ["fiml", "mi", "complete_case"])
            out["mediation"]["methods"] = [m for m in methods if m != "mi"]
            notes.append(f"mediation.mi.method {method} is not known to this project: "
                         "MI mediation left out (methods "
                         f"{out['mediation']['methods']})")
    return out, notes


def write_study_config(
    dest: Path, scheme: str, files: dict[str, Path], base: Path | None = None,
    preset: dict | None = None, project: Path = ROOT,
) -> Path:
    """Config of one generated scheme: the demo's config (``base``) with its study id and waves
    replaced and the ``preset``'s keys merged over it (:func:`apply_preset`; its notes are
    printed).

    ``files`` maps wave ids (T0, T1, ...) to the generated files (absolute paths). Today one
    study per config file with top-level ``waves:``; with per-study files this writes
    ``config/studies/<scheme>.yaml`` instead (the only change needed here).
    """
    base = base_config(ROOT) if base is None else base
    cfg = yaml.safe_load(base.read_text(encoding="utf-8"))
    if preset:
        cfg, notes = apply_preset(cfg, preset, project)
        for note in notes:
            print(f"bench_scale: preset: {note}", flush=True)
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
    load1: float = 0.0  # mean 1-minute load average over the job's polls
    polls: int = 0
    done: bool = False

    def record(self) -> dict:
        """The job as one JSON-able row (what ``jobs.jsonl`` holds)."""
        return {"label": self.label, "rule": self.stage,
                "wall_s": round(self.last - self.start, 2), "cpu_s": round(self.cpu_s, 2),
                "peak_mb": round(self.peak_kb / 1024, 1), "load1": round(self.load1, 2)}


@dataclass
class Monitor:
    """Polls the process tree of ``root_pid``: per-job wall and peak memory, concurrent peak."""

    root_pid: int
    jobs: dict[int, Job] = field(default_factory=dict)
    peak_concurrent_kb: int = 0
    stream: Path | None = None  # each job, once gone, is appended here as a JSON line
    loads: list[float] = field(default_factory=list)  # 1-minute load average at each poll
    _stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        while not self._stop.is_set():
            self.poll()
            time.sleep(POLL_S)

    def stop(self) -> None:
        self._stop.set()
        self.flush(set())

    def flush(self, alive: set[int]) -> None:
        """Mark the jobs no longer running as done and append them to ``stream``: a run that
        is stopped or fails still leaves every finished job's numbers."""
        for pid, job in self.jobs.items():
            if job.done or pid in alive:
                continue
            job.done = True
            if self.stream is not None:
                with open(self.stream, "a", encoding="utf-8") as fh:
                    fh.write(json.dumps(job.record()) + "\n")

    def poll(self) -> None:
        try:
            root = psutil.Process(self.root_pid)
            procs = [root, *root.children(recursive=True)]
        except psutil.Error:
            return
        now = time.time()
        load1 = os.getloadavg()[0]
        self.loads.append(load1)
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
            job.polls += 1
            job.load1 += (load1 - job.load1) / job.polls
            tree_hwm = _status_kb(p.pid, "VmHWM") + sum(
                _status_kb(c.pid, "VmHWM") for c in _children(p))
            job.peak_kb = max(job.peak_kb, tree_hwm)
            job.cpu_s = max(job.cpu_s, _cpu(p))
        self.peak_concurrent_kb = max(self.peak_concurrent_kb, total)
        self.flush({p.pid for p in procs})


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
    """(rule, label) of a ``pipeline.cli`` job.

    ``rule`` is the kind of Snakemake rule, without the study: the rule's log file name
    (``--log results/<study>/logs/mediation_mi_block_3.log``) less its wildcard values, so the
    scattered boot-MI blocks (``mediation_mi_block``) are counted apart from the job that pools
    them (``mediation``); without a log, the stage after ``pipeline.cli``. ``label`` names the
    one job: ``<study>:<stage>/<wildcard values>``.
    """
    stage = argv[argv.index("pipeline.cli") + 1]
    label = stage
    if "--config" in argv:  # .snakemake/socialcure/<study>/effective_config.json: the study
        study = Path(argv[argv.index("--config") + 1]).parent.name
        label = stage if study == "socialcure" else f"{study}:{stage}"
    values: list[str] = []
    if "--io" in argv:
        try:
            wildcards = json.loads(argv[argv.index("--io") + 1]).get("wildcards", {})
            values = [str(v) for k, v in wildcards.items() if k != "study"]
        except (ValueError, IndexError, AttributeError):
            values = []
        label = "/".join([label, *values])
    rule = stage
    if "--log" in argv and argv.index("--log") + 1 < len(argv):
        rule = Path(argv[argv.index("--log") + 1]).name.removesuffix(".log")
        for v in reversed(values):
            rule = rule.removesuffix(f"_{v}")
    return rule, label


# ---------------------------------------------------------------------------------- running


def run_measured(
    commands: list[tuple[str, list[str]]], log_dir: Path, env: dict | None = None,
    cwd: Path = ROOT,
) -> dict:
    """Run the commands one after another under the monitor; stop at the first failure (its
    label in ``failed``: the jobs seen until then are still returned, and each job is in
    ``<log_dir>/jobs.jsonl`` as soon as it ends). ``cwd`` is the project whose ``pipeline`` the
    Snakefile imports (``python -m`` puts the working directory first on the module path)."""
    jobs: list[Job] = []
    peak_concurrent = 0
    steps = 0
    failed = None
    loads: list[float] = []
    t0 = time.perf_counter()
    cpu0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    for scheme, argv in commands:
        log = log_dir / f"snakemake_{scheme}.log"
        with open(log, "w", encoding="utf-8") as fh:
            proc = subprocess.Popen(argv, stdout=fh, stderr=subprocess.STDOUT, cwd=cwd, env=env)
            mon = Monitor(proc.pid, stream=log_dir / "jobs.jsonl")
            thread = threading.Thread(target=mon.run, daemon=True)
            thread.start()
            rc = proc.wait()
            mon.stop()
            thread.join()
        jobs.extend(mon.jobs.values())
        loads.extend(mon.loads)
        peak_concurrent = max(peak_concurrent, mon.peak_concurrent_kb)
        text = log.read_text(encoding="utf-8", errors="replace")
        if rc != 0:
            sys.stderr.write(text[-4000:])
            sys.stderr.write(f"bench_scale: snakemake failed for {scheme} (exit {rc}); log {log}\n")
            failed = scheme
            break
        found = re.findall(r"(\d+) of (\d+) steps \(100%\) done", text)
        steps += int(found[-1][1]) if found else 0
    cpu1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
    return {"jobs": jobs, "wall_s": time.perf_counter() - t0, "cpu_s": cpu,
            "peak_concurrent_kb": peak_concurrent, "steps": steps, "failed": failed,
            "load1_mean": sum(loads) / len(loads) if loads else os.getloadavg()[0]}


def per_rule(jobs: list[Job]) -> list[dict]:
    """Per rule: job count, summed wall and CPU, longest job, peak memory (of its largest job)
    and the mean load while its jobs ran; most CPU first (under load CPU is the steadier
    number: wall time grows with the other work on the machine)."""
    rows: dict[str, dict] = {}
    for j in jobs:
        wall = max(j.last - j.start, 0.0)
        r = rows.setdefault(j.stage, {"rule": j.stage, "jobs": 0, "wall_s": 0.0, "cpu_s": 0.0,
                                      "max_job_s": 0.0, "peak_mb": 0.0, "load1": 0.0})
        r["jobs"] += 1
        r["wall_s"] += wall
        r["cpu_s"] += j.cpu_s
        r["max_job_s"] = max(r["max_job_s"], wall)
        r["peak_mb"] = max(r["peak_mb"], j.peak_kb / 1024)
        r["load1"] += (j.load1 - r["load1"]) / r["jobs"]
    return sorted(rows.values(), key=lambda r: (-r["cpu_s"], r["rule"]))


def print_table(rows: list[dict]) -> None:
    print(f"{'rule':22s} {'jobs':>5s} {'wall_s':>9s} {'cpu_s':>9s} {'max_job_s':>10s} "
          f"{'peak_mb':>9s} {'load1':>6s}")
    for r in rows:
        print(f"{r['rule']:22s} {r['jobs']:5d} {r['wall_s']:9.1f} {r['cpu_s']:9.1f} "
              f"{r['max_job_s']:10.1f} {r['peak_mb']:9.0f} {r['load1']:6.2f}")
    if rows:
        print(f"{'(sum)':22s} {sum(r['jobs'] for r in rows):5d} "
              f"{sum(r['wall_s'] for r in rows):9.1f} {sum(r['cpu_s'] for r in rows):9.1f}")


def growth_table(runs: list[dict]) -> list[str]:
    """Lines of the growth table over the sizes run (smallest first): per rule its CPU seconds
    and peak MB at each n, then the factor of the last two sizes' CPU against the factor of
    their n (linear growth: the two equal); the whole run's wall, CPU and peak last."""
    runs = sorted(runs, key=lambda r: r["n"])
    ns = [r["n"] for r in runs]
    head = "".join(f" {'cpu@' + _short(n):>10s} {'mb@' + _short(n):>8s}" for n in ns)
    lines = [f"growth ({' -> '.join(_short(n) for n in ns)} participants; CPU is the steadier "
             "number under load):", f"{'rule':22s}{head} {'x_cpu':>6s} {'x_n':>6s}"]
    rules = sorted({r["rule"] for run in runs for r in run["rules"]})
    for rule in rules + ["(whole run)"]:
        cells, cpus = "", []
        for run in runs:
            if rule == "(whole run)":
                cpu, mb = run["cpu_s"], run["peak_rss_mb"]
            else:
                row = next((r for r in run["rules"] if r["rule"] == rule), None)
                cpu, mb = (row["cpu_s"], row["peak_mb"]) if row else (float("nan"),) * 2
            cpus.append(cpu)
            cells += f" {cpu:10.1f} {mb:8.0f}"
        x_cpu = cpus[-1] / cpus[-2] if len(cpus) > 1 and cpus[-2] > 0 else float("nan")
        x_n = ns[-1] / ns[-2] if len(ns) > 1 else float("nan")
        lines.append(f"{rule:22s}{cells} {x_cpu:6.1f} {x_n:6.1f}")
    return lines


def _short(n: int) -> str:
    return f"{n // 1000}k" if n >= 1000 and n % 1000 == 0 else str(n)


def run_size(args: argparse.Namespace, n: int) -> dict:
    """Generate the study of ``n`` participants, run the workflow on it and return its summary
    (the JSON fields and the per-rule rows)."""
    tmp = (args.keep / f"n{n}") if args.keep else Path(tempfile.mkdtemp(prefix="bench_scale_"))
    tmp.mkdir(parents=True, exist_ok=True)
    load_start = os.getloadavg()[0]
    try:
        t0 = time.perf_counter()
        written = write_schemes(tmp / "raw", args.seed, n, args.waves, args.schemes,
                                readme=False)
        gen_s = time.perf_counter() - t0
        configs = {}
        for scheme, paths in written.items():
            files = {k: v for k, v in paths.items() if re.fullmatch(r"T\d+", k)}
            base_project = args.snakefile.resolve().parent
            base = base_config(base_project)
            configs[scheme] = write_study_config(tmp, scheme, files, base,
                                                 load_preset(args.preset, base_project),
                                                 base_project)
        commands = run_commands(tmp, configs, args.cores, args.snakefile, args.snakemake_arg)
        env = dict(os.environ)
        if args.snakefile.resolve().parent != ROOT:
            env["PYTHONPATH"] = str(args.snakefile.resolve().parent)
        res = run_measured(commands, tmp, env, cwd=args.snakefile.resolve().parent)
    finally:
        if args.keep is None:
            shutil.rmtree(tmp, ignore_errors=True)
    rows = per_rule(res["jobs"])
    return {
        "n": n,
        "waves": args.waves,
        "preset": args.preset,
        "schemes": args.schemes,
        "wall_s": round(res["wall_s"], 1),
        "peak_rss_mb": round(max((r["peak_mb"] for r in rows), default=0.0), 1),
        "peak_concurrent_rss_mb": round(res["peak_concurrent_kb"] / 1024, 1),
        "cpu_s": round(res["cpu_s"], 1),
        "generate_s": round(gen_s, 1),
        "jobs": res["steps"],
        "jobs_seen": len(res["jobs"]),
        "load1_start": round(load_start, 2),
        "load1_mean": round(res["load1_mean"], 2),
        "cores": args.cores,
        "complete": res["failed"] is None,
        "rules": rows,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, nargs="+", required=True,
                    help="baseline participants per scheme; several sizes (e.g. --n 1000 10000 "
                    "100000) run one after the other and print a growth table")
    ap.add_argument("--waves", type=int, default=3)
    ap.add_argument("--schemes", type=int, default=1)
    ap.add_argument("--seed", type=int, default=20220201)
    ap.add_argument("--cores", type=int, default=2)
    ap.add_argument("--snakefile", type=Path, default=ROOT / "Snakefile",
                    help="another copy of the project (its Snakefile): its config/config.yaml "
                    "and its pipeline/ are used (PYTHONPATH), e.g. a quiet snapshot")
    ap.add_argument("--preset", default=None,
                    help="keys merged over the demo's config: a name in config/presets/ "
                    "(e.g. national: the national-scale settings) or a YAML path")
    ap.add_argument("--keep", type=Path, default=None,
                    help="work in this folder (a subfolder n<N> per size) and keep it "
                    "(default: a temporary folder, removed)")
    ap.add_argument("--snakemake-arg", action="append", default=[],
                    help="extra argument for snakemake (repeatable), e.g. --snakemake-arg=-n")
    args = ap.parse_args(argv)
    runs = []
    for n in sorted(args.n):
        run = run_size(args, n)
        runs.append(run)
        state = "" if run["complete"] else " INCOMPLETE (snakemake failed: the table is partial)"
        print(f"== n={n} x {args.waves} waves x {args.schemes} scheme(s), --cores {args.cores}: "
              f"{run['wall_s']:.1f} s wall, {run['cpu_s']:.1f} s CPU, peak job "
              f"{run['peak_rss_mb']:.0f} MB, all at once {run['peak_concurrent_rss_mb']:.0f} MB; "
              f"load {run['load1_start']:.2f} at start, {run['load1_mean']:.2f} mean"
              f" (generate {run['generate_s']:.1f} s; {run['jobs_seen']} jobs seen, "
              f"{run['jobs']} snakemake steps){state}")
        print_table(run["rules"])
        if not run["complete"]:
            break
    if len(runs) > 1:
        print("\n".join(growth_table(runs)))
    summary = {k: v for k, v in runs[-1].items() if k != "rules"}
    if len(runs) > 1:
        summary["growth"] = [{k: r[k] for k in ("n", "wall_s", "cpu_s", "peak_rss_mb",
                                                 "load1_mean")} for r in runs]
    print(json.dumps(summary))
    return 0 if all(r["complete"] for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
