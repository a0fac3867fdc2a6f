"""What each row of the findings table is, in words: the first column of the report's findings
tables ("Community belonging: about 4 months vs pathway entry"), never its id
(``change.belonging.T1@mi``), which only the technical appendix adds for analysts who look the
row up in ``findings.csv``.

Built from the row's structured columns (kind, analysis, construct, wave, term) and the study's
own scale and wave labels; the method has its own column. A term this module does not know is
shown as written, its underscores as spaces, so a new kind of finding is never left out.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from pipeline.report.numfmt import is_missing
from pipeline.wording import MEDIATION_ROUTES, lower_first

__all__ = ["finding_label", "labeler"]

Labeler = Callable[[str], str]  # key -> its label (scale or wave)

_MODELS = {"clpm": "classic CLPM", "riclpm": "within-person RI-CLPM"}
_CONSTRAINTS = {"free": "paths free over time", "stationary": "paths equal over time"}


def _s(value: object) -> str:
    return "" if is_missing(value) else str(value)


def _waves(term: str, wave: Labeler) -> str:
    """"T1 - T0" -> "about 4 months vs pathway entry"; "T1 / T0" -> "... relative to ..."."""
    m = re.fullmatch(r"\s*(\S+)\s*([-/])\s*(\S+)\s*", term)
    if not m:
        return ""
    joint = " vs " if m.group(2) == "-" else " relative to "
    return lower_first(wave(m.group(1))) + joint + lower_first(wave(m.group(3)))


def _change(r: object, scale: Labeler, wave: Labeler) -> str:
    construct, term = scale(_s(r.construct)), _s(r.term)
    if not _s(r.construct):  # a row of the whole analysis ("CLPM by arm")
        return term[:1].upper() + term[1:] if term else _s(r.question)
    if term == "tipping_delta":
        return (f"{construct}, {lower_first(wave(_s(r.wave)))}: the shift in the imputed "
                "values at which the conclusion would change (tipping point)")
    head, _, contrast = term.partition(":")
    words = _waves(head, wave)
    extra = {"programme - reference": ", programme group minus reference group"}.get(
        contrast.strip(), f", {contrast.strip()}" if contrast.strip() else "")
    return f"{construct}: {words}{extra}" if words else f"{construct}: {term}"


def _crosslag(r: object, scale: Labeler, wave: Labeler) -> str:
    fid, term = _s(r.finding_id).split("@", 1)[0], _s(r.term)
    m = re.fullmatch(r"crosslag\.[^.]+\.([^~.]+)~([^~.]+)(?:\.(\S+))?", fid)
    model, _, constraint = term.partition(":")
    how = ", ".join(w for w in (_MODELS.get(model, model), _CONSTRAINTS.get(constraint, constraint))
                    if w)
    if not m:
        return f"Cross-lagged analysis '{_s(r.analysis)}' ({how})" if how else \
            f"Cross-lagged analysis '{_s(r.analysis)}'"
    y, x, at = m.group(1), m.group(2), m.group(3)
    when = f" at {lower_first(wave(at))}" if at else ""
    return f"{scale(x)} \u2192 later {lower_first(scale(y))}{when} ({how})"


def _mediation(r: object, scale: Labeler, wave: Labeler) -> str:
    term = _s(r.term)
    what = MEDIATION_ROUTES.get(term, term.replace("_", " "))
    return what[:1].upper() + what[1:]


def _healthcare(r: object, scale: Labeler, wave: Labeler) -> str:
    construct, term = scale(_s(r.construct)), _s(r.term)
    m = re.fullmatch(r"arm x (\S+)", term)
    if m:
        return (f"{construct}: change to {lower_first(wave(m.group(1)))}, programme group "
                "relative to reference group (ratio)")
    words = _waves(term, wave)
    if words:
        return f"{construct}: {words} (ratio)"
    if term in MEDIATION_ROUTES:
        return f"{construct}: {lower_first(MEDIATION_ROUTES[term])}"
    return f"{construct}: {term.replace('_', ' ')}"


def _moderation(r: object, scale: Labeler, wave: Labeler) -> str:
    term = _s(r.term)
    what = ("interaction: does the association depend on the moderator?" if ":" in term
            else term)
    label = f"{_s(r.analysis).replace('_', ' ')}: {what}"
    return label[:1].upper() + label[1:]


def _participation(r: object, scale: Labeler, wave: Labeler) -> str:
    return f"Answered at {lower_first(wave(_s(r.wave)))}"


_BY_KIND = {"change": _change, "comparison": _change, "crosslag": _crosslag,
            "mediation": _mediation, "healthcare": _healthcare, "moderation": _moderation,
            "participation": _participation}


def finding_label(r: object, scale: Labeler, wave: Labeler, construct: bool = True) -> str:
    """The findings row ``r`` (a namedtuple of ``findings.csv``) in words; without
    ``construct`` a change row leaves its construct out (the table of one construct's section:
    "About 4 months vs pathway entry")."""
    kind, term = _s(r.kind), _s(r.term)
    label = _BY_KIND.get(kind)
    if label is not None:
        text = label(r, scale, wave)
        head = f"{scale(_s(r.construct))}: "
        if not construct and kind == "change" and text.startswith(head):
            text = text[len(head):]
            text = text[:1].upper() + text[1:]
        return text or _s(r.finding_id)  # nothing to build words from: the id
    construct = _s(r.construct)
    what = term.replace("_", " ") or _s(r.question) or kind
    text = f"{scale(construct)}: {what}" if construct else what[:1].upper() + what[1:]
    return text or _s(r.finding_id)  # nothing to build words from: the id


def labeler(inp: object, construct: bool = True) -> Callable[[object], str]:
    """:func:`finding_label` with the study's labels (a :class:`ReportInputs`)."""
    return lambda r: finding_label(r, inp.scale_label, inp.wave_label, construct)
