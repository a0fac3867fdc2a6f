"""Build the findings table from the wings' declared tables (plain DataFrames in, one out).

Order of rows: participation per wave; change per construct and follow-up wave (primary, then
sensitivity rows, then the tipping-point row of the tipping outcome); per mediation chain the
total, direct, total indirect and serial effects; the headline cross-lagged paths (and the
CLPM's beside them). Then agreement (:mod:`~pipeline.findings.agreement`), the question,
estimand and sentence of every row (:mod:`~pipeline.findings.sentences`) and its short
headline (:mod:`~pipeline.findings.headlines`). Last, one row per analysis that does not run
(switched off, or waiting for a wave: :mod:`~pipeline.findings.not_run`), with the reason.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import pandas as pd

from pipeline.findings.agreement import apply_agreement, claim_id
from pipeline.findings.change import change_findings, not_available_rows, topup_from_missing_data
from pipeline.findings.comparison import comparison_findings
from pipeline.findings.comparison_mechanisms import mechanism_findings
from pipeline.findings.crosslag import crosslag_findings
from pipeline.findings.headlines import headline
from pipeline.findings.healthcare import healthcare_findings
from pipeline.findings.mediation import mediation_findings
from pipeline.findings.moderation import moderation_findings
from pipeline.findings.not_run import not_run_rows
from pipeline.findings.participation import participation_findings
from pipeline.findings.public import count_texts
from pipeline.findings.robustness import tipping_result, tipping_row
from pipeline.findings.sentences import describe_row, sentence
from pipeline.findings.settings import FindingsSettings
from pipeline.findings.table import frame, missing_columns

__all__ = ["build_findings", "baseline_sds"]


def baseline_sds(change: pd.DataFrame | None, descriptives: pd.DataFrame | None = None,
                 baseline: str = "T0") -> dict[str, float]:
    """construct -> baseline SD: the change table's ``baseline_sd``, else the SD of
    ``<construct>_<baseline>`` in the change wing's baseline descriptives (group ``baseline``)."""
    out: dict[str, float] = {}
    if descriptives is not None and not missing_columns(descriptives, ["variable", "sd"]):
        d = descriptives
        if "group" in d.columns:
            d = d[d["group"].astype(str) == "baseline"]
        sd = pd.to_numeric(d["sd"], errors="coerce")
        suffix = f"_{baseline}"
        out.update({str(c)[: -len(suffix)]: float(v)
                    for c, v in sd.groupby(d["variable"]).first().items()
                    if str(c).endswith(suffix) and math.isfinite(v) and v > 0})
    if change is not None and not missing_columns(change, ["construct", "baseline_sd"]):
        sd = pd.to_numeric(change["baseline_sd"], errors="coerce")
        out.update({str(c): float(v) for c, v in sd.groupby(change["construct"]).first().items()
                    if math.isfinite(v) and v > 0})
    return out


def build_findings(tables: Mapping[str, pd.DataFrame | None], summary: Mapping | None,
                   s: FindingsSettings) -> pd.DataFrame:
    """The findings table. ``tables`` by input name (None: not available): ``change``,
    ``md_primary``, ``tipping``, ``mediation``, ``mediation_status``, ``crosslag``,
    ``crosslag_status``, ``flow``, ``flow_public``, ``baseline`` (descriptives);
    ``summary``: imputed/summary.json."""
    t = lambda k: tables.get(k)  # noqa: E731
    change = topup_from_missing_data(t("change"), t("md_primary"), s)
    sds = baseline_sds(change, t("baseline"), s.baseline.id)
    tip = tipping_result(t("tipping"), summary, sds, s)
    rows = participation_findings(t("flow"), t("flow_public"), s) if s.runs("attrition") else []
    if not s.runs("change"):
        pass  # a not_run row says why (below)
    elif change is None:
        rows += not_available_rows(s, "change_primary.csv was not produced by the change rule")
    else:
        rows += change_findings(change, s, {(s.tipping_outcome, s.tipping_wave): tip["fragile"]})
    if s.runs("comparison"):
        rows += comparison_findings(
            t("comparison"), t("comparison_sentences"), randomised=s.comparison_randomised,
            labels={k: sc.label for k, sc in s.scales.items()},
            wave_labels={w.id: w.phrase for w in s.waves})
    if s.tipping_wave and s.runs("impute") and s.runs("change"):
        tr = tipping_row(tip, s)
        same = [i for i, r in enumerate(rows) if claim_id(r["finding_id"]) ==
                claim_id(tr["finding_id"])]
        rows.insert(same[-1] + 1 if same else len(rows), tr)
    rows += mediation_findings(t("mediation"), t("mediation_status"), s, sds)
    if s.runs("crosslag"):
        rows += crosslag_findings(t("crosslag"), t("crosslag_status"), s)
    if s.runs("moderation"):
        rows += moderation_findings(t("moderation"), t("moderation_slopes"), t("moderation_jn"),
                                    t("moderation_status"), s, sds)
    apply_agreement(rows, keep=lambda r: r["method"] != "mi_delta_adjusted")
    own = len(rows)  # the rows below carry their own grade, agreement and words
    rows += healthcare_findings(t("healthcare_change"), t("healthcare_mediation"),
                                t("healthcare_sentences"), s, t("healthcare_comparison"))
    if s.runs("comparison"):  # the by-arm mechanism tests: the wing's own words, no estimate
        rows += mechanism_findings(t("comparison_mediation_test"),
                                   t("comparison_crosslag_test"), t("comparison_sentences"))
    for r, shown in zip(rows, count_texts(rows, s.min_cell, t("flow_public"))):
        r["_shown_counts"] = shown  # the counts as findings_public.csv prints them
    primaries = {r["finding_id"]: r for r in rows[:own] if r["role"] == "primary"}
    for r in rows[:own]:
        p = primaries.get(r.get("_claim") or claim_id(r["finding_id"]))
        if r["method"] == "mi_delta_adjusted" and p is not None and r["status"] == "ok":
            r["evidence"] = p["evidence"]
        q, e = (("", "") if r["kind"] == "comparison" else
                describe_row(r if r["role"] == "primary" or p is None else {**r}, s))
        r["question"] = r["question"] or q
        r["estimand"] = r["estimand"] or e
        own_words = r["kind"] == "comparison" and r["sentence"]  # the wing's own sentence
        r["sentence"] = r["sentence"] if own_words else sentence(r, p, s, {"tipping": tip})
        r["headline"] = (r["sentence"] if own_words else headline(r, p, s)) if r["sentence"] \
            else ""
    return frame(rows + not_run_rows(s))
