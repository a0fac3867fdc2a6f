"""Sections 7 and 9: the technical appendix (measures, reliability, missing-data methods, model
syntax, fit indices, every finding, software) and the data-quality appendix (QC actions per
wave, small counts suppressed by :func:`pipeline.disclosure.suppress_within_groups`).
"""

from __future__ import annotations

import re

import pandas as pd

from pipeline.disclosure import suppress_within_groups
from pipeline.report.blocks import (
    FINDINGS_HEADER,
    FINDINGS_WIDTHS,
    findings_note,
    findings_rows,
    fmt_est,
    fmt_interval,
    method_cell,
    not_estimable,
)
from pipeline.report.change_section import scale_scores
from pipeline.report.counts import quality_counts
from pipeline.report.finding_labels import labeler
from pipeline.report.inputs import ReportInputs
from pipeline.report.mechanisms_section import MAX_ROWS_IN_TEXT, lagged_table
from pipeline.report.model import Code, Paragraph, Section, Table
from pipeline.report.numfmt import NO_VALUE, fmt_ci, fmt_count, fmt_num, fmt_p, is_missing
from pipeline.report.quality_words import ACTION_ORDER, action_words, reason_words
from pipeline.wording import decimals_for, lower_first
from pipeline.wording import fmt_num as wfmt

__all__ = ["technical_appendix", "quality_appendix"]


def _measures(inp: ReportInputs) -> Table:
    rows = tuple(
        (inp.scale_label(k), str(len(s.items)),
         f"{fmt_num(s.range[0], 0)} to {fmt_num(s.range[1], 0)}",
         s.score, ", ".join(s.reverse) or "none", str(s.min_items))
        for k, s in inp.scales.items())
    return Table(caption="Measures and scoring", header=(
        "Measure", "Items", "Item range", "Score", "Reverse-keyed", "Minimum items answered"),
        rows=rows, key="measures")


def _reliability(inp: ReportInputs) -> Table | Paragraph:
    rel = inp.table("reliability")
    if rel is None:
        return not_estimable("Reliability", "the clean stage wrote no reliability table")
    rows = []
    for r in rel.to_dict("records"):
        # a statistic of fewer than min_cell people is not published (disclosure)
        small = not is_missing(r["n"]) and float(r["n"]) < inp.min_cell
        ok = r["status"] == "ok" and not small
        if small:
            r["message"] = f"fewer than {inp.min_cell} people: not shown"
        # not_run: alpha does not apply (an index score such as EQ-5D), not a failed estimate
        none = "not applicable" if r["status"] == "not_run" and not small else "not estimable"
        rows.append((inp.scale_label(r["scale"]), inp.wave_label(r["wave"]),
                     fmt_count(r.get("n_shown", r["n"]), inp.min_cell),
                     f"{fmt_num(r['alpha'])} ({fmt_ci(r['alpha_ci_lower'], r['alpha_ci_upper'])})"
                     if ok else none, fmt_num(r["omega"]) if ok else none,
                     "" if ok or is_missing(r["message"]) else str(r["message"])))
    return Table(caption="Reliability per wave: Cronbach's alpha (95% CI, Feldt) and McDonald's "
                         "omega", header=("Measure", "Wave", "People", "Alpha (95% CI)", "Omega",
                                          "Note"), rows=tuple(rows), key="reliability",
                 counts=(2,), widths=(2.6, 1.8, 1, 2.2, 1.4, 3))


def _estimand_decimals(inp: ReportInputs, prim) -> int:
    """Decimals for the primary estimand's rows: as the findings print that outcome (by its
    score kind: 2 on a 1-7 mean, 1 on a sum or 0-100; more for small values), from the scale
    named in ``term``."""
    m = re.match(r"mean change (\S+) ", str(prim["term"].iloc[0])) if len(prim) else None
    sc = inp.scales.get(m.group(1)) if m else None
    lo, hi = sc.score_range if sc is not None else (None, None)
    values = prim[["estimate", "ci_lower", "ci_upper"]].to_numpy(float).ravel()
    return decimals_for(lo, hi, values, sc.score if sc is not None else None)


