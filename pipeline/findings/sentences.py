"""The funder sentence, question and estimand of every findings row.

Rules (issue 11, "honest words"): units and the scale's range in every sentence with a number;
the interval's own label (:func:`pipeline.wording.ci_label`); the verb follows the evidence
grade (GRADE guidance 26: :func:`~pipeline.wording.change_verb`,
:func:`~pipeline.wording.association_phrase`); never causal in this single-group design;
MAR-based methods say so; a stand-in method says which method could not give the number and
why; mediation sentences name the n with the outcome and that mediators and outcome were
measured at the same wave (associations, not effects); counts are printed as the public table
prints them (:func:`pipeline.findings.public.count_texts`: never a count below
``disclosure.min_cell``, nor one a few short of another printed count).
Sensitivity rows get a sentence only when they disagree with the primary row.
"""

from __future__ import annotations

import math
import re

from pipeline.disclosure import format_count
from pipeline.findings.moderation import moderation_question, moderation_sentence
from pipeline.findings.settings import FindingsSettings
from pipeline.findings.table import num, text
from pipeline.wording import (
    association_phrase,
    change_verb,
    decimals_for,
    fmt_ci,
    fmt_num,
    fmt_p,
    fmt_range,
    lower_first,
    split_caveats,
    tipping_distance,
    upper_first,
)

__all__ = ["METHOD_NAMES", "describe_row", "sentence"]

METHOD_NAMES = {
    "fiml": "full-information maximum likelihood (FIML)",
    "mi": "multiple imputation",
    "complete_case": "complete cases only",
    "ipw": "inverse-probability-of-retention weighting",
    "lmm": "a mixed model adjusted for age and gender",
    "lmm_reml": "a mixed model adjusted for age and gender",
    "observed": "observed counts",
    "mi_delta_adjusted": "delta-adjusted multiple imputation",
}
MAR_WORDS = ("this assumes that people who left resembled similar people who stayed "
             "(missing at random)")
WHY_NOT = {
    "improper_solution": "the model gave an improper solution (for example a variance below "
                         "zero), which usually means too few people for the model's size",
    "not_converged": "the model did not converge",
    "not_identified": "the model is not identified with these waves and constructs",
    "not_estimable": "the data cannot support the model",
    "failed": "the model could not be fitted",
}
PLAIN_WHY = {  # funder words for why the primary method gave no estimate
    "not_identified": "the model could not be fitted to these data",
    "not_converged": "the model's estimation did not settle on an answer",
    "improper_solution": "the model gave an impossible value, such as a variance below zero",
    "failed": "the model could not be fitted",
}


def plain_why(status: str, message: str) -> str:
    """Why a method gave no estimate, in plain words for a funder sentence. Engine statuses get a
    fixed phrase (their messages name model parameters and give advice to analysts, and stay in
    the tables' ``message``); other reasons ("too few people answered at T2") are already plain
    and are kept."""
    return PLAIN_WHY.get(str(status), message)


DESIGN_WORDS = ("There was no comparison group, so this change cannot be attributed to the "
                "programme.")
DESIGN_WORDS_ARMS = ("This is the change among everyone in the evaluation, both groups together; "
                     "whether the programme made a difference is shown by the comparison between "
                     "the groups.")


def _has_arms(s: FindingsSettings) -> bool:
    """Whether the study has a comparison group (the comparison analysis runs): its design
    words then must not say there is none."""
    return "comparison" in (s.running or ())


def _mname(method: str) -> str:
    return METHOD_NAMES.get(method, method.replace("_", " "))


def _n(x: float, s: FindingsSettings) -> str:
    return format_count(x, s.min_cell) if math.isfinite(x) else "an unknown number of"


def _count(row: dict, col: str, s: FindingsSettings) -> str:
    """A count of the row as the public table prints it (``_shown_counts``, set by
    :func:`pipeline.findings.public.count_texts`: "<10", or a range where it would differ from
    another printed count by a few); else :func:`_n`."""
    shown = (row.get("_shown_counts") or {}).get(col)
    return shown if shown else _n(num(row, col), s)


def _ci(row: dict, dec: int) -> str:
    return fmt_ci(num(row, "ci_lower"), num(row, "ci_upper"), dec, text(row, "ci_label"))


