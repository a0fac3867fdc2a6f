"""Change findings: one primary row per construct and follow-up wave, the rest sensitivity rows.

Source: the change wing's ``change_primary.csv`` (one row per construct x wave x method, with
``role``), topped up by the missing-data wing's ``missing_data_primary.csv`` for the tipping
outcome (methods the change table lacks), and the tipping-point result (MNAR sensitivity).

**Primary-method rule.** The primary row of a construct and wave is the row of the configured
method (``missing_data.primary``) when its status is ``ok``. When that method truly cannot give
the quantity, the row says so: the method the change table names in ``stands_in``, else its own
``role = primary`` row, else the first ``ok`` method in :data:`STAND_IN_ORDER` stands in,
with caveat ``stands_in:<method>`` and the primary method's reason in ``message`` and the
sentence. Nothing ok: one ``not_estimable`` row
of the primary method. Every other method becomes a sensitivity row.

**Interval.** When the change wing adjusted the intervals for multiplicity (``ci_adjusted``),
the adjusted interval and p-value are used with the wing's label (``ci_label_adj``, e.g. "95%
CI, Bonferroni-adjusted over 2 contrasts"; without one, "95% CI, Holm-adjusted over k
contrasts" after ``p_adjust``); else the plain interval (``ci_label``, "95% CI").

**Effect size** (the change table's ``funder_effect_size``, i.e. ``change.funder_effect_size``;
default ``d``): d = change / baseline SD (Cohen's d
for a before-after contrast with the baseline SD as standardiser; Becker 1988). It is on the
scale of differences between people, comparable across constructs and studies, and does not
depend on the test-retest correlation, which d_z = change / SD(change) does (Lakens 2013;
Morris & DeShon 2002). d_z stays in the analysts' change table.
"""

from __future__ import annotations

import math

import pandas as pd

from pipeline.findings.sentences import plain_why
from pipeline.findings.settings import FindingsSettings
from pipeline.findings.table import finding_row, flag, missing_columns, num, text
from pipeline.status import Status
from pipeline.wording import ci_label, evidence_grade, join_caveats

__all__ = ["CHANGE_COLUMNS", "STAND_IN_ORDER", "MAR_METHODS", "change_findings",
           "topup_from_missing_data", "not_available_rows"]

#: change_primary.csv columns the findings need (the contract lists more; these are required)
CHANGE_COLUMNS = ["construct", "wave", "method", "est", "ci_lower", "ci_upper", "status"]
STAND_IN_ORDER = ("fiml", "mi", "ipw", "complete_case", "lmm", "lmm_reml")
#: methods resting on missing at random (MAR) given what they condition on
MAR_METHODS = frozenset({"fiml", "mi", "ipw", "lmm", "lmm_reml"})


def _interval(r: pd.Series, k: int) -> tuple[float, float, float, str, bool]:
    """(lower, upper, p, label, adjusted) of one change row (see module docstring)."""
    level = num(r, "ci_level", 0.95)
    level = 0.95 if math.isnan(level) else level
    if flag(r, "ci_adjusted") and math.isfinite(num(r, "ci_lower_adj")):
        # the change wing's own label says which adjustment the interval has (its adjusted
        # intervals are Bonferroni even when the p-values are Holm: Holm has no simple
        # compatible intervals); without one, the p-value adjustment is named
        label = text(r, "ci_label_adj") or ci_label(level, text(r, "p_adjust") or "holm", k)
        return (num(r, "ci_lower_adj"), num(r, "ci_upper_adj"), num(r, "pvalue_adj"),
                label, True)
    return (num(r, "ci_lower"), num(r, "ci_upper"), num(r, "pvalue"),
            text(r, "ci_label") or ci_label(level), False)