def _estimand_words(inp: ReportInputs, text: str) -> str:
    """"mean change in qol from T0 to T1" with the study's labels ("mean change in quality of
    life (EQ VAS) from pathway entry to about 4 months"), not its keys."""
    m = re.fullmatch(r"mean change in (\S+) from (\S+) to (\S+)", text.strip())
    if not m:
        return text
    scale, a, b = (inp.scale_label(m.group(1)), inp.wave_label(m.group(2)),
                   inp.wave_label(m.group(3)))
    return f"mean change in {lower_first(scale)} from {lower_first(a)} to {lower_first(b)}"


def _missing_methods(inp: ReportInputs) -> list:
    blocks: list = []
    imp = inp.summaries.get("impute") or {}
    if imp:
        estimand = imp.get("primary_estimand")
        said = ("" if is_missing(estimand) or not str(estimand).strip() or str(estimand) == "None"
                else f" Primary estimand: {_estimand_words(inp, str(estimand))}.")
        blocks.append(Paragraph(
            f"{imp.get('method', '')}; {fmt_count(imp.get('m'), 1)} imputations, "
            f"{fmt_count(imp.get('iterations'), 1)} iterations.{said}",
            strong_lead="Missing data."))
    prim = inp.table("missing_data_primary")
    if prim is not None:
        dp = _estimand_decimals(inp, prim)
        rows = tuple((method_cell(r["method"]), "yes" if str(r["primary"]) == "True"
                      else "no", fmt_est(r["estimate"], dp),
                      fmt_interval(r["ci_lower"], r["ci_upper"], dp),
                      fmt_p(r["pvalue"]), fmt_count(r.get("n_shown", r["n"]), inp.min_cell))
                     for r in prim.to_dict("records"))
        ch = inp.findings[(inp.findings["kind"] == "change") & (inp.findings["role"] == "primary")]
        adjusted = ch["ci_label"].astype(str).str.contains("adjusted").any()
        why = ("; the change section's intervals are adjusted over the follow-up waves, so they "
               "are wider" if adjusted else "")
        blocks.append(Table(caption=f"Primary estimand by missing-data method (unadjusted 95% CI"
                                    f"{why})", header=(
            "Method", "Primary", "Estimate", "95% CI", "p", "People"), rows=rows,
            key="missing_primary", counts=(5,)))
    return blocks


_FIT_MODEL = {"riclpm": "RI-CLPM", "clpm": "CLPM"}


def _fixed(x: object, decimals: int) -> str:
    """A fit measure at fixed decimals (true minus sign, no "−0.000"); NO_VALUE when missing."""
    return NO_VALUE if is_missing(x) else wfmt(float(x), decimals)


def _fit(inp: ReportInputs) -> Table | None:
    fit = inp.table("crosslag_fit")
    if fit is None:
        return None
    # fixed decimals, as lavaan's summary prints fit measures (chi-square 2, indices 3): a
    # saturated model's chi-square of 7e-12 is "0.00", not "0.0000000000073"
    rows = tuple((f"{r['analysis'].replace('_', ' ')}", _FIT_MODEL.get(r["model"], r["model"]),
                  r["constraint"], _fixed(r["chisq"], 2), fmt_count(r["df"], 1),
                  fmt_p(r["pvalue"]), _fixed(r["cfi"], 3), _fixed(r["tli"], 3),
                  NO_VALUE if is_missing(r["rmsea"]) else
                  f"{_fixed(r['rmsea'], 3)} ({_fixed(r['rmsea.ci.lower'], 3)} to "
                  f"{_fixed(r['rmsea.ci.upper'], 3)})", _fixed(r["srmr"], 3))
                 for r in fit.to_dict("records"))
    return Table(caption="Fit of the cross-lagged models (models that could not be estimated "
                         "have no row)", header=("Analysis", "Model", "Constraint", "Chi-square",
                                                 "df", "p", "CFI", "TLI", "RMSEA (90% CI)",
                                                 "SRMR"), rows=rows, key="fit",
                 note="Chi-square and the indices built on it are the normal-theory maximum-"
                      "likelihood statistics, not the robust-scaled (MLR) ones lavaan also "
                      "reports, even where the standard errors are robust; read them with care "
                      "where the scores are far from normal.")


