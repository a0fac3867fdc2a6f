"""Moderation findings: per analysis, the interaction and the simple slopes at the highest and
lowest probe point of the moderator (one SD above and below its mean by default; its anchors,
values or percentiles when configured), or, without a predictor, the moderator's own
association.

Source: the moderation wing's ``moderation_estimates.csv`` (``term`` dxw | w),
``moderation_simple_slopes.csv`` (``position`` high | low, or for tables without it ``at``
mean + 1 SD | mean - 1 SD; ``probe`` and ``who`` word the point), ``moderation_jn.csv``
(``regions``) and ``moderation_status.csv`` (``primary`` flag, ``status``, counts and the
analysis's outcome, predictor, moderator and waves). Finding ids:
``moderation.<analysis>.interaction``, ``.slope_high``, ``.slope_low`` (with a predictor) or
``moderation.<analysis>.moderator`` (without); the complete-case rows are sensitivity rows
``...@complete_case`` (the FIML ones when complete cases are primary).

Primary-method rule as elsewhere: the row of the method the wing flags ``primary`` when it is
ok; else the other method stands in (caveat ``stands_in:<method>``, the reason in
``message``); else a ``not_estimable`` row. When ``missing_data.primary`` is mi or ipw the
wing fits FIML in its place: caveat ``stands_in:fiml``. Caveats: ``mar_assumption`` (FIML),
``attrition`` (fewer than half with the outcome), ``small_n``. Effect size: estimate /
baseline SD of the outcome (partially standardised), as for mediation.

Wiring (for the lead): ``build_findings`` adds ``moderation_findings(t("moderation"),
t("moderation_slopes"), t("moderation_jn"), t("moderation_status"), s, sds)``;
``sentences.sentence`` / ``describe_row`` and ``headlines.headline`` dispatch ``kind ==
"moderation"`` to :func:`moderation_sentence`, :func:`moderation_question` and
:func:`moderation_headline`.
"""

from __future__ import annotations

import math
import re

import pandas as pd

from pipeline.findings.settings import FindingsSettings
from pipeline.findings.table import finding_row, missing_columns, num, text
from pipeline.status import Status
from pipeline.wording import (
    association_phrase,
    decimals_for,
    evidence_grade,
    fmt_ci,
    fmt_num,
    join_caveats,
    lower_first,
    upper_first,
)

__all__ = ["moderation_findings", "moderation_sentence", "moderation_question",
           "moderation_headline", "STATUS_NEEDED"]

STATUS_NEEDED = ["analysis", "method", "primary", "status", "message", "outcome", "predictor",
                 "moderator", "from_wave", "to_wave"]
METHOD_WORDS = {"fiml": "FIML", "complete_case": "complete cases"}
#: finding suffix -> (table, selector, term shown)
ROWS = {"interaction": ("estimates", "dxw", "dx:w"), "slope_high": ("slopes", "mean + 1 SD",
                                                                    "slope at mean + 1 SD"),
        "slope_low": ("slopes", "mean - 1 SD", "slope at mean - 1 SD"),
        "moderator": ("estimates", "w", "w")}
DEPENDS = {"clear": "depended on", "likely": "likely depended on",
           "may": "may have depended on", "no_clear": "did not clearly depend on"}


def _pick(tables: dict, name: str, method: str, suffix: str) -> pd.Series | None:
    table, sel, _ = ROWS[suffix]
    t = tables[table]
    if t is None or t.empty:
        return None
    col = "term" if table == "estimates" else "at"
    if table == "slopes" and "position" in t:
        col, sel = "position", {"slope_high": "high", "slope_low": "low"}[suffix]
    hit = t[(t["analysis"] == name) & (t["method"] == method) & (t[col] == sel)]
    return None if hit.empty else hit.iloc[0]


def _caveats(method: str, st: pd.Series, s: FindingsSettings) -> list[str]:
    out = ["mar_assumption"] if method == "fiml" else []
    n, n_out = num(st, "n"), num(st, "n_outcome")
    if math.isfinite(n) and n > 0 and math.isfinite(n_out) and n_out / n < 0.5:
        out.append("attrition")
    if math.isfinite(n_out) and n_out < s.small_n:
        out.append("small_n")
    return out