def _caveats(r: pd.Series, method: str, adjusted: bool, s: FindingsSettings) -> list[str]:
    out = ["single_group", "no_comparison"]
    if method in MAR_METHODS:
        out.append("mar_assumption")
    n_obs, n_all = num(r, "n_observed"), num(r, "n_contributing")
    if math.isfinite(n_obs) and math.isfinite(n_all) and n_all > 0 and n_obs / n_all < 0.5:
        out.append("attrition")
    if math.isfinite(n_obs) and n_obs < s.small_n:
        out.append("small_n")
    if adjusted:
        out.append("holm_adjusted")  # the contract's code for any multiplicity adjustment
    return out


def _row(r: pd.Series, role: str, k: int, s: FindingsSettings, extra: list[str]) -> dict:
    construct, wave, method = text(r, "construct"), text(r, "wave"), text(r, "method")
    sc = s.scales.get(construct)
    lo, hi, p, label, adjusted = _interval(r, k)
    caveats = _caveats(r, method, adjusted, s) + extra
    status = text(r, "status") or Status.OK.value
    est = num(r, "est")
    base = f"change.{construct}.{wave}"
    es_col = text(r, "funder_effect_size") or "d"
    return finding_row(
        finding_id=base if role == "primary" else f"{base}@{method}",
        kind="change", role=role, analysis="change", construct=construct, wave=wave,
        term=text(r, "contrast") or f"{wave} - {s.baseline.id}", method=method,
        estimate=est, se=num(r, "se"), ci_lower=lo, ci_upper=hi,
        ci_level=num(r, "ci_level", 0.95), ci_label=label, pvalue=p,
        n_contributing=num(r, "n_contributing", num(r, "n")),
        n_observed=num(r, "n_observed"),
        units=sc.units if sc else text(r, "units"),
        scale_min=sc.scale_min if sc else num(r, "scale_min"),
        scale_max=sc.scale_max if sc else num(r, "scale_max"),
        effect_size=num(r, es_col),
        effect_size_kind=("d (change / baseline SD)" if es_col == "d"
                          else "d_z (change / SD of change)") if es_col in r else "",
        evidence=evidence_grade(est, lo, hi, caveats, status),
        caveats=join_caveats(caveats), status=status, message=text(r, "message"),
    )


def _pick_primary(cell: pd.DataFrame, primary: str) -> tuple[pd.Series | None, str]:
    """(row that is reported as primary, reason the configured method could not be used)."""
    ok = cell[cell["status"].astype(str) == Status.OK.value]
    own = ok[ok["method"] == primary]
    if not own.empty:
        return own.iloc[0], ""
    mine = cell[cell["method"] == primary]
    why = (text(mine.iloc[0], "message") or f"status {text(mine.iloc[0], 'status')}"
           if not mine.empty else f"no {primary} estimate in the change table")
    named = text(mine.iloc[0], "stands_in") if not mine.empty else ""
    if named and (ok["method"] == named).any():
        return ok[ok["method"] == named].iloc[0], why
    if "role" in ok.columns:
        marked = ok[ok["role"].astype(str) == "primary"]
        if not marked.empty:
            return marked.iloc[0], why
    for m in STAND_IN_ORDER:
        cand = ok[ok["method"] == m]
        if not cand.empty:
            return cand.iloc[0], why
    return (ok.iloc[0], why) if not ok.empty else (None, why)


