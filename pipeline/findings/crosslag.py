"""Cross-lagged findings: the headline RI-CLPM's lagged paths, Holm-adjusted; the CLPM beside.

Source: the crosslag wing's ``crosslag_lagged_effects.csv`` (rows ``type == cross-lagged``;
``role`` headline | comparison, ``model``, ``constraint``, ``pvalue_holm``) and
``crosslag_status.csv`` (``exploratory`` flag). Without a ``role`` column the headline is the
RI-CLPM (Hamaker, Kuiper & Grasman 2015) and the comparison the CLPM, both with the free
constraint; without ``pvalue_holm`` the Holm (1979) adjustment is applied here over the
model's cross-lagged paths (:func:`pipeline.stats.emmeans.adjust_pvalues`, R ``p.adjust``).

A path is *clear* only when its Holm-adjusted p-value is below ``findings.alpha``: the interval
printed is the unadjusted 95% CI (labelled so), the p-value is the adjusted one. Stationary
paths (equal over lags) are one row per path; free paths one row per path and lag. CLPM rows are
sensitivity rows with caveat ``clpm_confounds_stable_differences`` (for comparison only: the
CLPM mixes stable differences between people with within-person change).
"""

from __future__ import annotations

import math

import pandas as pd

from pipeline.findings.settings import FindingsSettings
from pipeline.findings.table import finding_row, flag, missing_columns, num, text
from pipeline.stats.emmeans import adjust_pvalues
from pipeline.status import Status
from pipeline.wording import evidence_grade, join_caveats

__all__ = ["LAGGED_COLUMNS", "crosslag_findings", "select_paths"]

LAGGED_COLUMNS = ["analysis", "model", "from", "to", "type", "est", "ci_lower", "ci_upper",
                  "pvalue"]


def select_paths(lagged: pd.DataFrame, role: str) -> pd.DataFrame:
    """Cross-lagged rows of ``role`` (headline | comparison), one per path (stationary) or per
    path and lag (free), with ``pvalue_holm`` (computed within analysis x model x constraint
    when the table has none)."""
    cl = lagged[lagged["type"].astype(str).str.replace("_", "-") == "cross-lagged"].copy()
    if "constraint" not in cl.columns:
        cl["constraint"] = "free"
    if "role" in cl.columns:
        cl = cl[cl["role"].astype(str) == role]
    else:
        cl = cl[(cl["model"] == ("riclpm" if role == "headline" else "clpm"))
                & (cl["constraint"] == "free")]
    stationary = cl["constraint"].astype(str) == "stationary"
    if "stationary" in cl.columns:
        stationary = stationary | cl["stationary"].map(lambda v: flag({"v": v}, "v"))
    cl["_stationary"] = stationary.to_numpy()
    keys = ["analysis", "model", "constraint", "from", "to"]
    cl = pd.concat([cl[cl["_stationary"]].drop_duplicates(keys),
                    cl[~cl["_stationary"]]]).sort_index()
    if "pvalue_holm" not in cl.columns:
        cl["pvalue_holm"] = math.nan
        for _, idx in cl.groupby(["analysis", "model", "constraint"]).groups.items():
            p = pd.to_numeric(cl.loc[idx, "pvalue"], errors="coerce")
            cl.loc[idx, "pvalue_holm"] = adjust_pvalues(p.to_numpy(), "holm")
    cl["_k"] = cl.groupby(["analysis", "model", "constraint"])["to"].transform("size")
    return cl


def _status(status: pd.DataFrame | None, r: pd.Series) -> tuple[str, bool, str]:
    if status is None or missing_columns(status, ["analysis", "model", "status"]):
        return Status.OK.value, False, ""
    hit = status[(status["analysis"] == r["analysis"]) & (status["model"] == r["model"])]
    if "constraint" in status.columns:
        hit = hit[hit["constraint"] == r["constraint"]]
    if hit.empty:
        return Status.OK.value, False, ""
    h = hit.iloc[0]
    return text(h, "status") or "ok", flag(h, "exploratory"), text(h, "note") or text(h, "message")


