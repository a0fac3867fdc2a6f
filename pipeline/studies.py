"""The studies (schemes) one workflow run covers, each with its own validated configuration.

An evaluator may run several schemes through the same pipeline; each is data, not code: a study
is one config file, and adding a scheme is adding a file. The Snakemake config comes in two forms:

* **Several studies** (``config/config.yaml``)::

      studies: [demo, pilot]   # config/studies/demo.yaml, config/studies/pilot.yaml
      defaults: {...}          # optional: merged under every study file

  An entry is a study name (its file is ``config/studies/<name>.yaml`` under the project root)
  or the path of a YAML file (``.yaml``/``.yml``; the file's stem is the name). Each study's
  configuration is ``defaults`` <- its file <- any other top-level key (what ``snakemake
  --config key=value`` adds, e.g. ``--config seed=7`` for every study), merged deeply: mappings
  key by key, anything else (lists included) replaced whole. ``--config "studies=[pilot]"``
  runs one of the listed studies.
* **One study** (the study file itself, top-level ``waves:``), e.g. ``snakemake --configfile
  config/studies/demo.yaml`` or an evaluator's own ``my_study.yaml``: exactly that study,
  nothing merged into it.

A study's name is its ``study.id`` (a file that omits it gets its name; one that names another
id is refused, so a copied file cannot overwrite another study's results). Each study's
results live in ``results/<name>/`` (:func:`results_path`) and its effective configuration,
which its stages read, in ``.snakemake/socialcure/<name>/effective_config.json``
(:func:`effective_config_path`). Each study is validated on its own
(:func:`pipeline.validate.validate_config`); every problem of every study comes in one message.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from pipeline.config import Config
from pipeline.errors import ConfigError
from pipeline.plan import WingPlan, study_plan
from pipeline.registry import RUN_WINGS, settings_module
from pipeline.validate import validate_config

__all__ = ["Study", "deep_merge", "study_configs", "load_studies", "results_path",
           "effective_config_path", "STUDIES_DIR", "NAME_PATTERN", "Programme", "RUN_SECTIONS",
           "load_programme", "programme_config_path", "write_programme_config",
           "read_programme_config"]

STUDIES_DIR = Path("config") / "studies"
"""Where a study named in ``studies`` has its file (under the project root)."""

NAME_PATTERN = re.compile(r"^[A-Za-z0-9_-]+$")
"""A study name: a short id usable in folder, file and rule names (``study.id``)."""

RUN_SECTIONS = tuple(w.section for w in RUN_WINGS if w.section)
"""Config sections of the run as a whole (``pooled:``): top level of config/config.yaml only."""

MULTI_KEYS = ("studies", "defaults", *RUN_SECTIONS)


@dataclass(frozen=True)
class Study:
    """One study of the run: its name, merged raw config, where it came from ("" for a
    single-study config), typed config and plan."""

    name: str
    raw: dict[str, Any]
    source: str
    cfg: Config
    plan: dict[str, WingPlan] = field(default_factory=dict)
    file: str = ""  # the study's own file relative to the root ("" for a single-study config)

    @property
    def runs(self) -> set[str]:
        """The stages that run for this study (:mod:`pipeline.plan`)."""
        return {stage for stage, p in self.plan.items() if p.runs}


def results_path(study: str, relative: str) -> str:
    """``results/<study>/<relative>``: where the study's outputs live."""
    return f"results/{study}/{relative}"


def effective_config_path(study: str) -> Path:
    """The study's effective configuration, beside Snakemake's own state (not under results/,
    whose every file is a declared output)."""
    return Path(".snakemake") / "socialcure" / study / "effective_config.json"


def deep_merge(base: Any, over: Any) -> Any:
    """``over`` merged into ``base``: mappings key by key (recursively), anything else replaced
    by ``over``. Neither argument is changed."""
    if isinstance(base, dict) and isinstance(over, dict):
        out = copy.deepcopy(base)
        for key, value in over.items():
            out[key] = deep_merge(base.get(key), value) if key in base else copy.deepcopy(value)
        return out
    return copy.deepcopy(over)


