"""Benchmark: MICE with PMM on 630 x 6 (m = 20, 5 iterations) - ours vs R mice vs statsmodels.

Run from the project root:  .venv/bin/python benchmarks/bench_impute.py [--repeat 3] [--no-r]
                            [--no-statsmodels]
Data: tests/fixtures/mice/sim_mar.csv (630 participants, MAR dropout T0 -> T1 -> T2).
R is timed inside R with system.time() (start-up and package loading excluded); Python with
time.perf_counter() around the call only. Best of ``--repeat`` runs for each.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.stats.mice import mice  # noqa: E402 (after the sys.path insert)

DATA = ROOT / "tests" / "fixtures" / "mice" / "sim_mar.csv"
M, ITER = 20, 5

R_CODE = """
suppressPackageStartupMessages(library(mice))
dat <- read.csv("{data}")
best <- Inf
for (r in seq_len({repeat})) {{
  el <- system.time(mice(dat, m = {m}, maxit = {it}, method = "pmm", seed = r,
                         printFlag = FALSE))[["elapsed"]]
  best <- min(best, el)
}}
cat(best, "\\n")
"""


def time_ours(data: pd.DataFrame, repeat: int) -> float:
    best = np.inf
    for r in range(repeat):
        t0 = time.perf_counter()
        mice(data, list(data.columns), m=M, iterations=ITER, seed=r)
        best = min(best, time.perf_counter() - t0)
    return best


def time_r(repeat: int) -> float | None:
    if shutil.which("Rscript") is None:
        return None
    with tempfile.NamedTemporaryFile("w", suffix=".R", delete=False) as fh:
        fh.write(R_CODE.format(data=DATA, repeat=repeat, m=M, it=ITER))
    out = subprocess.run(["Rscript", fh.name], capture_output=True, text=True, check=False)
    Path(fh.name).unlink()
    if out.returncode != 0:
        print("R mice failed:", out.stderr.strip()[-300:])
        return None
    return float(out.stdout.split()[-1])


def time_statsmodels(data: pd.DataFrame, repeat: int) -> float | None:
    try:
        from statsmodels.imputation.mice import MICEData
    except ImportError:
        return None
    best = np.inf
    for _ in range(min(repeat, 1)):  # slow: one run is enough
        t0 = time.perf_counter()
        imp = MICEData(data.copy())
        for _ in range(M):  # m imputations, ITER cycles each
            imp.update_all(ITER)
            imp.data.copy()
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-r", action="store_true")
    ap.add_argument("--no-statsmodels", action="store_true")
    args = ap.parse_args()
    data = pd.read_csv(DATA)
    n_inc = int(data.isna().any(axis=1).sum())
    print(f"data {data.shape[0]} x {data.shape[1]}, {n_inc} incomplete "
          f"rows; m = {M}, iterations = {ITER}, PMM; best of {args.repeat}")
    ours = time_ours(data, args.repeat)
    print(f"ours (pipeline.stats.mice.mice): {ours:7.3f} s")
    if not args.no_r:
        r = time_r(args.repeat)
        if r is not None:
            print(f"R mice 3.x (system.time):    {r:7.3f} s   ours / mice = {ours / r:.2f}")
        else:
            print("R mice: not available")
    if not args.no_statsmodels:
        sm = time_statsmodels(data, args.repeat)
        if sm is not None:
            print(f"statsmodels MICEData:        {sm:7.3f} s   "
                  f"ours / statsmodels = {ours / sm:.3f}")


if __name__ == "__main__":
    main()
