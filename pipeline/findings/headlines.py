"""The headline of every findings row: one short plain-language line (at most
:data:`MAX_CHARS` characters) for the report's one-page summary.

Built from the same structured fields as the sentence (:mod:`pipeline.findings.sentences`),
never from typed numbers: the same evidence verbs (GRADE guidance 26,
:func:`pipeline.wording.change_verb`, :func:`~pipeline.wording.association_phrase`), the same
decimals (:func:`pipeline.wording.decimals_for`) and the same disclosure helpers
(:func:`pipeline.disclosure.safe_count`, :func:`~pipeline.disclosure.safe_percent`; counts of a
participation row only as the public attrition table shows them). The caveats, the method and
the assumptions stay in the sentence; a headline that would be too long drops its detail in
steps (the named route of a serial chain, the units' scale) rather than being cut.
"""

from __future__ import annotations

import math
import re

from pipeline.disclosure import safe_count, safe_percent
from pipeline.findings.moderation import moderation_headline
from pipeline.findings.settings import FindingsSettings
from pipeline.findings.table import num, text
from pipeline.wording import (
    MEDIATION_ROUTES,
    association_phrase,
    change_verb,
    decimals_for,
    fmt_num,
    lower_first,
    upper_first,
)

__all__ = ["MAX_CHARS", "headline"]

MAX_CHARS = 160


def _plain(label: str) -> str:
    """'Quality of life (EQ VAS)' -> 'Quality of life' (the instrument is in the units)."""
    return re.sub(r"\s*\([^)]*\)\s*$", "", label).strip() or label


def _dec(row: dict, s: FindingsSettings | None = None) -> int:
    """Decimals of the row's numbers (:func:`pipeline.wording.decimals_for`); a change row by
    its construct's score kind (3 for an EQ-5D index, 1 for a sum, 2 for a short item mean), as
    the report's tables print it."""
    sc = s.scales.get(text(row, "construct")) if s is not None else None
    score = sc.score if sc is not None and text(row, "kind") == "change" else None
    return decimals_for(num(row, "scale_min"), num(row, "scale_max"),
                        [num(row, k) for k in ("estimate", "ci_lower", "ci_upper")], score)


def _ci(row: dict, dec: int) -> str:
    """"95% CI −0.5 to 5.3"; an interval adjusted for multiplicity says so in one word
    ("adjusted 95% CI 0.22 to 0.66"; the method and family are in the sentence)."""
    head, _, rest = (text(row, "ci_label") or "95% CI").partition(", ")
    head = re.sub(r"\s*\([^)]*\)", "", head).strip()
    nums = f"{fmt_num(num(row, 'ci_lower'), dec)} to {fmt_num(num(row, 'ci_upper'), dec)}"
    return f"adjusted {head} {nums}" if "adjusted" in rest else f"{head} {nums}"


def _units(row: dict, s: FindingsSettings) -> str:
    """The row's units without asides, and without the scale's name where the headline already
    names it: "points on the 1–7 community belonging scale (item mean)" -> "points on the 1–7
    scale"; "points on the 0–100 EQ VAS" stays."""
    units = re.sub(r"\s*\([^)]*\)", "", text(row, "units")).strip() or "points"
    sc = s.scales.get(text(row, "construct"))
    name = lower_first(_plain(sc.label)) if sc else ""
    return units.replace(f" {name} scale", " scale") if name else units


def _numbers(row: dict, s: FindingsSettings) -> list[str]:
    """The bracket "(+2.4 points on the 0–100 EQ VAS, 95% CI −0.5 to 5.3)", then the same with
    the units' scale left out ("+2.4 points, ...") for a lead that leaves too little room."""
    dec = _dec(row, s)
    est = fmt_num(num(row, "estimate"), dec, signed=True)
    units = _units(row, s)
    short_units = units.split(" on the ")[0]
    return [f"({est} {units}, {_ci(row, dec)})", f"({est} {short_units}, {_ci(row, dec)})"]


