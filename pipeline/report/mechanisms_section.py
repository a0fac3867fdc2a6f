"""Section 5: mechanisms. Serial mediation (path diagram, forest plot, total / direct / total
indirect / specific indirect effects by every method side by side) and the cross-lagged panel
models (RI-CLPM as the headline, Hamaker et al. 2015; the CLPM only for comparison, Lucas 2023),
each with its caveats and a "not estimable because ..." paragraph where a model gave no result.
"""

from __future__ import annotations

import re

import pandas as pd

from pipeline.report.alt_text import (
    crosslag_alt,
    forest_alt,
    mediation_path_alt,
    nice_variable,
    series,
)
from pipeline.report.blocks import (
    FINDINGS_HEADER,
    FINDINGS_WIDTHS,
    figure,
    findings_note,
    findings_rows,
    fmt_est,
    fmt_interval,
    method_words,
    not_estimable,
    not_run,
)
from pipeline.report.captions import STATUS_WHY
from pipeline.report.finding_labels import labeler
from pipeline.report.front import caveat_bullets
from pipeline.report.inputs import ReportInputs
from pipeline.report.model import Bullets, Notice, Paragraph, Section, Table
from pipeline.report.numfmt import fmt_num, in_sentence, is_missing
from pipeline.wording import decimals_for

__all__ = ["mechanisms_section", "lagged_table", "MAX_ROWS_IN_TEXT"]

MAX_ROWS_IN_TEXT = 16  # longer effect tables go to the technical appendix
_EFFECTS = ("total", "direct", "indirect_total", "indirect_specific")
_FIGURE_NAMES = {
    "riclpm": "Does a higher-than-usual score on one measure go with a change in another at the "
              "next wave? Within-person lagged effects, random-intercept cross-lagged model "
              "(the headline)",
    "clpm": "Lagged effects in the classic cross-lagged model, which mixes stable differences "
            "between people with change within people (for comparison only)"}
_METHOD_HEAD = {"fiml": "FIML", "mi": "Multiple imputation", "complete_case": "Complete cases"}
_MODEL_NAMES = {"riclpm": "Random-intercept cross-lagged panel model (headline)",
                "clpm": "Classic cross-lagged panel model (comparison only)"}


def _fiml_ci_kind(e: pd.DataFrame) -> str:
    """"; FIML: bootstrap (B = 2000, percentile)" when the FIML intervals are bootstrap ones."""
    if "ci_method" not in e.columns or "B" not in e.columns:
        return ""
    f = e[(e["method"] == "fiml") & (e["ci_method"] == "percentile")]
    return f"; FIML: bootstrap (B = {int(f['B'].iloc[0])}, percentile)" if len(f) else ""


_EFFECT_WORDS = {"total": "total effect", "direct": "direct effect (not through the mediators)",
                 "indirect_total": "total indirect effect (through all the mediators)"}


def effect_words(effect_type: str, path: object, label_of: dict[str, str]) -> str:
    """A row of the effects table in words: "total effect", or for a specific indirect effect
    the mediators it runs through ("via community belonging (T1) → social support (T1)", from
    the estimates' ``path``), never its lavaan label ("ind_12")."""
    if effect_type != "indirect_specific":
        return _EFFECT_WORDS.get(effect_type, effect_type.replace("_", " "))
    steps = [] if is_missing(path) else [v.strip() for v in str(path).split("->")][1:-1]
    if not steps:
        return "indirect effect through one route"
    return "via " + " \u2192 ".join(in_sentence(nice_variable(v, label_of)) for v in steps)


def _effects_table(est: pd.DataFrame, analysis: str, label_of: dict[str, str]) -> Table:
    e = est[est["effect_type"].isin(_EFFECTS)]
    methods = list(dict.fromkeys(e["method"]))
    keys = list(dict.fromkeys(zip(e["effect_type"], e["label"])))
    rows = []
    for et, lab in keys:
        first = e[(e["effect_type"] == et) & (e["label"] == lab)]
        cells = [effect_words(et, first["path"].iloc[0] if "path" in first.columns else None,
                              label_of)]
        for m in methods:
            r = e[(e["method"] == m) & (e["effect_type"] == et) & (e["label"] == lab)]
            if r.empty:
                cells.append("not estimated")
                continue
            val, ci = _est_ci(*(r[k].iloc[0] for k in ("est", "ci_lower", "ci_upper")))
            cells.append(f"{val} ({ci})")
        rows.append(tuple(cells))
    return Table(caption="Effects (estimate and 95% CI) by method; the primary method first"
                 + _fiml_ci_kind(e),
                 header=("Effect",) + tuple(_METHOD_HEAD.get(m, method_words(m)) for m in methods),
                 rows=tuple(rows), key=f"effects_{analysis}")