def _dec(row: dict, s: FindingsSettings | None = None) -> int:
    """Decimals of the row's numbers (:func:`pipeline.wording.decimals_for`); a change row by
    its construct's score kind (3 for an EQ-5D index, 1 for a sum, 2 for a short item mean), as
    the report's tables print it."""
    sc = s.scales.get(text(row, "construct")) if s is not None else None
    score = sc.score if sc is not None and text(row, "kind") == "change" else None
    return decimals_for(num(row, "scale_min"), num(row, "scale_max"),
                        [num(row, k) for k in ("estimate", "ci_lower", "ci_upper")], score)


def _how(row: dict, s: FindingsSettings, where: str) -> str:
    """Who contributes and under which assumption, e.g. "Estimated by FIML from all 630 people
    with any answers (178 answered at about 4 months); this assumes ..."."""
    m, n, n_obs = text(row, "method"), num(row, "n_contributing"), num(row, "n_observed")
    obs = f" ({_count(row, 'n_observed', s)} answered {where})" if math.isfinite(n_obs) else ""
    if m == "complete_case":
        cnt = _count(row, "n_contributing" if math.isfinite(n) else "n_observed", s)
        return (f"Based on the {cnt} people who answered at "
                "both times; people who left may differ from those who stayed.")
    mar = "; " + MAR_WORDS if "mar_assumption" in split_caveats(text(row, "caveats")) else ""
    return (f"Estimated by {_mname(m)} from {_count(row, 'n_contributing', s)} people with any "
            f"answers{obs}{mar}.")


def _fragile_words(t: dict, s: FindingsSettings) -> str:
    """"This conclusion is fragile: it would become a clear increase if people who left had
    scores on average only 1 point (0.05 SD) higher than similar people who stayed (a
    departure from missing at random within 0.2 SD)."."""
    near = [v for v in (t.get("negative"), t.get("positive")) if v is not None]
    if not near:
        return ""
    d = min(near, key=abs)
    sd = t.get("sd", math.nan)
    pts = f"{abs(d):g} {'point' if abs(d) == 1 else 'points'}"
    if isinstance(sd, float) and math.isfinite(sd) and sd > 0:
        pts += f" ({abs(d) / sd:.2f} SD)"
    new = (f"become a clear {'increase' if d > 0 else 'decrease'}"
           if str(t.get("conclusion")) == "uncertain" else "no longer hold")
    return (f"This conclusion is fragile: it would {new} if people who left had scores "
            f"on average only {pts} {'higher' if d > 0 else 'lower'} than similar people who "
            f"stayed (a departure from missing at random within {s.fragile_sd:g} SD).")


def _extras(row: dict, s: FindingsSettings, where: str, ctx: dict) -> list[str]:
    cav = split_caveats(text(row, "caveats"))
    out = []
    for c in cav:
        if c.startswith("stands_in:"):
            why = row.get("_why_plain") or row.get("_why") or text(row, "message")
            out.append(f"{upper_first(_mname(s.primary))}, the primary method, could not give "
                       f"this estimate ({why.rstrip('.')}), so {_mname(c.split(':', 1)[1])} "
                       "stands in.")
    if "small_n" in cav:
        out.append(f"Only {_count(row, 'n_observed', s)} people answered {where}, so the "
                   "estimate is imprecise.")
    if "fragile_to_mnar" in cav and ctx.get("tipping"):
        out.append(_fragile_words(ctx["tipping"], s))
    if "method_disagrees" in cav:
        out.append("Another method points the other way (see the sensitivity rows), so this "
                   "result is uncertain.")
    return out


def _change(row: dict, s: FindingsSettings, ctx: dict) -> str:
    sc = s.scales.get(text(row, "construct"))
    label = sc.label if sc else text(row, "construct")
    base, w = s.baseline.phrase, s.wave(text(row, "wave")).phrase
    ev, dec, units = text(row, "evidence"), _dec(row, s), text(row, "units")
    if ev == "not_estimable":
        return (f"Change in {lower_first(label)} between {base} and {w} could not be estimated"
                f": {text(row, 'message').rstrip('.') or 'no result'}.")
    est = num(row, "estimate")
    es = num(row, "effect_size")
    es_name = text(row, "effect_size_kind").split(" ")[0] or "d"
    es_txt = (f"; standardised change {es_name} = {fmt_num(es, 2)}"
              if math.isfinite(es) else "")
    if ev == "no_clear":
        head = (f"There was no clear change in {lower_first(label)} between {base} and {w} "
                f"(change {fmt_num(est, dec)} {units}, {_ci(row, dec)}{es_txt}).")
    else:
        head = (f"{upper_first(label)} {change_verb(ev, est)} between {base} and {w} "
                f"(change {fmt_num(est, dec)} {units}, {_ci(row, dec)}{es_txt}).")
    return " ".join([head, _how(row, s, f"at {w}"), *_extras(row, s, f"at {w}", ctx),
                     DESIGN_WORDS_ARMS if _has_arms(s) else DESIGN_WORDS])