def _row(r: pd.Series, role: str, status: pd.DataFrame | None, s: FindingsSettings) -> dict:
    st, exploratory, note = _status(status, r)
    src, dst = str(r["from"]), str(r["to"])
    wave = "" if r["_stationary"] else text(r, "to_wave")
    base = f"crosslag.{r['analysis']}.{dst}~{src}" + (f".{wave}" if wave else "")
    cav = ["mar_assumption", "holm_adjusted"]
    method = text(r, "method") or "fiml"
    if role == "primary" and method != s.primary:
        cav.append(f"stands_in:{method}")  # the cross-lagged models are fitted by FIML only
    if exploratory:
        cav.append("exploratory")
    if r["model"] == "clpm":
        cav.append("clpm_confounds_stable_differences")
    e, lo, hi, p_holm = num(r, "est"), num(r, "ci_lower"), num(r, "ci_upper"), num(r, "pvalue_holm")
    grade = evidence_grade(e, lo, hi, cav, st)
    if grade in ("clear", "likely", "may") and not (p_holm < s.alpha):
        grade = "no_clear"
    to_sc, from_sc = s.scales.get(dst), s.scales.get(src)
    units = (f"{to_sc.units} per point on the {from_sc.units.split(' on the ', 1)[1]}"
             if to_sc and from_sc else "")
    level = num(r, "ci_level", 0.95)
    row = finding_row(
        finding_id=base if role == "primary" else f"{base}@{r['model']}_{r['constraint']}",
        kind="crosslag",
        role=role, analysis=str(r["analysis"]), construct=dst, wave=wave,
        term=f"{r['model']}:{r['constraint']}", method=method,
        estimate=e, se=num(r, "se"), ci_lower=lo, ci_upper=hi,
        ci_level=0.95 if math.isnan(level) else level,
        ci_label=f"{100 * (0.95 if math.isnan(level) else level):.10g}% CI (unadjusted)",
        pvalue=p_holm, n_contributing=num(r, "n"), units=units,
        scale_min=to_sc.scale_min if to_sc else math.nan,
        scale_max=to_sc.scale_max if to_sc else math.nan,
        effect_size=num(r, "std_all"), effect_size_kind="std.all (completely standardised)",
        evidence=grade, caveats=join_caveats(cav), status=st,
        message=f"Holm-adjusted over {int(r['_k'])} cross-lagged paths. {note}".strip())
    row["_from"] = src  # not columns: links a comparison row to its headline row; the
    row["_k"] = int(r["_k"])  # size of the Holm family (for the sentence)
    if role == "primary" and method != s.primary:
        row["_why"] = "the cross-lagged models are fitted by FIML only"
    return row


def _not_estimable(analyses: list[str], head: pd.DataFrame | None,
                   status: pd.DataFrame | None) -> list[dict]:
    """One primary ``not_estimable`` row per analysis whose headline model gave no paths, with
    the crosslag wing's reason (e.g. an improper solution)."""
    out = []
    for a in dict.fromkeys(analyses):
        if head is not None and (head["analysis"].astype(str) == a).any():
            continue
        why, st = "the headline model gave no cross-lagged paths", Status.NOT_ESTIMABLE.value
        if status is not None and not missing_columns(status, ["analysis", "model", "status"]):
            hit = status[(status["analysis"] == a) & (status["model"] == "riclpm")
                         & (status["status"] != Status.OK.value)]
            if hit.empty:  # no RI-CLPM in the analysis: any failed model's reason
                hit = status[(status["analysis"] == a) & (status["status"] != Status.OK.value)]
            if not hit.empty:
                st, why = text(hit.iloc[0], "status"), text(hit.iloc[0], "message") or why
        waits = st == Status.WAITS_FOR_DATA.value  # an RI-CLPM with two waves so far
        row = finding_row(finding_id=f"crosslag.{a}", kind="crosslag", role="primary",
                          analysis=a, term="riclpm", method="fiml",
                          evidence="" if waits else "not_estimable", status=st, message=why)
        row["_from"] = ""
        out.append(row)
    return out


def crosslag_findings(lagged: pd.DataFrame | None, status: pd.DataFrame | None,
                      s: FindingsSettings) -> list[dict]:
    """Primary rows: the headline model's paths; sensitivity rows: the comparison models'
    paths with the same id + ``@<model>_<constraint>`` (e.g. ``@clpm_free``; when
    ``findings.crosslag_comparison``)."""
    gone = missing_columns(lagged, LAGGED_COLUMNS)
    if gone and status is not None and not missing_columns(status, ["analysis", "model",
                                                                    "status"]) and len(status) \
            and (status["status"].astype(str) != Status.OK.value).all():
        # no model gave lagged effects (every one failed): each analysis with its reason
        return _not_estimable(list(status["analysis"].astype(str)), None, status)
    if gone:
        return [finding_row(finding_id="crosslag", kind="crosslag", role="primary",
                            evidence="not_estimable", status=Status.NOT_ESTIMABLE.value,
                            message=f"crosslag_lagged_effects.csv is missing or lacks "
                                    f"columns {gone}")]
    head = select_paths(lagged, "headline")
    rows = [_row(r, "primary", status, s) for _, r in head.iterrows()]
    rows += _not_estimable(list(lagged["analysis"].astype(str)), head, status)
    if s.crosslag_comparison:
        comp = select_paths(lagged, "comparison")
        for _, r in comp.iterrows():
            row = _row(r, "sensitivity", status, s)
            # the comparison's id names the headline path it is compared with
            wave = row["wave"]
            match = [p for p in rows if p["role"] == "primary"
                     and p["analysis"] == row["analysis"] and p["construct"] == row["construct"]
                     and p["_from"] == row["_from"]
                     and (p["wave"] == wave or not p["wave"] or not wave)]
            if match:
                p = match[0]
                lag = f".{wave}" if wave and not p["wave"] else ""
                row["finding_id"] = f"{p['finding_id']}{lag}@{r['model']}_{r['constraint']}"
                row["_claim"] = p["finding_id"]
            else:
                row["_claim"] = f"crosslag.{row['analysis']}"
            rows.append(row)
    return rows
