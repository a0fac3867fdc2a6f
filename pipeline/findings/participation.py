"""Participation findings: how many of the people who entered answered at each wave.

Source: the attrition wing's ``attrition_flow.csv`` (true counts, for the analysts' findings
table) and ``attrition_flow_public.csv`` (the disclosure-controlled copy: the sentence prints
only what that table shows, so it can never reveal a suppressed cell). Estimate: the percentage
of entrants who answered at the wave, with its Wilson (1927) 95% interval
(:func:`pipeline.stats.rci.wilson_interval`; R ``prop.test(x, n, correct = FALSE)``).
"""

from __future__ import annotations

import math

import pandas as pd

from pipeline.findings.settings import FindingsSettings
from pipeline.findings.table import finding_row, missing_columns, num
from pipeline.stats.rci import wilson_interval
from pipeline.status import Status

__all__ = ["FLOW_COLUMNS", "participation_findings"]

FLOW_COLUMNS = ["wave", "responded"]


def _shown(v: object, decimals: int = 0) -> str:
    """A public cell as text: numbers as printed (630, 28.3), marks ("<10", "[c]") as they are."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    try:
        x = float(v)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return str(v)
    return f"{x:.{decimals}f}"


def participation_findings(flow: pd.DataFrame | None, public: pd.DataFrame | None,
                           s: FindingsSettings) -> list[dict]:
    """One row per wave: ``participation.<wave>`` (the baseline row: the number who entered).

    ``public`` values are kept in ``_shown_n`` / ``_shown_pct`` (not columns) for the
    sentence; a missing public table shows nothing.
    """
    gone = missing_columns(flow, FLOW_COLUMNS)
    if gone:
        return [finding_row(finding_id=f"participation.{w.id}", kind="participation",
                            role="primary", wave=w.id, method="observed",
                            evidence="not_estimable", status=Status.NOT_ESTIMABLE.value,
                            message=f"attrition_flow.csv is missing or lacks columns {gone}")
                for w in s.waves]
    pub = (public.set_index(public["wave"].astype(str))
           if public is not None and "wave" in public.columns else None)
    flow = flow.set_index(flow["wave"].astype(str))
    first = flow.index[0]
    n0 = num(flow.loc[first], "responded")
    rows = []
    for wave, r in flow.iterrows():
        n = num(r, "responded")
        lo, hi = wilson_interval(n, n0)
        pct = 100 * n / n0 if n0 > 0 else math.nan
        row = finding_row(
            finding_id=f"participation.{wave}", kind="participation", role="primary",
            question=f"How many of the people who entered answered at {s.wave(wave).phrase}?",
            estimand=f"people who answered at {wave}, as a percentage of the entrants at "
                     f"{first}",
            wave=wave, term="responded", method="observed", estimate=pct,
            ci_lower=100 * float(lo), ci_upper=100 * float(hi), ci_level=0.95,
            ci_label="95% CI (Wilson)", n_contributing=n0, n_observed=n,
            units="% of the people who entered", scale_min=0, scale_max=100,
            evidence="clear" if math.isfinite(pct) else "not_estimable",
            caveats="attrition" if math.isfinite(pct) and pct < 50 else "",
            status=Status.OK.value if math.isfinite(pct) else Status.NOT_ESTIMABLE.value)
        shown = pub.loc[wave] if pub is not None and wave in pub.index else None
        row["_shown_n"] = "" if shown is None else _shown(shown.get("responded", ""))
        row["_shown_pct"] = "" if shown is None else _shown(shown.get("pct_baseline", ""), 1)
        row["_shown_n0"] = "" if pub is None or first not in pub.index else _shown(
            pub.loc[first].get("responded", ""))
        rows.append(row)
    return rows
