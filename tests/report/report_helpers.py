"""Fixtures of the report tests: the report stage run on a committed demo-study result tree
(tests/fixtures/report/demo: tables, summaries, lavaan files and SVG figures copied from a demo
run, and a findings table following the findings-table contract).

Imported by a unique module name (several test folders have a conftest.py, so
``from conftest import ...`` picks whichever was imported first); conftest.py re-exports
the fixtures.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from pipeline.config import load_config
from pipeline.stage_io import StageIO

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "tests" / "fixtures" / "report" / "demo"
# pseudonymous and raw ids planted in the long table the stage reads dates from: they must never
# reach the report
PLANTED_IDS = ("pid-9f2c1e7a55d0", "SCP-000417", "P0123")


def demo_config():
    return load_config(ROOT / "config" / "studies" / "demo.yaml", ROOT)


def make_tree(dst: Path) -> Path:
    """A copy of the demo result tree under ``dst`` plus a long table with dates (and ids)."""
    shutil.copytree(DEMO, dst, dirs_exist_ok=True)
    dates = pd.to_datetime(["2018-10-01", "2019-09-30", "2019-02-06", "2020-02-07",
                            "2019-06-19", "2020-05-20"])
    pd.DataFrame({"pid": list(PLANTED_IDS) * 2, "wave": ["T0", "T0", "T1", "T1", "T2", "T2"],
                  "date": dates}).to_parquet(dst / "long.parquet")
    return dst


def stage_io(tree: Path, out: Path) -> StageIO:
    return StageIO(
        inputs=dict(
            findings=str(tree / "findings.csv"),
            tables=sorted(str(p) for p in (tree / "tables").glob("*.csv")),
            attrition=str(tree / "attrition_summary.json"),
            impute=str(tree / "impute_summary.json"),
            long=str(tree / "long.parquet"),
            models=sorted(str(p) for p in (tree / "models").glob("*.lav")),
            figures=sorted(str(p) for p in (tree / "figures").glob("*.svg")),
        ),
        outputs=dict(pdf=str(out / "demo_report.pdf"), html=str(out / "demo_report.html")),
    )


def run_report(tree: Path, out: Path) -> tuple[Path, Path]:
    from pipeline.report import stage

    io = stage_io(tree, out)
    stage.run(demo_config(), io)
    return io.output("pdf"), io.output("html")


@pytest.fixture(scope="session")
def demo_tree(tmp_path_factory) -> Path:
    return make_tree(tmp_path_factory.mktemp("report_tree"))


@pytest.fixture(scope="session")
def built(demo_tree, tmp_path_factory) -> tuple[Path, Path]:
    """(pdf, html) of the demo report, built once per session."""
    return run_report(demo_tree, tmp_path_factory.mktemp("report_out"))


@pytest.fixture(scope="session")
def findings() -> pd.DataFrame:
    return pd.read_csv(DEMO / "findings.csv")


def struct_elems(node, seen=None):
    """Every structure element below ``node`` of a tagged PDF (pikepdf objects, depth first)."""
    import pikepdf

    seen = set() if seen is None else seen
    kids = node.get("/K")
    if kids is None:
        return
    for k in (kids if isinstance(kids, pikepdf.Array) else [kids]):
        if isinstance(k, pikepdf.Dictionary) and "/S" in k and k.objgen not in seen:
            seen.add(k.objgen)
            yield k
            yield from struct_elems(k, seen)
