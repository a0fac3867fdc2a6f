"""Clean stage: cross-wave checks, cleaning, linking, scoring, reliability and the QC trail."""

from __future__ import annotations

import json
import logging

import pandas as pd

from pipeline.clean.settings import from_config
from pipeline.clean.study import clean_study
from pipeline.config import Config
from pipeline.stage_io import StageIO
from pipeline.tables import write_parquet, write_table

log = logging.getLogger("pipeline.clean")


def run(cfg: Config, io: StageIO) -> None:
    s = from_config(cfg)
    waves = s.wave_ids
    raw = {w: pd.read_parquet(p) for w, p in zip(waves, io.inputs_of("data"), strict=True)}
    read_logs = [pd.read_csv(p, dtype=object) for p in io.inputs_of("logs")]
    metas = {w: json.loads(p.read_text(encoding="utf-8"))
             for w, p in zip(waves, io.inputs_of("meta"), strict=True)}
    rows_read = {w: int(m["n_rows_read"]) for w, m in metas.items()}
    value_labels = {w: m.get("value_labels") or {} for w, m in metas.items()}
    wave_paths = dict(zip(waves, io.inputs_of("waves"), strict=True))
    out = clean_study(s, raw, read_logs, rows_read, salt=cfg.salt, wave_paths=wave_paths,
                      value_labels=value_labels, listings=s.group_listings,
                      qc_path=str(io.output("qc")))
    write_parquet(out.long, io.output("long"))
    write_parquet(out.wide, io.output("wide"))
    write_table(out.qc, io.output("qc"))
    write_table(out.quality, io.output("quality"))
    write_table(out.reliability, io.output("reliability"))
    log.info("clean data: %d participants at baseline; %d QC log rows", len(out.wide), len(out.qc))