def _row(tables, st: pd.Series, suffix: str, role: str, extra: list[str],
         s: FindingsSettings, sd_y: float) -> dict:
    name, method = text(st, "analysis"), text(st, "method")
    base = f"moderation.{name}.{suffix}"
    y, x, w = text(st, "outcome"), text(st, "predictor"), text(st, "moderator")
    sc = s.scales.get(y)
    units = sc.units if sc else "points"
    if suffix == "interaction":
        xl, wl = (lower_first(s.scales[k].label) if k in s.scales else k for k in (x, w))
        units = f"{units} per point of change in {xl} per point of {wl}"
    common = dict(finding_id=base if role == "primary" else f"{base}@{method}",
                  kind="moderation", role=role, analysis=name, construct=y,
                  wave=text(st, "to_wave"), term=ROWS[suffix][2], method=method, units=units,
                  scale_min=sc.scale_min if sc else math.nan,
                  scale_max=sc.scale_max if sc else math.nan)
    private = {"_x": x, "_w": w, "_from": text(st, "from_wave"), "_suffix": suffix}
    r = _pick(tables, name, method, suffix) if text(st, "status") == Status.OK.value else None
    if r is not None and suffix.startswith("slope") and text(r, "probe") not in ("", "sd"):
        common["term"] = f"slope at {text(r, 'at')}"
        private |= {"_who": text(r, "who"), "_beyond": str(r.get("within_observed", True))
                    .strip().lower() in ("false", "0")}
    if r is None:
        st_value = text(st, "status") or Status.NOT_ESTIMABLE.value
        row = finding_row(**common, evidence="not_estimable",
                          status=Status.NOT_ESTIMABLE.value if st_value == "ok" else st_value,
                          message=text(st, "message") or f"no {ROWS[suffix][2]} estimate")
        return row | private
    cav = _caveats(method, st, s) + extra
    e, lo, hi = num(r, "est"), num(r, "ci_lower"), num(r, "ci_upper")
    level = num(r, "ci_level", 0.95)
    level = 0.95 if math.isnan(level) else level
    row = finding_row(
        **common, estimate=e, se=num(r, "se"), ci_lower=lo, ci_upper=hi, ci_level=level,
        ci_label=f"{100 * level:.10g}% CI", pvalue=num(r, "pvalue"),
        n_contributing=num(st, "n"), n_observed=num(st, "n_outcome"),
        effect_size=e / sd_y if math.isfinite(sd_y) and sd_y > 0 else math.nan,
        effect_size_kind="estimate / baseline SD of the outcome (partially standardised)"
        if math.isfinite(sd_y) and sd_y > 0 else "",
        evidence=evidence_grade(e, lo, hi, cav, Status.OK.value), caveats=join_caveats(cav),
        status=Status.OK.value, message=text(st, "message"))
    return row | private | {"_w_value": num(r, "w")}


def _jn_text(jn: pd.DataFrame | None, name: str, method: str) -> tuple[str, str]:
    """(regions, directions) of the J-N row ("1 to 3.7; 5.36 to 7", "positive; negative")."""
    if jn is None or missing_columns(jn, ["analysis", "method", "regions"]):
        return "", ""
    hit = jn[(jn["analysis"] == name) & (jn["method"] == method)]
    return ("", "") if hit.empty else (text(hit.iloc[0], "regions"),
                                       text(hit.iloc[0], "directions"))


