"""The pooled report's result sections: change across the schemes, the mechanism across the
schemes, and what was not pooled (spec: /tmp/refactor/pooled_report_spec.md, issue 15).

Every number comes from the pooled wing's tables (``results/pooled/tables``), every sentence
from ``pooled_sentences.csv``; no count of people is printed here (the scheme table in
:mod:`pipeline.report.pooled_build` has them, protected). Stage messages go through
:func:`pipeline.report.blocks.scrub_counts` as everywhere in the reports.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from pipeline.report.blocks import figure, method_words, not_estimable, scrub_counts
from pipeline.report.model import Bullets, Notice, Paragraph, Section, Table
from pipeline.report.numfmt import fmt_p, in_sentence, is_missing
from pipeline.wording import decimals_for
from pipeline.wording import fmt_num as wfmt

__all__ = ["PooledInputs", "change_section", "mechanism_section", "crosslag_section",
           "not_pooled_section", "stand_in_notes", "path_words", "plain"]

#: a config key in brackets ("(pooled.min_schemes)"): for the analyst's tables and log only
_CONFIG_HINT = re.compile(r"\s*\((?:[a-z_]+\.)+[a-z_]+\)")


def plain(text: str) -> str:
    """A pooled sentence or stage message without its config-key hints ("pooling needs at
    least 2 (pooled.min_schemes)" -> "pooling needs at least 2"): the report is for funders;
    the tables and the log keep the key."""
    return _CONFIG_HINT.sub("", text)


@dataclass
class PooledInputs:
    """The pooled tables (by file stem) and the pooled figures (SVG by stem)."""

    tables: dict[str, pd.DataFrame]
    figures: dict[str, Path] = field(default_factory=dict)

    def table(self, name: str) -> pd.DataFrame | None:
        t = self.tables.get(name)
        return None if t is None or t.empty and not len(t.columns) else t

    def sentences(self, kind: str, construct: str | None = None) -> list[str]:
        s = self.table("pooled_sentences")
        if s is None:
            return []
        s = s[s["kind"].astype(str) == kind]
        if construct is not None:
            s = s[s["construct"].astype(str) == construct]
        return [plain(str(x)) for x in s["sentence"] if not is_missing(x)]


def _wave(settings, wave: object, in_text: bool = False) -> str:
    """A wave as "About 4 months (T1)"; ``in_text``: inside a sentence ("about 4 months")."""
    w = str(wave)
    label = settings.wave_labels.get(w, w)
    return f"{in_sentence(label) if in_text else label} ({w})"


def _first_clause(msg: object) -> str:
    """A stage message's plain first clause ("too few people answered at T2 (fewer than 10)"),
    without the analyst detail after it (variable lists, matrices)."""
    text = "" if is_missing(msg) else str(msg)
    text = text.split(": ", 1)[1] if text.startswith(("not estimable under", "ipw stands",
                                                        "lmm stands", "mi stands")) else text
    return text.split(";")[0].split(": ")[0].strip().rstrip(".")


def stand_in_notes(inp: PooledInputs, settings, construct: str, min_cell: int) -> list[str]:
    """Per scheme whose primary method did not give the change: which method stood in, or
    that it has no estimate, and why (the first clause of the message; the scheme's own report
    has the rest)."""
    rows = inp.table("pooled_change_schemes_public")
    if rows is None:
        return []
    rows = rows[rows["construct"].astype(str) == construct]
    out = []
    for r in rows.itertuples():
        title = settings.schemes.get(str(r.scheme), str(r.scheme))
        when = f" at {_wave(settings, r.wave, True)}" if not is_missing(r.wave) else ""
        why = scrub_counts(_first_clause(r.message), min_cell)
        why = f" ({why})" if why else ""
        if str(r.status) != "ok":
            out.append(f"{title}{when}: no estimate{why}.")
        elif not is_missing(r.primary_method) and str(r.method) != str(r.primary_method):
            out.append(f"{title}{when}: {method_words(r.method)} stands in for the primary "
                       f"method, {method_words(r.primary_method)}{why}.")
    return out


def _change_table(pooled: pd.DataFrame, settings, key: str) -> Table:
    label, lo, hi, score = settings.constructs[key]
    rows = []
    for r in pooled.itertuples():
        if str(r.status) != "ok":
            rows.append((_wave(settings, r.wave), str(int(r.k)), "not pooled", "", "", ""))
            continue
        d = decimals_for(lo, hi, [float(r.est), float(r.ci_lower), float(r.ci_upper)])
        rows.append((_wave(settings, r.wave), str(int(r.k)),
                     f"{wfmt(r.est, d, signed=True)} ({wfmt(r.ci_lower, d)} to "
                     f"{wfmt(r.ci_upper, d)})",
                     f"{wfmt(r.pi_lower, d)} to {wfmt(r.pi_upper, d)}",
                     f"{float(r.I2):.0f}%", fmt_p(r.Q_pvalue)))
    level = pooled["ci_level"].dropna()
    pct = f"{100 * float(level.iloc[0]):.10g}%" if len(level) else "95%"
    return Table(caption=f"{label}: change from entry pooled across the schemes",
                 header=("Change from entry to", "Schemes", f"Pooled change ({pct} CI)",
                         f"{pct} prediction interval", "I\u00b2", "Q test p"),
                 rows=tuple(rows), key=f"pooled_change_{key}",
                 widths=(2.2, 1.0, 2.4, 2.0, 0.9, 1.0),
                 note="Random-effects meta-analysis (REML, Knapp-Hartung CI). The prediction "
                      "interval is where the change in a new scheme like these would likely "
                      "lie; I\u00b2 is the share of the spread due to real differences between "
                      "schemes.")


def change_section(inp: PooledInputs, settings) -> Section:
    """Per construct: the forest figure, its sentences, the pooled table, stand-in notes."""
    pooled = inp.table("pooled_change")
    if pooled is None or pooled.empty:
        return Section("pooled_change", "Change across the schemes", (not_estimable(
            "Change across the schemes", "no construct was pooled (see 'Not pooled')"),))
    subs = []
    for key, (label, *_rest) in settings.constructs.items():
        mine = pooled[pooled["construct"].astype(str) == key]
        said = inp.sentences("change", key)
        blocks: list = [figure(f"pooled_change_{key}", inp.figures.get(f"pooled_change_{key}"),
                               f"{label}: change from entry in each scheme and pooled",
                               " ".join(said) or f"Forest plot of the change in "
                                                 f"{in_sentence(label)}.")]
        blocks += [Paragraph(s) for s in said]
        if not mine.empty:
            blocks.append(_change_table(mine, settings, key))
        notes = stand_in_notes(inp, settings, key, settings.min_cell)
        if notes:
            blocks.append(Paragraph("Not every scheme's estimate comes from its primary "
                                    "method:", strong_lead="Methods standing in."))
            blocks.append(Bullets(tuple(notes)))
        subs.append(Section(f"pooled_change_{key}", label, tuple(blocks), new_page=False))
    lead = Paragraph(
        "For each outcome, every scheme's change from entry (under that scheme's primary "
        "method for missing answers) was combined in a random-effects meta-analysis: the "
        "scheme is the random effect, so the pooled change is the average over schemes like "
        "these, and the prediction interval says how much a new scheme might differ.")
    return Section("pooled_change", "Change across the schemes", (lead,), tuple(subs))


_EFFECT_WORDS = {"ind_total": "Total indirect effect", "total": "Total effect"}


def path_words(row, names: dict[str, str]) -> str:
    """A pooled path or effect in words ("a1: Group memberships \u2192 Belonging")."""
    lab = "" if is_missing(row.label) else str(row.label)
    if str(row.op) == ":=":
        lhs = str(row.lhs)
        if lhs in _EFFECT_WORDS:
            return _EFFECT_WORDS[lhs]
        steps = lhs.removeprefix("ind_")
        via = [names.get(f"#m{ch}", f"mediator {ch}") for ch in steps]
        return "Indirect effect via " + " then ".join(via)
    frm, to = names.get(str(row.rhs), str(row.rhs)), names.get(str(row.lhs), str(row.lhs))
    return f"{lab.replace('cp', 'c' + chr(8242))}: {frm} \u2192 {to}" if lab else \
        f"{frm} \u2192 {to}"


def _names(est: pd.DataFrame, settings) -> dict[str, str]:
    """Chain variable -> words, and "#m<j>" -> the j-th mediator's words (a<j>: M<j> ~ X)."""
    names: dict[str, str] = {}
    for r in est[est["op"].astype(str) == "~"].itertuples():
        for v in (str(r.lhs), str(r.rhs)):
            names[v] = _var_words(v, settings)
        lab = "" if is_missing(r.label) else str(r.label)
        if lab.startswith("a") and lab[1:].isdigit():
            names[f"#m{lab[1:]}"] = names[str(r.lhs)]
    return names


def _var_words(col: str, settings) -> str:
    """A chain column ("group_memberships_change") as words ("change in Group memberships")."""
    for key, (label, *_rest) in sorted(settings.constructs.items(), key=lambda kv: -len(kv[0])):
        if col.startswith(key):
            rest = col[len(key):].strip("_").split("_")
            if len(rest) == 3 and rest[0] == "change":  # "change_T0_T1"
                return f"{label} (change from {rest[1]} to {rest[2]})"
            return f"{label} ({' '.join(rest)})" if rest != [""] else label
    return col.replace("_", " ")


def _mediation_table(est: pd.DataFrame, settings) -> Table:
    pooled = est[(est["model"].astype(str) == "equal")
                 & (est["group"].astype(str) == "all schemes")]
    names = _names(pooled, settings)
    rows = []
    for r in pooled.itertuples():
        if str(r.op) == "~" and is_missing(r.label):
            continue
        rows.append((path_words(r, names), wfmt(r.est, 3),
                     f"{wfmt(r.ci_lower, 3)} to {wfmt(r.ci_upper, 3)}", fmt_p(r.pvalue)))
    return Table(caption="The chain with its paths held equal across the schemes: pooled "
                         "paths and effects", header=("Path or effect", "Estimate", "95% CI",
                                                      "p"),
                 rows=tuple(rows), key="pooled_mediation", widths=(4.5, 1.2, 2.0, 1.0),
                 note="Multi-group FIML model with the schemes as groups; paths a (to a "
                      "mediator), d (mediator to mediator), b (mediator to outcome) and c\u2032 "
                      "(direct) equal in every scheme; covariates free per scheme.")


def mechanism_section(inp: PooledInputs, settings) -> Section | None:
    """The mechanism across schemes (only when the pooled mediation test exists)."""
    test = inp.table("pooled_mediation_test")
    if test is None:
        return None
    blocks: list = [Paragraph(s) for s in inp.sentences("mediation")]
    est = inp.table("pooled_mediation")
    if est is not None and not est.empty:
        blocks.append(_mediation_table(est, settings))
    for r in test.itertuples():
        if str(r.status) != "ok":
            blocks.append(Notice(scrub_counts(plain(str(r.message)), settings.min_cell)))
    chain = settings.mediation_label.replace("->", "\u2192")
    blocks.insert(0, Paragraph(f"The chain tested: {chain}.", strong_lead="Mechanism."))
    return Section("pooled_mechanism", "The mechanism across the schemes", tuple(blocks))


_MODEL_WORDS = {"clpm": "CLPM", "riclpm": "RI-CLPM"}


def _crosslag_table(est: pd.DataFrame, settings) -> Table:
    pooled = est[(est["constraint"].astype(str) == "equal")
                 & (est["group"].astype(str) == "all schemes")]
    label = settings.scale_labels
    rows = tuple(
        (_MODEL_WORDS.get(str(r["model"]), str(r["model"])),
         f"{label.get(str(r['from']), str(r['from']))} ({r['from_wave']}) \u2192 "
         f"{label.get(str(r['to']), str(r['to']))} ({r['to_wave']})",
         wfmt(r["est"], 3), f"{wfmt(r['ci_lower'], 3)} to {wfmt(r['ci_upper'], 3)}",
         fmt_p(r["pvalue"]))
        for r in pooled.to_dict("records"))
    return Table(caption="Cross-lagged paths held equal across the schemes (pooled)",
                 header=("Model", "Path", "Estimate", "95% CI", "p"), rows=rows,
                 key="pooled_crosslag", widths=(1.1, 4.4, 1.1, 1.9, 0.9),
                 note="Multi-group FIML model with the schemes as groups; each cross-lagged "
                      "path (one per pair of waves) equal in every scheme, autoregressive paths "
                      "free per scheme. In the RI-CLPM the paths are between within-person "
                      "deviations (stable differences between people set apart); the CLPM "
                      "mixes the two and is shown for comparison.")


def crosslag_section(inp: PooledInputs, settings) -> Section | None:
    """The cross-lags across schemes (only when the pooled cross-lag test exists)."""
    test = inp.table("pooled_crosslag_test")
    if test is None:
        return None
    blocks: list = [Paragraph(s) for s in inp.sentences("crosslag")]
    est = inp.table("pooled_crosslag")
    if est is not None and not est.empty:
        blocks.append(_crosslag_table(est, settings))
    return Section("pooled_crosslag", "Cross-lagged effects across the schemes", tuple(blocks))


def _status_what(analysis: str, settings) -> str:
    """A status row's ``analysis`` ("change/qol/T2/north") in words ("Change in Quality of
    life (EQ VAS) to 6-9 months (T2), Demo pathway (north)")."""
    kind, *parts = analysis.split("/")
    if kind == "change" and parts:
        label = settings.constructs.get(parts[0], (parts[0],))[0]
        out = f"Change in {in_sentence(label)}"
        out += f" to {_wave(settings, parts[1], True)}" if len(parts) > 1 else ""
        out += f", {settings.schemes.get(parts[2], parts[2])}" if len(parts) > 2 else ""
        return out
    if kind == "crosslag" and len(parts) > 1:  # the analysis name is a config key: left out
        return f"Cross-lagged paths ({_MODEL_WORDS.get(parts[1], parts[1])})"
    if kind == "mediation":
        return f"The mechanism ({settings.mediation_label or '/'.join(parts)})"
    return analysis


def not_pooled_section(inp: PooledInputs, settings) -> Section:
    """Every status row in plain words (constructs scored differently, waves with too few
    schemes, schemes without an estimate)."""
    items = inp.sentences("not_pooled")
    status = inp.table("pooled_status")
    if status is not None:
        for r in status.itertuples():
            scheme = str(r.analysis).startswith("change/") and str(r.analysis).count("/") > 2
            why = _first_clause(r.message) if scheme else plain(str(r.message))
            items.append(f"{_status_what(str(r.analysis), settings)}: "
                         f"{scrub_counts(why, settings.min_cell)}")
    blocks = (Bullets(tuple(dict.fromkeys(items))),) if items else (
        Paragraph("Everything configured for pooling was pooled."),)
    return Section("pooled_not_pooled", "Not pooled", blocks)
