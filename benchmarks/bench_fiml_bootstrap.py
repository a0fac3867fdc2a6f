"""Benchmark: FIML case-resampling bootstrap (pipeline/sem/bootstrap.py) vs lavaan se = "bootstrap".

Run from the project root:
    .venv/bin/python benchmarks/bench_fiml_bootstrap.py [--quick] [--repeats R] [--b-lavaan BL]
        [--cases mediation_chain,clpm_2x3,riclpm_2x3,riclpm_2x3_stationary,riclpm_2x3_proper]
        [--no-lavaan]

Cases (committed lavaan fixtures, demo-sized, n = 630 with MAR drop-out):
  mediation_chain : the FIML serial mediation the pipeline runs (12 variables, 90 free and 28 :=
                    parameters, 36 missing-data patterns)
  clpm_2x3        : CLPM, 2 constructs x 3 waves (23 free parameters)
  riclpm_2x3      : the pipeline's RI-CLPM, 2 constructs x 3 waves, latent random intercepts
                    (26 free), on panel_moderate.csv (monotone drop-out): the case whose lavaan
                    bootstrap is committed (tests/fixtures/sem/bootstrap/riclpm_2x3.csv)
  riclpm_2x3_stationary : the same with lagged effects equal over time (22 free, equality
                    constraints)
  riclpm_2x3_proper : the RI-CLPM on panel_proper.csv (drop-out to 179 / 66, like the demo):
                    ~5% of our draws do not converge; lavaan 0.6-14 fails on nearly every draw

Ours: ``bootstrap_sem(B = 2000, processes = 2)`` on two cores, one BLAS thread per process (as the
pipeline's stages run); the fit itself is not included (it is the analysis, done anyway). lavaan
0.6 (through the persistent R worker, timed inside R): the same model and data with
``se = "bootstrap", bootstrap = BL`` (default 20) and without, so that the time per draw is
(t_boot - t_fit) / BL; lavaan's B = 2000 time is **extrapolated** from it (lavaan takes minutes
to hours at B = 2000; its time is linear in B). Ours and lavaan are interleaved round by round
(benchmarks/sidebyside.py), R rounds after a warm-up; medians and min-max are printed, and the
last line per case gives ours against lavaan's extrapolated B = 2000 time. Ours is also given
in CPU seconds (this process and its workers), which a busy shared machine disturbs less than
wall time. ``--no-lavaan`` times ours only.
"""

from __future__ import annotations

import os
import resource
import statistics
import sys
import time
from pathlib import Path

# One BLAS thread per process, as the pipeline's stages run; set before NumPy is imported.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import pandas as pd  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from rworker import RWorker  # noqa: E402
from sidebyside import interleave, summary_line  # noqa: E402

from pipeline.sem import fit_sem  # noqa: E402
from pipeline.sem.bootstrap import bootstrap_sem  # noqa: E402

LAV = ROOT / "tests" / "fixtures" / "lavaan"
BOOT = ROOT / "tests" / "fixtures" / "sem" / "bootstrap"
B = 2000
RICLPM_CALL = ("lavaan(model, data = d, missing = 'ml', fixed.x = FALSE, meanstructure = TRUE, "
               "int.ov.free = TRUE")
CASES = {  # name: (syntax file, data file, fit_sem mode, R call)
    "mediation_chain": ("mediation_chain_baseline.lav", "mediation_chain_frame.csv", "sem",
                        "sem(model, data = d, missing = 'ml', fixed.x = FALSE"),
    "clpm_2x3": ("clpm_2x3.lav", "panel_attrition.csv", "sem",
                 "sem(model, data = d, missing = 'ml', fixed.x = FALSE"),
    "riclpm_2x3": ("riclpm_2x3.lav", "panel_moderate.csv", "lavaan", RICLPM_CALL),
    "riclpm_2x3_stationary": (BOOT / "riclpm_2x3_stationary.lav", "panel_moderate.csv",
                              "lavaan", RICLPM_CALL),
    "riclpm_2x3_proper": ("riclpm_2x3.lav", "panel_proper.csv", "lavaan", RICLPM_CALL),
}


