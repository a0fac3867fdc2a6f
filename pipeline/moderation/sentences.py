"""Plain-language sentences of the moderation analyses (``moderation_sentences.csv``).

Built from the wing's own tables (plain DataFrames), one set per analysis and method: the
interaction ("depended on" when its interval excludes 0, else "did not clearly depend on"),
the simple slopes at one SD above and below the moderator's mean ("For people who scored high
on identification (one SD above average, 5.96 on the 1-7 scale), each extra point of group
memberships went with a fall in loneliness of 0.45 points (95% CI 0.30 to 0.60) ..."; with
``probe`` anchors, values or percentiles every point, highest first, named in words: "For
people who strongly agreed that they identified with their group (7 on the 1-7 scale) ...",
a point outside the observed range said so), and the
Johnson-Neyman interval, said plainly when it has no boundary within the observed range. Without
a predictor, one sentence on the moderator's own association with the change in the outcome. An
analysis or method that did not run says so and points to the status table (whose reasons may
count people). No counts of people are printed.
"""

from __future__ import annotations

import math

import pandas as pd

from pipeline.moderation.anchors import plain_label
from pipeline.moderation.settings import ModerationAnalysis, ModerationSettings
from pipeline.wording import (
    ci_excludes_zero,
    decimals_for,
    fmt_ci,
    fmt_num,
    units_text,
    upper_first,
)

__all__ = ["build_sentences", "SENTENCE_COLUMNS"]

SENTENCE_COLUMNS = ["analysis", "method", "primary", "kind", "sentence"]
METHOD_WORDS = {"fiml": "FIML", "complete_case": "complete cases"}
RISE_FALL = {"positive": "rise", "negative": "fall"}


def _ci(level: float) -> str:
    return f"{100 * level:.10g}% CI"


_plain = plain_label


class _Words:
    """Names, units and decimals of one analysis's scales."""

    def __init__(self, a: ModerationAnalysis, s: ModerationSettings) -> None:
        y_label, y_lo, y_hi, y_kind = s.scale(a.outcome)
        self.y = _plain(y_label)
        self.y_units = "groups" if y_kind == "count" else units_text(y_label, y_lo, y_hi, y_kind)
        self.y_dec = decimals_for(y_lo, y_hi, score=y_kind)
        w_label, w_lo, w_hi, w_kind = s.scale(a.moderator)
        self.w_scale = "count" if w_kind == "count" else "scale"
        self.w = _plain(w_label)
        self.w_dec = decimals_for(w_lo, w_hi)
        self.w_range = f"{w_lo:g}\u2013{w_hi:g}"
        self.x = _plain(s.scale(a.predictor)[0]) if a.predictor else ""
        self.waves = f"between {a.waves[0]} and {a.waves[1]}"


def _change(est: float, lo: float, hi: float, level: float, what: str, units: str,
            dec: int) -> str:
    """"a fall in loneliness of 0.45 points (95% CI 0.30 to 0.60)"; "no clear change in ...".
    Small changes keep two significant digits (:func:`decimals_for`: "+0.050", not "+0.1" on a
    sum score printed with 1 decimal)."""
    dec = max(dec, decimals_for(None, None, (est, lo, hi)))
    if not ci_excludes_zero(lo, hi):
        return (f"no clear change in {what} ({fmt_num(est, dec, signed=True)} {units}, "
                f"{fmt_ci(lo, hi, dec, _ci(level))})")
    if est < 0:
        return (f"a fall in {what} of {fmt_num(-est, dec)} {units} "
                f"({fmt_ci(-hi, -lo, dec, _ci(level))})")
    return f"a rise in {what} of {fmt_num(est, dec)} {units} ({fmt_ci(lo, hi, dec, _ci(level))})"


def _text(v: object) -> str:
    """A text cell ('' for NaN / None)."""
    return "" if v is None or (isinstance(v, float) and math.isnan(v)) else str(v)


def _flag(v: object) -> bool:
    """A boolean cell (True / "True" / NaN -> True)."""
    return str(v).strip().lower() not in ("false", "0")


def _interaction(r: pd.Series, a: ModerationAnalysis, t: _Words) -> str:
    verb = "depended on" if ci_excludes_zero(r["ci_lower"], r["ci_upper"]) else \
        "did not clearly depend on"
    return (f"{upper_first(t.waves)}, how far the change in {t.y} went with the change in {t.x} "
            f"{verb} {t.w} (interaction {fmt_num(r['est'], 3, signed=True)}, "
            f"{fmt_ci(r['ci_lower'], r['ci_upper'], 3, _ci(r['ci_level']))}, in {t.y_units} per "
            f"point of change in {t.x} per point of {t.w}).")


def _slopes(rows: pd.DataFrame, t: _Words) -> str:
    if "probe" in rows and str(rows["probe"].iloc[0]) not in ("sd", "nan", ""):
        return _slopes_at_points(rows, t)
    parts = []
    for at, who in (("mean + 1 SD", "high"), ("mean - 1 SD", "low")):
        r = rows[rows["at"] == at].iloc[0]
        where = f"one SD {'above' if who == 'high' else 'below'} average"
        beyond = "" if _flag(r.get("within_observed", True)) else \
            f", beyond the {'highest' if who == 'high' else 'lowest'} score observed"
        head = (f"for people who scored {who} on {t.w} ({where}, {fmt_num(r['w'], t.w_dec)} on "
                f"the {t.w_range} scale{beyond})")
        ch = _change(r["est"], r["ci_lower"], r["ci_upper"], r["ci_level"], t.y, t.y_units,
                     t.y_dec)
        parts.append(f"{head}, each extra point of {t.x} {t.waves} went with {ch}"
                     if who == "high" else f"{head}, with {ch}")
    return parts[0][0].upper() + parts[0][1:] + "; " + parts[1] + "."


