"""Section 4: change over time, one subsection per construct: the trajectory figure, the
findings rows (primary method and the sensitivity methods beside it) and reliable-change shares
(Jacobson & Truax 1991) from the change wing's public table.
"""

from __future__ import annotations

import pandas as pd

from pipeline.report.alt_text import change_alt
from pipeline.report.blocks import (
    FINDINGS_HEADER,
    FINDINGS_WIDTHS,
    figure,
    findings_note,
    findings_rows,
    not_estimable,
)
from pipeline.report.inputs import ReportInputs
from pipeline.report.model import Bullets, Notice, Paragraph, Section, Table
from pipeline.report.numfmt import fmt_count, fmt_pct, is_missing

__all__ = ["change_section"]

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


def _rci_table(inp: ReportInputs, construct: str, label: str) -> Table | Notice | None:
    rci = inp.table("change_rci_shares_public")
    if rci is None:
        return None
    r = rci[rci["construct"] == construct]
    if "status" in r.columns and not r.empty and (r["status"] != "ok").all():
        return not_estimable(f"Reliable change in {label}", str(r["message"].iloc[0]))
    rows = []
    for wave, g in r.groupby("wave", sort=True):
        by = {row["category"]: row for row in g.to_dict("records")}
        cells = [inp.wave_label(wave), fmt_count(g["n"].iloc[0], inp.min_cell)]
        cells += [_share(by[c]["count"], by[c]["share"], inp.min_cell) if c in by else "NA"
                  for c, _ in _RCI]
        rows.append(tuple(cells))
    if not rows:
        return None
    return Table(caption=f"{label}: reliable change since entry (people with both scores)",
                 header=("Wave", "People with both scores") + tuple(h for _, h in _RCI),
                 rows=tuple(rows), key=f"rci_{construct}", counts=(1,))


def _construct(inp: ReportInputs, key: str) -> Section:
    scale = inp.scales[key]
    label = inp.scale_label(key)
    lo, hi = scale.range
    if scale.score == "sum":  # the score's range, not the item's
        lo, hi = lo * len(scale.items), hi * len(scale.items)
    blocks: list = []
    f = inp.findings[(inp.findings["kind"] == "change") & (inp.findings["construct"] == key)]
    status = inp.table("change_status")
    st = None if status is None else status[status["construct"] == key]
    failed = st is not None and not st.empty and (st["status"] != "ok").all()
    if failed:
        blocks.append(not_estimable(f"Change in {label}", str(st["message"].iloc[0])))
    means = _model_means(inp, key)
    if means is not None:
        labels = {w.id: w.label for w in inp.waves}
        blocks.append(figure(f"change_{key}", inp.figure(f"change_{key}"),
                             f"{label}: estimated mean at each wave",
                             change_alt(label[0].lower() + label[1:], means, labels, lo, hi)))
    primary = f[f["role"] == "primary"]
    if not primary.empty:
        blocks.append(Bullets(tuple(str(s) for s in primary["sentence"].dropna())))
        sens = f[f["role"] == "sensitivity"]["sentence"].dropna()
        if not sens.empty:
            blocks.append(Paragraph(" ".join(map(str, sens)),
                                    strong_lead="Other ways of handling missing answers."))
        blocks.append(Table(caption=f"{label}: change since entry, primary method and "
                                    "sensitivity methods", header=FINDINGS_HEADER,
                            rows=findings_rows(f, inp.min_cell), key=f"findings_change_{key}",
                            note=findings_note(f), counts=(5, 6), widths=FINDINGS_WIDTHS))
    elif not failed:
        blocks.append(not_estimable(f"Change since entry in {label}",
                                    "the findings table holds no change result for it"))
    rci = _rci_table(inp, key, label)
    if rci is not None:
        blocks.append(rci)
    return Section(f"change_{key}", label, tuple(blocks), new_page=False)


def change_section(inp: ReportInputs) -> Section:
    """One subsection per configured scale, in config order."""
    intro = Paragraph(
        "For each measure: the estimated mean at each wave (a mixed model using everyone's "
        "answers), the change since entry with its confidence interval by the primary method and "
        "by the other methods beside it, and how many people changed by more than measurement "
        "error alone would explain (reliable change).")
    subs = tuple(_construct(inp, k) for k in inp.scales)
    return Section("change", "Change over time", (intro,), subsections=subs)
