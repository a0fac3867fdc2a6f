"""Command line: ``python -m pipeline.demo --out data/raw --seed 20220201``.

Writes the demo study (see :mod:`pipeline.demo`) and prints each file with the start of its
SHA-256, so two runs can be compared at a glance. ``--waves W`` continues the study to W waves
(the same people; T3, T4, ... as CSV files), ``--schemes S`` writes S schemes, each with its own
seed and slightly different effects, to ``<out>/scheme_<k>/`` (:mod:`pipeline.demo.schemes`).
The defaults (3 waves, 1 scheme) write the committed demo files byte for byte.
"""

from __future__ import annotations

import argparse
import hashlib
import sys

from pipeline.demo.layout import DEFAULT_N, DEFAULT_SEED
from pipeline.demo.schemes import write_schemes


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, write the files, print their digests; returns the exit code."""
    ap = argparse.ArgumentParser(
        prog="python -m pipeline.demo",
        description="Seeded generator of the synthetic demo study shipped in data/raw/.",
    )
    ap.add_argument("--out", default="data/raw", help="output folder (default data/raw)")
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    ap.add_argument("--n", type=int, default=DEFAULT_N, help="baseline participants (default 630)")
    ap.add_argument("--waves", type=int, default=3, help="waves (default 3: T0, T1, T2)")
    ap.add_argument("--schemes", type=int, default=1, help="schemes (default 1: the demo)")
    ap.add_argument("--no-readme", action="store_true", help="do not (re)write README.md")
    args = ap.parse_args(argv)
    if args.n < 100 or args.waves < 1 or args.schemes < 1:
        ap.error("need --n >= 100, --waves >= 1 and --schemes >= 1")
    written = write_schemes(
        args.out, args.seed, args.n, args.waves, args.schemes, readme=not args.no_readme
    )
    for scheme, paths in written.items():
        for key, path in paths.items():
            digest = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
            label = key if args.schemes == 1 else f"{scheme}/{key}"
            print(f"{label:8s} {path}  sha256:{digest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