def change_findings(change: pd.DataFrame, s: FindingsSettings,
                    fragile: dict[tuple[str, str], bool] | None = None) -> list[dict]:
    """Rows for every construct x follow-up wave in ``change`` (primary first, then the other
    methods as sensitivity rows). ``fragile``: (construct, wave) -> tipping within
    ``fragile_sd`` (adds caveat ``fragile_to_mnar`` to that cell's primary row)."""
    gone = missing_columns(change, CHANGE_COLUMNS)
    if gone:
        return not_available_rows(s, f"change_primary.csv lacks columns {gone}")
    rows: list[dict] = []
    fragile = fragile or {}
    change = change[change["wave"].astype(str) != s.baseline.id]
    k_of = change.groupby(["construct", "method"])["wave"].nunique().to_dict()
    for (construct, wave), cell in change.groupby(["construct", "wave"], sort=False):
        chosen, why = _pick_primary(cell, s.primary)
        extra = ["fragile_to_mnar"] if fragile.get((construct, wave)) else []
        if chosen is None:
            rows.append(finding_row(
                finding_id=f"change.{construct}.{wave}", kind="change", role="primary",
                analysis="change", construct=construct, wave=wave, method=s.primary,
                evidence="not_estimable", status=Status.NOT_ESTIMABLE.value,
                message=why or "no method gave an estimate"))
        else:
            if chosen["method"] != s.primary:
                extra.append(f"stands_in:{chosen['method']}")
            row = _row(chosen, "primary", k_of.get((construct, chosen["method"]), 1), s, extra)
            if chosen["method"] != s.primary:
                row["message"] = (f"{s.primary} could not give this estimate ({why}); "
                                  f"{chosen['method']} stands in")
                row["_why"] = why
                pstat = cell.loc[cell["method"] == s.primary, "status"]
                row["_why_plain"] = plain_why(pstat.iloc[0] if len(pstat) else "", why)
            rows.append(row)
        for _, r in cell.iterrows():
            if chosen is not None and r.name == chosen.name:
                continue
            if chosen is None and r["method"] == s.primary:
                continue
            rows.append(_row(r, "sensitivity", k_of.get((construct, r["method"]), 1), s, []))
    have = {(r["construct"], r["wave"]) for r in rows}
    rows += [r for r in not_available_rows(s, "the change analysis gave no estimate for this "
                                              "construct at this wave")
             if (r["construct"], r["wave"]) not in have]
    order_c = {c: i for i, c in enumerate(s.scales)}
    order_w = {w.id: i for i, w in enumerate(s.waves)}
    return sorted(rows, key=lambda r: (order_c.get(r["construct"], 99),
                                       order_w.get(r["wave"], 99), r["role"] != "primary"))


def topup_from_missing_data(change: pd.DataFrame | None, md: pd.DataFrame | None,
                            s: FindingsSettings) -> pd.DataFrame | None:
    """``change`` plus rows of ``missing_data_primary.csv`` (the tipping outcome's change from
    baseline) for methods ``change`` lacks in that cell, mapped to the change columns."""
    if md is None or md.empty or s.tipping_wave is None or missing_columns(
            md, ["method", "estimate", "ci_lower", "ci_upper", "status"]):
        return change
    key = (s.tipping_outcome, s.tipping_wave)
    have = set()
    if change is not None and not missing_columns(change, ["construct", "wave", "method"]):
        cell = change[(change["construct"] == key[0]) & (change["wave"] == key[1])]
        have = set(cell["method"])
    add = md[~md["method"].isin(have)].copy()
    if add.empty:
        return change
    add = add.rename(columns={"estimate": "est", "n": "n_contributing"})
    add["construct"], add["wave"] = key
    add["contrast"] = f"{key[1]} - {s.baseline.id}"
    add["role"] = "sensitivity"
    add = add.drop(columns=[c for c in ("primary", "term") if c in add.columns])
    if change is None:
        return add.reset_index(drop=True)
    return pd.concat([change, add], ignore_index=True)


def not_available_rows(s: FindingsSettings, why: str) -> list[dict]:
    """One ``not_estimable`` primary row per construct x follow-up wave, saying why."""
    return [finding_row(finding_id=f"change.{c}.{w.id}", kind="change", role="primary",
                        analysis="change", construct=c, wave=w.id, method=s.primary,
                        units=sc.units, scale_min=sc.scale_min, scale_max=sc.scale_max,
                        evidence="not_estimable", status=Status.NOT_ESTIMABLE.value,
                        message=why)
            for c, sc in s.scales.items()
            if not sc.listing and c not in s.count_outcomes for w in s.waves[1:]]
