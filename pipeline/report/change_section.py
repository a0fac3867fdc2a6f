"""Section 4: change over time, one subsection per construct: the trajectory figure, the
findings rows (primary method and the sensitivity methods beside it), reliable-change shares
(Jacobson & Truax 1991) with the meaningful-change share (a published or configured minimal
important difference) beside them, from the change wing's public table, and the shares per
published score band (UCLA-3 "lonely", ONS4 bands) from the change wing's sentences.
"""

from __future__ import annotations

import re

import pandas as pd

from pipeline.report.alt_text import change_alt
from pipeline.report.blocks import (
    FINDINGS_HEADER,
    FINDINGS_WIDTHS,
    figure,
    findings_note,
    findings_rows,
    not_estimable,
    not_run,
)
from pipeline.report.entry_characteristics import score_rows
from pipeline.report.finding_labels import labeler
from pipeline.report.inputs import ReportInputs
from pipeline.report.model import Bullets, Notice, Paragraph, Section, Table
from pipeline.report.numfmt import NO_VALUE, fmt_count, fmt_num, fmt_pct, is_missing
from pipeline.wording import fmt_range, mid_note, plain_reason, short_citation

__all__ = ["change_section", "scale_scores"]

_RCI = (("reliably_improved", "Reliably improved"), ("no_reliable_change", "No reliable change"),
        ("reliably_deteriorated", "Reliably deteriorated"))


def _model_means(inp: ReportInputs, construct: str) -> pd.DataFrame | None:
    """The means the change figure draws: the primary method's (change_primary_means) when the
    change wing writes them, else the mixed model's (change_means)."""
    prim = inp.table("change_primary_means")
    if prim is not None and "role" in prim.columns:
        p = prim[(prim["construct"] == construct) & (prim["role"] == "primary")
                 & (prim["status"] == "ok")]
        if not p.empty:
            order = {w.id: i for i, w in enumerate(inp.waves)}
            return p.assign(wave_index=p["wave"].map(order)).sort_values("wave_index")
    means = inp.table("change_means")
    if means is None:
        return None
    m = means[(means["construct"] == construct) & (means["status"] == "ok")]
    lmm = m[m["method"].astype(str).str.startswith("lmm")]
    m = lmm if not lmm.empty else m[m["method"] == m["method"].iloc[0]] if not m.empty else m
    return None if m.empty else m.sort_values("wave_index")


def _share(count: object, share: object, min_cell: int) -> str:
    """"count (share%)"; a suppression mark in either cell is kept as it is."""
    c = fmt_count(count, min_cell)
    if is_missing(share):
        return c
    try:
        return f"{c} ({fmt_pct(100 * float(share))})"
    except ValueError:  # a suppressed share: the count's mark says it all
        return c


_MID = ("mid_improved", "Meaningfully improved")

#: the tipping-point row's method: said in the text ("Sensitivity to dropout not at random"),
#: not a row of the findings table (its number is a shift, not a change; "how sure" has no
#: meaning for it); the technical appendix lists it with every finding
TIPPING_METHOD = "mi_delta_adjusted"


def scale_scores(inp: ReportInputs) -> dict[str, str]:
    """Scale -> its scoring rule (mean, sum, lookup, index): the decimals of its numbers."""
    return {k: sc.score for k, sc in inp.scales.items()}


def _mid_footnote(rows: pd.DataFrame) -> str:
    """The table note for the "Meaningfully improved" column: the MID and where it comes from
    (the preset's paper, or the study's own value)."""
    m = rows[rows["category"] == "mid_improved"]
    if m.empty or "mid" not in m.columns:
        return ""
    r = m.iloc[0]
    words = mid_note(pd.to_numeric(r["mid"], errors="coerce"), str(r.get("mid_source", "")),
                     str(r.get("mid_reference", "")))
    return f"Meaningfully improved: {words}." if words else ""