def _study_file(entry: Any, root: Path) -> tuple[str, Path]:
    if not isinstance(entry, str) or not entry.strip():
        raise ConfigError(
            f"config key studies: entry {entry!r} is not a study name or a file path. List "
            "names (config/studies/<name>.yaml) or paths of study YAML files.")
    if entry.endswith((".yaml", ".yml")):
        path = Path(entry) if Path(entry).is_absolute() else root / entry
        return path.stem, path
    return entry, root / STUDIES_DIR / f"{entry}.yaml"


def _read_study(name: str, path: Path) -> dict[str, Any]:
    if not NAME_PATTERN.match(name):
        raise ConfigError(
            f"config key studies: study name '{name}' ({path}) may hold only "
            "letters, digits, '_' and '-' (it names the folder results/<name>/). Rename "
            "the file.")
    if not path.is_file():
        raise ConfigError(
            f"config key studies: the file of study '{name}' ({path}) does not exist. Create it "
            f"(copy {STUDIES_DIR / 'demo.yaml'}) or remove '{name}' from 'studies'.")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(f"study file {path} cannot be read as YAML ({exc}).") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"study file {path} is empty or not a mapping of keys to values.")
    _no_run_sections(raw, f"study file {path}")
    return raw


def _no_run_sections(raw: dict[str, Any], where: str) -> None:
    """A run-level section (``pooled:``) belongs beside ``studies:`` in config/config.yaml,
    not in one study's config (a study cannot pool the others)."""
    found = [k for k in RUN_SECTIONS if k in raw]
    if found:
        raise ConfigError(
            f"{where} has a '{found[0]}:' section, which is about all the studies of the run "
            f"together. Move it to the top level of config/config.yaml, beside 'studies:'.")


def _with_name(raw: dict[str, Any], name: str, source: str) -> dict[str, Any]:
    study = raw.get("study")
    if study is None:
        return {**raw, "study": {"id": name}}
    if isinstance(study, dict) and "id" not in study:
        return {**raw, "study": {"id": name, **study}}
    if isinstance(study, dict) and study["id"] != name:
        raise ConfigError(
            f"{source}: study.id is '{study['id']}' but the study is named '{name}' (the file "
            f"name). Set study.id to '{name}' or leave it out (each study writes to "
            "results/<name>/).")
    return raw


def study_configs(config: dict[str, Any], root: str | Path) -> dict[str, tuple[str, dict]]:
    """Study name -> (source, merged raw config), in the order listed (see the module doc).

    ``config`` is Snakemake's config; ``root`` the project root (study files and data paths are
    relative to it). Raises one ConfigError for a malformed ``studies`` list or study file.
    """
    if "studies" not in config:
        _no_run_sections(config, "the config (one study, top-level 'waves:')")
        study = config.get("study")
        name = study.get("id") if isinstance(study, dict) else None
        return {str(name or "study"): ("", copy.deepcopy(config))}
    if "waves" in config:
        raise ConfigError(
            "the config has both 'studies' (several studies, each in its own file) and "
            "'waves' (one study). Move the study's keys into config/studies/<name>.yaml and "
            "list it under 'studies', or drop 'studies' to run this one study.")
    entries, defaults = config["studies"], config.get("defaults") or {}
    if not isinstance(entries, list) or not entries:
        raise ConfigError("config key studies: must be a non-empty list of study names or "
                          "study files, e.g. 'studies: [demo]'.")
    if not isinstance(defaults, dict):
        raise ConfigError("config key defaults: must be a mapping of config keys (merged "
                          "under every study file).")
    _no_run_sections(defaults, "config key defaults")
    overrides = {k: v for k, v in config.items() if k not in MULTI_KEYS}
    out: dict[str, tuple[str, dict]] = {}
    for entry in entries:
        name, path = _study_file(entry, Path(root))
        if name in out:
            raise ConfigError(f"config key studies: study '{name}' is listed twice.")
        source = f"study '{name}' ({path})"
        merged = deep_merge(deep_merge(defaults, _read_study(name, path)), overrides)
        out[name] = (source, _with_name(merged, name, source))
    return out


