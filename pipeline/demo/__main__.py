"""Command line: ``python -m pipeline.demo --out data/raw --seed 20220201``.

Writes the demo study (see :mod:`pipeline.demo`) and prints each file with the start of its
SHA-256, so two runs can be compared at a glance.
"""

from __future__ import annotations

import argparse
import hashlib
import sys

from pipeline.demo.layout import DEFAULT_N, DEFAULT_SEED
from pipeline.demo.write import write_demo


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, write the files, print their digests; returns the exit code."""
    ap = argparse.ArgumentParser(
        prog="python -m pipeline.demo",
        description="Seeded generator of the synthetic demo study shipped in data/raw/.",
    )
    ap.add_argument("--out", default="data/raw", help="output folder (default data/raw)")
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    ap.add_argument("--n", type=int, default=DEFAULT_N, help="baseline participants (default 630)")
    ap.add_argument("--no-readme", action="store_true", help="do not (re)write README.md")
    args = ap.parse_args(argv)
    paths = write_demo(args.out, args.seed, args.n, readme=not args.no_readme)
    for key, path in paths.items():
        digest = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
        print(f"{key:8s} {path}  sha256:{digest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
