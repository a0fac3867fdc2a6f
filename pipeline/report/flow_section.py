"""Section 3: participant flow (CONSORT/STROBE-style diagram) and attrition: who stayed and who
left, what was done about it (the missing-data methods) and the tipping-point result.

Counts come from the attrition wing's public tables (already suppressed by
:mod:`pipeline.disclosure`); sentences from its and the missing-data wing's summaries.
"""

from __future__ import annotations

from pipeline.report.alt_text import flow_alt, tipping_alt
from pipeline.report.blocks import figure, method_words, not_estimable
from pipeline.report.inputs import ReportInputs
from pipeline.report.model import Paragraph, Section, Table
from pipeline.report.numfmt import fmt_count, fmt_pct, is_missing

__all__ = ["flow_section"]

_FLOW_COLUMNS = (
    ("responded", "Answered"), ("pct_baseline", "% of entrants"),
    ("lost_since_previous", "Not seen since previous wave"), ("rejoined", "Returned"),
    ("excluded_duplicate", "Excluded: duplicate"), ("excluded_missing_id", "Excluded: no id"),
    ("excluded_not_in_baseline", "Excluded: not at entry"), ("excluded_other", "Excluded: other"),
)


def _flow_table(inp: ReportInputs) -> Table:
    flow = inp.table("attrition_flow_public")
    cols = [(c, h) for c, h in _FLOW_COLUMNS if c in flow.columns]
    rows = []
    for r in flow.to_dict("records"):
        cells = [f"{r['wave']} {r['label']}"]
        for c, _ in cols:
            v = r[c]
            cells.append("" if is_missing(v) else fmt_pct(v) if c == "pct_baseline"
                         else fmt_count(v, inp.min_cell))
        rows.append(tuple(cells))
    counts = tuple(i + 1 for i, (c, _) in enumerate(cols) if c != "pct_baseline")
    return Table(caption="Participant flow by wave (counts below the disclosure threshold are "
                         f"shown as <{inp.min_cell}; [c] marks a cell hidden so that a small one "
                         "cannot be worked out)",
                 header=("Wave",) + tuple(h for _, h in cols), rows=tuple(rows),
                 key="flow_table", counts=counts, widths=(2.2,) + (1,) * len(cols))


def _handling(inp: ReportInputs) -> list:
    blocks: list = []
    imp = inp.summaries.get("impute") or {}
    primary = inp.table("missing_data_primary")
    if primary is not None and "primary" in primary.columns:
        p = primary[primary["primary"].astype(str) == "True"]
        if not p.empty:
            blocks.append(Paragraph(
                f"The main results use {method_words(p['method'].iloc[0])} for missing "
                "answers; the other methods are shown beside them as sensitivity analyses. "
                + (str(imp.get("method")) + "." if imp.get("method") else ""),
                strong_lead="What was done about it."))
    mcar = inp.table("attrition_mcar")
    if mcar is not None and not is_missing(mcar["message"].iloc[0]):
        blocks.append(Paragraph(str(mcar["message"].iloc[0])))
    tip = inp.table("sensitivity_tipping_point")
    if imp.get("sensitivity_status") == "ok" and tip is not None:
        blocks.append(Paragraph(str(imp.get("tipping_sentence", "")),
                                strong_lead="How robust is this to people who left?"))
        blocks.append(figure("sensitivity_tipping_point", inp.figure("sensitivity_tipping_point"),
                             "Tipping-point analysis for the main outcome",
                             tipping_alt(tip, "points")))
    else:
        blocks.append(not_estimable("Tipping-point analysis", str(
            imp.get("primary_message") or "the missing-data stage gave no sensitivity result")))
    return blocks


def flow_section(inp: ReportInputs) -> Section:
    """Participant flow diagram, the flow table, retained vs lost, handling and tipping point."""
    flow = inp.table("attrition_flow_public")
    if flow is None:
        return Section("flow", "Participant flow and attrition", (not_estimable(
            "Participant flow", "the attrition stage produced no flow table"),
            *_handling(inp)))
    part = inp.findings_of("participation")["sentence"].dropna()
    blocks: list = [Paragraph(" ".join(map(str, part)))] if not part.empty else []
    blocks += [
        figure("attrition_flow", inp.figure("attrition_flow"), "Participant flow",
               flow_alt(flow, inp.min_cell)),
        _flow_table(inp),
    ]
    sentence = (inp.summaries.get("attrition") or {}).get("sentence")
    blocks.append(Paragraph(str(sentence) if sentence else
                            "No comparison of those who stayed with those who left was made.",
                            strong_lead="Who stayed and who left."))
    blocks += _handling(inp)
    return Section("flow", "Participant flow and attrition", tuple(blocks))