def adjusted_for(est: pd.DataFrame, inp: ReportInputs) -> str:
    """What the chain's paths are adjusted for, in words, from the ``covariate`` rows of its
    estimates (every method fits the same equations; AGReMA item 9): "age, gender and each of
    community belonging, ... and social support at pathway entry"; "" when there are none. A
    categorical covariate's indicators (``gender_male``) are named once, by its key."""
    cov = est[est["effect_type"] == "covariate"]["rhs"].astype(str)
    own: list[str] = []
    at: dict[str, list[str]] = {}
    for name in dict.fromkeys(cov):
        own_key = next((k for k in inp.covariates if name == k or name.startswith(k + "_")),
                       None)
        key = next((k for k in sorted(inp.scales, key=len, reverse=True)
                    if name.startswith(k + "_")), None)
        if own_key is not None or key is None:
            word = (own_key or name).replace("_", " ")
            if word not in own:
                own.append(word)
        elif in_sentence(inp.scale_label(key)) not in at.get(
                wave := inp.wave_label(name[len(key) + 1:]), []):
            at.setdefault(wave, []).append(in_sentence(inp.scale_label(key)))
    parts = own + [(f"each of {series(sorted(v))}" if len(v) > 1 else v[0])
                   + f" at {in_sentence(w)}" for w, v in at.items()]
    return series(parts)


def _mediation(inp: ReportInputs, analysis: str, status: pd.DataFrame) -> Section:
    blocks: list = []
    st = status[status["analysis"] == analysis]
    if (st["status"] == "waits_for_data").all():  # e.g. half-longitudinal, two waves so far
        f = inp.findings
        f = f[(f["kind"] == "not_run") & (f["analysis"] == analysis)]
        text = (str(f["sentence"].iloc[0]) if not f.empty else
                f"Mediation: {analysis.replace('_', ' ')}: {st['message'].iloc[0]}.")
        return Section(f"mediation_{analysis}", f"Mediation: {analysis.replace('_', ' ')}",
                       (Notice(text, kind="not_run"),), new_page=False)
    for r in st[st["status"] != "ok"].itertuples():
        blocks.append(not_estimable(f"Mediation by {r.method.replace('_', ' ')}", str(r.message)))
    est = inp.table("mediation_estimates")
    est = None if est is None else est[est["analysis"] == analysis]
    prim = st[st["primary"].astype(str) == "True"] if "primary" in st.columns else st.iloc[:1]
    pm = prim["method"].iloc[0] if not prim.empty else None
    if est is not None and not est.empty:
        order = [pm] + [m for m in dict.fromkeys(est["method"]) if m != pm]
        est = est.assign(_o=est["method"].map({m: i for i, m in enumerate(order)})) \
            .sort_values("_o", kind="stable").drop(columns="_o")
        pe = est[est["method"] == pm]
        words = analysis.replace("_", " ")
        blocks.append(figure(f"mediation_{analysis}_path", inp.figure(f"mediation_{analysis}_path"),
                             f"How change might run through the mediators ({words}): each "
                             "path with its estimate", mediation_path_alt(
                                 analysis.replace("_", " "), pe, 2,
                                 {k: inp.scale_label(k) for k in inp.scales})))
        blocks.append(figure(f"mediation_{analysis}_forest",
                             inp.figure(f"mediation_{analysis}_forest"),
                             f"Total, direct and indirect associations ({words}), by each way "
                             "of handling missing answers", forest_alt(est, 2)))
        blocks.append(_effects_table(est, analysis, {k: inp.scale_label(k) for k in inp.scales}))
        adj = adjusted_for(est, inp)  # (also when the primary method has no estimates)
        blocks.insert(0, Paragraph(
            f"Every association in this analysis is adjusted for {adj}."
            if adj else "The associations are not adjusted for any other characteristic."))
    f = inp.findings[(inp.findings["kind"] == "mediation")
                     & (inp.findings["analysis"] == analysis)]
    if not f.empty:
        sent = f[f["role"] == "primary"]["sentence"].dropna()
        blocks.insert(0, Bullets(tuple(map(str, sent))))
        blocks.append(Table(caption="Mediation findings", header=FINDINGS_HEADER,
                            rows=findings_rows(f, inp.min_cell, label=labeler(inp)),
                            key=f"findings_med_{analysis}",
                            note=findings_note(f), counts=(5, 6), widths=FINDINGS_WIDTHS))
        cav = caveat_bullets(f, arms=bool((inp.findings["kind"] == "comparison").any()))
        if cav:
            blocks.append(Bullets(cav))
    if not blocks:
        blocks.append(not_estimable(f"Mediation {analysis}", "no estimates were written"))
    return Section(f"mediation_{analysis}", f"Mediation: {analysis.replace('_', ' ')}",
                   tuple(blocks), new_page=False)


