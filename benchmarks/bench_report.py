"""Benchmark: the report rule on the demo study (target: <= 5 s on two cores).

Run from the project root:  .venv/bin/python benchmarks/bench_report.py [--results DIR]
                            [--repeat 3]
Times what the rule runs: a fresh Python process that loads the configuration, imports the
report wing, reads the inputs, builds the content model, compiles the PDF/UA-1 with Typst and
writes the HTML (wall clock, best of ``--repeat``); and, in-process, build / PDF / HTML apart.
Inputs: ``DIR`` (default results/demo/, after a demo run) if it holds tables/findings.csv, else the
committed demo result tree in tests/fixtures/report/demo.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from glob import glob
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.config import load_config  # noqa: E402 (after the sys.path insert)
from pipeline.stage_io import StageIO  # noqa: E402

FIXTURE = ROOT / "tests" / "fixtures" / "report" / "demo"
TABLES = ("attrition_flow_public attrition_mcar change_means change_status "
          "change_rci_shares_public mediation_estimates mediation_status crosslag_lagged_effects "
          "crosslag_status crosslag_fit crosslag_comparison reliability data_quality "
          "missing_data_primary sensitivity_tipping_point").split()


def io_for(results: Path, out: Path) -> dict:
    """The rule's --io JSON for a results tree (or the committed fixture tree)."""
    if (results / "tables" / "findings.csv").exists():
        t, figs = results / "tables", results / "figures"
        extra = dict(attrition=str(results / "attrition/summary.json"),
                     impute=str(results / "imputed/summary.json"),
                     long=str(results / "clean/long.parquet"),
                     models=sorted(glob(str(results / "models/*.lav"))))
        findings = t / "findings.csv"
    else:
        t, figs = FIXTURE / "tables", FIXTURE / "figures"
        extra = dict(attrition=str(FIXTURE / "attrition_summary.json"),
                     impute=str(FIXTURE / "impute_summary.json"),
                     models=sorted(glob(str(FIXTURE / "models/*.lav"))))
        findings = FIXTURE / "findings.csv"
    return {"input": dict(findings=str(findings), tables=[str(t / f"{n}.csv") for n in TABLES],
                          figures=sorted(glob(str(figs / "*.svg"))), **extra),
            "output": dict(pdf=str(out / "bench_report.pdf"), html=str(out / "bench_report.html")),
            "wildcards": {}}


SNIPPET = """
import sys, json
from pipeline.config import load_config
from pipeline.stage_io import StageIO
from pipeline.report import stage
stage.run(load_config(sys.argv[1], sys.argv[2]), StageIO.from_json(sys.argv[3]))
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--results", type=Path, default=ROOT / "results" / "demo")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        io = io_for(args.results, Path(tmp))
        cmd = [sys.executable, "-c", SNIPPET, str(ROOT / "config" / "studies" / "demo.yaml"),
               str(ROOT), json.dumps(io)]
        walls = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            subprocess.run(cmd, check=True, cwd=ROOT)
            walls.append(time.perf_counter() - t0)
        from pipeline.report.build import build_report
        from pipeline.report.html_render import to_html
        from pipeline.report.settings import from_config
        from pipeline.report.stage import gather
        from pipeline.report.typst_render import compile_pdf

        cfg = load_config(ROOT / "config" / "studies" / "demo.yaml", ROOT)
        settings, sio = from_config(cfg), StageIO.from_json(json.dumps(io))
        t0 = time.perf_counter()
        rep = build_report(gather(cfg, sio), settings, ROOT)
        t1 = time.perf_counter()
        compile_pdf(rep, settings.template_path(ROOT))
        t2 = time.perf_counter()
        to_html(rep)
        t3 = time.perf_counter()
        size = Path(io["output"]["pdf"]).stat().st_size
    src = "results/demo/" if "results" in io["input"]["findings"] and FIXTURE.name not in \
        io["input"]["findings"] else "tests/fixtures/report/demo"
    print(f"report rule on the demo study ({src}): best of {args.repeat} = {min(walls):.2f} s "
          f"wall clock (fresh process; target <= 5 s)")
    print(f"  in-process: read + build {t1 - t0:.2f} s, Typst PDF/UA-1 {t2 - t1:.2f} s, "
          f"HTML {t3 - t2:.2f} s; PDF {size / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
