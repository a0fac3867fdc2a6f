"""Command-line entry points called by the Snakemake rules (``python -m pipeline.cli <stage>``).

Every stage takes ``--config`` (the effective configuration, YAML or JSON), ``--root`` (project
root for relative data paths), ``--io`` (JSON of the rule's named inputs and outputs, see
:class:`pipeline.stage_io.StageIO`) and ``--log`` (the rule's log file). A stage module exposes
``run(cfg, io)``. A :class:`PipelineError` is
printed as a plain message (file, column, row or model, and what to do) to the terminal and the
log, and the process exits with status 2; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import os

# One BLAS thread per stage process: numbers do not depend on the machine's core count
# (multi-threaded BLAS reorders sums, changing last digits), and two stages running side by side
# on a small machine do not oversubscribe it. Set before NumPy is imported.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse
import json
import logging
import sys
from pathlib import Path

import yaml

from pipeline.config import Config, config_from_dict
from pipeline.errors import PipelineError
from pipeline.registry import WINGS, stage_module, wing
from pipeline.stage_io import StageIO

log = logging.getLogger("pipeline")

def load_effective_config(path: str | Path, root: str | Path) -> Config:
    text = Path(path).read_text(encoding="utf-8")
    raw = json.loads(text) if str(path).endswith(".json") else yaml.safe_load(text)
    return config_from_dict(raw, root=root)


def _setup_logging(log_path: str | None) -> None:
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if log_path:
        Path(log_path).parent.mkdir(parents=True, exist_ok=True)
        handlers.append(logging.FileHandler(log_path, mode="w", encoding="utf-8"))
    logging.basicConfig(
        level=logging.INFO, format="%(levelname)s %(name)s: %(message)s", handlers=handlers,
        force=True,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="socialcure", description=__doc__.splitlines()[0])
    parser.add_argument("stage", choices=[w.stage for w in WINGS],
                        help="the stage to run (one per wing, see pipeline/registry.py)")
    parser.add_argument("--config", required=True, help="effective configuration (YAML/JSON)")
    parser.add_argument("--root", default=".", help="project root for relative paths")
    parser.add_argument("--log", default=None, help="log file")
    parser.add_argument("--io", required=True, help="JSON of the rule's named inputs and outputs")
    args = parser.parse_args(argv)
    _setup_logging(args.log)
    try:
        cfg = load_effective_config(args.config, args.root)
        stage_module(wing(args.stage)).run(cfg, StageIO.from_json(args.io))  # imports one wing
    except PipelineError as exc:
        log.error("%s", exc)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