def _chain_words(row: dict, s: FindingsSettings) -> tuple[str, str, str]:
    c = next((c for c in s.chains if c.name == text(row, "analysis")), None)
    if c is None:
        return "the exposure", "the outcome", "the mediators"
    xs = s.scales.get(c.x)
    xl = lower_first(xs.label if xs else c.x)
    rng = f" (scale {fmt_range(xs.scale_min, xs.scale_max)})" if xs else ""
    if len(c.x_waves) == 2:
        x = (f"each 1-point larger rise in {xl}{rng} between {s.wave(c.x_waves[0]).phrase} and "
             f"{s.wave(c.x_waves[1]).phrase}")
    else:
        x = f"each 1-point higher {xl}{rng} at {s.wave(c.x_waves[0]).phrase}"
    ys = s.scales.get(c.y)
    y = f"{lower_first(ys.label if ys else c.y)} at {s.wave(c.y_wave).phrase}"
    meds = [lower_first(s.scales[m].label) if m in s.scales else m for m, _ in c.mediators]
    return x, y, meds


def _mediation(row: dict, s: FindingsSettings, ctx: dict) -> str:
    x, y, meds = _chain_words(row, s)
    ev, dec, units, term = text(row, "evidence"), _dec(row), text(row, "units"), text(row, "term")
    what = {"total": "total association",
            "direct": "direct association, not through the mediators",
            "ind_total": "total indirect association, through all mediators together",
            "ind_serial": "serial indirect association, through the chain "
                          + " \u2192 ".join(meds)}.get(term, term)
    if ev == "not_estimable":
        return (f"The {what.split(',')[0]} of the mediation analysis could not be estimated: "
                f"{text(row, 'message').rstrip('.') or 'no result'}.")
    n_out = num(row, "n_observed")
    y_plain = re.sub(r"\s*\([^)]*\)", "", y.split(" at ")[0])
    n_all, n_y = _count(row, "n_contributing", s), _count(row, "n_observed", s)
    who = (f"Among {n_all} people ({n_y} of them with {y_plain} measured)"
           if math.isfinite(n_out) else f"Among {n_all} people")
    est = num(row, "estimate")
    head = (f"{who}, {x} {association_phrase(ev, est)} {y} ({what}: {fmt_num(est, dec)} "
            f"{units}, {_ci(row, dec)}).")
    cav = split_caveats(text(row, "caveats"))
    arms = _has_arms(s)  # the chain is fitted on both groups together: still associations
    design = (("The mediators and the outcome were measured at the same wave, so these are "
               "associations, not effects." if arms else
               "The mediators and the outcome were measured at the same wave and there was no "
               "comparison group, so these are associations, not effects.")
              if "concurrent_mediators" in cav else
              "These are associations among everyone in the evaluation, not effects."
              if arms else "There was no comparison group, so these are associations, not "
              "effects.")
    how = (f"Estimated by {_mname(text(row, 'method'))}"
           + ("; " + MAR_WORDS if "mar_assumption" in cav else "") + ".")
    return " ".join([head, how, *_extras(row, s, "with the outcome", ctx), design])