def _slopes_at_points(rows: pd.DataFrame, t: _Words) -> str:
    """Anchors, values or percentiles, highest first: "For people who strongly agreed that they
    identified with their group (7 on the 1-7 scale), each extra point of ... went with ...;
    for people who ... (1 on the 1-7 scale, below the lowest score observed), with ..."."""
    parts = []
    ordered = rows.sort_values("w", ascending=False, kind="stable")
    for i, (_, r) in enumerate(ordered.iterrows()):
        beyond = ""
        if not _flag(r.get("within_observed", True)):
            beyond = (", above the highest score observed" if r["w"] > r.get("w_mean", r["w"])
                      else ", below the lowest score observed")
        w = f"{r['w']:g}" if float(r["w"]).is_integer() else fmt_num(r["w"], t.w_dec)
        value = "" if r.get("probe") == "values" and not _text(r.get("label")) else f"{w} "
        head = f"for people {r['who']} ({value}on the {t.w_range} {t.w_scale}{beyond})"
        ch = _change(r["est"], r["ci_lower"], r["ci_upper"], r["ci_level"], t.y, t.y_units,
                     t.y_dec)
        parts.append(f"{head}, each extra point of {t.x} {t.waves} went with {ch}" if i == 0
                     else f"{head}, with {ch}")
    return upper_first("; ".join(parts)) + "."


def _jn(r: pd.Series, t: _Words) -> str:
    rng = f"{fmt_num(r['w_min'], t.w_dec)} to {fmt_num(r['w_max'], t.w_dec)}"
    if r["regions"] == "none":
        return (f"The link between change in {t.x} and change in {t.y} was not clear at any "
                f"observed level of {t.w} ({rng}); no Johnson-Neyman boundary within the "
                "observed range.")
    regions = [tuple(float(v) for v in part.split(" to ")) for part in r["regions"].split("; ")]
    words = [RISE_FALL.get(d, "change") for d in str(r.get("directions", "")).split("; ")]
    words += ["change"] * (len(regions) - len(words))
    head = f"Each extra point of {t.x} {t.waves} went with a clear"
    if len(regions) == 1 and math.isclose(regions[0][0], r["w_min"]) \
            and math.isclose(regions[0][1], r["w_max"]):
        return (f"{head} {words[0]} in {t.y} at every observed level of {t.w} ({rng}); no "
                "Johnson-Neyman boundary within the observed range.")
    spans = [f"{word} in {t.y} for {t.w} from {fmt_num(lo, t.w_dec)} to {fmt_num(hi, t.w_dec)}"
             if i == 0 else f"a clear {word} for {t.w} from {fmt_num(lo, t.w_dec)} to "
             f"{fmt_num(hi, t.w_dec)}" for i, (word, (lo, hi)) in enumerate(zip(words, regions))]
    return (f"{head} {', and '.join(spans)} (Johnson-Neyman interval, {_ci(r['ci_level'])}; "
            f"observed range {rng}); elsewhere the link was not clear.")


def _association(r: pd.Series, t: _Words) -> str:
    ch = _change(r["est"], r["ci_lower"], r["ci_upper"], r["ci_level"], t.y, t.y_units, t.y_dec)
    return (f"{upper_first(t.waves)}, each extra point of {t.w} went with {ch}, for people with "
            "the same earlier score.")


def build_sentences(tables: dict[str, pd.DataFrame], s: ModerationSettings) -> pd.DataFrame:
    """One row per sentence: analysis, method, primary, kind, sentence."""
    est, slopes, jn, status = (tables[k] for k in ("estimates", "simple_slopes", "jn", "status"))
    out = []
    for a in s.analyses:
        t = _Words(a, s)
        for _, st in status[status["analysis"] == a.name].iterrows():
            key = {"analysis": a.name, "method": st["method"], "primary": st["primary"]}
            how = METHOD_WORDS[st["method"]]
            if st["status"] != "ok":
                out.append({**key, "kind": "status", "sentence":
                            f"The {how} model of '{a.label}' could not be estimated with these "
                            "data; the reason is in moderation_status.csv."})
                continue
            sel = est[(est["analysis"] == a.name) & (est["method"] == st["method"])]
            sel = sel.set_index("term")
            if not a.predictor:
                out.append({**key, "kind": "association",
                            "sentence": _association(sel.loc["w"], t)})
                continue
            out.append({**key, "kind": "interaction",
                        "sentence": _interaction(sel.loc["dxw"], a, t)})
            ss = slopes[(slopes["analysis"] == a.name) & (slopes["method"] == st["method"])]
            out.append({**key, "kind": "simple_slopes", "sentence": _slopes(ss, t)})
            j = jn[(jn["analysis"] == a.name) & (jn["method"] == st["method"])].iloc[0]
            out.append({**key, "kind": "johnson_neyman", "sentence": _jn(j, t)})
    return pd.DataFrame(out, columns=SENTENCE_COLUMNS)
