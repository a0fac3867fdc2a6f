"""Parser for the subset of lavaan model syntax used by the pipeline.

Supported (Rosseel 2012, *J Stat Softw* 48(2), section "model syntax"):
``=~`` latent variable definitions, ``~`` regressions, ``~~`` (co)variances, ``~ 1`` intercepts,
``:=`` defined parameters, modifiers ``label*x``, ``0.5*x`` (fixed value), ``NA*x`` (free),
``start(0.5)*x``, several left-hand sides (``y1 + y2 ~ x``), comments (``#`` and ``!``),
statements separated by new lines or ``;`` and continued over lines ending in an operator or
``+``. Anything else (``==``, ``<``, ``|``, ``c()`` group modifiers) is refused with a message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pipeline.errors import ModelError

OPERATORS = ("=~", ":=", "~~", "==", "<~", "~", "<", ">", "|")
_NAME = re.compile(r"^[A-Za-z_.][A-Za-z0-9_.]*$")
_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
_START = re.compile(r"^start\(\s*([^)]*)\s*\)$")
_LABEL_FN = re.compile(r"^(?:label|equal)\(\s*[\"']([^\"']+)[\"']\s*\)$")


@dataclass(frozen=True)
class Formula:
    """One parameter statement: ``lhs op rhs`` with its modifiers (``op`` in =~ ~ ~~ ~1)."""

    lhs: str
    op: str
    rhs: str
    fixed: float | None = None
    label: str | None = None
    free: bool = False          # NA* modifier: free a parameter that defaults to fixed
    start: float | None = None
    line: int = 0


@dataclass(frozen=True)
class Definition:
    """A defined parameter ``name := expression``."""

    name: str
    expr: str
    line: int = 0


@dataclass(frozen=True)
class ParsedModel:
    formulas: tuple[Formula, ...]
    definitions: tuple[Definition, ...]


def _strip_comment(line: str) -> str:
    for ch in ("#", "!"):
        pos = line.find(ch)
        if pos >= 0:
            line = line[:pos]
    return line.strip()


def _statements(text: str) -> list[tuple[int, str]]:
    """Split into (line number, statement), joining continuation lines."""
    out: list[tuple[int, str]] = []
    buf, start = "", 0
    for i, raw in enumerate(text.splitlines(), start=1):
        for part in _strip_comment(raw).split(";"):
            part = part.strip()
            if not part:
                continue
            if buf and (buf.endswith(("+", "*", "~", "=~", ":=", "-", "/"))
                        or part.startswith(("+", "*"))):
                buf = f"{buf} {part}"
                continue
            if buf:
                out.append((start, buf))
            buf, start = part, i
    if buf:
        out.append((start, buf))
    return out


def _find_operator(stmt: str, model: str, line: int) -> tuple[str, int]:
    for op in OPERATORS:
        pos = stmt.find(op)
        if pos < 0 or (op == "<" and stmt[pos:pos + 2] == "<~"):
            continue
        if op in ("==", "<", ">", "|", "<~"):
            raise ModelError(
                f"{model}: line {line} '{stmt}': operator '{op}' is not supported by the "
                "pipeline's SEM engine; use shared labels for equality constraints and "
                "remove inequality / threshold / formative statements."
            )
        return op, pos
    raise ModelError(
        f"{model}: line {line} '{stmt}' has no model operator (=~, ~, ~~, :=); check the syntax."
    )


def _parse_term(term: str, model: str, line: int) -> tuple[str, dict]:
    parts = [p.strip() for p in term.split("*")]
    var, mods = parts[-1], parts[:-1]
    info: dict = {"fixed": None, "label": None, "free": False, "start": None}
    for m in mods:
        if _NUMBER.match(m):
            info["fixed"] = float(m)
        elif m == "NA":
            info["free"] = True
        elif (s := _START.match(m)) is not None:
            try:
                info["start"] = float(s.group(1))
            except ValueError:
                raise ModelError(f"{model}: line {line}: bad start value in '{term}'.") from None
        elif (lab := _LABEL_FN.match(m)) is not None:
            info["label"] = lab.group(1)
        elif _NAME.match(m):
            info["label"] = m
        else:
            raise ModelError(
                f"{model}: line {line}: modifier '{m}' in '{term}' is not supported; use a number "
                "(fixed value), NA (free), a label, or start(value)."
            )
    if var != "1" and not _NAME.match(var):
        raise ModelError(f"{model}: line {line}: '{var}' is not a valid variable name.")
    return var, info


def parse_model(text: str, model: str = "model") -> ParsedModel:
    """Parse lavaan model syntax into formulas and definitions (errors name model and line)."""
    formulas: list[Formula] = []
    definitions: list[Definition] = []
    for line, stmt in _statements(text):
        op, pos = _find_operator(stmt, model, line)
        lhs_txt, rhs_txt = stmt[:pos].strip(), stmt[pos + len(op):].strip()
        if not lhs_txt or not rhs_txt:
            raise ModelError(f"{model}: line {line} '{stmt}' lacks a left or right hand side.")
        if op == ":=":
            if not _NAME.match(lhs_txt):
                raise ModelError(f"{model}: line {line}: '{lhs_txt}' is not a valid name for a "
                                 "defined parameter.")
            definitions.append(Definition(lhs_txt, rhs_txt, line))
            continue
        lhs_names = [s.strip() for s in lhs_txt.split("+")]
        for name in lhs_names:
            if not _NAME.match(name):
                raise ModelError(f"{model}: line {line}: '{name}' is not a valid variable name.")
        for term in rhs_txt.split("+"):
            term = term.strip()
            if not term:
                raise ModelError(f"{model}: line {line} '{stmt}': empty term (stray '+').")
            var, info = _parse_term(term, model, line)
            for lhs in lhs_names:
                if var == "1":
                    if op != "~":
                        raise ModelError(f"{model}: line {line}: '1' only allowed with '~'.")
                    formulas.append(Formula(lhs, "~1", "", line=line, **info))
                else:
                    formulas.append(Formula(lhs, op, var, line=line, **info))
    if not formulas:
        raise ModelError(f"{model}: the model syntax contains no parameters.")
    return ParsedModel(tuple(formulas), tuple(definitions))