def _display_path(source: str, root: Path) -> str:
    """The study file named in ``source`` ("study 'x' (<path>)"), relative to ``root`` when
    inside it; "" for a single-study config."""
    if not source.endswith(")") or " (" not in source:
        return ""
    path = Path(source[source.index(" (") + 2:-1])
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)


def load_studies(config: dict[str, Any], root: str | Path) -> list[Study]:
    """Every study of the run, validated, with its plan; one ConfigError listing every problem
    of every study (each prefixed with the study's name and file)."""
    studies, problems = [], []
    for name, (source, raw) in study_configs(config, root).items():
        try:
            cfg = validate_config(raw, root=root)
        except ConfigError as exc:
            problems.append(f"{source}: {exc}" if source else str(exc))
            continue
        studies.append(Study(name, raw, source, cfg, study_plan(cfg),
                             _display_path(source, Path(root))))
    if problems:
        raise ConfigError("\n".join(problems))
    return studies


# ------------------------------------------------------------------------ the run as a whole
@dataclass(frozen=True)
class Programme:
    """The run as a whole, for the wings that work across studies (``registry.RUN_WINGS``):
    the run-level config sections as written (``sections["pooled"]``, None when absent) and
    every study's name, merged raw config and typed config, in the order configured."""

    sections: dict[str, Any]
    raws: dict[str, dict[str, Any]]
    configs: dict[str, Config]

    @property
    def names(self) -> list[str]:
        return list(self.configs)


def load_programme(config: dict[str, Any], studies: list[Study] | Any) -> tuple[
        Programme, dict[str, WingPlan]]:
    """The run-level view of a validated run and, for each run-level wing, whether it runs
    (:class:`pipeline.plan.WingPlan`, with the reason when not). The run-level sections are
    checked here, at start-up, by each wing's ``settings.from_programme`` (every problem in one
    ConfigError)."""
    studies = list(studies)
    sections = {k: copy.deepcopy(config.get(k)) for k in RUN_SECTIONS}
    prog = Programme(sections, {s.name: s.raw for s in studies},
                     {s.name: s.cfg for s in studies})
    plans: dict[str, WingPlan] = {}
    problems: list[str] = []
    for w in RUN_WINGS:
        mod = settings_module(w)
        try:
            found = mod.inactive(prog)
            if found is None:
                mod.from_programme(prog)
        except ConfigError as exc:
            problems.append(str(exc))
            continue
        plans[w.stage] = (WingPlan(w.name, w.stage, w.section) if found is None else
                          WingPlan(w.name, w.stage, w.section, found[0], found[1]))
    if problems:
        raise ConfigError("\n".join(problems))
    return prog, plans


def programme_config_path(stage: str) -> Path:
    """Where a run-level stage's configuration (the run-level sections and every study's
    effective config) is written for the CLI."""
    return Path(".snakemake") / "socialcure" / stage / "run_config.json"


def write_programme_config(prog: Programme, path: Path) -> None:
    """Write ``prog`` for :func:`read_programme_config`; rewritten only when it changes."""
    import json

    path.parent.mkdir(parents=True, exist_ok=True)
    # keys in the config's own order (not sorted): the order of scales is the order of outputs
    text = json.dumps({"sections": prog.sections, "studies": prog.raws}, indent=1, default=str)
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")


def read_programme_config(path: str | Path, root: str | Path) -> Programme:
    """The :class:`Programme` written by :func:`write_programme_config` (each study's config
    typed again by :func:`pipeline.config.config_from_dict`)."""
    import json

    from pipeline.config import config_from_dict

    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        raws = dict(data["studies"])
        sections = dict(data["sections"])
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
        raise ConfigError(f"run config file {path} cannot be read ({type(exc).__name__}: "
                          f"{exc}); run snakemake again to rewrite it.") from None
    return Programme(sections, raws, {n: config_from_dict(r, root=root) for n, r in raws.items()})