def _cpu() -> float:
    """CPU seconds of this process and its finished children (the bootstrap's workers)."""
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(
        resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def lavaan_contenders(r: RWorker, name: str, b_lav: int) -> dict:
    syntax, data, _, call = CASES[name]
    r.eval(f"model <- paste(readLines('{LAV / 'models' / syntax}'), collapse = '\\n'); "
           f"d <- read.csv('{LAV / data}'); invisible(TRUE)")
    return {f"lavaan fit ({name})": lambda: r.time(f"suppressWarnings({call}))"),
            # try(): lavaan may stop after the draws (e.g. "infinite or missing values in 'x'"
            # when its vcov of the draws fails); the draws were made, so the time counts
            f"lavaan bootstrap B = {b_lav} ({name})": lambda: r.time(
                f"try(suppressWarnings({call}, se = 'bootstrap', bootstrap = {b_lav}L, "
                "iseed = 1L)), silent = TRUE)")}


def run_case(name: str, r: RWorker | None, repeats: int, b_lav: int) -> None:
    syntax_file, data_file, mode, _ = CASES[name]
    syntax = (LAV / "models" / syntax_file).read_text()  # an absolute path stays as it is
    data = pd.read_csv(LAV / data_file)
    t0 = time.perf_counter()
    fit = fit_sem(syntax, data, mode=mode, missing="ml", name=name)
    t_fit = time.perf_counter() - t0
    last: dict = {"cpu": []}

    def ours() -> float:
        t, c = time.perf_counter(), _cpu()
        last["res"] = bootstrap_sem(syntax, data, fit, B=B, seed=1, processes=2)
        last["cpu"].append(_cpu() - c)
        return time.perf_counter() - t

    contenders = {f"ours B = {B}, 2 processes ({name})": ours}
    if r is not None:
        contenders.update(lavaan_contenders(r, name, b_lav))
    times = interleave(contenders, repeats=repeats)
    res = last["res"]
    print(f"\n{name}: n = {fit.n_obs}, {len(fit.free_names)} free parameters, "
          f"{fit.n_patterns} missing-data patterns; our fit {t_fit:.2f} s (not included)")
    for k, v in times.items():
        print(summary_line(k, v))
    print(f"ours: {res.n_failed} of {B} draws failed (no convergence), {res.n_improper} improper;"
          f" CPU s per run (both processes): "
          + ", ".join(f"{c:.1f}" for c in last["cpu"][-len(times[next(iter(times))]):])
          + f"; load average {os.getloadavg()[0]:.1f}")
    ours_med = statistics.median(times[next(iter(times))])
    if r is None:
        print(f"{name}: ours B = {B} median {ours_med:.1f} s; lavaan not timed")
        return
    fit_s = statistics.median(times[f"lavaan fit ({name})"])
    boot_s = statistics.median(times[f"lavaan bootstrap B = {b_lav} ({name})"])
    per_draw = max(boot_s - fit_s, 0.0) / b_lav
    extrap = fit_s + B * per_draw
    print(f"{name}: ours B = {B} median {ours_med:.1f} s vs lavaan B = {B} EXTRAPOLATED from "
          f"B = {b_lav} ({per_draw:.3f} s per draw, one core): {extrap:.0f} s -> "
          f"{extrap / ours_med:.0f}x")


def main() -> None:
    argv = sys.argv
    quick = "--quick" in argv
    repeats = int(argv[argv.index("--repeats") + 1]) if "--repeats" in argv else (1 if quick
                                                                                  else 5)
    b_lav = int(argv[argv.index("--b-lavaan") + 1]) if "--b-lavaan" in argv else 20
    cases = argv[argv.index("--cases") + 1].split(",") if "--cases" in argv else list(CASES)
    r = None if "--no-lavaan" in argv else RWorker.start(["lavaan"])
    try:
        for name in (["clpm_2x3"] if quick else cases):
            run_case(name, r, repeats, b_lav)
    finally:
        if r is not None:
            r.close()


if __name__ == "__main__":
    main()
