"""One plain-language sentence per mediation analysis, worded by the evidence.

Rules: the full serial chain X -> M1 -> ... -> Mk -> Y is described; an interval that includes
zero is never called an effect or an association ("the data did not show a clear ..."); wording
speaks of associations, never causes; the estimate is given with its interval; small samples and
non-estimable models are said to be so.
"""

from __future__ import annotations

import math

import pandas as pd

from pipeline.mediation.effects import path_label
from pipeline.mediation.spec import MediationSpec
from pipeline.status import Status


def fmt(v: float) -> str:
    """Two decimals, or three significant digits for small values; a true minus sign."""
    if v == 0 or abs(v) >= 0.1:
        s = f"{v:.2f}"
    else:
        s = f"{v:.{max(2, 2 - math.floor(math.log10(abs(v))))}f}"
    return s.replace("-", "\u2212")


def _sample(method: str, n: int) -> str:
    if method == "mi":
        return (f"Using all {n} participants (missing answers multiply imputed, so the result "
                "leans on the assumption that those who left resemble similar people who stayed)")
    if method == "fiml":
        return (f"Using everyone with any answers ({n} people; those who left the study contribute "
                "their earlier answers through full-information maximum likelihood)")
    return f"Among the {n} participants with complete answers"


def describe_mediation(table: pd.DataFrame, status: pd.DataFrame, spec: MediationSpec, *,
                       conf: float, warn_n: int) -> str:
    """The sentence for one analysis from its result table and status row (``conf``: the
    interval level; fewer than ``warn_n`` people: the estimate is called imprecise)."""
    st = status.iloc[0]
    title = spec.label or spec.name
    if st["status"] != Status.OK:
        reason = str(st["message"]).rstrip(".")
        return (f"The serial mediation analysis \u201c{title}\u201d could not be estimated: "
                f"{reason}.")
    label = path_label(tuple(range(spec.k)))
    row = table[(table["effect_type"] == "indirect_specific") & (table["label"] == label)].iloc[0]
    est, lo, hi = float(row["est"]), float(row["ci_lower"]), float(row["ci_upper"])
    n = int(row["n"])
    x, y = spec.describe("x"), spec.describe("y")
    chain = " \u2192 ".join(spec.describe(f"m{j + 1}") for j in range(spec.k))
    via = "through" if spec.k == 1 else "through the chain"
    level = f"{round(conf * 100)}% CI {fmt(lo)} to {fmt(hi)}"
    small = f", based on only {n} people, so the estimate is imprecise" if n < warn_n else ""
    if lo <= 0 <= hi:
        return (f"{_sample(row['method'], n)}, the data did not show a clear indirect association "
                f"between {x} and {y} {via} {chain} (estimate {fmt(est)}, {level}; the interval "
                "includes zero"
                f"{small}).")
    direction = "higher" if est > 0 else "lower"
    return (f"{_sample(row['method'], n)}, greater {x} was associated with {direction} {y} {via} "
            f"{chain} (indirect effect {fmt(est)}, {level}{small}); this is an association in "
            "observational data, not proof that one causes the other.")
