"""One plain-language sentence per mediation analysis and method, worded by the evidence.

Rules (issue 11, "honest words"; wording from :mod:`pipeline.wording`):

* the sentence gives the **total**, **direct**, **total indirect** and **serial** (through every
  mediator in order) effects, each with its interval, in the outcome's units with the scale's
  range ("points on the 0–100 EQ VAS"), per 1 point of X;
* it names the n analysed and the **n with the outcome** ("630 people, 174 of them with quality
  of life measured");
* the verb follows the evidence (GRADE guidance 26, :func:`pipeline.wording.evidence_grade`):
  an interval that includes zero is "no clear association", never an effect; with the
  single-group design the most certain verb is "likely";
* the design caveat: single group, no comparison group and, when a mediator is measured at the
  outcome's wave, "measured at the same wave": associations, not effects;
* MI/FIML say that they assume missing at random; fewer than ``warn_n`` people with the
  outcome: "imprecise"; non-estimable models are said to be so, with the reason.
"""

from __future__ import annotations

import math
import re

import pandas as pd

from pipeline.mediation.effects import path_label
from pipeline.mediation.spec import MediationSpec
from pipeline.mediation.units import construct_units
from pipeline.status import Status
from pipeline.wording import (
    association_phrase,
    ci_excludes_zero,
    decimals_for,
    evidence_grade,
    fmt_num,
    fmt_range,
)

__all__ = ["fmt", "describe_mediation", "bootstrap_se_text"]


def bootstrap_se_text(B: int, ci: str = "percentile") -> str:
    """The name of bootstrap standard errors and intervals: "bootstrap (B = 2000, percentile)"."""
    return f"bootstrap (B = {B}, {ci})"


def fmt(v: float) -> str:
    """Two decimals, or three significant digits for small values; a true minus sign."""
    if v == 0 or abs(v) >= 0.1:
        s = f"{v:.2f}"
    else:
        s = f"{v:.{max(2, 2 - math.floor(math.log10(abs(v))))}f}"
    return s.replace("-", "\u2212")


def _sample(method: str, n: int, n_out: int | None, y_name: str) -> str:
    out = f", {n_out} of them with {y_name} measured" if n_out is not None and n_out != n else ""
    if method == "mi":
        return (f"Using all {n} participants{out} (missing answers multiply imputed; this "
                "assumes that people who left resembled similar people who stayed)")
    if method == "fiml":
        return (f"Using everyone with any answers ({n} people{out}; those who left contribute "
                "their earlier answers through full-information maximum likelihood, which "
                "assumes that they resembled similar people who stayed)")
    return f"Among the {n} participants with complete answers"


def _n_outcome(table: pd.DataFrame, message: str, n: int) -> int | None:
    if "n_outcome" in table.columns:
        v = pd.to_numeric(table["n_outcome"], errors="coerce").dropna()
        if len(v):
            return int(v.iloc[0])
    m = re.search(r"\((\d+) with the outcome\)", message)
    return int(m.group(1)) if m else None


def _units(spec: MediationSpec, role: str) -> tuple[str, float, float]:
    b = spec.x if role == "x" else spec.y
    rng = spec.scale_ranges.get(b.construct)
    label = spec.construct_labels.get(b.construct, b.construct)
    if not rng:
        return "points", math.nan, math.nan
    return construct_units(label, *rng), float(rng[0]), float(rng[1])


def _term(table: pd.DataFrame, etype: str, label: str | None = None) -> pd.Series | None:
    hit = table[table["effect_type"] == etype] if "effect_type" in table.columns else table[:0]
    if label is not None:
        hit = hit[hit["label"] == label]
    return hit.iloc[0] if len(hit) else None


def _part(name: str, r: pd.Series | None, rng: tuple[float, float], level: str,
          units: str = "") -> str:
    """"total 2.2 points (95% CI 0.2 to 4.1)"; decimals per term (two significant digits)."""
    if r is None:
        return ""
    est, lo, hi = float(r["est"]), float(r["ci_lower"]), float(r["ci_upper"])
    dec = decimals_for(rng[0], rng[1], (est, lo, hi))
    clear = "" if ci_excludes_zero(lo, hi) else "; no clear association"
    u = f" {units}" if units else ""
    ci = f"{level} {fmt_num(lo, dec)} to {fmt_num(hi, dec)}"
    return f"{name} {fmt_num(est, dec)}{u} ({ci}{clear})"


def describe_mediation(table: pd.DataFrame, status: pd.DataFrame, spec: MediationSpec, *,
                       conf: float, warn_n: int) -> str:
    """The sentence for one analysis and method from its result table and status row
    (``conf``: the interval level; fewer than ``warn_n`` people with the outcome: imprecise)."""
    st = status.iloc[0]
    title = spec.label or spec.name
    if st["status"] != Status.OK:
        reason = str(st["message"]).rstrip(".")
        return (f"The serial mediation analysis \u201c{title}\u201d could not be estimated: "
                f"{reason}.")
    serial = _term(table, "indirect_specific", path_label(tuple(range(spec.k))))
    total = _term(table, "total")
    lead = total if total is not None else serial
    n = int(lead["n"])
    n_out = _n_outcome(table, str(st.get("message", "")), n)
    y_units, y_lo, y_hi = _units(spec, "y")
    x_units, x_lo, x_hi = _units(spec, "x")
    rng = (y_lo, y_hi)
    level = f"{round(conf * 100)}% CI"
    concurrent = any(m.wave == spec.y.wave for m in spec.mediators) and spec.y.wave is not None
    caveats = ["single_group"] + (["concurrent_mediators"] if concurrent else [])
    if (n_out if n_out is not None else n) < warn_n:
        caveats.append("small_n")
    grade = evidence_grade(lead["est"], lead["ci_lower"], lead["ci_upper"], caveats)
    x, y = spec.describe("x"), spec.describe("y")
    y_name = re.sub(r"\s*\([^)]*\)", "", y)
    chain = " \u2192 ".join(spec.describe(f"m{j + 1}") for j in range(spec.k))
    per = f" (per point on its {fmt_range(x_lo, x_hi)} scale)" if math.isfinite(x_lo) else ""
    what = "total association" if total is not None else "serial indirect association"
    head = (f"{_sample(lead['method'], n, n_out, y_name)}, greater {x}{per} "
            f"{association_phrase(grade, lead['est'])} {y}")
    terms = "; ".join(p for p in (
        _part("total", total, rng, level, y_units),
        _part("direct (not through the mediators)", _term(table, "direct"), rng, level),
        _part("total indirect (through all mediators)", _term(table, "indirect_total"), rng,
              level),
        _part(f"serial indirect (through {chain})", serial, rng, level,
              "" if total is not None else y_units)) if p)
    small = (f" Only {n_out if n_out is not None else n} people had the outcome, so the "
             "estimates are imprecise." if "small_n" in caveats else "")
    design = ("The mediators and the outcome were measured at the same wave and there was no "
              "comparison group, so these are associations, not effects."
              if concurrent else
              "There was no comparison group, so these are associations, not effects.")
    return f"{head} ({what}): {terms}.{small} {design}"
