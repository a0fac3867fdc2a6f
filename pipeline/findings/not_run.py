"""Findings rows of the analyses that did not run: one row each, with the reason in words.

An analysis does not run when it is switched off in the config (``<section>.enabled: false``),
has nothing configured (no mediation analyses) or waits for a wave the study has not configured
yet (:mod:`pipeline.plan`; e.g. change with only the entry wave). These are not failures of the
data, so they are not ``not_estimable``: their status is ``waits_for_data`` or ``not_run`` and
the sentence says what the reader will see later ("Change over time: waits for a second wave
(change is measured from entry to a follow-up wave)."). The report prints them as they are.
"""

from __future__ import annotations

from pipeline.findings.settings import FindingsSettings, InactiveAnalysis
from pipeline.findings.table import finding_row

__all__ = ["KIND", "not_run_rows", "not_run_sentence", "TIPPING_TITLE"]

KIND = "not_run"


def not_run_sentence(a: InactiveAnalysis) -> str:
    """"<Title>: <reason>." with the reason's first letter as written."""
    reason = a.reason.strip().rstrip(".")
    return f"{a.title}: {reason}."


TIPPING_TITLE = "Sensitivity to missing-not-at-random (tipping point)"


def _inactive(s: FindingsSettings) -> list[InactiveAnalysis]:
    """The analyses that do not run, plus the tipping point when the impute stage runs without
    a primary estimand (no outcome configured or derivable: the reason says which key)."""
    out = list(s.not_running)
    if s.runs("impute") and s.tipping_skip:
        out.append(InactiveAnalysis("tipping", TIPPING_TITLE, "not_run", s.tipping_skip))
    return out


def not_run_rows(s: FindingsSettings) -> list[dict]:
    """One row per analysis that does not run: ``finding_id`` ``not_run.<stage>`` with
    ``analysis`` = the stage for a whole stage; ``not_run.<stage>.<name>`` with ``analysis`` =
    the name and ``term`` = the stage for one analysis of a stage that runs (a mediation chain
    waiting for a third wave)."""
    return [finding_row(finding_id=f"{KIND}.{a.stage}" + (f".{a.analysis}" if a.analysis else ""),
                        kind=KIND, role="primary",
                        question=f"{a.title}: what does this evaluation report?",
                        analysis=a.analysis or a.stage, term=a.stage if a.analysis else "",
                        method="", evidence="", status=a.status,
                        message=a.reason, sentence=not_run_sentence(a),
                        headline=not_run_sentence(a))
            for a in _inactive(s)]
