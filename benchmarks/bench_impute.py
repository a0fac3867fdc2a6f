"""Benchmark: MICE with PMM (m = 20, 5 iterations) - ours vs R mice, side by side.

Run from the project root:  .venv/bin/python benchmarks/bench_impute.py [--repeats 7] [--no-r]
                            [--statsmodels]

Cases (the same CSV file is read by both sides):
* ``630 x 10`` (the issue-14 case): age + three constructs at three waves, simulated here with a
  fixed seed - MAR dropout (T1 answered by ~55 %, depending on T0; T2 by ~70 % of them,
  depending on T1) and 3 % item non-response at T0; 9 incomplete variables;
* ``630 x 6``: tests/fixtures/mice/sim_mar.csv (the R mice reference data).

Work, both sides: every incomplete variable imputed by PMM from all other columns (donors = 5,
type-1 matching, ridge 1e-5, collinearity screen), m = 20 chains of 5 iterations; R:
``mice(d, m = 20, maxit = 5, method = "pmm", seed = ., printFlag = FALSE)``. Protocol
(:mod:`benchmarks.sidebyside`): interleaved rounds after one warm-up round, R timed inside a
persistent R process (:mod:`benchmarks.rworker`), median and min-max of ``--repeats`` rounds; the
last line is the ratio for the 630 x 10 case.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

# One BLAS thread, as the pipeline's stages run (pipeline/cli.py); set before NumPy is imported.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from rworker import RWorker  # noqa: E402
from sidebyside import interleave, report, timed  # noqa: E402

from pipeline.stats.mice import mice  # noqa: E402

FIXTURE = ROOT / "tests" / "fixtures" / "mice" / "sim_mar.csv"
M, ITER = 20, 5


def case_630x10(seed: int = 14) -> pd.DataFrame:
    """630 participants: age + three correlated constructs at T0, T1, T2 with MAR dropout."""
    rng = np.random.default_rng(seed)
    n = 630
    age = np.round(np.clip(rng.normal(52, 16, n), 18, 95))
    person = rng.multivariate_normal([0, 0, 0], [[1, .5, -.4], [.5, 1, -.3], [-.4, -.3, 1]], n)
    out = {"age": age}
    for w, shift in enumerate([0.0, 0.3, 0.45]):
        for k, name in enumerate(["belonging", "support", "loneliness"]):
            x = 4 + shift * (1 - 2 * (k == 2)) + person[:, k] + 0.01 * (age - 52)
            out[f"{name}_T{w}"] = np.round(x + rng.normal(0, 0.6, n), 2)
    d = pd.DataFrame(out)
    r1 = rng.uniform(size=n) < 1 / (1 + np.exp(-(0.2 + 0.8 * (d["belonging_T0"] - 4))))
    r2 = r1 & (rng.uniform(size=n) < 1 / (1 + np.exp(-(0.85 + 0.8 * (d["support_T1"] - 4)))))
    for c in d.columns[1:]:
        if c.endswith("_T1"):
            d.loc[~r1, c] = np.nan
        elif c.endswith("_T2"):
            d.loc[~r2, c] = np.nan
        else:
            d.loc[rng.uniform(size=n) < 0.03, c] = np.nan
    return d


def statsmodels_once(data: pd.DataFrame) -> None:
    """statsmodels' MICEData (PMM by default), m chains of ITER cycles (not the same algorithm
    in every detail; shown for orientation only)."""
    from statsmodels.imputation.mice import MICEData

    imp = MICEData(data.copy())
    for _ in range(M):
        imp.update_all(ITER)
        imp.data.copy()


def run_case(label: str, path: Path, r: RWorker | None, repeats: int, sm: bool) -> str:
    data = pd.read_csv(path)
    n_inc = int(data.isna().any(axis=1).sum())
    n_var = int(data.isna().any().sum())
    print(f"\n{label}: {data.shape[0]} x {data.shape[1]}, {n_inc} incomplete rows, {n_var} "
          f"incomplete variables; m = {M}, iterations = {ITER}, PMM")
    seeds = iter(range(10**6))
    contenders = {"ours (pipeline.stats.mice)":
                  timed(lambda: mice(data, list(data.columns), m=M, iterations=ITER,
                                     seed=next(seeds)))}
    peer = None
    if r is not None:
        r.eval(f'bench_d <- read.csv("{path}"); bench_seed <- 0L; nrow(bench_d)')
        peer = "R mice 3.15 (persistent R)"
        code = ("bench_seed <<- bench_seed + 1L; mice(bench_d, m = %d, maxit = %d, method = "
                '"pmm", seed = bench_seed, printFlag = FALSE)' % (M, ITER))
        contenders[peer] = lambda: r.time(code)
    if sm:
        contenders["statsmodels MICEData"] = timed(lambda: statsmodels_once(data))
    times = interleave(contenders, repeats=repeats if not sm else min(repeats, 3), warmup=1)
    return report(times, "ours (pipeline.stats.mice)", peer, f"{label} ratio")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--no-r", action="store_true")
    ap.add_argument("--statsmodels", action="store_true", help="also time statsmodels (slow)")
    args = ap.parse_args()
    r = None if args.no_r else RWorker.start(["mice"])
    try:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "case_630x10.csv"
            case_630x10().to_csv(path, index=False)
            lines = [run_case("630 x 6 (sim_mar.csv)", FIXTURE, r, args.repeats,
                              args.statsmodels),
                     run_case("630 x 10", path, r, args.repeats, args.statsmodels)]
    finally:
        if r is not None:
            r.close()
    print()
    for line in lines:
        print(line)


if __name__ == "__main__":
    main()