def _fit(leads: list[str], brackets: list[str], end: str = ".") -> str:
    """The first ``lead + bracket`` (leads outer, brackets inner, both longest first) that fits
    in :data:`MAX_CHARS`; else the shortest."""
    out = ""
    for lead in leads:
        for b in brackets:
            out = f"{lead} {b}{end}"
            if len(out) <= MAX_CHARS:
                return out
    return out


def _participation(row: dict, s: FindingsSettings) -> str:
    w = s.wave(text(row, "wave")).phrase
    n0, n = row.get("_shown_n0", ""), row.get("_shown_n", "")
    if text(row, "wave") == s.baseline.id:
        return f"Took part: {safe_count(float(n0), s.min_cell)} people entered at {w}." \
            if _is_num(n0) else ""
    if not n0 or not n:
        return f"Retention: the number who answered at {w} is not available."
    if _is_num(n) and not _is_num(n0):  # a share of a hidden number gives it back
        return f"Retention: {n} of {n0} answered at {w}."
    if not (_is_num(n) and _is_num(n0)):
        if str(n).startswith("<"):
            return (f"Retention: {n} of {n0} answered at {w} (the exact number is not shown, to "
                    "protect confidentiality).")
        return (f"Retention: the number of the {n0} entrants who answered at {w} is not shown, "
                "to protect confidentiality.")
    cnt, tot = float(n), float(n0)
    pct = safe_percent(cnt, tot, s.min_cell)
    return (f"Retention: {safe_count(cnt, s.min_cell)} of {safe_count(tot, s.min_cell)} "
            f"({pct}) answered at {w}.")


def _is_num(v: object) -> bool:
    try:
        return math.isfinite(float(v))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False


def _change(row: dict, s: FindingsSettings) -> str:
    sc = s.scales.get(text(row, "construct"))
    label = _plain(sc.label if sc else text(row, "construct"))
    w = s.wave(text(row, "wave")).phrase
    ev = text(row, "evidence")
    if ev == "not_estimable":
        return f"{label} at {w}: the change could not be estimated (see Change over time)."
    verb = change_verb(ev, num(row, "estimate"))
    verb = "no clear change" if ev == "no_clear" else verb
    return _fit([f"{label} at {w}: {verb}"], _numbers(row, s))


def _mediation(row: dict, s: FindingsSettings) -> str:
    c = next((c for c in s.chains if c.name == text(row, "analysis")), None)
    term = text(row, "term")
    if c is None:
        x, y, meds = "the exposure", "the outcome", []
    else:
        xs, ys = s.scales.get(c.x), s.scales.get(c.y)
        x = lower_first(_plain(xs.label if xs else c.x))
        y = lower_first(_plain(ys.label if ys else c.y))
        meds = [lower_first(_plain(s.scales[m].label)) if m in s.scales else m
                for m, _ in c.mediators]
        x = f"each 1-point {'rise in' if len(c.x_waves) == 2 else 'higher'} {x}"
    term = {"total_indirect": "ind_total"}.get(term, term)
    term = "ind_serial" if re.fullmatch(r"ind_\d+", term) else term
    routes = [MEDIATION_ROUTES.get(term, term.replace("_", " "))]
    if term == "ind_serial" and meds:
        routes.insert(0, "Through " + " \u2192 ".join(meds))
    ev = text(row, "evidence")
    if ev == "not_estimable":
        return f"{routes[-1]}: the link of {x} with {y} could not be estimated (see Mechanisms)."
    phrase = association_phrase(ev, num(row, "estimate"))
    return _fit([f"{r}: {x} {phrase} {y}" for r in routes], _numbers(row, s))


