"""Sections for the analyses beyond the single-group chain (issue 16): the comparison with a
usual-care (or other) arm, healthcare use (count outcomes) and what made a difference
(identification and compatibility as moderators).

Every number comes from the findings table (one voice): a section shows its kind's rows, the
primary rows' sentences first, then one table of every row (primary and sensitivity side by
side, counts suppressed as everywhere), then the wing's figures. A kind without rows gives no
section: a study without a comparison arm, a count outcome or a moderation analysis is not
told about them here (the limitations say what a single-group design cannot show).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from pipeline.report.blocks import (
    FINDINGS_HEADER,
    FINDINGS_WIDTHS,
    figure,
    findings_note,
    findings_rows,
    not_estimable,
)
from pipeline.report.captions import STATUS_WHY, figure_words
from pipeline.report.finding_labels import labeler
from pipeline.report.inputs import ReportInputs
from pipeline.report.model import Block, Bullets, Paragraph, Section, Table
from pipeline.report.numfmt import NO_VALUE, fmt_count, fmt_num, fmt_p, fmt_pct, is_missing

__all__ = ["MoreSpec", "MORE_SPECS", "more_section", "more_sections"]


@dataclass(frozen=True)
class MoreSpec:
    """One section: the findings ``kind`` it shows, its key, title, the question it answers in
    plain words, and the prefix of its wing's figures."""

    kind: str
    key: str
    title: str
    question: str
    figure_prefix: str


MORE_SPECS = (
    MoreSpec("comparison", "comparison", "Compared with people not in the programme",
             "Did people in the programme change more than people in the comparison group?",
             "comparison_"),
    MoreSpec("healthcare", "healthcare", "Use of health services",
             "Did people use health services (such as GP visits) less after joining?",
             "healthcare_"),
    MoreSpec("moderation", "moderation", "For whom did groups matter more?",
             "Did the link between change in groups and change in wellbeing (for example "
             "loneliness) depend on who people are, such as how strongly they identified with "
             "their groups? These are associations among everyone, not the programme's effect.",
             "moderation_"),
)


def _sentences(f: pd.DataFrame) -> list[str]:
    """The primary rows' sentences, in table order, each once."""
    prim = f[f["role"] == "primary"] if "role" in f.columns else f
    out = [str(s) for s in prim["sentence"] if not is_missing(s) and str(s).strip()]
    return list(dict.fromkeys(out))


def _problems(f: pd.DataFrame, title: str) -> list[Block]:
    """A notice per primary row the data could not support (its message), unless the row's
    own sentence, printed above, already says it could not be done."""
    prim = f[(f["role"] == "primary") & (f["status"] != "ok")]
    return [not_estimable(_what(r, title), str(r.message) or "no result")
            for r in prim.itertuples() if r.status not in ("waits_for_data", "not_run")
            and not re.search(r"could not be (tested|estimated)", str(r.sentence))]


def _what(r: object, title: str) -> str:
    """What a notice is about, in words: the row's question ("Did GP visits change ...?"),
    never its finding id ("comparison.crosslag.connections_health.riclpm")."""
    q = getattr(r, "question", None)
    return f"{title}: {str(q).strip().rstrip('?')}" if not is_missing(q) else title


def _flow_table(inp: ReportInputs) -> Table | None:
    t = inp.table("comparison_flow_public")
    if t is None:
        return None
    rows = tuple((str(r.arm), inp.wave_label(str(r.wave)), fmt_count(r.entered, inp.min_cell),
                  fmt_count(r.answered, inp.min_cell), fmt_count(r.not_answered, inp.min_cell),
                  fmt_pct(r.pct_answered)) for r in t.itertuples())
    return Table(caption="People in each group and who answered at each wave",
                 header=("Group", "Wave", "Entered", "Answered", "Did not answer",
                         "% answered"), rows=rows, key="comparison_flow",
                 widths=(3, 3, 1.4, 1.4, 1.6, 1.4), counts=(2, 3, 4),
                 note=f"Counts below {inp.min_cell} are shown as <{inp.min_cell}.")


def _share_or_mean(x: object, kind: str) -> str:
    if isinstance(x, str):
        try:
            x = float(x)
        except ValueError:
            return x  # a suppression mark
    if is_missing(x):
        return NO_VALUE
    return fmt_pct(100 * float(x)) if kind == "share" else fmt_num(x, 1)


def _smd(x: object) -> str:
    """An SMD to 2 decimals (a weighted SMD of 1e-16 is 0.00); a suppression mark is kept."""
    if isinstance(x, str):
        try:
            x = float(x)
        except ValueError:
            return x
    return NO_VALUE if is_missing(x) else fmt_num(round(float(x), 2) + 0.0, 2)


