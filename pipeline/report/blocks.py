"""Shared block builders: the findings rows as a table, status notices, figures."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path

import pandas as pd

from pipeline.disclosure import SECONDARY_MARK
from pipeline.report.model import Figure, Notice, Section
from pipeline.report.numfmt import NO_VALUE, fmt_count, is_missing
from pipeline.wording import bound_decimals, finding_decimals
from pipeline.wording import fmt_num as _wfmt

__all__ = ["method_words", "method_cell", "METHOD_WORDS", "METHOD_SHORT", "findings_rows",
           "findings_note", "FINDINGS_HEADER",
           "FINDINGS_WIDTHS", "not_estimable", "not_run", "figure", "row_digits", "fmt_est",
           "evidence_words",
           "fmt_interval", "scrub_counts", "scrub_section"]

FINDINGS_HEADER = ("Finding", "Method", "Role", "Estimate", "CI", "People in the estimate",
                   "Observed on the outcome", "How sure")
# relative widths in the PDF: wide enough for the longest header word ("Estimate", "Observed")
FINDINGS_WIDTHS = (4.0, 1.6, 1.4, 1.4, 2.2, 1.4, 1.6, 1.3)

METHOD_WORDS = {
    "fiml": "full-information maximum likelihood (FIML)",
    "mi": "multiple imputation (MI)",
    "complete_case": "complete cases",
    "ipw": "inverse-probability weighting (IPW)",
    "lmm": "linear mixed model",
    "lmm_reml": "linear mixed model (REML)",
}


METHOD_SHORT = {  # a table cell: short, but words, not a code
    "fiml": "FIML",
    "mi": "multiple imputation",
    "complete_case": "complete cases",
    "ipw": "weighting (IPW)",
    "lmm": "mixed model",
    "lmm_reml": "mixed model",
    "mi_delta_adjusted": "imputation, shifted (tipping point)",
    "observed": "observed",
    "glmm": "mixed model",
    "glm": "regression",
    "weighted": "weighting",
}


def method_cell(method: object) -> str:
    """A method code as a table cell ("complete_case" -> "complete cases")."""
    return METHOD_SHORT.get(str(method), str(method).replace("_", " "))


def method_words(method: object) -> str:
    """A method code in words ("mi" -> "multiple imputation (MI)")."""
    return METHOD_WORDS.get(str(method), str(method).replace("_", " "))


_EVIDENCE = {"clear": "clear", "likely": "likely", "may": "may", "no_clear": "no clear",
             "not_estimable": "not estimable"}


def evidence_words(r: object) -> str:
    """How sure, in words; a result that waits for a wave says so (it has no evidence yet)."""
    if getattr(r, "status", "") == "waits_for_data":
        return "waits for data"
    ev = getattr(r, "evidence", "")
    return "" if is_missing(ev) else _EVIDENCE.get(ev, str(ev))


def row_digits(r: object, scores: Mapping[str, str] | None = None) -> int:
    """Decimals of a findings row, as its sentence and ``findings_public.csv`` print it
    (:func:`pipeline.wording.finding_decimals`; ``scores``: scale -> scoring rule)."""
    return finding_decimals(r, scores)


def fmt_est(x: object, digits: int) -> str:
    """An estimate as the findings sentences print it ("−0.05", true minus sign)."""
    return NO_VALUE if is_missing(x) else _wfmt(float(x), digits)


def fmt_interval(lo: object, hi: object, digits: int) -> str:
    """"lo to hi" at the row's decimals; a bound of an interval that leaves out zero is kept
    off zero (:func:`pipeline.wording.bound_decimals`)."""
    if is_missing(lo) or is_missing(hi):
        return NO_VALUE
    dlo, dhi = bound_decimals(float(lo), float(hi), digits)
    return f"{fmt_est(lo, dlo)} to {fmt_est(hi, dhi)}"


def _labels(f: pd.DataFrame) -> list[str]:
    """The intervals' labels of the rows with an interval, in order of first appearance."""
    return list(dict.fromkeys(str(v) for v, lo in zip(f["ci_label"], f["ci_lower"])
                              if not is_missing(v) and not is_missing(lo)))


def _common_label(f: pd.DataFrame) -> str | None:
    labels = _labels(f)
    return labels[0] if len(labels) == 1 else None


def _label_keys(f: pd.DataFrame) -> dict[str, str]:
    """A letter per interval label when the rows' labels differ (a, b, ...; the label is said
    once under the table, not in every row: a funder-eyed read found "(95% CI, Bonferroni-
    adjusted over 2 contrasts)" in each of 120 rows of the appendix, 17 pages)."""
    labels = _labels(f)
    if len(labels) < 2:
        return {}
    letters = [chr(ord("a") + i) if i < 26 else f"a{i}" for i in range(len(labels))]
    return dict(zip(labels, letters, strict=True))


HOLM_NOTE = ("For the cross-lagged paths, \"How sure\" uses p-values adjusted (Holm) for "
             "testing many paths, while their intervals are not adjusted: an interval can leave "
             "out 0 where the answer is still \"no clear\".")


#: why weighting counts fewer people than answered (a funder-eyed read found it puzzling)
IPW_COUNT_NOTE = ("Weighting (IPW) counts only the people who answered and have every answer "
                  "its weights are built from, so it can count fewer than answered.")


