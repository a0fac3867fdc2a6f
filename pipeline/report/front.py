"""Title page and the one-page summary for funders.

The summary is the findings table's headlines (primary rows: one short line each, built by the
findings wing from the same fields as the full sentence), grouped by the four questions a
funder asks, each with its certainty in words (GRADE guidance 26: Santesso et al. 2020, J Clin
Epidemiol 119:126) and closed by what the design cannot tell, generated from the caveat codes.
"""

from __future__ import annotations

import re

import pandas as pd

from pipeline.report.blocks import not_run
from pipeline.report.inputs import ReportInputs
from pipeline.report.model import Bullets, Notice, Paragraph, Section, Table
from pipeline.report.numfmt import is_missing

__all__ = ["lead_sentence", "headline_of", "EVIDENCE_WORDS", "CAVEAT_WORDS", "title_meta",
           "summary_section", "caveat_bullets", "MAX_PATHS"]

EVIDENCE_WORDS = {
    "clear": "Clear",
    "likely": "Likely",
    "may": "May",
    "no_clear": "No clear evidence",
    "not_estimable": "Not estimable",
}

# what each caveat code means for a reader; the order is the order printed
CAVEAT_WORDS = {
    "single_group": "Everyone in the evaluation joined the programme: there is no group who did "
                    "not, so changes over time cannot be attributed to the programme itself.",
    "no_comparison": "There is no comparison with similar people outside the programme.",
    "non_randomised": "People were not randomised to the programme or the comparison group: "
                      "the comparison accounts for measured differences between the groups "
                      "only, not for differences nobody measured.",
    # (not "those who stayed differed": a study too small to compare them said so too; the
    # flow section says how they differed when they could be compared)
    "attrition": "Many people did not answer the follow-up surveys, so later results rest on "
                 "fewer people (see Participant flow).",
    "mar_assumption": "Results assume that people who left resembled similar people who stayed "
                      "(data missing at random); this cannot be checked from the data.",
    "fragile_to_mnar": "A modest difference between leavers and stayers would change the "
                       "conclusion (see the tipping-point analysis).",
    "concurrent_mediators": "The suggested mechanisms were measured at the same time as the "
                            "outcome, so their order in time is assumed, not observed.",
    "clpm_confounds_stable_differences": "The classic cross-lagged model mixes stable "
                                         "differences between people with change within people.",
    "exploratory": "Some analyses are exploratory (few people at the last wave or few degrees of "
                   "freedom).",
    "small_n": "Few people answered the last survey, so later estimates are imprecise.",
    "method_disagrees": "Different ways of handling missing answers did not agree on every "
                        "result (see the sensitivity rows).",
    "holm_adjusted": "",  # a technical note, not a limitation
}

MAX_PATHS = 4  # cross-lagged paths listed one by one in the summary; more are counted

_GROUPS = (
    ("participation", "Who took part and how many stayed"),
    ("comparison", "Compared with the comparison group: the difference in change"),
    ("change", "What changed"),
    ("mechanism", "What the mechanism analyses suggest, and how sure we can be"),
)


# the analyses (stages) behind each question of the summary: said when they did not run
_GROUP_STAGES = {"participation": ("attrition",), "comparison": ("comparison",),
                 "change": ("change",),
                 "mechanism": ("mediation", "crosslag")}



#: the evidence words in plain language (pipeline.wording.evidence_grade: the interval, then
#: the design and fragility caveats); a funder-eyed read found them used but never defined
HOW_SURE = ("\u201cHow sure\u201d: clear = the CI leaves out zero (no change) and no caveat "
            "applies; likely = it leaves out zero, but the design leaves room for other "
            "explanations (one group, people lost); may = it leaves out zero, but the result "
            "is fragile (few people observed, another way of handling missing answers points "
            "the other way, or a small departure from \u2018missing at random\u2019 would "
            "change it); no clear evidence = the CI includes zero, which is not evidence of no "
            "change.")

#: after the key when the summary shows a cross-lagged path graded by its Holm-adjusted p
HOW_SURE_HOLM = " For cross-lagged paths a p-value adjusted for several tests (Holm) decides."


def _holm_shown(inp: ReportInputs) -> bool:
    f = inp.findings[(inp.findings["role"] == "primary") & (inp.findings["kind"] == "crosslag")]
    return bool(f["caveats"].fillna("").astype(str).str.contains("holm_adjusted").any())


#: said instead of the single_group and no_comparison bullets when both apply (one thought)
NO_COMPARISON_AT_ALL = ("Everyone in the evaluation joined the programme and there is no "
                        "comparison with similar people outside it, so changes over time cannot "
                        "be attributed to the programme itself.")


_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")