def _crosslag(row: dict, s: FindingsSettings, ctx: dict) -> str:
    to = text(row, "construct")
    src = str(row.get("_from") or
              text(row, "finding_id").split("~", 1)[-1].split("@")[0].split(".")[0])
    tl = lower_first(s.scales[to].label) if to in s.scales else to
    fl = lower_first(s.scales[src].label) if src in s.scales else src
    ev, dec = text(row, "evidence"), _dec(row)
    model = text(row, "term").split(":")[0]
    if text(row, "status") == "waits_for_data" and not text(row, "construct"):
        return (f"The within-person cross-lagged model (RI-CLPM) of the "
                f"{text(row, 'analysis').replace('_', ' ')} analysis "
                f"{text(row, 'message').rstrip('.')}.")
    if ev == "not_estimable" and not text(row, "construct"):
        return (f"The within-person cross-lagged model (RI-CLPM) of the "
                f"{text(row, 'analysis').replace('_', ' ')} analysis could not be estimated: "
                f"{WHY_NOT.get(text(row, 'status'), 'the data cannot support the model')}"
                ". Fewer constructs, equality constraints over time or more waves may help.")
    if ev == "not_estimable":
        return (f"The lagged association of {fl} with later {tl} could not be estimated: "
                f"{text(row, 'message').rstrip('.') or 'no result'}.")
    lag = f" (lag to {s.wave(text(row, 'wave')).phrase})" if text(row, "wave") else ""
    constraint = text(row, "term").partition(":")[2]
    if model == "riclpm" and text(row, "role") == "primary":
        who = "Within people (random-intercept cross-lagged model), a higher-than-usual score on"
    elif model == "riclpm":
        who = (f"For comparison, the {constraint} version of the random-intercept model says a "
               "higher-than-usual score on")
    else:
        who = ("For comparison only, the CLPM (which mixes stable differences between people "
               "with within-person change) says a higher score on")
    est = num(row, "estimate")
    p = num(row, "pvalue")
    k = row.get("_k", "several")
    text_ = (f"{who} {fl} at one wave {association_phrase(ev, est)} {tl} at the next"
             f"{lag}: {fmt_num(est, dec)} {text(row, 'units')} ({_ci(row, dec)}; Holm-adjusted "
             f"{fmt_p(p)} over {k} paths). Estimated by FIML; {MAR_WORDS}.")
    if "exploratory" in split_caveats(text(row, "caveats")):
        text_ += " Exploratory: few people answered at the last wave."
    stand = [e for e in _extras(row, s, "", ctx) if "stands in" in e]
    return " ".join([text_, *stand])


def _participation(row: dict, s: FindingsSettings) -> str:
    w = s.wave(text(row, "wave")).phrase
    n0, n, pct = row.get("_shown_n0", ""), row.get("_shown_n", ""), row.get("_shown_pct", "")
    if text(row, "wave") == s.baseline.id:
        return f"{n0} people entered the evaluation at {w}." if n0 else ""
    if not n or not n0:
        return f"The number of people who answered at {w} is not available."
    if not n.replace(".", "").isdigit():
        return (f"Of the {n0} people who entered, the number who answered at {w} is not shown "
                "to protect confidentiality" + (f" ({n})." if n.startswith("<") else "."))
    if not n0.replace(".", "").isdigit():  # a share of a hidden number gives it back
        return f"Of the {n0} people who entered, {n} answered at {w}."
    try:
        pct_txt = f" ({float(pct):.0f}%, {_ci_pct(row)})"
    except ValueError:
        pct_txt = ""
    return f"Of the {n0} people who entered, {n}{pct_txt} answered at {w}."


def _ci_pct(row: dict) -> str:
    return (f"{text(row, 'ci_label')} {num(row, 'ci_lower'):.0f}% to "
            f"{num(row, 'ci_upper'):.0f}%")


def _with(row: dict, s: FindingsSettings) -> str:
    """"With <method>", after the wave when the row is a change at a wave ("At 6-9 months,
    with weighting (IPW)"): a construct's sensitivity sentences are read together."""
    m, w = _mname(text(row, "method")), text(row, "wave")
    if text(row, "kind") == "change" and w:
        return f"At {s.wave(w).phrase}, with {m}"
    return f"With {m}"


