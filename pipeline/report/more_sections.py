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
from pipeline.report.inputs import ReportInputs
from pipeline.report.model import Block, Bullets, Paragraph, Section, Table
from pipeline.report.numfmt import is_missing

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
    MoreSpec("moderation", "moderation", "For whom did it make a difference?",
             "Did the link between joining groups and feeling less lonely depend on how "
             "strongly people identified with their groups?",
             "moderation_"),
)


def _sentences(f: pd.DataFrame) -> list[str]:
    """The primary rows' sentences, in table order, each once."""
    prim = f[f["role"] == "primary"] if "role" in f.columns else f
    out = [str(s) for s in prim["sentence"] if not is_missing(s) and str(s).strip()]
    return list(dict.fromkeys(out))


def _problems(f: pd.DataFrame, title: str) -> list[Block]:
    """A notice per primary row the data could not support (its message)."""
    prim = f[(f["role"] == "primary") & (f["status"] != "ok")]
    return [not_estimable(f"{title}: {r.finding_id}", str(r.message) or "no result")
            for r in prim.itertuples() if r.status not in ("waits_for_data", "not_run")]


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
    shown = f[f["status"] == "ok"]
    if not shown.empty:
        blocks.append(Table(caption=f"{spec.title}: every estimate (primary first, then the "
                                    "checks with other methods)",
                            header=FINDINGS_HEADER, rows=findings_rows(shown, inp.min_cell),
                            note=findings_note(shown), key=f"{spec.key}_findings",
                            widths=FINDINGS_WIDTHS, counts=(5, 6)))
    for stem in sorted(k for k in inp.figures if k.startswith(spec.figure_prefix)):
        caption = stem[len(spec.figure_prefix):].replace("_", " ").strip()
        blocks.append(figure(stem, inp.figure(stem), f"{spec.title}: {caption}",
                             f"Figure of {caption}; its numbers are in the table above."))
    return Section(key=spec.key, title=spec.title, blocks=tuple(blocks))


def more_sections(inp: ReportInputs) -> list[Section]:
    """Every section of :data:`MORE_SPECS` that has rows, in that order."""
    return [s for s in (more_section(inp, spec) for spec in MORE_SPECS) if s is not None]
