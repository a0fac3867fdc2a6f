"""Write the controlled demo study to ``data/raw/demo_controlled/``: T0 CSV, T1 Excel, T2 SPSS
.sav (value labels, user-missing -99), the manifest of planted defects and README.md.

Byte-identical for the same seed (and the same pandas, openpyxl and pyreadstat versions): the
only time written into the files is derived from the data (09:00 on the day after the last
completion date), as for the demo (:mod:`pipeline.demo.write`).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from pipeline.demo.controlled_layout import (
    AGREE7_ITEMS,
    COLUMN_LABELS,
    DEFAULT_N,
    DEFAULT_SEED,
    DEFECT_PLAN,
    FILES,
    MANIFEST_FILE,
    SCALE_ITEMS,
)
from pipeline.demo.controlled_params import TRUE_CONTROLLED, ControlledParams
from pipeline.demo.controlled_readme import render_controlled_readme
from pipeline.demo.controlled_simulate import simulate_controlled
from pipeline.demo.export_csv import csv_bytes
from pipeline.demo.export_sav import SavSpec, write_sav
from pipeline.demo.export_xlsx import xlsx_bytes
from pipeline.demo.layout import (
    AGREE7,
    DATE_COLUMN,
    GENDER_LEVELS,
    ID_COLUMN,
    README_FILE,
    REVERSE_ITEMS,
    UCLA3,
    UCLA_ITEMS,
    USER_MISSING_CODE,
    USER_MISSING_LABEL,
)
from pipeline.demo.write import file_stamp

__all__ = ["controlled_sav_spec", "write_controlled"]

FILE_LABEL = "Social Cure controlled demo study, T2 (synthetic)"


def _column_label(scale: str, i: int, item: str) -> str:
    if item in COLUMN_LABELS:
        return COLUMN_LABELS[item]
    rev = " (reverse keyed)" if item in REVERSE_ITEMS else ""
    return f"{scale.replace('_', ' ').capitalize()} item {i}{rev}"


def controlled_sav_spec(frame: pd.DataFrame) -> SavSpec:
    """Value labels (agree 1-7, UCLA 1-3, gender), user-missing -99 (T2 plan), labels,
    measurement levels and formats of the T2 file."""
    labels: dict[str, dict] = {c: {float(i + 1): lab for i, lab in enumerate(AGREE7)}
                               for c in AGREE7_ITEMS}
    labels.update({c: {float(i + 1): lab for i, lab in enumerate(UCLA3)} for c in UCLA_ITEMS})
    labels["gender"] = {float(i + 1): lab for i, lab in enumerate(GENDER_LEVELS)}
    missing: dict[str, list] = {}
    for col, _count in DEFECT_PLAN["T2"].get("user_missing", []):
        labels.setdefault(col, {})[USER_MISSING_CODE] = USER_MISSING_LABEL
        missing[col] = [USER_MISSING_CODE]
    column_labels = {
        ID_COLUMN: "Participant id",
        DATE_COLUMN: "Date questionnaire completed",
        "gender": "Gender",
        "eq_vas": "EQ VAS: your health today (0-100)",
    }
    for scale, items in SCALE_ITEMS.items():
        for i, it in enumerate(items, 1):
            column_labels.setdefault(it, _column_label(scale, i, it))
    measure = {c: "ordinal" for c in AGREE7_ITEMS + UCLA_ITEMS}
    measure.update({"eq_vas": "scale", "gp_visits": "scale", ID_COLUMN: "nominal",
                    "gender": "nominal"})
    fmt = {c: "F1.0" for c in AGREE7_ITEMS + UCLA_ITEMS}
    fmt.update({"eq_vas": "F3.0", "gp_visits": "F2.0", "gender": "F1.0"})
    cols = set(frame.columns)
    return SavSpec(
        value_labels={k: v for k, v in labels.items() if k in cols},
        user_missing=missing,
        column_labels={k: v for k, v in column_labels.items() if k in cols},
        measure={k: v for k, v in measure.items() if k in cols},
        formats={k: v for k, v in fmt.items() if k in cols},
        file_label=FILE_LABEL,
    )


def write_controlled(
    out_dir: str | Path,
    seed: int = DEFAULT_SEED,
    n: int = DEFAULT_N,
    readme: bool = True,
    params: ControlledParams = TRUE_CONTROLLED,
) -> dict[str, Path]:
    """Write the wave files, the defect manifest and (optionally) README.md.

    Returns the paths by key: ``T0``, ``T1``, ``T2``, ``defects`` and ``readme``.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    study = simulate_controlled(seed, n, params)
    paths = {w: out / FILES[w] for w in study.frames}
    stamp = file_stamp(study.frames)
    paths["T0"].write_bytes(csv_bytes(study.frames["T0"]))
    paths["T1"].write_bytes(xlsx_bytes(study.frames["T1"], stamp))
    write_sav(study.frames["T2"], paths["T2"], stamp, controlled_sav_spec(study.frames["T2"]))
    paths["defects"] = out / MANIFEST_FILE
    paths["defects"].write_bytes(csv_bytes(study.defects))
    if readme:
        paths["readme"] = out / README_FILE
        paths["readme"].write_text(render_controlled_readme(study), encoding="utf-8")
    return paths