def _disagreement(row: dict, primary: dict | None, s: FindingsSettings) -> str:
    """A sensitivity row that disagrees with the primary one: the other way, or its interval
    on the other side of zero, in the words of the "How sure" key (never "clear" for an
    interval the key would call "likely")."""
    agree = text(row, "agrees_with_primary")
    if not agree or agree == "yes" or primary is None:
        return ""
    dec, units = _dec(row, s), text(row, "units")
    mine = f"{fmt_num(num(row, 'estimate'), dec)} {units} ({_ci(row, dec)})"
    theirs = f"{fmt_num(num(primary, 'estimate'), dec)} ({_mname(text(primary, 'method'))})"
    if agree == "direction_differs":
        return f"{_with(row, s)} the estimate points the other way: {mine}, against {theirs}."
    ev = text(row, "evidence")
    if ev == "not_estimable":
        return f"{_with(row, s)} the result could not be estimated, against {theirs}."
    side = "includes zero (no clear evidence)" if ev == "no_clear" else "leaves out zero"
    return f"{_with(row, s)} the interval {side}: {mine}, against {theirs}."


def _tipping(row: dict, s: FindingsSettings, ctx: dict) -> str:
    t = ctx.get("tipping") or {}
    sc = s.scales.get(text(row, "construct"))
    label = lower_first(sc.label) if sc else text(row, "construct")
    if text(row, "status") != "ok":
        return (f"The missing-not-at-random sensitivity analysis for {label} could not be done: "
                f"{text(row, 'message').rstrip('.') or 'no result'}.")
    if not math.isfinite(num(row, "estimate")):
        return (f"The conclusion for {label} did not change over the range of departures from "
                "missing at random examined (delta-adjusted multiple imputation).")
    d = num(row, "estimate")
    side = "higher" if d > 0 else "lower"
    return ("Sensitivity to dropout not at random (delta-adjusted multiple imputation): the "
            f"conclusion for {label} changes if people who left had scores on average "
            f"{abs(d):g} {'point' if abs(d) == 1 else 'points'} {side} than similar people who "
            "stayed; that tipping point is "
            f"{tipping_distance(d, t.get('sd', math.nan), s.fragile_sd)}.")


def sentence(row: dict, primary: dict | None, s: FindingsSettings, ctx: dict | None = None
             ) -> str:
    """The funder sentence of one row (``primary``: the primary row of the same claim, used by
    sensitivity rows; ``ctx``: ``{"tipping": Tipping}``)."""
    ctx = ctx or {}
    kind, role = text(row, "kind"), text(row, "role")
    if kind == "participation":
        return _participation(row, s)
    if text(row, "method") == "mi_delta_adjusted":
        return _tipping(row, s, ctx)
    if role == "sensitivity":
        if kind == "crosslag" and text(row, "agrees_with_primary") not in ("", "yes"):
            return _crosslag(row, s, ctx)
        return _disagreement(row, primary, s)
    return {"change": _change, "mediation": _mediation, "crosslag": _crosslag,
            "moderation": moderation_sentence}[kind](row, s, ctx)


def describe_row(row: dict, s: FindingsSettings) -> tuple[str, str]:
    """(question, estimand) in plain and in technical language."""
    kind, c, w = text(row, "kind"), text(row, "construct"), text(row, "wave")
    label = lower_first(s.scales[c].label) if c in s.scales else c
    m = _mname(text(row, "method"))
    n = num(row, "n_contributing")
    n_txt = f", {_count(row, 'n_contributing', s)} people" if math.isfinite(n) else ""
    if kind == "change":
        return (f"Did {label} change between {s.baseline.phrase} and {s.wave(w).phrase}?",
                f"difference in mean {label}, {w} \u2212 {s.baseline.id}{n_txt}, {m}")
    if kind == "mediation":
        x, y, _ = _chain_words(row, s)
        return (f"Is {x.replace('each 1-point larger rise', 'a larger rise')} linked with "
                f"{y}, and through which route?",
                f"{text(row, 'term')} effect in the serial mediation model "
                f"'{text(row, 'analysis')}'{n_txt}, {m}")
    if kind == "moderation":
        return moderation_question(row, s)
    if kind == "crosslag":
        src = str(row.get("_from", ""))
        if not c or not src:
            return ("Do the constructs of this analysis follow on from each other over time?",
                    f"RI-CLPM '{text(row, 'analysis')}' (not estimable)")
        fl = lower_first(s.scales[src].label) if src in s.scales else src
        return (f"After a wave in which someone scored higher than usual on {fl}, do they "
                f"score higher on {label} at the next wave?",
                f"cross-lagged path {src} \u2192 {c} ({text(row, 'term')}), {m}, unadjusted "
                "CI, Holm-adjusted p")
    return "", ""
