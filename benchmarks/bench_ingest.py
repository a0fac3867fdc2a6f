"""Benchmark: read_wave on a large CSV against a plain pandas.read_csv of the same file.

    python benchmarks/bench_ingest.py [--rows 1000000] [--items 20]

Writes a synthetic CSV (id, date, N Likert items with some empty cells) to a temporary folder,
then times each reader in its own child process so peak memory (ru_maxrss) is per reader.
Target: read_wave peak memory <= 4 GB for 1,000,000 rows x 20 items.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]


def make_csv(path: Path, rows: int, items: int, seed: int = 1) -> None:
    """Write ``rows`` x (id, date, ``items`` item columns); ~5% of item cells empty."""
    rng = np.random.default_rng(seed)
    chunk = 200_000
    with open(path, "w", encoding="utf-8", newline="") as fh:
        for start in range(0, rows, chunk):
            n = min(chunk, rows - start)
            df = pd.DataFrame({"participant_id": [f"SP-{k:07d}" for k in range(start, start + n)]})
            df["completed_at"] = "2024-05-01"
            vals = rng.integers(1, 8, size=(n, items)).astype(object)
            vals[rng.random((n, items)) < 0.05] = ""
            for j in range(items):
                df[f"item{j + 1}"] = vals[:, j]
            df.to_csv(fh, index=False, header=start == 0, lineterminator="\n")


def child(which: str, path: str, items: int) -> None:
    """Run one reader and print JSON with seconds and peak RSS (MB)."""
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t0 = time.perf_counter()
    if which == "read_wave":
        sys.path.insert(0, str(ROOT))
        from pipeline.ingest import read_wave

        cols = ["completed_at"] + [f"item{j + 1}" for j in range(items)]
        result = read_wave(path, wave_id="T0", id_column="participant_id", expected_columns=cols)
        n = len(result.data)
    else:
        n = len(pd.read_csv(path, dtype=str))
    seconds = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {"reader": which, "rows": n, "seconds": seconds, "peak_mb": peak, "start_mb": before}
        )
    )


def run(which: str, path: Path, items: int) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", which, "--path", str(path), "--items", str(items)],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--items", type=int, default=20)
    ap.add_argument("--child", choices=["read_wave", "pandas"])
    ap.add_argument("--path")
    args = ap.parse_args()
    if args.child:
        child(args.child, args.path, args.items)
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench_T0.csv"
        t0 = time.perf_counter()
        make_csv(path, args.rows, args.items)
        size_mb = path.stat().st_size / 2**20
        print(
            f"wrote {args.rows:,} rows x {args.items} items ({size_mb:.0f} MB) in "
            f"{time.perf_counter() - t0:.1f} s"
        )
        base = run("pandas", path, args.items)
        ours = run("read_wave", path, args.items)
    for r in (base, ours):
        print(
            f"{r['reader']:>10}: {r['seconds']:6.2f} s, peak RSS {r['peak_mb']:7.0f} MB "
            f"(after imports {r['start_mb']:.0f} MB), rows {r['rows']:,}"
        )
    print(
        f"read_wave / pandas.read_csv: time x{ours['seconds'] / base['seconds']:.2f}, "
        f"peak memory x{ours['peak_mb'] / base['peak_mb']:.2f}; "
        f"target peak <= 4096 MB: {'met' if ours['peak_mb'] <= 4096 else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