def _rci_table(inp: ReportInputs, construct: str, label: str) -> Table | Notice | None:
    """Reliable change per follow-up wave (people with both scores) and, when the scale has a
    minimal important difference (MID), the share meaningfully improved beside it, its MID and
    source in the note. With no reliability (an index score, a single item) but a MID, the
    table shows the MID column alone, and the note says why reliable change is not given."""
    rci = inp.table("change_rci_shares_public")
    if rci is None:
        return None
    r = rci[rci["construct"] == construct]
    is_mid, ok = r["category"].eq("mid_improved"), r["status"].eq("ok")
    if not r.empty and not ok.any():
        return not_estimable(f"Reliable change in {label}", plain_reason(r["message"].iloc[0]))
    rci_ok = (~is_mid & ok).any()  # no reliability: the MID column alone, and why in the note
    cols = (_RCI if rci_ok else ()) + ((_MID,) if (is_mid & ok).any() else ())
    rows = []
    for wave, g in r.groupby("wave", sort=True):
        by = {row["category"]: row for row in g.to_dict("records")}
        cells = [inp.wave_label(wave), fmt_count(g["n"].iloc[0], inp.min_cell)]
        cells += [_share(by[c]["count"], by[c]["share"], inp.min_cell) if c in by else NO_VALUE
                  for c, _ in cols]
        rows.append(tuple(cells))
    if not rows:
        return None
    has_mid = _MID in cols
    notes = [_mid_footnote(r)] if has_mid else []
    no_rci = r[~is_mid & ~ok]
    if len(no_rci) and not rci_ok:
        notes.append(f"Reliable change: not estimable ({plain_reason(no_rci['message'].iloc[0])}).")
    caption = " and ".join(([] if not rci_ok else ["reliable change"])
                           + (["meaningful change"] if has_mid else []))
    return Table(caption=f"{label}: {caption} since entry (people with both scores)",
                 header=("Wave", "People with both scores") + tuple(h for _, h in cols),
                 rows=tuple(rows), key=f"rci_{construct}", counts=(1,),
                 note=" ".join(n for n in notes if n))


def _bands(inp: ReportInputs, construct: str) -> list:
    """The share of people in each published band of the score (UCLA-3 "lonely", ONS4 bands)
    at each wave: the change wing's sentence (kind "bands" of change_sentences.csv, written
    from the disclosure-controlled bands table) and where the bands come from."""
    sent = inp.table("change_sentences")
    if sent is None or not {"construct", "kind", "sentence"} <= set(sent.columns):
        return []
    hit = sent[(sent["kind"] == "bands") & (sent["construct"] == construct)]["sentence"]
    hit = [str(x) for x in hit.dropna() if str(x).strip()]
    if not hit:
        return []
    bands = inp.table("change_bands_public")
    ref = "" if bands is None or "reference" not in bands.columns else next(
        (str(x) for x in bands.loc[bands["construct"] == construct, "reference"].dropna()
         if str(x).strip()), "")
    ref = re.sub(r"[:;]\s*cite the cut-off you follow\.?\s*$", "", ref.strip())  # (to analysts)
    where = f" Where the bands come from: {ref.rstrip('.')}." if ref else ""
    return [Paragraph(hit[0] + BANDS_CAVEAT + where, strong_lead="Score bands.")]


# the shares of later waves are of fewer, and different, people (those who stayed): a funder
# read a fall from 57% to 38% "lonely" as change (found by a funder-eyed read of the report)
BANDS_CAVEAT = (" Each share is of the people who answered at that wave, and those who stayed "
                "were not a random part of those who entered, so a difference between waves is "
                "not by itself a change: the estimates above are.")


def _from_to(lo: float, hi: float) -> str:
    """"3 to 9", "−0.285 to 1" (the numbers as :func:`pipeline.wording.fmt_range` writes them)."""
    return fmt_range(lo, hi).replace("\u2013", " to ", 1)


def measure_sentence(scale, label: str) -> str:
    """What was measured, in words, before the results ("To measure loneliness (UCLA-3), people
    answered 3 questions, each from 1 to 3; the answers are added up to a score from 3 to 9
    (Hughes et al. 2004)."): a funder-eyed read found "UCLA-3" and "EQ VAS" never explained.
    A published instrument's citation comes from its preset (``pipeline.instruments``)."""
    from pipeline.instruments import INSTRUMENTS

    k, (lo, hi) = len(scale.items), scale.range
    questions = "one question" if k == 1 else f"{k} questions"
    # "To measure ..., people answered": no verb to agree with a plural ("group memberships")
    name = label[:1].lower() + label[1:] if label[1:2].islower() else label
    if scale.score == "index":
        how = (f"the answers are turned into an index score from "
               f"{_from_to(*scale.score_range)} by a published table")
    elif scale.score == "lookup":
        how = (f"the answers are added up and converted to a score from "
               f"{_from_to(*scale.score_range)} by a published table")
    elif k == 1:
        how = "the score is the answer itself"
    elif scale.score == "sum":
        how = f"the answers are added up to a score from {_from_to(*scale.score_range)}"
    else:
        how = "the score is their average"
    preset = INSTRUMENTS.get(scale.instrument) if scale.instrument else None
    cite = short_citation(preset.reference) if preset is not None else ""
    answered = f"from {_from_to(lo, hi)}"
    anchors = preset.response_labels if preset is not None else ()
    if len(anchors) == 2 and all(" = " in a for a in anchors):  # "0 = the worst health ..."
        (a, wa), (b, wb) = (x.split(" = ", 1) for x in anchors)
        if (a, b) == (fmt_num(lo, 0), fmt_num(hi, 0)):  # the preset's range, not a rescaled one
            answered = f"from {a} ({wa}) to {b} ({wb})"
    return (f"To measure {name}, people answered {questions}, {'each ' if k > 1 else ''}"
            f"{answered}; {how}"
            + (f" ({cite})" if cite else "") + ".")