def _balance_table(inp: ReportInputs) -> Table | None:
    t = inp.table("comparison_balance_public")
    if t is None:
        return None
    rows = []
    for r in t.itertuples():
        var = str(r.variable)
        key, _, wave = var.rpartition("_")
        name = (inp.scale_label(var) if var in inp.scales else
                f"{inp.scale_label(key)} at {inp.wave_label(wave).lower()}"
                if key in inp.scales else var)
        level = "" if is_missing(r.level) else f" ({r.level})"
        rows.append((name + level, _share_or_mean(r.mean_programme, r.kind),
                     _share_or_mean(r.mean_reference, r.kind), _smd(r.smd_before),
                     _smd(r.smd_after)))
    return Table(caption="How the groups compared at entry (baseline balance)",
                 header=("Characteristic", "Programme", "Comparison", "Std. difference",
                         f"After {t['weighting'].iloc[0]} weighting"), rows=tuple(rows),
                 key="comparison_balance", widths=(4, 1.6, 1.6, 1.6, 1.8),
                 note="Means (shares as %) in each group; a standardised difference below 0.1 "
                      "is usually read as balanced. Shares resting on fewer than "
                      f"{inp.min_cell} people are hidden.")


_MODEL_WORDS = {"riclpm": "random-intercept cross-lagged model",
                "ri-clpm": "random-intercept cross-lagged model",
                "clpm": "classic cross-lagged model"}


def _analysis_words(r: object) -> tuple[str, str]:
    """(analysis, model) of a by-arm test row in words ("social cure chain", "serial
    mediation"; "connections health", "random-intercept cross-lagged model")."""
    model = str(getattr(r, "model", "") or "")
    return (str(r.analysis).replace("_", " "),
            _MODEL_WORDS.get(model.split(":")[0].lower(), model.replace("_", " ")))


def _not_tested(r: object) -> str:
    """A sentence for a by-arm test the data could not support: which comparison, that it
    could not be made, and why in plain words (no NA cells in the table)."""
    analysis, model = _analysis_words(r)
    status = str(r.status)
    why = STATUS_WHY.get(status) or (str(r.message).strip().rstrip(".") if not is_missing(
        r.message) and str(r.message).strip() else "the data cannot support the model")
    return (f"Whether the paths of the {model} '{analysis}' differ between the programme group "
            f"and the comparison group could not be tested: the model could not be estimated "
            f"for this comparison, because {why}.")


def _mechanism_blocks(inp: ReportInputs, said: list[str]) -> list[Block]:
    sent = inp.table("comparison_sentences")
    mech = [] if sent is None else [str(x) for x in sent.loc[sent["kind"] == "mechanism",
                                                            "sentence"] if str(x) not in said]
    blocks: list[Block] = [Bullets(tuple(mech))] if mech else []
    rows, untested = [], []
    for name in ("comparison_mediation_test", "comparison_crosslag_test"):
        t = inp.table(name)
        for r in () if t is None else t[t["headline"].astype(bool)].itertuples():
            if r.status != "ok":  # said in words below the table, never as NA cells
                untested.append(_not_tested(r))
                continue
            rows.append((*_analysis_words(r), str(r.test), fmt_num(r.chisq, 2),
                         f"{int(r.df)}", fmt_p(r.pvalue)))
    if rows:
        blocks.append(Table(caption="Do the mechanism's paths differ between the groups?",
                            header=("Analysis", "Model", "Test", "Chi-square", "df", "p"),
                            rows=tuple(rows), key="comparison_mechanism_tests",
                            widths=(2.4, 1.8, 3.6, 1.3, 0.8, 1.2),
                            note="One model fitted to both groups at once: paths free in "
                                 "each group against paths equal across groups (FIML)."))
    if untested:
        blocks.append(Bullets(tuple(untested)))
    return blocks


def more_section(inp: ReportInputs, spec: MoreSpec) -> Section | None:
    """The section of ``spec.kind``, or None when the findings table has no row of that kind."""
    f = inp.findings_of(spec.kind, role=None)
    if f.empty:
        return None
    blocks: list[Block] = [Paragraph(spec.question, strong_lead="The question.")]
    said = _sentences(f)
    if said:
        blocks.append(Bullets(tuple(said)))
    blocks += _problems(f, spec.title)
    comparison = spec.key == "comparison"
    if comparison:  # who was in each arm, and how the arms compared at entry
        blocks += [b for b in (_flow_table(inp), _balance_table(inp)) if b is not None]
    shown = f[f["status"] == "ok"]  # estimates only: design words and tests are said above
    shown = shown[pd.to_numeric(shown["estimate"], errors="coerce").notna()]
    if not shown.empty:
        blocks.append(Table(caption=f"{spec.title.rstrip('?')}: every estimate (primary "
                                    "first, then the checks with other methods)",
                            header=FINDINGS_HEADER,
                            rows=findings_rows(shown, inp.min_cell, label=labeler(inp)),
                            note=findings_note(shown), key=f"{spec.key}_findings",
                            widths=FINDINGS_WIDTHS, counts=(5, 6)))
    if comparison:  # does the mechanism differ between the arms?
        blocks += _mechanism_blocks(inp, said)
    for stem in sorted((k for k in inp.figures if k.startswith(spec.figure_prefix)),
                       key=lambda k: (k.startswith("comparison_indirect_"), k)):  # outcomes first
        caption, alt = figure_words(inp, stem, spec.figure_prefix)
        blocks.append(figure(stem, inp.figure(stem), caption, alt))
    return Section(key=spec.key, title=spec.title, blocks=tuple(blocks))


def more_sections(inp: ReportInputs) -> list[Section]:
    """Every section of :data:`MORE_SPECS` that has rows, in that order."""
    return [s for s in (more_section(inp, spec) for spec in MORE_SPECS) if s is not None]