def month_of(iso_date: str) -> str:
    """"2019-06-19" -> "June 2019": the title page gives the months the answers came in, not
    the days of the first and last person's answers."""
    try:
        t = pd.Timestamp(iso_date)
    except (TypeError, ValueError):
        return str(iso_date)
    if pd.isna(t):
        return str(iso_date)
    return f"{_MONTHS[t.month - 1]} {t.year}"  # not strftime("%B"): the locale would change it


def title_meta(inp: ReportInputs, date: str | None, organisation: str | None, programme: str,
               config_hash: str) -> tuple[tuple[str, str], ...]:
    """Title-page rows: programme, organisation, waves with their dates, date (none: no row),
    versions, hash."""
    waves = "; ".join(f"{w.id} {w.label}" + (f" ({month_of(w.first)} to {month_of(w.last)})"
                                             if w.first else "") for w in inp.waves)
    rows = [("Programme", programme)]
    if organisation:
        rows.append(("Organisation", organisation))
    rows += [("Waves covered", waves), *([("Report date", date)] if date else []),
             ("Software", ", ".join(f"{k} {v}" for k, v in inp.software)),
             ("Configuration hash", config_hash)]
    return tuple(rows)


def lead_sentence(text: object) -> str:
    """The first sentence of a finding's sentence: the claim with its numbers (the caveats that
    follow are summarised under "What this evaluation cannot tell" and printed in full in the
    sections)."""
    parts = re.split(r"(?<=[.!?])\s+(?=[A-Z])", str(text).strip(), maxsplit=1)
    return parts[0]


def headline_of(row: object) -> str:
    """A finding's headline (the findings table's short line); a findings table from before the
    ``headline`` column falls back to the first sentence of its sentence."""
    h = getattr(row, "headline", "")
    if not is_missing(h) and str(h).strip():
        return str(h).strip()
    s = getattr(row, "sentence", "")
    return "" if is_missing(s) else lead_sentence(s)


def _sure(evidence: object) -> str:
    return EVIDENCE_WORDS.get(str(evidence), str(evidence))


def _found_rows(f: pd.DataFrame) -> tuple[tuple[str, str], ...]:
    """(headline, how sure); a participation count is counted, not estimated."""
    return tuple((h, "Counted" if r.kind == "participation" and r.evidence == "clear"
                  else "Waits for data" if r.status == "waits_for_data"
                  else _sure(r.evidence)) for r in f.itertuples() if (h := headline_of(r)))


def _mechanism_rows(f: pd.DataFrame) -> tuple[tuple[str, str], ...]:
    """Mediation rows in full; cross-lagged paths in full when few, else the paths with some
    evidence and one line counting the paths with no clear association."""
    med = _found_rows(f[f["kind"] == "mediation"])
    cl = f[f["kind"] == "crosslag"]
    if len(cl) <= MAX_PATHS:
        return med + _found_rows(cl)
    quiet = cl[cl["evidence"] == "no_clear"]
    rows = med + _found_rows(cl[cl["evidence"] != "no_clear"])
    if len(quiet):
        rows += ((f"Within people over time: {len(quiet)} other lagged "
                  f"{'link' if len(quiet) == 1 else 'links'} between the measures showed no "
                  "clear association (see Mechanisms).", _sure("no_clear")),)
    return rows


def caveat_bullets(findings: pd.DataFrame, arms: bool | None = None) -> tuple[str, ...]:
    """Plain-language limitations for every caveat code present in the findings table; with
    a comparison group (comparison rows in the table) the single-group caveats are not said
    (the change rows carry them, but they would tell a funder there is no comparison).
    ``arms``: whether the study has a comparison group, when ``findings`` is a part of the
    table (None: from ``findings`` itself). "No group who did not join" and "no comparison
    outside the programme" are one bullet when both apply."""
    codes: set[str] = set()
    for c in findings["caveats"].dropna():
        codes.update(x.strip().split(":")[0] for x in str(c).split(";") if x.strip())
    if arms or (arms is None and (findings["kind"] == "comparison").any()):  # never say none
        codes -= {"single_group", "no_comparison"}
    words = [w for k, w in CAVEAT_WORDS.items() if k in codes and w]
    if {"single_group", "no_comparison"} <= codes:  # one thought, said once
        words[words.index(CAVEAT_WORDS["single_group"])] = NO_COMPARISON_AT_ALL
        words.remove(CAVEAT_WORDS["no_comparison"])
    return tuple(words)


def _group(findings: pd.DataFrame, key: str) -> pd.DataFrame:
    f = findings[findings["role"] == "primary"]
    if key == "mechanism":
        return f[f["kind"].isin(["mediation", "crosslag"])]
    if key == "comparison":  # the difference in change per construct and wave (the headline)
        named = [f[c].fillna("").astype(str).str.strip().ne("") for c in ("construct", "wave")]
        return f[(f["kind"] == key) & named[0] & named[1]]
    return f[f["kind"] == key]