def moderation_findings(estimates: pd.DataFrame | None, slopes: pd.DataFrame | None,
                        jn: pd.DataFrame | None, status: pd.DataFrame | None,
                        s: FindingsSettings, baseline_sd: dict[str, float] | None = None
                        ) -> list[dict]:
    """Primary rows per analysis, then the other method's rows as sensitivity rows."""
    gone = missing_columns(status, STATUS_NEEDED)
    if gone:
        return [finding_row(finding_id="moderation", kind="moderation", role="primary",
                            evidence="not_estimable", status=Status.NOT_ESTIMABLE.value,
                            message=f"moderation_status.csv is missing or lacks columns {gone}")]
    tables = {"estimates": estimates, "slopes": slopes}
    stands = [] if s.primary in ("fiml", "complete_case") else ["stands_in:fiml"]
    out: list[dict] = []
    for name in dict.fromkeys(status["analysis"].astype(str)):
        rows = status[status["analysis"].astype(str) == name]
        prim = rows[rows["primary"].astype(str).str.lower() == "true"]
        st = prim.iloc[0] if not prim.empty else rows.iloc[0]
        chosen, extra, why = st, list(stands), ""
        if text(st, "status") != Status.OK.value:
            ok = rows[(rows["status"] == Status.OK.value)]
            if not ok.empty:
                chosen = ok.iloc[0]
                why = text(st, "message")
                extra = [f"stands_in:{text(chosen, 'method')}"]
        suffixes = (["interaction", "slope_high", "slope_low"] if text(st, "predictor")
                    else ["moderator"])
        sd_y = (baseline_sd or {}).get(text(st, "outcome"), math.nan)
        regions = _jn_text(jn, name, text(chosen, "method"))
        for suffix in suffixes:
            row = _row(tables, chosen, suffix, "primary", extra, s, sd_y)
            row["_jn"] = regions if suffix == "interaction" else ("", "")
            if why:
                row["message"] = (f"{text(st, 'method')} could not give this estimate ({why}); "
                                  f"{text(chosen, 'method')} stands in")
            elif stands:
                row["message"] = (f"missing_data.primary is {s.primary}; the moderation models "
                                  "are fitted by FIML, which stands in")
            out.append(row)
        for _, other in rows.iterrows():
            if text(other, "method") != text(chosen, "method"):
                out += [_row(tables, other, suffix, "sensitivity", [], s, sd_y)
                        for suffix in suffixes]
    return out


def _words(row: dict, s: FindingsSettings) -> tuple[str, str, str]:
    def label(key: str) -> str:
        sc = s.scales.get(key)
        return lower_first(sc.label) if sc else key
    return label(text(row, "construct")), label(str(row.get("_x", ""))), \
        label(str(row.get("_w", "")))


def _dec(row: dict) -> int:
    """Decimals of the row's scale, more for small values (two significant digits)."""
    vals = [num(row, k) for k in ("estimate", "ci_lower", "ci_upper")]
    return decimals_for(num(row, "scale_min"), num(row, "scale_max"), vals)


def moderation_question(row: dict, s: FindingsSettings) -> tuple[str, str]:
    """(question, estimand) of a moderation row."""
    y, x, w = _words(row, s)
    w0, w1 = str(row.get("_from", "")), text(row, "wave")
    m = METHOD_WORDS.get(text(row, "method"), text(row, "method"))
    suffix = str(row.get("_suffix", ""))
    if suffix == "moderator":
        return (f"Do people with higher {w} see a different change in {y}?",
                f"coefficient of {w} in {y} at {w1} adjusted for {y} at {w0}, {m}")
    return (f"Does the link between change in {x} and change in {y} depend on {w}?",
            f"{text(row, 'term')} in {y} at {w1} ~ {y} at {w0} + change in {x} x {w}, {m}")


def _numbers(row: dict, dec: int) -> str:
    """"−0.45 points on the 3–9 UCLA-3 sum, 95% CI −0.60 to −0.30"."""
    ci = fmt_ci(num(row, "ci_lower"), num(row, "ci_upper"), dec, text(row, "ci_label"))
    return f"{fmt_num(num(row, 'estimate'), dec, True)} {text(row, 'units')}, {ci}"


