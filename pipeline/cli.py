"""Command-line entry points called by the Snakemake rules (``python -m pipeline.cli <stage>``).

Every stage takes ``--config`` (the effective configuration, YAML or JSON), ``--root`` (project
root for relative data paths), ``--io`` (JSON of the rule's named inputs and outputs, see
:class:`pipeline.stage_io.StageIO`) and ``--log`` (the rule's log file). A stage module exposes
``run(cfg, io)``. ``socialcure init FILE... --out config/my_study.yaml`` writes a commented
starter config from the files' headers (:mod:`pipeline.ingest.starter`). A :class:`PipelineError` is
printed as a plain message (file, column, row or model, and what to do) to the terminal and the
log, and the process exits with status 2. Anything else is a bug in the pipeline: the user sees
one plain message saying so, the traceback goes to the log file for the maintainers, and the
process exits with status 3 (``tests/test_hostile_inputs.py`` hunts for such bugs).
"""

from __future__ import annotations

import os

# One BLAS thread per stage process: numbers do not depend on the machine's core count
# (multi-threaded BLAS reorders sums, changing last digits), and two stages running side by side
# on a small machine do not oversubscribe it. Set before NumPy is imported.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse
import importlib
import json
import logging
import sys
import traceback
from dataclasses import replace
from pathlib import Path

import yaml

from pipeline.config import Config, config_from_dict
from pipeline.errors import ConfigError, PipelineError, set_config_name
from pipeline.registry import RUN_WINGS, WINGS, stage_module, wing
from pipeline.stage_io import StageIO

log = logging.getLogger("pipeline")

def _sidecar_config_name(config: str) -> str | None:
    """The study's config file as the Snakefile named it (``config_name.txt`` beside the
    effective config), if there."""
    try:
        return (Path(config).parent / "config_name.txt").read_text(encoding="utf-8").strip()
    except OSError:
        return None


def load_effective_config(path: str | Path, root: str | Path) -> Config:
    """The validated config in ``path`` (JSON or YAML); ConfigError when it is missing,
    unreadable or not a mapping of keys to values."""
    try:
        text = Path(path).read_text(encoding="utf-8")
        raw = json.loads(text) if str(path).endswith(".json") else yaml.safe_load(text)
    except (OSError, UnicodeDecodeError, ValueError, yaml.YAMLError) as exc:
        raise ConfigError(f"config file {path} cannot be read ({type(exc).__name__}: {exc}). "
                          "Check the path given to --config / --configfile.") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"config file {path} is empty or not a mapping of keys to values.")
    return config_from_dict(raw, root=root)


def _report_bug(what: str, log_path: str | None) -> int:
    """An exception that is not a PipelineError is a bug in the pipeline, not in the user's data:
    say so in one plain message, keep the traceback in the rule's log file (or on the terminal
    when there is none) for the maintainers, and exit with status 3."""
    where = f"the full traceback is in {log_path}" if log_path else "the traceback follows"
    exc = sys.exc_info()[1]
    log.error("%s stopped on an internal error (%s: %s). This is a bug in the pipeline, not a "
              "problem with your files or config: please report it, with the log; %s.",
              what, type(exc).__name__, exc, where)
    if log_path:
        with open(log_path, "a", encoding="utf-8") as fh:
            fh.write(traceback.format_exc())
    else:
        traceback.print_exc()
    return 3


def _setup_logging(log_path: str | None) -> None:
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if log_path:
        Path(log_path).parent.mkdir(parents=True, exist_ok=True)
        handlers.append(logging.FileHandler(log_path, mode="w", encoding="utf-8"))
    logging.basicConfig(
        level=logging.INFO, format="%(levelname)s %(name)s: %(message)s", handlers=handlers,
        force=True,
    )


def init_main(argv: list[str]) -> int:
    """``socialcure init FILE... --out config/my_study.yaml``: a commented starter config guessed
    from the headers of the evaluator's files (``pipeline.ingest.starter``, imported on demand
    like every wing)."""
    parser = argparse.ArgumentParser(
        prog="socialcure init",
        description="Write a commented starter study config from the headers (and value labels) "
                    "of the survey exports; then fill its TODOs and check its CHECKs.")
    parser.add_argument("files", nargs="+", help="the wave exports (CSV, .xlsx, .sav, .dta)")
    parser.add_argument("--out", default="config/my_study.yaml", help="the config file to write")
    parser.add_argument("--force", action="store_true", help="overwrite --out if it exists")
    args = parser.parse_args(argv)
    _setup_logging(None)
    try:
        starter = importlib.import_module("pipeline.ingest.starter_yaml")
        log.info("%s", starter.write_starter(args.files, args.out, force=args.force))
    except PipelineError as exc:
        log.error("%s", exc)
        return 2
    except Exception:  # noqa: BLE001 - the safety net: a bug, said plainly (see _report_bug)
        return _report_bug("socialcure init", None)
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["init"]:
        return init_main(argv[1:])
    parser = argparse.ArgumentParser(
        prog="socialcure", description=__doc__.splitlines()[0],
        epilog="Also: socialcure init FILE... --out config/my_study.yaml (a starter config).")
    parser.add_argument("stage", choices=[w.stage for w in WINGS + RUN_WINGS],
                        help="the stage to run (one per wing, see pipeline/registry.py)")
    parser.add_argument("--config", required=True, help="effective configuration (YAML/JSON)")
    parser.add_argument("--root", default=".", help="project root for relative paths")
    parser.add_argument("--log", default=None, help="log file")
    parser.add_argument("--io", required=True, help="JSON of the rule's named inputs and outputs")
    parser.add_argument("--threads", type=int, default=1,
                        help="the rule's threads (worker processes; results never depend on it)")
    parser.add_argument("--config-name", default=None,
                        help="the study's config file as messages should name it (default: "
                             "config_name.txt beside --config, written by the Snakefile)")
    args = parser.parse_args(argv)
    _setup_logging(args.log)
    set_config_name(args.config_name or _sidecar_config_name(args.config))
    try:
        if wing(args.stage) in RUN_WINGS:  # a stage over every study of the run
            from pipeline.studies import read_programme_config
            cfg = read_programme_config(args.config, args.root)
        else:
            cfg = load_effective_config(args.config, args.root)
        io = replace(StageIO.from_json(args.io), threads=max(1, args.threads))
        stage_module(wing(args.stage)).run(cfg, io)  # imports one wing
    except PipelineError as exc:
        log.error("%s", exc)
        return 2
    except Exception:  # noqa: BLE001 - the safety net: a bug, said plainly (see _report_bug)
        return _report_bug(f"stage {args.stage}", args.log)
    return 0


if __name__ == "__main__":
    sys.exit(main())