def _robustness(findings: pd.DataFrame) -> tuple[str, ...]:
    """Headlines of the tipping-point rows (how far the change findings rest on MAR)."""
    t = findings[(findings["kind"] == "change") & (findings["method"] == "mi_delta_adjusted")]
    return tuple(h for r in t.itertuples() if (h := headline_of(r)))


def _not_scores(inp: ReportInputs) -> set[str]:
    """Constructs the change analysis leaves to another section (its status ``not_run`` for
    every row, e.g. a count of GP visits analysed under use of health services)."""
    st = inp.table("change_status")
    if st is None or not {"construct", "status"} <= set(st.columns):
        return set()
    return {str(k) for k, g in st.groupby("construct") if (g["status"] == "not_run").all()}


NOT_RANDOMISED = ("; the groups were not randomised, so this accounts for measured "
                  "differences between them only.")


def _once(rows: tuple[tuple[str, str], ...], clause: str) -> tuple[tuple, bool]:
    """The rows without ``clause`` at their end (said once under the table instead)."""
    out = tuple((h[: -len(clause)] + "." if h.endswith(clause) else h, sure) for h, sure in rows)
    return out, any(h.endswith(clause) for h, _ in rows)


def summary_section(inp: ReportInputs, foreword: str | None) -> Section:
    """Section 2: the one-page summary for funders, from the findings table's headlines only
    (the full sentences, with their caveats, are in the later sections)."""
    blocks: list = []
    if foreword:
        blocks.append(Notice(foreword, kind="foreword"))
    if (inp.findings["kind"] == "not_run").all():  # e.g. only the first wave so far
        blocks.append(Paragraph(
            "No analysis has a result yet: below, each question says what it is waiting for "
            "or why it was not run. The sections that follow describe the data collected so "
            "far."))
    else:
        blocks.append(Paragraph(
            "The main findings, one line each (changes are differences from entry, with 95% "
            "confidence intervals, CI); each is given in full, with its caveats, in the "
            "sections that follow. " + HOW_SURE + (HOW_SURE_HOLM if _holm_shown(inp) else ""),
            compact=True))
    compared = not _group(inp.findings, "comparison").empty
    for key, title in _GROUPS:
        f = _group(inp.findings, key)
        if key == "comparison" and not compared:  # a single-group study: no such question
            continue
        if key == "change" and compared:  # the headline is the comparison above
            title = "What changed in everyone, both groups together"
        waiting = not_run(inp.findings, _GROUP_STAGES[key], parts=True)
        if f.empty and waiting:
            blocks += waiting
            continue
        if f.empty:
            blocks.append(Notice(f"{title}: not estimable because the findings table holds no "
                                 "result for this question (see the sections below)."))
            continue
        if key == "change":  # a count is analysed by its own section, not as a score
            f = f[~f["construct"].isin(_not_scores(inp))]
        rows = _mechanism_rows(f) if key == "mechanism" else _found_rows(f)
        if key == "comparison":  # the design caveat once, under the table, not in every row
            rows, said = _once(rows, NOT_RANDOMISED)
        blocks.append(Table(caption=title, header=("What we found", "How sure"), rows=rows,
                            key=f"summary_{key}", widths=(10.0, 1.9), compact=True))
        if key == "comparison" and said:
            blocks.append(Paragraph("The groups were not randomised: each difference accounts "
                                    "for measured differences between them only."))
        blocks += waiting  # e.g. mediation switched off beside cross-lags that ran
        if key == "change" and (rob := _robustness(inp.findings)):
            blocks.append(Bullets(rob, compact=True))
    # the caveats of the rows the summary shows (primary): a comparison-only model's caveat
    # (the classic cross-lagged model's) is said where that model is shown
    cannot = caveat_bullets(inp.findings[inp.findings["role"] == "primary"],
                            arms=bool((inp.findings["kind"] == "comparison").any()))
    if not cannot and (inp.findings["status"] == "waits_for_data").any():
        cannot = ("With only the first wave so far, this report describes the people who joined; "
                  "change, attrition and the mechanism analyses follow when later waves are "
                  "added.",)
    blocks.append(Paragraph("", strong_lead="What this evaluation cannot tell us."))
    blocks.append(Bullets(cannot or ("The findings table lists no design caveats.",),
                          compact=True))
    return Section("summary", "Summary for funders", tuple(blocks))


def message_of(row: object) -> str:
    """A status row's message, or a plain fallback."""
    m = getattr(row, "message", "")
    return "the analysis gave no result" if is_missing(m) else str(m)
