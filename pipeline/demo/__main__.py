"""Command line: ``python -m pipeline.demo --out data/raw --seed 20220201``.

``--study controlled`` writes the controlled study instead (an arm, identification,
compatibility, GP visits: :mod:`pipeline.demo.controlled_simulate`), by default to
``data/raw/demo_controlled`` with its own seed and n = 750.

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

from pipeline.demo import controlled_layout as ctl
from pipeline.demo.layout import DEFAULT_N, DEFAULT_SEED
from pipeline.demo.schemes import write_schemes


def _write_controlled(args: argparse.Namespace) -> dict[str, dict]:
    from pipeline.demo.controlled_write import write_controlled

    out = args.out or f"data/raw/{ctl.STUDY_DIR}"
    seed = ctl.DEFAULT_SEED if args.seed is None else args.seed
    n = ctl.DEFAULT_N if args.n is None else args.n
    return {"controlled": write_controlled(out, seed, n, readme=not args.no_readme)}


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, write the files, print their digests; returns the exit code."""
    ap = argparse.ArgumentParser(
        prog="python -m pipeline.demo",
        description="Seeded generator of the synthetic demo study shipped in data/raw/.",
    )
    ap.add_argument("--study", choices=("demo", "controlled"), default="demo",
                    help="demo (default) or controlled (two arms; data/raw/demo_controlled)")
    ap.add_argument("--out", default=None, help="output folder (default data/raw)")
    ap.add_argument("--seed", type=int, default=None, help=f"default {DEFAULT_SEED}")
    ap.add_argument("--n", type=int, default=None, help="baseline participants (default 630)")
    ap.add_argument("--waves", type=int, default=3, help="waves (default 3: T0, T1, T2)")
    ap.add_argument("--schemes", type=int, default=1, help="schemes (default 1: the demo)")
    ap.add_argument("--no-readme", action="store_true", help="do not (re)write README.md")
    args = ap.parse_args(argv)
    if args.study == "controlled":
        if (args.n is not None and args.n < 150) or args.waves != 3 or args.schemes != 1:
            ap.error("--study controlled: need --n >= 150, three waves and one scheme")
        written = _write_controlled(args)
    else:
        n = DEFAULT_N if args.n is None else args.n
        if n < 100 or args.waves < 1 or args.schemes < 1:
            ap.error("need --n >= 100, --waves >= 1 and --schemes >= 1")
        written = write_schemes(
            args.out or "data/raw", DEFAULT_SEED if args.seed is None else args.seed, n,
            args.waves, args.schemes, readme=not args.no_readme,
        )
    for scheme, paths in written.items():
        for key, path in paths.items():
            digest = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
            label = key if len(written) == 1 else f"{scheme}/{key}"
            print(f"{label:8s} {path}  sha256:{digest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
