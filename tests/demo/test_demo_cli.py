"""python -m pipeline.demo: writes the files and prints their digests."""

from __future__ import annotations

import subprocess
import sys

import pipeline.demo as demo
from pipeline.demo.__main__ import main


def test_main_writes_files_without_readme(tmp_path, capsys):
    assert main(["--out", str(tmp_path), "--seed", "7", "--n", "120", "--no-readme"]) == 0
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == sorted([*demo.FILES.values(), "demo_planted_defects.csv"])
    out = capsys.readouterr().out
    assert out.count("sha256:") == 4 and "readme" not in out


def test_module_entry_point_help():
    proc = subprocess.run(
        [sys.executable, "-m", "pipeline.demo", "--help"], capture_output=True, text=True
    )
    assert proc.returncode == 0 and "--seed" in proc.stdout
