"""Benchmark: vectorised serial-mediation bootstrap vs pyprocessmacro (PROCESS model 6).

Run from the project root:  .venv/bin/python benchmarks/bench_mediation.py [--quick] [--repeats R]

Protocol (issue 14; benchmarks/sidebyside.py): one process, one BLAS thread (as the pipeline's
stages run), the same data (tests/fixtures/mediation/chain_n630.csv: n = 630, k = 3 mediators,
2 covariates) and the same work on both sides (B = 5000 case resamples, percentile intervals of
every indirect effect, the total indirect effect, the total effect and the contrasts); a warm-up
round, then ``R`` (>= 5) rounds in which ours and pyprocessmacro run back to back, the order
rotating between rounds (so both see the same machine load); medians and the spread (min - max)
of the wall-clock times; the ratio of the medians on the last line.

Also printed: the floor - drawing and counting the 3.15 M resampling indices alone
(``ResamplePlan.index_block`` + ``count_into``, block by block, as ours does them), which no
implementation of this bootstrap can avoid - and ours at n = 10 000 and 100 000 (cost linear in
n). pyprocessmacro is a dev dependency only.
"""

from __future__ import annotations

import os
import sys
import time
import warnings
from pathlib import Path

# One BLAS thread, as the pipeline's stages run (pipeline/cli.py); set before NumPy is imported.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from sidebyside import interleave, report, timed  # noqa: E402

from pipeline.mediation.bootstrap import ResamplePlan, count_into  # noqa: E402
from pipeline.mediation.complete_case import fit_chain  # noqa: E402
from pipeline.mediation.frame import ChainData  # noqa: E402

DESIGN = ["x", "age", "female", "m1", "m2", "m3", "y"]
B = 5000
REPEATS = 7


def ours(df: pd.DataFrame, seed: int = 1) -> None:
    Z = np.column_stack([np.ones(len(df))] + [df[c].to_numpy(dtype=float) for c in DESIGN])
    data = ChainData(Z=Z, names=tuple(DESIGN), n_cov=2, k=3, n_total=len(df))
    fit_chain(data, ResamplePlan(len(df), B, seed), ci="percentile", conf=0.95)


def floor(df: pd.DataFrame, seed: int = 1) -> None:
    """Draw the B x n indices block by block and count them (what ``ours`` does before the
    GEMM), into one reused buffer."""
    plan = ResamplePlan(len(df), B, seed)
    buf = np.empty((plan.rows_per_block, plan.n))
    for j in range(-(-B // plan.rows_per_block)):
        idx = plan.index_block(j)
        count_into(idx, buf[:len(idx)])


def theirs(df: pd.DataFrame) -> None:
    from pyprocessmacro import Process

    Process(data=df, model=6, x="x", m=["m1", "m2", "m3"], y="y", controls=["age", "female"],
            boot=B, seed=1, percent=True, total=True, contrast=True, suppr_init=True, detail=False)


def bigger(df: pd.DataFrame, n: int) -> pd.DataFrame:
    """Resample the fixture rows to size n (with a little noise so rows are distinct)."""
    rng = np.random.default_rng(n)
    out = df.iloc[rng.integers(0, len(df), n)].reset_index(drop=True)
    for c in ("x", "m1", "m2", "m3", "y"):
        out[c] = out[c] + rng.normal(0, 0.1, n)
    return out


def main() -> None:
    quick = "--quick" in sys.argv
    repeats = int(sys.argv[sys.argv.index("--repeats") + 1]) if "--repeats" in sys.argv else REPEATS
    df = pd.read_csv(ROOT / "tests" / "fixtures" / "mediation" / "chain_n630.csv")
    warnings.simplefilter("ignore")
    contenders = {"ours (vectorised)": timed(lambda: ours(df)),
                  "floor: draw + count the indices": timed(lambda: floor(df))}
    peer = None
    try:
        import pyprocessmacro  # noqa: F401

        peer = "pyprocessmacro 2.2.0"
        contenders[peer] = timed(lambda: theirs(df))
    except ImportError:
        print("pyprocessmacro not installed (pip install -e '.[dev]'); comparison skipped")
    times = interleave(contenders, repeats=repeats)
    print(f"serial mediation, n = 630, k = 3, 2 covariates, B = {B}, percentile CIs; "
          f"{repeats} interleaved rounds after a warm-up, 1 BLAS thread")
    line = report(times, "ours (vectorised)", peer, "speed-up vs pyprocessmacro")
    for n in [10_000] if quick else [10_000, 100_000]:
        big = bigger(df, n)
        t0 = time.perf_counter()
        ours(big)
        t = time.perf_counter() - t0
        print(f"ours at n = {n:>7,} (one run): {t:7.3f} s  ({t / n * 1e6:.1f} us per row)")
    print(line)


if __name__ == "__main__":
    main()
