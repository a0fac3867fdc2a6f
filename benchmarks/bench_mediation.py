"""Benchmark: vectorised serial-mediation bootstrap vs pyprocessmacro (PROCESS model 6).

Run from the project root:  .venv/bin/python benchmarks/bench_mediation.py [--quick]
Same process, same data (tests/fixtures/mediation/chain_n630.csv: n = 630, k = 3 mediators,
2 covariates), B = 5000 percentile bootstrap in both. Times are the best of ``REPEATS`` runs
(wall clock, shared machine). Then ours alone at n = 10 000 and n = 100 000 (B = 5000, chunked
draws) to show cost linear in n. pyprocessmacro is a dev dependency only.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.mediation.bootstrap import ResamplePlan  # noqa: E402
from pipeline.mediation.complete_case import fit_chain  # noqa: E402
from pipeline.mediation.frame import ChainData  # noqa: E402

DESIGN = ["x", "age", "female", "m1", "m2", "m3", "y"]
B = 5000
REPEATS = 3


def best_of(fn, repeats: int = REPEATS) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def ours(df: pd.DataFrame, seed: int = 1) -> None:
    Z = np.column_stack([np.ones(len(df)), df[DESIGN].to_numpy(dtype=float)])
    data = ChainData(Z=Z, names=tuple(DESIGN), n_cov=2, k=3, n_total=len(df))
    fit_chain(data, ResamplePlan(len(df), B, seed), ci="percentile", conf=0.95)


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
    df = pd.read_csv(ROOT / "tests" / "fixtures" / "mediation" / "chain_n630.csv")
    ours(df)  # warm-up (imports, BLAS threads)
    t_ours = best_of(lambda: ours(df))
    print(f"n = 630, k = 3, 2 covariates, B = {B}, percentile CIs")
    print(f"  ours (vectorised)      : {t_ours:7.3f} s")
    try:
        import warnings

        warnings.simplefilter("ignore")
        t_theirs = best_of(lambda: theirs(df))
        print(f"  pyprocessmacro 2.2.0   : {t_theirs:7.3f} s")
        print(f"  speed-up               : {t_theirs / t_ours:7.1f} x")
    except ImportError:
        print("  pyprocessmacro not installed (pip install -e '.[dev]'); comparison skipped")
    sizes = [10_000] if quick else [10_000, 100_000]
    for n in sizes:
        big = bigger(df, n)
        t = best_of(lambda big=big: ours(big), repeats=1)
        print(f"  ours n = {n:>7,}       : {t:7.3f} s  ({t / n * 1e6:.1f} us per row)")


if __name__ == "__main__":
    main()
