"""Section 3: participant flow (CONSORT/STROBE-style diagram) and attrition: who stayed and who
left, what was done about it (the missing-data methods) and the tipping-point result.

Counts come from the attrition wing's public tables (already suppressed by
:mod:`pipeline.disclosure`); sentences from its and the missing-data wing's summaries.
"""

from __future__ import annotations

import re

import pandas as pd

from pipeline.report.alt_text import flow_alt, tipping_alt
from pipeline.report.blocks import figure, method_words, not_estimable, not_run
from pipeline.report.entry_characteristics import characteristics_table
from pipeline.report.inputs import ReportInputs
from pipeline.report.model import Paragraph, Section, Table
from pipeline.report.numfmt import fmt_count, fmt_pct, is_missing

__all__ = ["flow_section"]

_FLOW_COLUMNS = (
    ("responded", "Answered"), ("pct_baseline", "% of entrants"),
    ("lost_since_previous", "Not seen since previous wave"), ("rejoined", "Returned"),
    # rows removed in cleaning, by reason (the caption says so; short headers fit the columns)
    ("excluded_by_rule", "By the study's rules"), ("excluded_no_answers", "No answers"),
    ("excluded_duplicate", "Duplicate"), ("excluded_missing_id", "No id"),
    ("excluded_not_in_baseline", "Not at entry"), ("excluded_other", "Other reason"),
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
                         "cannot be worked out; the columns after 'Returned' count rows removed "
                         "in cleaning, by reason)",
                 header=("Wave",) + tuple(h for _, h in cols), rows=tuple(rows),
                 key="flow_table", counts=counts, widths=(2.2,) + (1,) * len(cols))


#: what each way of handling missing answers does, in a funder's words (the technical
#: description, with its references, is in the technical appendix)
METHOD_PLAIN = {
    "fiml": "uses every answer each person gave, so people who missed a later survey still "
            "count",
    "mi": "fills in each missing answer many times from the answers of similar people and "
          "combines the results (multiple imputation)",
    "ipw": "gives more weight to the people who stayed who most resemble those who left "
           "(weighting)",
    "complete_case": "uses only the people who answered at both waves (complete cases)",
}


def _methods_paragraph(primary) -> Paragraph | None:
    """The primary missing-data method and the others beside it, each in plain words."""
    if primary is None or not {"primary", "method"} <= set(primary.columns):
        return None
    p = primary[primary["primary"].astype(str) == "True"]
    if p.empty:
        return None
    main = str(p["method"].iloc[0])
    what = METHOD_PLAIN.get(main)
    text = (f"The main results use {method_words(main)} for missing answers"
            + (f": it {what}." if what else "."))
    others = [METHOD_PLAIN.get(m, method_words(m)) for m in
              dict.fromkeys(primary["method"].astype(str)) if m != main]
    if others:
        text += (" The other methods are shown beside them as checks (sensitivity analyses): "
                 "one " + "; one ".join(others) + ".")
    return Paragraph(text, strong_lead="What was done about it.")


def _mcar_plain(mcar) -> str:
    """Little's test in plain words after its statistics (p below or above 0.05)."""
    p = pd.to_numeric(mcar["pvalue"], errors="coerce").iloc[0] if "pvalue" in mcar else None
    if p is None or is_missing(p):
        return ""
    if p < 0.05:
        return (" In plain words: who answered the follow-up surveys was probably not purely a "
                "matter of chance, so the methods above matter; they allow for it as far as "
                "the answers people did give explain it.")
    return (" In plain words: the test found no sign that who answered depended on the "
            "measures, which does not show that it did not.")