def technical_appendix(inp: ReportInputs) -> Section:
    """Measures, reliability, missing data, lavaan syntax, fit, every finding, software."""
    blocks: list = [_measures(inp), _reliability(inp)] + _missing_methods(inp)
    fit = _fit(inp)
    if fit is not None:
        blocks.append(fit)
    found = inp.findings[inp.findings["kind"] != "not_run"]  # analyses that ran (the others
    if not found.empty:  # are said in their sections)
        blocks.append(Table(caption="Every finding (the findings table)", header=FINDINGS_HEADER,
                            rows=findings_rows(found, inp.min_cell, scale_scores(inp),
                                                 labeler(inp), with_id=True),
                            key="findings_all",
                            note=findings_note(found), counts=(5, 6), widths=FINDINGS_WIDTHS))
    lag = inp.table("crosslag_lagged_effects")
    for analysis in ([] if lag is None else list(dict.fromkeys(lag["analysis"]))):
        t = lagged_table(lag[lag["analysis"] == analysis], inp, analysis)
        if len(t.rows) > MAX_ROWS_IN_TEXT:
            blocks.append(t)
    blocks.append(Table(caption="Software", header=("Component", "Version"),
                        rows=tuple(inp.software), key="software"))
    models = tuple(Code(text=t.strip(), caption=f"lavaan syntax: {stem}", lang="lavaan")
                   for stem, t in sorted(inp.models.items()))
    spec = Section("models", "Model specifications (lavaan syntax)",
                   models or (Paragraph("No model syntax was written."),), new_page=False)
    return Section("appendix_technical", "Technical appendix", tuple(blocks), subsections=(spec,))


def _hide_rows_read(shown: pd.DataFrame) -> pd.DataFrame:
    """Rows read = rows kept + rows dropped, and rows kept is published (the flow's responders):
    where a wave hides any count of dropped rows, its rows read is hidden too, or the hidden
    dropped rows would follow by subtraction (e.g. 64 read - 63 kept = 1 not seen at baseline).
    """
    out = shown.copy()
    hidden = out["n"].map(lambda v: isinstance(v, str))
    dropped = out["measure"].eq("rows_dropped") & hidden
    for wave in out.loc[dropped, "wave"].unique():
        out.loc[out["wave"].eq(wave) & out["measure"].eq("rows_read"), "n"] = "[c]"
    return out


def quality_appendix(inp: ReportInputs) -> Section:
    """Counts of each QC action per wave (all files of a wave summed), small counts hidden."""
    dq = inp.table("data_quality")
    if dq is None:
        return Section("appendix_quality", "Data-quality appendix", (not_estimable(
            "Data quality", "the clean stage wrote no data-quality table"),))
    # reasons in words first: two reasons that read the same (two scales' label maps) are one
    dq = dq.assign(reason=dq["reason"].fillna("").astype(str).map(reason_words))
    g = dq.groupby(["wave", "measure", "reason"], sort=False,
                                           as_index=False)["n"].sum()
    shown = _hide_rows_read(suppress_within_groups(g, "n", ["wave", "measure"], inp.min_cell))
    shown = quality_counts(shown, inp.min_cell, inp.table("attrition_flow_public"))
    waves = {w: i for i, w in enumerate(dict.fromkeys(shown["wave"]))}
    place = {m: i for i, m in enumerate(ACTION_ORDER)}
    shown = shown.assign(_w=shown["wave"].map(waves),
                         _a=shown["measure"].map(place).fillna(len(place)))
    shown = shown.sort_values(["_w", "_a"], kind="stable")
    rows = tuple((inp.wave_label(r["wave"]), action_words(str(r["measure"])),
                  str(r["reason"]), fmt_count(r["n"], inp.min_cell))
                 for r in shown.to_dict("records"))
    return Section("appendix_quality", "Data-quality appendix", (
        Paragraph("Every action the cleaning took, counted per wave (the QC log gives each "
                  "one, with the rule that led to it). Counts below the disclosure threshold "
                  "are hidden, and so is one more count of the same action where the hidden "
                  "one could otherwise be worked out."),
        Table(caption="Quality-control actions per wave", header=("Wave", "Action", "Reason",
                                                                  "Count"),
              rows=rows, key="quality", counts=(3,), widths=(1.8, 3.0, 5, 0.9))))
