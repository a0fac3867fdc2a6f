"""The rules of the house (docs/design.md), checked on the source so they cannot drift.

- the engines (``pipeline/sem``, ``pipeline/stats``) never import a wing;
- a wing imports engines and the core, and of another wing at most its ``settings`` module
  (the public face of that wing's config section);
- the core never imports a wing (``registry`` names them as strings);
- stage modules are thin, no module is over ~400 lines and no function over ~80 lines.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from pipeline.registry import RUN_WINGS, WINGS

ROOT = Path(__file__).resolve().parent.parent
PKG = ROOT / "pipeline"
WING_NAMES = {w.name for w in WINGS + RUN_WINGS}
ENGINES = {"sem", "stats"}
OUTSIDE_ANALYSIS = {"demo"}  # the demo generator: may use engines and the clean wing's cleaners


def _modules() -> list[Path]:
    return sorted(p for p in PKG.rglob("*.py") if "__pycache__" not in p.parts)


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{a.name}" for a in node.names)
    return {m for m in found if m.startswith("pipeline.")}


def _folder(path: Path) -> str | None:
    rel = path.relative_to(PKG)
    return rel.parts[0] if len(rel.parts) > 1 else None


def _wing_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in WING_NAMES else None


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(PKG)))
def test_imports_follow_the_house_rules(path):
    folder = _folder(path)
    for mod in sorted(_imports(path)):
        target = _wing_of(mod)
        if target is None or target == folder:
            continue
        if folder in ENGINES or folder is None:
            pytest.fail(f"{path.relative_to(ROOT)} ({folder or 'core'}) imports the wing {mod}")
        if folder in OUTSIDE_ANALYSIS:
            continue
        allowed = mod == f"pipeline.{target}.settings" or mod.startswith(
            f"pipeline.{target}.settings.")
        assert allowed, (f"{path.relative_to(ROOT)} imports {mod}: a wing may use another "
                         "wing's settings only")


def test_nothing_in_the_analysis_path_imports_the_demo():
    for path in _modules():
        if _folder(path) == "demo":
            continue
        assert not any(m.startswith("pipeline.demo") for m in _imports(path)), path


def test_every_wing_has_its_parts():
    for w in WINGS + RUN_WINGS:
        folder = PKG / w.name
        assert (folder / "settings.py").exists(), w.name
        assert (folder / "stage.py").exists(), w.name
        if w.section:
            assert (folder / "settings.schema.yaml").exists(), w.name


def _too_long_reason(text: str) -> bool:
    head = "\n".join(text.splitlines()[:15]).lower()
    return "over 400 lines" in head


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(PKG)))
def test_modules_and_functions_are_small(path):
    text = path.read_text(encoding="utf-8")
    lines = len(text.splitlines())
    assert lines <= 420 or _too_long_reason(text), f"{path.name}: {lines} lines"
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            length = node.end_lineno - node.lineno + 1
            assert length <= 85, f"{path.name}: {node.name} has {length} lines"


def test_stages_are_thin():
    for w in WINGS + RUN_WINGS:
        lines = len((PKG / w.name / "stage.py").read_text(encoding="utf-8").splitlines())
        assert lines <= 120, f"{w.name}/stage.py has {lines} lines: move analysis out of it"


def test_test_file_names_are_unique():
    """Test folders have no __init__.py (pytest's prepend import mode): two test files with
    the same name would stop collection."""
    names = [p.name for p in (ROOT / "tests").rglob("test_*.py")]
    assert sorted({n for n in names if names.count(n) > 1}) == []


@pytest.mark.parametrize("path", sorted((ROOT / "rules").glob("*.smk")), ids=lambda p: p.name)
def test_every_stage_rule_takes_its_study_config_from_params(path):
    """``run_stage`` emits ``--config {params.effective}``: Snakemake evaluates a rule's shell
    expression again when the job runs (when the rule files' loop variable holds the last
    study), so the study's config must come from params bound at definition time."""
    text = path.read_text().replace("def run_stage(", "")
    assert text.count("effective=effective(S)") >= text.count("run_stage("), (
        f"{path.name}: every rule calling run_stage needs `effective=effective(S),` in params")