def _handling(inp: ReportInputs) -> list:
    blocks: list = []
    imp = inp.summaries.get("impute") or {}
    methods = _methods_paragraph(inp.table("missing_data_primary"))
    if methods is not None:
        blocks.append(methods)
    mcar = inp.table("attrition_mcar")
    if mcar is not None and not is_missing(mcar["message"].iloc[0]):
        # why the test failed names analyst details (rows, variables; "on the 2 rows where
        # both are answered" is a count below the disclosure threshold): the analyst table
        # keeps them; funders read that it could not be computed
        ok = "status" not in mcar.columns or str(mcar["status"].iloc[0]) == "ok"
        blocks.append(Paragraph(str(mcar["message"].iloc[0]) + _mcar_plain(mcar) if ok else
                                "Little's MCAR test could not be computed from these data."))
    tip = inp.table("sensitivity_tipping_point")
    if imp.get("sensitivity_status") == "ok" and tip is not None:
        blocks.append(Paragraph(str(imp.get("tipping_sentence", "")),
                                strong_lead="How robust is this to people who left?"))
        blocks.append(figure("sensitivity_tipping_point", inp.figure("sensitivity_tipping_point"),
                             "Tipping-point analysis for the main outcome",
                             tipping_alt(tip, "points")))
    elif imp.get("sensitivity_status") == "not_run":
        blocks += not_run(inp.findings, ("tipping",))
    else:
        blocks.append(not_estimable("Tipping-point analysis", str(
            imp.get("primary_message") or "the missing-data stage gave no sensitivity result")))
    return blocks


def _entry(inp: ReportInputs) -> list:
    """Who entered, from the baseline descriptives (public copy), when there is no flow table
    (one wave): the number of people at entry, suppressed when small."""
    base = inp.table("descriptives_baseline_public")
    if base is None or not {"group", "variable", "count"} <= set(base.columns):
        return []
    b = base[(base["group"].astype(str) == "baseline")
             & (base["variable"].astype(str) == "participants")]
    if b.empty:
        return []
    n, wave = b["count"].iloc[0], inp.waves[0]
    return [Paragraph(f"{fmt_count(n, inp.min_cell)} people answered the first survey "
                      f"({wave.id}, {wave.label}).")]


def joined_participation(sentences) -> str:
    """The participation findings' sentences as one paragraph, the entrants named once: a
    later wave's "Of the 630 people who entered, ..." says "Of these 630, ..." (a funder-eyed
    read found the phrase twice in a row)."""
    out, seen = [], set()
    for s in sentences:
        m = re.match(r"Of the (\S+) people who entered, ", s)
        if m and m.group(1) in seen:
            s = f"Of these {m.group(1)}, " + s[m.end():]
        elif m:
            seen.add(m.group(1))
        out.append(s)
    return " ".join(out)


def flow_section(inp: ReportInputs) -> Section:
    """Participant flow diagram, the flow table, retained vs lost, handling and tipping point.
    Analyses that did not run (one wave; switched off) are said so, in the findings' words."""
    waiting = not_run(inp.findings, ("attrition", "impute"))
    flow = inp.table("attrition_flow_public")
    who = characteristics_table(inp, scales=flow is not None)  # one wave: scores in change
    joined = [who] if who is not None else []
    if flow is None and waiting:
        return Section("flow", "Participant flow and attrition",
                       tuple(_entry(inp) + joined + waiting))
    if flow is None:
        return Section("flow", "Participant flow and attrition", (not_estimable(
            "Participant flow", "the attrition stage produced no flow table"),
            *_handling(inp)))
    part = inp.findings_of("participation")["sentence"].dropna()
    blocks: list = [Paragraph(joined_participation(map(str, part)))] if not part.empty else []
    blocks += [
        figure("attrition_flow", inp.figure("attrition_flow"), "Participant flow",
               flow_alt(flow, inp.min_cell)),
        _flow_table(inp),
        *joined,
    ]
    summary = inp.summaries.get("attrition") or {}  # the numbers were said above: no repeat
    sentence = summary.get("comparison", summary.get("sentence"))
    blocks.append(Paragraph(str(sentence) if sentence else
                            "No comparison of those who stayed with those who left was made.",
                            strong_lead="Who stayed and who left."))
    blocks += _handling(inp) if not waiting else waiting
    return Section("flow", "Participant flow and attrition", tuple(blocks))
