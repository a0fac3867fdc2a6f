"""Who joined: the characteristics of everyone at entry (TREND item 14, STROBE item 14a), from the
change wing's public baseline description (``descriptives_baseline_public.csv``).

Every number is the public table's own, already protected by
:func:`pipeline.change.descriptives.public_baseline` (small counts "<10", a number answering
that would give a few missing answers back shown as a range, statistics beside such a range
"[c]" or coarsely rounded): the table adds nothing to what the analysts' copy publishes.
"""

from __future__ import annotations

import pandas as pd

from pipeline.report.inputs import ReportInputs
from pipeline.report.model import Table
from pipeline.report.numfmt import NO_VALUE, fmt_count, fmt_num, fmt_pct, is_missing
from pipeline.wording import decimals_for, fmt_range

__all__ = ["characteristics_table", "entry_stat", "score_rows"]

#: decimals of the mean and SD of a covariate (ages: one decimal of a year)
COVARIATE_DIGITS = 1


def entry_stat(v: object, digits: int, coarse: bool = False) -> str:
    """A mean or SD of the public baseline table: a mark ("[c]") as it is; a value to
    ``digits`` decimals, or (``coarse``: the number of people is hidden) to no more decimals
    than the public table gives (it rounds a mean beside a hidden n coarsely; printing "4.10"
    for "4.1" would claim a precision it hides)."""
    if isinstance(v, str):
        try:
            v = float(v)
        except ValueError:
            return v.strip() or NO_VALUE
    if is_missing(v):
        return NO_VALUE
    frac = repr(round(float(v), digits)).partition(".")[2].rstrip("0")
    return fmt_num(v, min(digits, len(frac)) if coarse else digits)


def _label(variable: str) -> str:
    """A covariate's column name as a row label: ``living_alone`` -> "Living alone"; ``age``
    -> "Age (years)" (in years, as the attrition wing's sentences say)."""
    if variable == "age":
        return "Age (years)"
    text = variable.replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def _rows(b: pd.DataFrame, variable: str, label: str, digits: int, min_cell: int) -> list:
    """The rows of one variable: numeric -> people, mean, SD; categorical -> people, then one
    row per level with its number and share."""
    first = b.iloc[0]
    people = fmt_count(first["n"], min_cell)
    hidden = not people.isdigit()
    if str(first.get("type", "")) != "categorical":
        return [(label, people, entry_stat(first["mean"], digits, hidden),
                 entry_stat(first["sd"], digits, hidden), "", "")]
    out = [(label, people, "", "", "", "")]
    for _, r in b.iterrows():
        out.append(("\u2003" + str(r["level"]), "", "", "", fmt_count(r["count"], min_cell),
                    fmt_pct(r["percent"]) if not is_missing(r["percent"]) else NO_VALUE))
    return out


def score_rows(inp: ReportInputs, base: pd.DataFrame) -> list[tuple[str, str, str, str, str]]:
    """(label, score range, people, mean, SD) of each configured scale's score at entry in the
    public baseline table ``base`` (its ``baseline`` rows), at the scale's decimals; also the
    one-wave change section's "Scores at entry"."""
    first = inp.waves[0]
    out = []
    for key, sc in inp.scales.items():
        b = base[base["variable"].astype(str) == f"{key}_{first.id}"]
        if b.empty:
            continue
        lo, hi = sc.score_range
        (_, people, mean, sd, _, _), = _rows(b, "", "", decimals_for(lo, hi, score=sc.score),
                                             inp.min_cell)
        out.append((inp.scale_label(key), fmt_range(lo, hi), people, mean, sd))
    return out


def characteristics_table(inp: ReportInputs, scales: bool = True) -> Table | None:
    """Everyone at entry: each covariate (a numeric one's mean and SD, a categorical one's
    number and share per level) and, with ``scales``, each configured scale's score at entry;
    None without the public baseline table."""
    base = inp.table("descriptives_baseline_public")
    need = {"group", "variable", "level", "type", "n", "mean", "sd", "count", "percent"}
    if base is None or not need <= set(base.columns):
        return None
    base = base[base["group"].astype(str) == "baseline"]
    first = inp.waves[0]
    score_cols = {f"{k}_{first.id}" for k in inp.scales}
    rows: list = []
    for variable, b in base.groupby("variable", sort=False):
        variable = str(variable)
        if variable == "participants" or variable in score_cols:
            continue
        rows += _rows(b, variable, _label(variable), COVARIATE_DIGITS, inp.min_cell)
    if scales:
        rows += [(f"{label}, score {rng}", people, mean, sd, "", "")
                 for label, rng, people, mean, sd in score_rows(inp, base)]
    if not rows:
        return None
    cells = [c for r in rows for c in (r[1], r[4]) if c]
    said = {"small": any(c.startswith("<") for c in cells),
            "range": any("-" in c for c in cells), "c": any("[c]" in r for r in rows)}
    note = " ".join(["People: the number who answered the question; % is of them."] + [
        text for key, text in (
            ("small", f"<{inp.min_cell}: fewer than {inp.min_cell}."),
            ("range", "A range of people: the exact number is hidden so that a small number "
                      "of missing answers cannot be worked out."),
            ("c", "[c]: not shown, so that a small number cannot be worked out."))
        if said[key]])
    return Table(caption=f"Who joined: characteristics at entry ({first.id}, {first.label})",
                 header=("Characteristic", "People", "Mean", "SD", "Number", "%"),
                 rows=tuple(rows), key="entry_characteristics", counts=(1, 4),
                 widths=(4.2, 1.2, 1.0, 1.0, 1.0, 0.8), note=note)
