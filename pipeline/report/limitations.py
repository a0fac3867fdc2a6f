"""Section 6: limitations in plain language, generated from the design (waves, single group)
and the data (response rates, the missing-data assumption and its tipping point, concurrent
mediators, small numbers at the last wave, models that could not be estimated).
"""

from __future__ import annotations

from pipeline.report.front import caveat_bullets, headline_of
from pipeline.report.inputs import ReportInputs
from pipeline.report.model import Bullets, Paragraph, Section
from pipeline.report.numfmt import fmt_count, fmt_pct, in_sentence, is_missing
from pipeline.wording import lower_first

__all__ = ["limitations_section", "SMALL_LAST_WAVE"]

SMALL_LAST_WAVE = 100  # fewer answers than this at the last wave: later estimates imprecise


def _response(inp: ReportInputs) -> list[str]:
    flow = inp.table("attrition_flow_public")
    if flow is None:
        return []
    out = []
    for r in flow.to_dict("records")[1:]:
        if is_missing(r.get("pct_baseline")) or isinstance(r.get("pct_baseline"), str):
            continue
        out.append(f"{fmt_pct(r['pct_baseline'])} of those who joined answered at "
                   f"{in_sentence(r['label'])}")
    if not out:
        return []
    return ["Response rates: " + "; ".join(out) + ". Results at later waves describe the people "
            "who kept answering, who may not be typical of everyone who joined."]


def _last_wave(inp: ReportInputs) -> list[str]:
    flow = inp.table("attrition_flow_public")
    if flow is None:
        return []
    last = flow.to_dict("records")[-1]
    n = last.get("responded")
    if isinstance(n, str) or is_missing(n) or float(n) >= SMALL_LAST_WAVE:
        return []
    return [f"Only {fmt_count(n, inp.min_cell)} people answered at {in_sentence(last['label'])}: "
            "estimates involving the last wave are imprecise and the cross-lagged models are "
            "exploratory."]


def _missing(inp: ReportInputs) -> list[str]:
    imp = inp.summaries.get("impute") or {}
    out = []
    neg, pos = imp.get("tipping_delta_negative"), imp.get("tipping_delta_positive")
    if not is_missing(neg) or not is_missing(pos):
        # a δ on the configured grid, never rounded away (0.25 stays 0.25)
        shifts = [f"{abs(float(v)):.4g} {'point' if abs(float(v)) == 1 else 'points'} {w}"
                  for v, w in ((neg, "lower"), (pos, "higher")) if not is_missing(v)]
        out.append("The main conclusion about the primary outcome would change if people who "
                   "left had scores " + " or ".join(shifts) + " than similar people who stayed "
                   "(tipping-point analysis).")
    return out


def _design(inp: ReportInputs) -> list[str]:
    n = len(inp.waves)
    if n < 2:
        return ["Only the first wave has been analysed: the report describes the people who "
                "joined, and nothing can yet be said about change, about who stayed, or about "
                "how the measures relate over time."]
    out = [f"The study has {n} waves: change is described at {n - 1} follow-up "
           f"point{'s' if n > 2 else ''} only, and" + (" a random-intercept cross-lagged model "
                                                       "needs at least three." if n < 3 else
                                                       " with few waves the cross-lagged models "
                                                       "rest on few repeated measures.")]
    return out


def _failed(inp: ReportInputs) -> list[str]:
    """How many planned findings could not be estimated; the main ones named (up to three)."""
    f = inp.findings
    ne = f[f["evidence"] == "not_estimable"]
    if ne.empty:
        return []
    main = ne[ne["role"] == "primary"]
    prim, other = len(main), len(ne) - len(main)
    names = [lower_first(h.split(":")[0]) for r in main.itertuples() if (h := headline_of(r))]
    named = f" ({'; '.join(names)})" if names and len(names) == prim <= 3 else ""
    parts = ([f"{prim} result{'s' if prim != 1 else ''} of the main analyses{named}"] if prim
             else []) + ([f"{other} result{'s' if other != 1 else ''} of the other methods "
                          "shown beside them"] if other else [])
    marked = ("it is" if len(ne) == 1 else "each is")
    return [f"Of the findings planned, {' and '.join(parts)} could not be estimated from these "
            f"data; {marked} marked \u201cnot estimable\u201d where it is reported."]


def limitations_section(inp: ReportInputs) -> Section:
    """Bullets: design caveats from the findings table, then data-driven limitations."""
    items = list(caveat_bullets(inp.findings)) + _response(inp) + _last_wave(inp) + \
        _missing(inp) + _design(inp) + _failed(inp)
    return Section("limitations", "Limitations", (
        Paragraph("What the design and the data allow us to conclude, and what they do not."),
        Bullets(tuple(items))))
