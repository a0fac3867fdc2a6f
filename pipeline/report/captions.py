"""Figure captions and alt text in a funder's words for the wings' figures that the report
shows by their file stem (comparison, healthcare use, moderation).

A caption says what the figure shows ("Where the link between gaining groups and loneliness is
clear: the Johnson-Neyman interval"), never the file's stem ("groups gained jn"): the stem is
split back into its analysis or construct, and each is named by its label (the scale's label,
a group listing's derived count's label, the moderation table's context columns).
"""

from __future__ import annotations

import re

from pipeline.report.inputs import ReportInputs
from pipeline.wording import lower_first

__all__ = ["figure_words", "STATUS_WHY"]

STATUS_WHY = {  # why a model gave no result, for a funder (the engine's message names parameters)
    "improper_solution": "the model gave an impossible value, such as a variance below zero, "
                         "which usually means too few people for the model's size",
    "not_converged": "the model's estimation did not settle on an answer",
    "not_identified": "the model could not be fitted to these data",
    "not_estimable": "the data cannot support the model",
    "failed": "the model could not be fitted",
}


def _label(inp: ReportInputs, key: str) -> str:
    return lower_first(inp.scale_label(key))


def _moderation_parts(inp: ReportInputs, analysis: str) -> tuple[str, str] | None:
    """("the link between change in X and Y", "W") of a moderation analysis: from the
    moderation status table's context columns when the report has it, else from the question
    of the analysis's findings rows ("Does the link between ... depend on W?")."""
    st = inp.table("moderation_status")
    row = None if st is None else st[st["analysis"].astype(str) == analysis]
    if row is not None and not row.empty:
        r = row.iloc[0]
        return (f"the link between change in {_label(inp, str(r['predictor']))} and "
                f"{_label(inp, str(r['outcome']))}", _label(inp, str(r["moderator"])))
    f = inp.findings
    q = f.loc[(f["kind"] == "moderation") & (f["analysis"].astype(str) == analysis), "question"]
    for text in q.dropna().astype(str):
        m = re.match(r"Does (the link between .+) depend on (.+)\?$", text.strip())
        if m:
            return m.group(1), _label(inp, m.group(2))
    return None


def _moderation_words(inp: ReportInputs, analysis: str, kind: str) -> tuple[str, str]:
    """Caption and alt text of a moderation analysis's simple-slopes (``kind`` "slopes") or
    Johnson-Neyman ("jn") figure."""
    link, w = _moderation_parts(inp, analysis) or (
        "the link between the predictor's change and the outcome", "the moderator")
    if kind == "jn":
        return (f"Where {link} is clear, across levels of {w}: the Johnson-Neyman interval",
                f"Line chart of {link} (the slope, with its confidence band) across the "
                f"observed levels of {w}; shading marks where the band excludes zero and "
                "dashed lines mark the Johnson-Neyman boundaries.")
    return (f"Does {link} depend on {w}? The link at chosen levels of {w} (simple slopes)",
            f"Line chart of {link} at chosen levels of {w}, one line with its confidence band "
            "per level; its numbers are in the table above.")


def figure_words(inp: ReportInputs, stem: str, prefix: str) -> tuple[str, str]:
    """(caption, alt text) of the figure ``stem`` of the wing whose figures start ``prefix``."""
    rest = stem[len(prefix):]
    if prefix == "moderation_":
        for kind in ("slopes", "jn"):
            if rest.endswith("_" + kind):
                return _moderation_words(inp, rest[: -len(kind) - 1], kind)
    if prefix == "comparison_" and rest.startswith("indirect_"):
        chain = rest[len("indirect_"):].replace("_", " ")
        chain = chain if chain.endswith("chain") else f"{chain} chain"
        return (f"Indirect associations through the mediators of the {chain}, in the "
                "programme group and in the comparison group (estimate and 95% interval)",
                f"Forest plot of each indirect association of the {chain} in each group, "
                "with its 95% interval; its numbers are in the tables of this section.")
    label = _label(inp, rest)
    if prefix == "comparison_":
        return (f"Mean {label} at each wave in the programme group and in the comparison group",
                f"Line chart of the mean {label} at each wave, one line per group, with 95% "
                "confidence intervals; its numbers are in the table above.")
    if prefix == "healthcare_":
        return (f"{inp.scale_label(rest)}: mean per person at each wave",
                f"Line chart of the mean {label} per person at each wave, estimated by a mixed "
                "model (one line per group when there is a comparison group) and as observed "
                "among those who answered; its numbers are in the table above.")
    words = rest.replace("_", " ").strip()
    return words[:1].upper() + words[1:], f"Figure of {words}; its numbers are in the table above."
