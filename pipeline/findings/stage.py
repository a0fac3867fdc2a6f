"""Findings stage: read the wings' declared tables, write findings.csv and findings_public.csv.

Every input is optional for the stage (the rule declares only the tables their wings
produce); a missing input gives rows with status ``not_estimable`` saying which table.
"""

from __future__ import annotations

import json
import logging

import pandas as pd

from pipeline.config import Config
from pipeline.findings.analysis import build_findings
from pipeline.findings.public import public_findings
from pipeline.findings.settings import FindingsSettings, from_config
from pipeline.stage_io import StageIO
from pipeline.tables import write_table

log = logging.getLogger("pipeline.findings")

TABLES = ("change", "md_primary", "tipping", "mediation", "mediation_status", "crosslag",
          "crosslag_status", "flow", "flow_public", "baseline", "healthcare_change",
          "healthcare_mediation", "healthcare_sentences", "healthcare_comparison", "comparison",
          "comparison_sentences", "comparison_mediation_test", "comparison_crosslag_test",
          "moderation", "moderation_slopes", "moderation_jn", "moderation_status")

# inputs a running stage declares only when configured (no warning when absent)
OPTIONAL = frozenset({"comparison_mediation_test", "comparison_crosslag_test",
                      "healthcare_comparison"})


# the stage whose rule declares each input (an input of a stage that does not run is absent)
SOURCE = {"change": "change", "baseline": "change", "md_primary": "impute", "tipping": "impute",
          "mediation": "mediation", "mediation_status": "mediation", "crosslag": "crosslag",
          "crosslag_status": "crosslag", "flow": "attrition", "flow_public": "attrition",
          "healthcare_change": "healthcare", "healthcare_mediation": "healthcare",
          "healthcare_sentences": "healthcare", "healthcare_comparison": "healthcare",
          "comparison": "comparison",
          "comparison_sentences": "comparison", "comparison_mediation_test": "comparison",
          "comparison_crosslag_test": "comparison", "moderation": "moderation",
          "moderation_slopes": "moderation", "moderation_jn": "moderation",
          "moderation_status": "moderation"}


def _read(io: StageIO, name: str, s: FindingsSettings) -> pd.DataFrame | None:
    if name not in io.inputs:
        if s.runs(SOURCE[name]) and name not in OPTIONAL:
            log.warning("findings: input '%s' is not declared by the rule; its rows are "
                        "not_estimable", name)
        return None
    try:
        return pd.read_csv(io.input(name), keep_default_na=True)
    except pd.errors.EmptyDataError:  # an empty file: a table without rows (or columns)
        return pd.DataFrame()


def run(cfg: Config, io: StageIO) -> None:
    s = from_config(cfg)
    tables = {name: _read(io, name, s) for name in TABLES}
    summary = (json.loads(io.input("summary").read_text(encoding="utf-8"))
               if "summary" in io.inputs else {})
    table = build_findings(tables, summary, s)
    write_table(table, io.output("table"))
    write_table(public_findings(table, s.min_cell, tables["flow_public"],
                                {k: w.score for k, w in s.scales.items()}), io.output("public"))
    log.info("findings: %d rows (%d primary)", len(table), int((table["role"] == "primary").sum()))