def _jn_words(jn: tuple[str, str], w: str, y: str) -> str:
    """" The link was clear for identification from 1 to 3.7 (a rise in loneliness), and from
    5.36 to 7 (a fall) (Johnson-Neyman interval)."."""
    regions, directions = jn
    if not regions:
        return ""
    if regions == "none":
        return f" The link was not clear at any observed level of {w}."
    words = dict(enumerate({"positive": "a rise", "negative": "a fall"}.get(d, "")
                           for d in directions.split("; ")))
    plain = re.sub(r"\s*\([^)]*\)\s*$", "", y)  # "loneliness (UCLA-3)" -> "loneliness"
    spans = []
    for i, r in enumerate(regions.split("; ")):
        word = words.get(i, "")
        what = f" ({word} in {plain})" if word and i == 0 else f" ({word})" if word else ""
        lo, hi = (fmt_num(float(v), 2) for v in r.split(" to "))
        spans.append(f"for {w} from {lo} to {hi}{what}" if i == 0 else
                     f"from {lo} to {hi}{what}")
    return f" The link was clear {', and '.join(spans)} (Johnson-Neyman interval)."


def moderation_sentence(row: dict, s: FindingsSettings, ctx: dict | None = None) -> str:
    """The funder sentence of a primary moderation row."""
    y, x, w = _words(row, s)
    ev, suffix = text(row, "evidence"), str(row.get("_suffix", ""))
    if text(row, "status") != Status.OK.value:
        return f"The moderation analysis '{text(row, 'analysis')}' could not be estimated."
    between = (f"between {s.wave(str(row.get('_from', ''))).phrase} and "
               f"{s.wave(text(row, 'wave')).phrase}")
    how = f" ({METHOD_WORDS.get(text(row, 'method'), text(row, 'method'))})"
    assoc = association_phrase(ev, num(row, "estimate"))
    if suffix == "interaction":
        return (f"{upper_first(between)}, how far change in {x} went with change in {y} "
                f"{DEPENDS.get(ev, 'could not be estimated for')} {w}: "
                f"{_numbers(row, 3)}{how}.{_jn_words(row.get('_jn') or ('', ''), w, y)}")
    if suffix == "moderator":
        return (f"{upper_first(between)}, each extra point of {w} {assoc} {y} for people with "
                f"the same earlier score: {_numbers(row, _dec(row))}{how}.")
    high = suffix == "slope_high"
    if row.get("_who"):
        v = num(row, "_w_value")
        value = f"{v:g}" if float(v).is_integer() else fmt_num(v, 2)
        beyond = (f", {'above the highest' if high else 'below the lowest'} score observed"
                  if row.get("_beyond") else "")
        return (f"For people {row['_who']} ({value}{beyond}), each extra point of {x} {between} "
                f"{assoc} {y}: {_numbers(row, _dec(row))}{how}.")
    return (f"For people who scored {'high' if high else 'low'} on {w} (one SD "
            f"{'above' if high else 'below'} average), each extra point of {x} {between} "
            f"{assoc} {y}: {_numbers(row, _dec(row))}{how}.")


def moderation_headline(row: dict, s: FindingsSettings) -> str:
    """One short line (at most 160 characters) for the one-page summary; a line that would be
    longer drops its interval (the sentence keeps it)."""
    y, x, w = _words(row, s)
    suffix = str(row.get("_suffix", ""))
    if text(row, "status") != Status.OK.value:
        return f"{upper_first(y)} and {w}: could not be estimated."
    dec = 3 if suffix == "interaction" else _dec(row)
    est = fmt_num(num(row, "estimate"), dec, True)
    ci = f" ({fmt_ci(num(row, 'ci_lower'), num(row, 'ci_upper'), dec, text(row, 'ci_label'))})"
    for tail in (ci, ""):
        if suffix == "interaction":
            line = f"{upper_first(w)} and the link between {x} and {y}: interaction {est}{tail}."
        elif suffix == "moderator":
            line = f"{upper_first(w)} and change in {y}: {est} points per point{tail}."
        else:
            level = "high" if suffix == "slope_high" else "low"
            line = f"{upper_first(y)} per extra point of {x}, {level} {w}: {est} points{tail}."
        if len(line) <= 160:
            return line
    return line
