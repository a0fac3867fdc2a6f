"""Command-line entry points called by the Snakemake rules (``python -m pipeline.cli <stage>``).

Every stage takes ``--config`` (the effective configuration, YAML or JSON), ``--root`` (project
root for relative data paths), ``--io`` (JSON of the rule's named inputs and outputs, see
:class:`pipeline.stage_io.StageIO`) and ``--log`` (the rule's log file). A stage module exposes
``run(cfg, io)``. A :class:`PipelineError` is
printed as a plain message (file, column, row or model, and what to do) to the terminal and the
log, and the process exits with status 2; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import sys
from pathlib import Path

import yaml

from pipeline.config import Config, config_from_dict
from pipeline.errors import PipelineError
from pipeline.stage_io import StageIO

log = logging.getLogger("pipeline")

# stage name -> module in pipeline.stages exposing add_arguments(parser) and run(cfg, args)
STAGES = {
    "ingest": "pipeline.ingest.stage",
    "clean": "pipeline.clean.stage",
    "change": "pipeline.change.stage",
    "attrition": "pipeline.attrition.stage",
    "impute": "pipeline.missing_data.stage",
    "mediation": "pipeline.mediation.stage",
    "crosslag": "pipeline.crosslag.stage",
}


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
    sub = parser.add_subparsers(dest="stage", required=True)
    modules = {}
    for name, modname in STAGES.items():
        mod = importlib.import_module(modname)
        modules[name] = mod
        p = sub.add_parser(name, help=(mod.__doc__ or "").strip().splitlines()[0])
        p.add_argument("--config", required=True, help="effective configuration (YAML/JSON)")
        p.add_argument("--root", default=".", help="project root for relative paths")
        p.add_argument("--log", default=None, help="log file")
        p.add_argument("--io", default=None, help="JSON of the rule's named inputs and outputs")
        if hasattr(mod, "add_arguments"):  # transitional: stages not yet on --io
            mod.add_arguments(p)
    args = parser.parse_args(argv)
    _setup_logging(args.log)
    try:
        cfg = load_effective_config(args.config, args.root)
        if args.io is not None:
            modules[args.stage].run(cfg, StageIO.from_json(args.io))
        else:
            modules[args.stage].run(cfg, args)
    except PipelineError as exc:
        log.error("%s", exc)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
