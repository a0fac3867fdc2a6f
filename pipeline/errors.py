"""User-facing errors.

Every problem an evaluator can fix (a bad file, a bad config value, a model the data cannot
support) raises a :class:`PipelineError` whose message names *where* (file, column, row, model),
*what* went wrong and *what to do*. The CLI prints the message without a traceback.
"""

from __future__ import annotations


class PipelineError(Exception):
    """Base class for problems the user can act on."""


class ConfigError(PipelineError):
    """The configuration is invalid (names the key, the problem and the fix)."""


class InputFileError(PipelineError):
    """A raw input file cannot be used as given (names file, line/column and what to do)."""


class DataError(PipelineError):
    """The data cannot support a requested step (names the variable/wave and what to do)."""


class ModelError(PipelineError):
    """A statistical model failed (non-convergence, not identified, not positive definite)."""


#: how messages name the file an evaluator edits; the CLI sets it per run (``--config-name``:
#: the study's own file, e.g. ``config/studies/demo.yaml``), so a message says where to fix it
_CONFIG_NAME = ["your study's config file"]


def set_config_name(name: str | None) -> None:
    """Name the study's config file in every later message (None or "" keeps the default)."""
    if name:
        _CONFIG_NAME[0] = name


def config_name() -> str:
    """The study's config file as messages name it (see :func:`set_config_name`)."""
    return _CONFIG_NAME[0]


def closest_names(name: str, candidates: list[str], n: int = 3) -> list[str]:
    """Return up to ``n`` candidates most similar to ``name`` (case-insensitive)."""
    import difflib

    lowered = {c.lower(): c for c in candidates}
    hits = difflib.get_close_matches(name.lower(), list(lowered), n=n, cutoff=0.5)
    return [lowered[h] for h in hits]