def shown_constraint(lag: pd.DataFrame | None) -> str:
    """The constraint of the models the crosslag figures and table show: the headline rows'
    (column ``role``) when the table marks one, else ``free``."""
    if lag is None or lag.empty:
        return "free"
    if "role" in lag.columns and (lag["role"] == "headline").any():
        return str(lag.loc[lag["role"] == "headline", "constraint"].iloc[0])
    present = list(dict.fromkeys(lag["constraint"].astype(str)))
    return "free" if "free" in present else present[0]  # e.g. only stationary configured


def shown_rows(lag: pd.DataFrame) -> pd.DataFrame:
    """The lagged effects the crosslag figures show (:func:`shown_constraint`)."""
    return lag[lag["constraint"] == shown_constraint(lag)]


def _est_ci(est: object, lo: object, hi: object) -> tuple[str, str]:
    """Estimate and interval with the same decimals (2, more for small numbers: the rule of
    the findings sentences, :func:`pipeline.wording.decimals_for`)."""
    d = decimals_for(0, 1, [float(x) for x in (est, lo, hi) if not is_missing(x)])
    return fmt_est(est, d), fmt_interval(lo, hi, d)


def lagged_table(lag: pd.DataFrame, inp: ReportInputs, analysis: str) -> Table:
    shown = shown_rows(lag)
    cross = shown[shown["type"] == "cross-lagged"]
    con = shown["constraint"].iloc[0] if not shown.empty else "free"
    rows = tuple(
        (_MODEL_NAMES.get(r["model"], r["model"]).split(" (")[0],
         f"{inp.scale_label(r['from'])} {r['from_wave']} \u2192 {inp.scale_label(r['to'])} "
         f"{r['to_wave']}", *_est_ci(r["est"], r["ci_lower"], r["ci_upper"]),
         fmt_num(r["std_all"]))
        for r in cross.sort_values(["model"], ascending=False, kind="stable").to_dict("records"))
    return Table(caption=f"Cross-lagged effects, {analysis.replace('_', ' ')} ({con} models; "
                         "estimate, 95% CI, standardised)",
                 header=("Model", "Path", "Estimate", "95% CI", "Standardised"), rows=rows,
                 key=f"lagged_{analysis}", widths=(2.4, 4, 1.2, 2, 1.3))


def _crosslag(inp: ReportInputs, analysis: str, status: pd.DataFrame) -> Section:
    blocks: list = []
    st = status[status["analysis"] == analysis]
    lag = inp.table("crosslag_lagged_effects")
    lag = None if lag is None else lag[lag["analysis"] == analysis]
    if "constraint" in st.columns and not st.empty:  # the models shown, and their notes
        con = shown_constraint(lag)
        st = st[st["constraint"] == (con if (st["constraint"] == con).any()
                                     else st["constraint"].iloc[0])]
    f = inp.findings[(inp.findings["kind"] == "crosslag") & (inp.findings["analysis"] == analysis)]
    sent = f[f["role"] == "primary"]["sentence"].dropna()
    if not sent.empty:
        blocks.append(Bullets(tuple(map(str, sent))))
    for model in ("riclpm", "clpm"):
        s = st[st["model"] == model]
        if s.empty:
            continue
        name = _MODEL_NAMES[model]
        if s["status"].iloc[0] == "waits_for_data":  # e.g. an RI-CLPM with two waves so far
            blocks.append(Notice(f"{name}: {str(s['message'].iloc[0]).rstrip('.')}.",
                                 kind="not_run"))
            continue
        if s["status"].iloc[0] != "ok":  # the headline note may sit under another constraint
            blocks.append(not_estimable(name, _plain_reason(
                status[status["analysis"] == analysis], s)))
            continue
        shown = shown_rows(lag)
        lm = shown[shown["model"] == model]
        blocks.append(figure(f"crosslag_{analysis}_{model}",
                             inp.figure(f"crosslag_{analysis}_{model}"),
                             f"{_FIGURE_NAMES[model]} ({analysis.replace('_', ' ')})",
                             crosslag_alt(model, lm, {k: inp.scale_label(k) for k in inp.scales})))
    if lag is not None and not lag.empty:
        table = lagged_table(lag, inp, analysis)
        blocks.append(table if len(table.rows) <= MAX_ROWS_IN_TEXT else Paragraph(
            f"The {len(table.rows)} cross-lagged effects of this analysis are listed in the "
            "technical appendix."))
    notes = [n for n in dict.fromkeys(st["note"].dropna().astype(str)) if n] \
        if "note" in st.columns else []
    said = " ".join(b.text for b in blocks if isinstance(b, Notice))
    for n in notes:
        # a notice above already says it (the headline note, in its own words)
        if n.rstrip(".").lower() not in said.lower() and not (
                n.startswith(_NO_HEADLINE) and "no version of it could be estimated" in said):
            blocks.append(Notice(re.sub(r"\s*\(column [A-Za-z_.]+\)", "", n), kind="caveat"))
    return Section(f"crosslag_{analysis}", f"Cross-lagged models: {analysis.replace('_', ' ')}",
                   tuple(blocks) or (not_estimable(analysis, "no model was fitted"),),
                   new_page=False)


