"""Write the demo study: the three wave files named in ``config/config.yaml`` (T0 CSV, T1 XLSX,
T2 SPSS .sav), the manifest of planted defects and README.md. Byte-identical for the same seed
(and the same pandas, openpyxl and pyreadstat versions): the only time written into the files
is a stamp derived from the data (09:00 on the day after the last completion date)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from pipeline.demo.export_csv import csv_bytes
from pipeline.demo.export_sav import write_sav
from pipeline.demo.export_xlsx import xlsx_bytes
from pipeline.demo.layout import (
    DATE_COLUMN,
    DEFAULT_N,
    DEFAULT_SEED,
    FILES,
    MANIFEST_FILE,
    README_FILE,
    WAVES,
)
from pipeline.demo.readme import render_readme
from pipeline.demo.simulate import simulate_demo

__all__ = ["write_demo", "file_stamp"]


def file_stamp(frames: dict[str, pd.DataFrame]) -> dt.datetime:
    """09:00 on the day after the last completion date in any wave (the files' write time)."""
    last = max(d for f in frames.values() for d in pd.to_datetime(f[DATE_COLUMN]).dropna())
    return dt.datetime.combine((last + pd.Timedelta(days=1)).date(), dt.time(9, 0, 0))


def write_demo(
    out_dir: str | Path, seed: int = DEFAULT_SEED, n: int = DEFAULT_N, readme: bool = True
) -> dict[str, Path]:
    """Write the three wave files, the defect manifest and (optionally) README.md to ``out_dir``.

    Returns the paths by key: ``T0``, ``T1``, ``T2``, ``defects`` and ``readme``.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    study = simulate_demo(seed, n)
    paths = {w: out / FILES[w] for w in WAVES}
    stamp = file_stamp(study.frames)
    paths["T0"].write_bytes(csv_bytes(study.frames["T0"]))
    paths["T1"].write_bytes(xlsx_bytes(study.frames["T1"], stamp))
    write_sav(study.frames["T2"], paths["T2"], stamp)
    paths["defects"] = out / MANIFEST_FILE
    paths["defects"].write_bytes(csv_bytes(study.defects))
    if readme:
        paths["readme"] = out / README_FILE
        paths["readme"].write_text(render_readme(study), encoding="utf-8")
    return paths
