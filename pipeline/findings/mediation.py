"""Mediation findings: per configured chain, the total, direct, total indirect and serial effects.

Source: the mediation wing's ``mediation_estimates.csv`` (``effect_type`` total | direct |
indirect_total | indirect_specific; lavaan labels ``total``, ``cp``, ``ind_total``,
``ind_1...k``) and ``mediation_status.csv``. The *serial* effect is the specific indirect
effect through every mediator in order (label ``ind_12...k``).

Primary-method rule as for change (:mod:`pipeline.findings.change`): the configured method's
rows when its status is ``ok``, else a stand-in (caveat ``stands_in:<method>``), else one
``not_estimable`` row per term. Design caveats: ``single_group``, ``no_comparison`` and
``concurrent_mediators`` when a mediator is measured at the outcome's wave (then the chain
describes associations, not effects; VanderWeele 2015, ch. 2; AGReMA item 9).

Effect size: the partially standardised effect, estimate / baseline SD of the outcome
(MacKinnon 2008, section 4.7): points of Y per point of X expressed in SDs of Y.
"""

from __future__ import annotations

import math
import re

import pandas as pd

from pipeline.findings.sentences import plain_why
from pipeline.findings.settings import ChainWords, FindingsSettings
from pipeline.findings.table import finding_row, missing_columns, num, text
from pipeline.status import Status
from pipeline.wording import evidence_grade, join_caveats

__all__ = ["TERMS", "MEDIATION_COLUMNS", "mediation_findings"]

#: finding suffix -> (effect_type, term)
TERMS = {"total": ("total", "total"), "direct": ("direct", "direct"),
         "total_indirect": ("indirect_total", "ind_total"),
         "serial": ("indirect_specific", "ind_serial")}
MEDIATION_COLUMNS = ["analysis", "method", "effect_type", "label", "est", "ci_lower", "ci_upper"]
STAND_IN_ORDER = ("fiml", "mi", "complete_case")
MAR_METHODS = frozenset({"fiml", "mi"})


def _status_of(status: pd.DataFrame | None, name: str, method: str) -> tuple[str, str]:
    hit = _status_row(status, name, method)
    if hit is None:
        ok = status is None or bool(missing_columns(status, ["analysis", "method", "status"]))
        return ((Status.OK.value, "") if ok else
                (Status.NOT_ESTIMABLE.value, f"no {method} result for this analysis"))
    return text(hit, "status") or Status.OK.value, text(hit, "message")


def _status_row(status: pd.DataFrame | None, name: str, method: str) -> pd.Series | None:
    if status is None or missing_columns(status, ["analysis", "method", "status"]):
        return None
    hit = status[(status["analysis"] == name) & (status["method"] == method)]
    return None if hit.empty else hit.iloc[0]


def _n_outcome(rows: pd.DataFrame, st_row: pd.Series | None, message: str, method: str,
               n_all: float) -> float:
    """People with the outcome: the estimates' or the status row's ``n_outcome``, else the
    status message's "(174 with the outcome)", else (complete cases) everyone analysed."""
    for frame_ in (rows, None if st_row is None else st_row.to_frame().T):
        if frame_ is not None and "n_outcome" in frame_.columns:
            v = pd.to_numeric(frame_["n_outcome"], errors="coerce").dropna()
            if not v.empty:
                return float(v.iloc[0])
    m = re.search(r"\((\d+) with the outcome\)", message)
    if m:
        return float(m.group(1))
    return n_all if method == "complete_case" else math.nan


def _term_row(rows: pd.DataFrame, key: str, k: int) -> pd.Series | None:
    etype, _ = TERMS[key]
    hit = rows[rows["effect_type"] == etype]
    if key == "serial":
        hit = hit[hit["label"].astype(str) == "ind_" + "".join(str(j + 1) for j in range(k))]
    return hit.iloc[0] if not hit.empty else None


def _method_rows(est: pd.DataFrame, status: pd.DataFrame | None, c: ChainWords,
                 method: str) -> tuple[pd.DataFrame, str, str]:
    st, msg = _status_of(status, c.name, method)
    rows = est[(est["analysis"] == c.name) & (est["method"] == method)]
    if st == Status.OK.value and rows.empty:
        st, msg = Status.NOT_ESTIMABLE.value, f"no {method} estimates in mediation_estimates.csv"
    return rows, st, msg