#: the crosslag wing's headline note when no RI-CLPM version was estimable (its first sentence)
_NO_HEADLINE = "No headline cross-lagged estimate: no RI-CLPM version was estimable."


def _plain_reason(status: pd.DataFrame, model_rows: pd.DataFrame) -> str:
    """Why a model gave no result, in the words of the headline row's note when there is one
    (the engine's own message, with parameter names, stays in the technical appendix); the
    note's "no headline estimate: no version was estimable" (circular after "not estimable
    because") is said as what went wrong."""
    if model_rows["model"].iloc[0] == "riclpm" and {"role", "note"} <= set(status.columns):
        head = status.loc[status["role"].eq("headline"), "note"].dropna().astype(str)
        if not head.empty and head.iloc[0]:
            note = head.iloc[0]
            if note.startswith(_NO_HEADLINE):
                what = STATUS_WHY.get(str(model_rows["status"].iloc[0]), STATUS_WHY["failed"])
                note = f"no version of it could be estimated: {what}." + note[len(_NO_HEADLINE):]
            return note
    return str(model_rows["message"].iloc[0])


#: the words of this section's figures and tables, for a reader who is not a statistician
#: (a funder-eyed read listed them as unexplained); each said only when its analysis ran
READING_WORDS = (
    ("mediation", "In the mediation figure, each arrow's letters name a path (a: from the "
                  "starting measure, d: between the measures in the chain, b: to the outcome, "
                  "c\u2032: directly to the outcome); the number is how many points higher "
                  "the measure at the arrow's head is, on average, per point higher on the one "
                  "at its tail (an association, not an effect)."),
    ("crosslag", "RI-CLPM (random-intercept cross-lagged panel model) compares each person "
                 "with their own usual level and is the main cross-lagged model; the classic "
                 "CLPM compares people with each other and is shown for comparison only. "
                 "\u201cStationary\u201d means a path is taken to be the same between every "
                 "pair of waves."),
    ("crosslag", "\u201cp Holm\u201d is a p-value corrected for testing several paths at "
                 "once (Holm\u2019s method): a path counts as a finding only when it is below "
                 "the evaluation\u2019s significance level. Standardised effects are in "
                 "standard deviations, so measures on different scales can be compared."),
)


def mechanisms_section(inp: ReportInputs) -> Section:
    """Mediation analyses, then cross-lagged analyses, in the order of their status tables."""
    subs: list[Section] = []
    med = inp.table("mediation_status")
    if (waiting := not_run(inp.findings, ("mediation",))):
        subs.append(Section("mediation", "Mediation", tuple(waiting), new_page=False))
    elif med is None:
        subs.append(Section("mediation", "Mediation", (not_estimable(
            "Mediation", "the mediation stage wrote no status table"),), new_page=False))
    else:
        subs += [_mediation(inp, a, med) for a in dict.fromkeys(med["analysis"])]
    cl = inp.table("crosslag_status")
    if (waiting := not_run(inp.findings, ("crosslag",))):
        subs.append(Section("crosslag", "Cross-lagged models", tuple(waiting), new_page=False))
    elif cl is None:
        subs.append(Section("crosslag", "Cross-lagged models", (not_estimable(
            "Cross-lagged models", "the crosslag stage wrote no status table"),), new_page=False))
    else:
        subs += [_crosslag(inp, a, cl) for a in dict.fromkeys(cl["analysis"])]
    who = ("among everyone in the evaluation, both groups together" if (
        inp.findings["kind"] == "comparison").any() else "in one group of participants")
    intro = Paragraph(
        "These analyses ask how change might come about: whether change in one measure goes "
        "with changes in others that lead on to the outcome (mediation), and whether one measure "
        "predicts another at the next wave (cross-lagged models). They describe associations "
        f"{who}; they cannot show cause and effect.")
    words = [w for k, w in READING_WORDS if (med is not None and k == "mediation")
             or (cl is not None and k == "crosslag")]
    blocks = (intro,) + ((Bullets(tuple(words)),) if words else ())
    return Section("mechanisms", "Mechanisms", blocks, subsections=tuple(subs))