def _crosslag(row: dict, s: FindingsSettings) -> str:
    to = text(row, "construct")
    src = str(row.get("_from") or
              text(row, "finding_id").split("~", 1)[-1].split("@")[0].split(".")[0])
    ev = text(row, "evidence")
    name = text(row, "analysis").replace("_", " ")
    model = f"Within-person cross-lagged model ({name})" if name else \
        "Within-person cross-lagged model"
    if text(row, "status") == "waits_for_data" and not to:
        return f"{model}: {text(row, 'message').split(' (')[0]} (see Mechanisms)."
    if ev == "not_estimable" and not to:
        return f"{model}: could not be estimated (see Mechanisms)."
    tl = lower_first(_plain(s.scales[to].label)) if to in s.scales else to
    fl = lower_first(_plain(s.scales[src].label)) if src in s.scales else src
    if ev == "not_estimable":
        return f"Over time: the link of {fl} with later {tl} could not be estimated."
    model = text(row, "term").split(":")[0]
    who = "Within people" if model == "riclpm" else "Comparison model (CLPM)"
    higher = "higher-than-usual" if model == "riclpm" else "higher"
    lead = (f"{who}: {higher} {fl} {association_phrase(ev, num(row, 'estimate'))} {tl} "
            "at the next wave")
    return _fit([lead], _numbers(row, s))


def _tipping(row: dict, s: FindingsSettings) -> str:
    sc = s.scales.get(text(row, "construct"))
    label = lower_first(_plain(sc.label)) if sc else text(row, "construct")
    w = s.wave(text(row, "wave")).phrase if text(row, "wave") else ""
    what = f"{label} at {w}" if w else label
    d = num(row, "estimate")
    if text(row, "status") != "ok":
        return f"Robustness ({what}): the dropout sensitivity analysis could not be done."
    if not math.isfinite(d):
        return (f"Robustness ({what}): the result held over every departure from missing at "
                "random examined.")
    es = num(row, "effect_size")
    sd = f" ({abs(es):.2f} SD)" if math.isfinite(es) else ""
    pts = f"{abs(d):g} {'point' if abs(d) == 1 else 'points'}{sd}"
    new = (f"would become a clear {'increase' if d > 0 else 'decrease'}"
           if text(row, "evidence") == "no_clear" else "would no longer hold")
    side = "higher" if d > 0 else "lower"
    out = (f"Robustness ({what}): this {new} if people who left scored {pts} {side} than "
           "those who stayed.")
    return out if len(out) <= MAX_CHARS else out.replace(sd, "")


def _sensitivity(row: dict, primary: dict | None, s: FindingsSettings) -> str:
    from pipeline.findings.sentences import METHOD_NAMES  # one name for each method

    agree = text(row, "agrees_with_primary")
    if not agree or agree == "yes" or primary is None:
        return ""
    m = METHOD_NAMES.get(text(row, "method"), text(row, "method").replace("_", " "))
    ev = text(row, "evidence")  # the words of the sentences (and of the "How sure" key)
    what = ("the estimate points the other way" if agree == "direction_differs" else
            "the result could not be estimated" if ev == "not_estimable" else
            "the interval includes zero" if ev == "no_clear" else
            "the interval leaves out zero")
    return _fit([f"With {m} {what}"], _numbers(row, s))


def headline(row: dict, primary: dict | None, s: FindingsSettings) -> str:
    """The headline of one row ("" where the row has no sentence either: a sensitivity row
    that agrees with its primary row)."""
    kind, role = text(row, "kind"), text(row, "role")
    if kind == "participation":
        return _participation(row, s)
    if text(row, "method") == "mi_delta_adjusted":
        return _tipping(row, s)
    if role == "sensitivity":
        if kind == "crosslag" and text(row, "agrees_with_primary") not in ("", "yes"):
            return _crosslag(row, s)
        return _sensitivity(row, primary, s)
    out = {"change": _change, "mediation": _mediation, "crosslag": _crosslag,
           "moderation": moderation_headline}[kind](row, s)
    return upper_first(out)