def _caveats(c: ChainWords, method: str, n_all: float, n_out: float,
             s: FindingsSettings) -> list[str]:
    out = ["single_group", "no_comparison"]
    if any(w == c.y_wave for _, w in c.mediators):
        out.append("concurrent_mediators")
    if method in MAR_METHODS:
        out.append("mar_assumption")
    if math.isfinite(n_out) and math.isfinite(n_all) and n_all > 0 and n_out / n_all < 0.5:
        out.append("attrition")
    if math.isfinite(n_out) and n_out < s.small_n:
        out.append("small_n")
    return out


def _rows_for(est, status, c, method, role, s, extra, sd_y) -> list[dict]:
    rows, st, msg = _method_rows(est, status, c, method)
    sc = s.scales.get(c.y)
    out = []
    for key, (_, term) in TERMS.items():
        base = f"mediation.{c.name}.{key}"
        common = dict(finding_id=base if role == "primary" else f"{base}@{method}",
                      kind="mediation", role=role, analysis=c.name, construct=c.y,
                      wave=c.y_wave, term=term, method=method,
                      units=sc.units if sc else "", scale_min=sc.scale_min if sc else math.nan,
                      scale_max=sc.scale_max if sc else math.nan)
        r = _term_row(rows, key, len(c.mediators)) if st == Status.OK.value else None
        if r is None:
            out.append(finding_row(**common, evidence="not_estimable",
                                   status=Status.NOT_ESTIMABLE.value if st == "ok" else st,
                                   message=msg or f"no {term} estimate"))
            continue
        n_all = num(r, "n_contributing", num(r, "n"))
        n_out = min(_n_outcome(rows, _status_row(status, c.name, method), msg, method, n_all),
                    n_all)  # complete cases: everyone analysed has the outcome
        cav = _caveats(c, method, n_all, n_out, s) + extra
        e, lo, hi = num(r, "est"), num(r, "ci_lower"), num(r, "ci_upper")
        level = num(r, "ci_level", 0.95)
        level = 0.95 if math.isnan(level) else level
        out.append(finding_row(
            **common, estimate=e, se=num(r, "se"), ci_lower=lo, ci_upper=hi, ci_level=level,
            ci_label=f"{100 * level:.10g}% CI", pvalue=num(r, "pvalue"),
            n_contributing=n_all, n_observed=n_out,
            effect_size=e / sd_y if math.isfinite(sd_y) and sd_y > 0 else math.nan,
            effect_size_kind="estimate / baseline SD of the outcome (partially standardised)"
            if math.isfinite(sd_y) else "",
            evidence=evidence_grade(e, lo, hi, cav, st), caveats=join_caveats(cav),
            status=st, message=msg))
    return out


def mediation_findings(est: pd.DataFrame | None, status: pd.DataFrame | None,
                       s: FindingsSettings, baseline_sd: dict[str, float] | None = None
                       ) -> list[dict]:
    """Rows for every configured chain: the primary method's four terms, then each other
    method's four terms as sensitivity rows. ``baseline_sd``: construct -> SD at baseline."""
    gone = missing_columns(est, MEDIATION_COLUMNS)
    out: list[dict] = []
    for c in s.chains:
        if gone:
            why = f"mediation_estimates.csv is missing or lacks columns {gone}"
            out += [finding_row(finding_id=f"mediation.{c.name}.{k}", kind="mediation",
                                role="primary", analysis=c.name, construct=c.y, wave=c.y_wave,
                                term=t, method=s.primary, evidence="not_estimable",
                                status=Status.NOT_ESTIMABLE.value, message=why)
                    for k, (_, t) in TERMS.items()]
            continue
        methods = list(dict.fromkeys(est.loc[est["analysis"] == c.name, "method"]))
        chosen, why = s.primary, ""
        _, st, msg = _method_rows(est, status, c, s.primary)
        extra: list[str] = []
        if st != Status.OK.value:
            why = msg or st
            for m in STAND_IN_ORDER:
                if m != s.primary and m in methods and _method_rows(est, status, c, m)[1] == "ok":
                    chosen, extra = m, [f"stands_in:{m}"]
                    break
        sd_y = (baseline_sd or {}).get(c.y, math.nan)
        prim = _rows_for(est, status, c, chosen, "primary", s, extra, sd_y)
        if chosen != s.primary:
            for r in prim:
                r["message"] = f"{s.primary} could not give this estimate ({why}); {chosen} " \
                               "stands in"
                r["_why"] = why
                r["_why_plain"] = plain_why(st, why)
        out += prim
        for m in methods:
            if m != chosen:
                out += _rows_for(est, status, c, m, "sensitivity", s, [], sd_y)
    return out
