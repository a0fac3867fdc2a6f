"""What a stage reads and writes: the named inputs and outputs its Snakemake rule declares.

A rule passes its ``input`` and ``output`` (names -> path or list of paths) to the stage as one
JSON argument (``--io``). The stage asks for each file by name and may write only declared
outputs: :meth:`StageIO.output` and :meth:`StageIO.member` refuse anything undeclared, so a file
the workflow does not know about cannot appear under ``results/``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["StageIO"]

PathSpec = str | list[str]


def _paths(spec: PathSpec) -> list[Path]:
    return [Path(p) for p in ([spec] if isinstance(spec, str) else spec)]


@dataclass(frozen=True)
class StageIO:
    """Named input and output paths of one stage run (a rule's ``input`` and ``output``)."""

    inputs: Mapping[str, PathSpec] = field(default_factory=dict)
    outputs: Mapping[str, PathSpec] = field(default_factory=dict)
    wildcards: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_json(cls, text: str) -> StageIO:
        data = json.loads(text)
        return cls(inputs=data.get("input", {}), outputs=data.get("output", {}),
                   wildcards=data.get("wildcards", {}))

    def input(self, name: str) -> Path:
        """The single input file declared as ``name``."""
        (path,) = _paths(self.inputs[name])
        return path

    def inputs_of(self, name: str) -> list[Path]:
        """All input files declared under ``name`` (a list in the rule)."""
        return _paths(self.inputs[name])

    def output(self, name: str) -> Path:
        """The single output file declared as ``name`` (its folder is created)."""
        (path,) = _paths(self.outputs[name])
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    def outputs_of(self, name: str) -> list[Path]:
        """All output files declared under ``name`` (folders created)."""
        paths = _paths(self.outputs[name])
        for p in paths:
            p.parent.mkdir(parents=True, exist_ok=True)
        return paths

    def member(self, name: str, filename: str) -> Path:
        """The output under ``name`` whose file name is ``filename`` (e.g. one figure of a list).

        Raises ``KeyError`` for a file the rule does not declare: a stage never writes an
        undeclared file.
        """
        for p in self.outputs_of(name):
            if p.name == filename:
                return p
        raise KeyError(f"{filename} is not a declared output '{name}' of this rule")

    def has_output(self, name: str) -> bool:
        return name in self.outputs
