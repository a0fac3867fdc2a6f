"""The estimand's outputs of the impute stage when there is no primary estimand.

``missing_data.sensitivity.outcome`` is null and the study's own config does not name one
outcome (the mediation analyses name none, or several): the imputations are still made (the
change wing's MI rows use them), but the primary-estimand table and the tipping point are not
run. Each declared output is still written, saying why, so the findings and the report can
say it too; nothing is guessed (no scale name is built into the code).
"""

from __future__ import annotations

import json
import logging

import pandas as pd

from pipeline.missing_data.imputation import summary_record
from pipeline.missing_data.primary import PRIMARY_COLUMNS
from pipeline.missing_data.settings import MissingDataSettings
from pipeline.stage_io import StageIO
from pipeline.stats.mice import MICEResult
from pipeline.stats.tipping import not_estimable_table
from pipeline.status import Status
from pipeline.tables import write_table

__all__ = ["write_without_estimand"]

log = logging.getLogger("pipeline.missing_data")


def write_without_estimand(io: StageIO, s: MissingDataSettings, result: MICEResult,
                           excluded: dict[str, str], log_table: pd.DataFrame,
                           model_text: str) -> None:
    """Write ``primary``, ``tipping``, the tipping figure and ``summary`` as "not run because
    ``s.sensitivity.skip_reason``"; the summary keeps the imputation's own record."""
    reason, primary = s.sensitivity.skip_reason, s.primary
    log.warning("primary estimand and tipping point not run: %s", reason)
    row = dict.fromkeys(PRIMARY_COLUMNS, float("nan"))
    row.update(method=primary, primary=True, role="primary", stands_in_for="",
               status=Status.NOT_RUN.value, message=reason)
    table = pd.DataFrame([row], columns=PRIMARY_COLUMNS)
    write_table(table, io.output("primary"))
    tipping = not_estimable_table(reason, s.sensitivity.mode)
    tipping["status"] = Status.NOT_RUN.value
    tipping["stands_in_for"] = "" if primary == "mi" else primary
    write_table(tipping, io.output("tipping"))
    from pipeline.missing_data.figures import plot_message  # matplotlib: not in chain jobs

    plot_message(io.member("figures", "sensitivity_tipping_point.png"),
                 "Sensitivity to missing-not-at-random",
                 f"The tipping-point analysis was not run: {reason}.")
    summary = summary_record(result, "", table, excluded, False, {}, "", 0, log_table,
                             model_text)
    summary.update(primary_estimand=None, sensitivity_status=Status.NOT_RUN.value)
    io.output("summary").write_text(
        json.dumps(summary, indent=1, sort_keys=True, default=str) + "\n")