def findings_note(f: pd.DataFrame) -> str:
    """The intervals' label when every row shares it (said once, under the table), and, when
    the table has rows with unadjusted intervals and a Holm-adjusted verdict (cross-lagged
    paths), why such an interval can leave out 0 beside "no clear"."""
    label = _common_label(f)
    keys = _label_keys(f)
    notes = [f"CI: {label}."] if label else []
    if keys:
        notes.append("CI: " + "; ".join(f"({k}) {lab}" for lab, k in keys.items()) + ".")
    holm = (f["caveats"].fillna("").astype(str).str.contains("holm_adjusted")
            & f["ci_label"].fillna("").astype(str).str.contains("unadjusted")
            if {"caveats", "ci_label"} <= set(f.columns) else pd.Series(False, index=f.index))
    if holm.any():
        notes.append(HOLM_NOTE)
    if "method" in f.columns and (f["method"].astype(str) == "ipw").any():
        notes.append(IPW_COUNT_NOTE)
    return " ".join(notes)


def findings_rows(f: pd.DataFrame, min_cell: int, scores: Mapping[str, str] | None = None,
                  label: Callable[[object], str] | None = None,
                  with_id: bool = False) -> tuple[tuple[str, ...], ...]:
    """One table row per finding: what it is in words (``label``, see
    :mod:`pipeline.report.finding_labels`; its id in ``findings.csv`` added when ``with_id``,
    as the technical appendix does; the id alone without ``label``), method, role, estimate,
    CI (with its label's letter when the rows' labels differ, the labels said once under the
    table: :func:`findings_note`), counts
    (suppressed when small) and the evidence word. ``scores``: scale -> scoring rule, for the
    decimals of change rows (:func:`row_digits`)."""
    keys = _label_keys(f)
    out = []
    for r in f.itertuples():
        d = row_digits(r, scores)
        ci = "" if is_missing(r.ci_lower) else (
            fmt_interval(r.ci_lower, r.ci_upper, d)
            + ("" if is_missing(r.ci_label) or not keys else f" ({keys[str(r.ci_label)]})"))
        what = str(r.finding_id) if label is None else label(r)
        if with_id and label is not None:
            what = f"{what} [{r.finding_id}]"
        counts = (fmt_count(r.n_contributing, min_cell), fmt_count(r.n_observed, min_cell))
        est = "" if is_missing(r.estimate) else fmt_est(r.estimate, d)
        if str(r.kind) == "participation" and not all(c.isdigit() for c in counts):
            # a share of a count not printed exactly (or of a small denominator), and its
            # Wilson interval, give the count back (found on a 2-person REDCap study: "100.0,
            # 34.2 to 100.0" is 2 of 2); as findings_public.csv: hidden
            est, ci = SECONDARY_MARK, SECONDARY_MARK
        out.append((what, method_cell(r.method), str(r.role), est, ci, *counts,
                    evidence_words(r)))
    return tuple(out)


def not_estimable(what: str, why: str) -> Notice:
    """The paragraph printed instead of a result: "<what>: not estimable because <why>"."""
    why = why.strip().rstrip(".")
    return Notice(f"{what}: not estimable because {why[0].lower() + why[1:] if why else why}.")


def not_run(inp_findings: pd.DataFrame, stages: tuple[str, ...],
            parts: bool = False) -> list[Notice]:
    """The findings table's ``not_run`` rows of ``stages`` (analyses switched off or waiting
    for a wave) as notices, in the table's words ("Change over time: waits for a second wave
    (...)"). Empty when they all ran. ``parts``: also the rows of single analyses of a stage
    that runs (a mediation chain waiting for a third wave: ``term`` = the stage)."""
    f = inp_findings[inp_findings["kind"] == "not_run"]
    term = f["term"].fillna("").astype(str)
    whole = f["analysis"].astype(str).isin(stages) & (term == "")
    f = f[whole | (term.isin(stages) if parts else False)]
    return [Notice(str(r.sentence), kind="not_run") for r in f.itertuples()
            if not is_missing(r.sentence)]


def figure(key: str, svg: Path | None, caption: str, alt: str) -> Figure | Notice:
    """A figure block, or a notice when the figure file is absent."""
    if svg is None:
        return not_estimable(caption, "the figure was not produced by its stage")
    return Figure(key=key, svg=svg, png=svg.with_suffix(".png"), caption=caption, alt=alt)


_COUNT_WORDS = r"(?:people|persons|participants|respondents|cases|complete cases|records|answers)"


def scrub_counts(text: str, min_cell: int) -> str:
    """Hide small counts in a stage's free-text message: a number 1..min_cell-1 written as a
    count ("4 people", "n = 7", "7 of 630") becomes "<min_cell" (issue 11 disclosure rule)."""
    def small(m: re.Match) -> str:
        return m.group(1) + (f"<{min_cell}" if 1 <= int(m.group(2)) < min_cell else m.group(2))

    # a threshold ("from at least 5 people", "fewer than 3 cases") is a rule, not a count
    rule = r"(?<!at least )(?<!fewer than )(?<!more than )(?<!at most )"
    text = re.sub(rule + r"(\b)(\d+)(?=\s+" + _COUNT_WORDS + r"\b)", small, text,
                  flags=re.IGNORECASE)
    text = re.sub(r"(\bn\s*=\s*)(\d+)\b", small, text)
    return re.sub(r"(\b)(\d+)(?=\s+of\s+\d)", small, text)


def scrub_section(section: Section, min_cell: int) -> Section:
    """``section`` with :func:`scrub_counts` applied to every notice (stage messages)."""
    blocks = tuple(replace(b, text=scrub_counts(b.text, min_cell)) if isinstance(b, Notice)
                   else b for b in section.blocks)
    subs = tuple(scrub_section(s, min_cell) for s in section.subsections)
    return replace(section, blocks=blocks, subsections=subs)