def _construct(inp: ReportInputs, key: str) -> Section:
    scale = inp.scales[key]
    label = inp.scale_label(key)
    lo, hi = scale.score_range  # the score's range, not the item's
    blocks: list = []
    f = inp.findings[(inp.findings["kind"] == "change") & (inp.findings["construct"] == key)]
    status = inp.table("change_status")
    st = None if status is None else status[status["construct"] == key]
    failed = st is not None and not st.empty and (st["status"] != "ok").all()
    if failed and (st["status"] == "not_run").all():  # e.g. a count: another section has it
        why = str(st["message"].iloc[0])
        text = (f"{label} is a count, not a score on a scale: it is analysed in the section on "
                "use of health services." if "count" in why else f"{label}: {why.rstrip('.')}.")
        return Section(f"change_{key}", label, (Notice(text, kind="not_run"),), new_page=False)
    if failed:
        blocks.append(not_estimable(f"Change in {label}", str(st["message"].iloc[0])))
    means = _model_means(inp, key)
    if means is not None:
        labels = {w.id: w.label for w in inp.waves}
        blocks.append(figure(f"change_{key}", inp.figure(f"change_{key}"),
                             f"{label}: estimated mean at each wave (the n under a wave: "
                             "people with a score at that wave)",
                             change_alt(label[0].lower() + label[1:], means, labels, lo, hi)))
    # after the figure: a heading keeps its figure on its page (a sentence between them let
    # the heading and the sentence end a page alone)
    blocks.append(Paragraph(measure_sentence(scale, label)))
    primary = f[f["role"] == "primary"]
    if not primary.empty:
        blocks.append(Bullets(tuple(str(s) for s in primary["sentence"].dropna())))
        sens = f[f["role"] == "sensitivity"]["sentence"].dropna()
        if not sens.empty:
            blocks.append(Paragraph(" ".join(map(str, sens)),
                                    strong_lead="Other ways of handling missing answers."))
        shown = f[f["method"] != TIPPING_METHOD]  # the rows and their note: the same letters
        blocks.append(Table(caption=f"{label}: change since entry, primary method and "
                                    "sensitivity methods", header=FINDINGS_HEADER,
                            rows=findings_rows(shown, inp.min_cell, scale_scores(inp),
                                               labeler(inp, construct=False)),
                            key=f"findings_change_{key}",
                            note=findings_note(shown), counts=(5, 6), widths=FINDINGS_WIDTHS))
    elif not failed:
        blocks.append(not_estimable(f"Change since entry in {label}",
                                    "the findings table holds no change result for it"))
    rci = _rci_table(inp, key, label)
    if rci is not None:
        blocks.append(rci)
    blocks += _bands(inp, key)
    return Section(f"change_{key}", label, tuple(blocks), new_page=False)


def _entry_table(inp: ReportInputs) -> Table | None:
    """Scores at entry (mean, SD, people) per scale from the public baseline descriptives: what
    a one-wave study can say before change can be measured."""
    base = inp.table("descriptives_baseline_public")
    if base is None or not {"group", "variable", "n", "mean", "sd"} <= set(base.columns):
        return None
    first = inp.waves[0]
    rows = score_rows(inp, base[base["group"].astype(str) == "baseline"])
    if not rows:
        return None
    note = "" if all(r[2].isdigit() for r in rows) else (
        f"<{inp.min_cell}: fewer than {inp.min_cell} people; a range of people: the exact number "
        "is hidden so that a small number missing cannot be worked out; [c]: not shown, because "
        f"fewer than {inp.min_cell} people answered or the number answering is hidden.")
    return Table(caption=f"Scores at entry ({first.id}, {first.label})",
                 header=("Measure", "Score range", "People", "Mean", "SD"), rows=tuple(rows),
                 key="entry_scores", counts=(2,), widths=(4.0, 1.4, 1.2, 1.2, 1.2), note=note)


def change_section(inp: ReportInputs) -> Section:
    """One subsection per configured scale, in config order; when the change analysis did not
    run (one wave; switched off), why, and the scores at entry."""
    waiting = not_run(inp.findings, ("change",))
    if waiting:
        entry = _entry_table(inp)
        return Section("change", "Change over time", tuple(waiting) + ((entry,) if entry else ()))
    intro = Paragraph(
        "For each measure, this section shows the estimated mean at each wave (by the main "
        "method, using everyone's answers; the figure's legend names it), the change since "
        "entry with its confidence interval (by the main method, with the other ways of "
        "handling missing answers beside it as checks), and how many people changed by more "
        "than measurement error alone would explain (reliable change).")
    subs = tuple(_construct(inp, k) for k in inp.scales)
    return Section("change", "Change over time", (intro,), subsections=subs)
