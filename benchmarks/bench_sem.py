"""Benchmark: our SEM engine against lavaan on the reference models.

    .venv/bin/python benchmarks/bench_sem.py [--reps 5] [--cases clpm_2x3_fiml ...]

Times each reference case of tests/fixtures/lavaan/cases.json with ``pipeline.sem.fit_sem``
(median wall time over ``--reps`` fits after one warm-up) and, when ``Rscript`` is on PATH, with
lavaan in one R session (``system.time`` over the same number of fits after a warm-up, so R
start-up is excluded). Both timings include SEs, the standardised solution and fit measures.
Prints seconds per fit and the ratio ours / lavaan; ``lavaan_fit_only_s`` times
``sem()`` / ``lavaan()`` alone (lavaan computes SEs and the baseline model during the fit, but
not the standardised solution's delta-method SEs).
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
LAV = ROOT / "tests" / "fixtures" / "lavaan"

R_TEMPLATE = r"""
suppressPackageStartupMessages({library(lavaan); library(jsonlite)})
here <- "%(lav)s"
cases <- fromJSON(file.path(here, "cases.json"), simplifyVector = FALSE)$cases
want <- strsplit("%(names)s", ",")[[1]]
reps <- %(reps)d
fits <- list()
for (cs in cases) {
  d <- read.csv(file.path(here, cs$data))
  model <- paste(readLines(file.path(here, "models", cs$syntax)), collapse = "\n")
  args <- list(model = model, data = d, fixed.x = FALSE, missing = cs$missing)
  if (!is.null(cs$estimator)) args$estimator <- cs$estimator
  if (!is.null(cs$information)) args$information <- cs$information
  if (!is.null(cs$meanstructure)) args$meanstructure <- cs$meanstructure
  if (!is.null(cs$int_ov_free)) args$int.ov.free <- cs$int_ov_free
  if (!is.null(cs$start_from)) args$start <- fits[[cs$start_from]]
  fun <- if (cs$mode == "lavaan") "lavaan" else "sem"
  one <- function() {
    f <- suppressWarnings(do.call(fun, args))
    invisible(standardizedSolution(f)); invisible(suppressWarnings(fitMeasures(f)))
    f
  }
  fits[[cs$name]] <- one()
  if (!(cs$name %%in%% want)) next
  el <- system.time(for (i in seq_len(reps)) one())[["elapsed"]] / reps
  el_fit <- system.time(for (i in seq_len(reps))
    suppressWarnings(do.call(fun, args)))[["elapsed"]] / reps
  cat(sprintf("TIME,%%s,%%.6f,%%.6f\n", cs$name, el, el_fit))
}
"""


def time_ours(name: str, reps: int) -> float:
    sys.path.insert(0, str(ROOT / "tests" / "sem"))
    from conftest import case_inputs

    from pipeline.sem import fit_sem

    syntax, data, kw = case_inputs(name)
    fit_sem(syntax, data, **kw)
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fit_sem(syntax, data, **kw)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def time_lavaan(names: list[str], reps: int) -> dict[str, tuple[float, float]]:
    """{case: (seconds per fit incl. standardizedSolution + fitMeasures, seconds per fit only)}"""
    if shutil.which("Rscript") is None:
        return {}
    script = R_TEMPLATE % {"lav": LAV.as_posix(), "names": ",".join(names), "reps": reps}
    with tempfile.NamedTemporaryFile("w", suffix=".R", delete=False) as fh:
        fh.write(script)
    out = subprocess.run(["Rscript", fh.name], capture_output=True, text=True, check=False)
    Path(fh.name).unlink()
    if out.returncode != 0:
        print("lavaan timing failed:", out.stderr[-500:], file=sys.stderr)
        return {}
    rows = [line.split(",")[1:] for line in out.stdout.splitlines() if line.startswith("TIME,")]
    return {k: (float(full), float(fit)) for k, full, fit in rows}


def main(argv: list[str] | None = None) -> pd.DataFrame:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--cases", nargs="*")
    args = ap.parse_args(argv)
    all_cases = [c["name"] for c in json.loads((LAV / "cases.json").read_text())["cases"]]
    names = args.cases or all_cases
    ours = {n: time_ours(n, args.reps) for n in names}
    lav = time_lavaan(names, args.reps)
    nan = (float("nan"), float("nan"))
    table = pd.DataFrame({"case": names, "ours_s": [ours[n] for n in names],
                          "lavaan_s": [lav.get(n, nan)[0] for n in names],
                          "lavaan_fit_only_s": [lav.get(n, nan)[1] for n in names]})
    table["ratio_ours_lavaan"] = table["ours_s"] / table["lavaan_s"]
    table["ratio_ours_lavaan_fit_only"] = table["ours_s"] / table["lavaan_fit_only_s"]
    print(table.to_string(index=False, float_format=lambda v: f"{v:.4f}"))
    return table


if __name__ == "__main__":
    main()
