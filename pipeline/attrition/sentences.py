"""The words of the attrition wing: status messages and the plain-language summary.

Every sentence follows the evidence (numbers, statuses) it is given and applies the disclosure
rule itself: small counts are written "<10" (``pipeline.disclosure.format_count``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import pandas as pd

from pipeline.attrition.flow import in_sentence
from pipeline.attrition.public import suppress_comparison
from pipeline.disclosure import format_count, is_small
from pipeline.stats.logistic import MIN_EVENTS, LogisticFit
from pipeline.wording import fmt_num

__all__ = ["MIN_EVENTS_RULE", "notable_rule", "short_label", "retention_message",
           "ipw_message", "attrition_summary"]

MIN_EVENTS_RULE = (
    "The retention model (and the inverse-probability weights built on it) is fitted only when "
    f"at least {MIN_EVENTS} people are in the rarer outcome group (retained or lost). Peduzzi et "
    "al. (1996, J Clin Epidemiol 49:1373-1379) found logistic regression unreliable below about "
    "10 events per predictor; with fewer than 10 events in all there is no model worth "
    "reporting (Firth's penalised likelihood removes the bias from separation but not the lack "
    "of information). Between 10 events and 10 events per predictor the model is fitted with a "
    "warning in its message."
)


def notable_rule(notable_smd: float) -> str:
    """The rule by which the summary calls a retained-vs-lost difference notable."""
    return (
        "A baseline difference between those who stayed and those who left is called notable "
        f"when the standardised mean difference is at least {notable_smd} in size (Cohen's "
        "'small' is 0.2), whatever its p-value: with few people followed up a test has little "
        "power, and the bias that attrition can cause depends on the size of a difference, not "
        "on its significance."
    )


def short_label(label: str) -> str:
    """'Loneliness (UCLA-3)' -> 'loneliness' for use inside a sentence."""
    text = re.sub(r"\s*\([^)]*\)", "", label).strip()
    return text[:1].lower() + text[1:] if text[:2] != text[:2].upper() else text


# ----------------------------------------------------------------------------- retention model
def _not_estimable_reason(fit: LogisticFit) -> str:
    n, n_ret, m = fit.n, fit.n_events, fit.min_events
    if fit.problem == "no_contrast":
        who = "nobody" if n_ret == 0 else "everybody"
        return (f"not estimable because {who} with complete baseline data was retained "
                f"({n_ret} of {n}); there is no contrast between stayers and leavers.")
    if fit.problem == "too_few_events":
        group = "retained" if n_ret <= n - n_ret else "lost"
        return (f"not estimable because fewer than {m} of the {n} people with complete "
                f"baseline data were {group}; with fewer than {m} people in the rarer group a "
                "logistic model gives no trustworthy odds ratios, so none is fitted "
                "(events-per-variable rule, Peduzzi et al. 1996).")
    if fit.problem == "too_few_rows":
        return f"not estimable: only {n} people with complete data for {fit.k} parameters."
    return ("not estimable: some predictors are exact linear combinations of others "
            "(drop one).")


def retention_message(fit: LogisticFit, wave: str) -> str:
    """The status message of the retention model at ``wave`` (any status)."""
    lead = f"Retention model for wave {wave}: "
    notes = list(fit.notes)
    if fit.low_epv:
        notes.append(f"fewer than 10 of the rarer outcome per predictor ({fit.rarer} for "
                     f"{fit.k - 1}); estimates may be unstable")
    tail = (" Note: " + "; ".join(notes) + ".") if notes else ""
    sep = (f"the predictors {list(fit.separating)} separate stayers from leavers (complete or "
           "quasi-complete separation), so ordinary maximum-likelihood odds ratios are infinite")
    if fit.problem == "separation":
        return f"{lead}not estimable: {sep}.{tail}"
    if fit.method == "firth":
        if fit.problem == "not_converged":
            return f"{lead}{sep}; Firth's penalised fit did not converge.{tail}"
        return (f"{lead}{sep}; estimates use Firth's penalised likelihood (Heinze & Schemper, "
                f"2002), which gives finite but imprecise odds ratios: read them with care.{tail}")
    if fit.problem == "not_converged":
        return f"{lead}the logistic fit did not converge.{tail}"
    if fit.problem:
        return f"{lead}{_not_estimable_reason(fit)}{tail}"
    return f"{lead}logistic regression on {fit.n} people ({fit.n_events} retained).{tail}"


def ipw_message(ok: bool, model_message: str, wave: str, *, stabilised: bool, n_weighted: int,
                n_truncated: int, n_missing: int) -> str:
    """The status message of the IPW weights at ``wave``, after the retention model's."""
    if not ok:
        return f"IPW not computed: {model_message}"
    note = (f" {n_missing} retained people with a missing predictor get no weight."
            if n_missing else "")
    return (f"{'Stabilised' if stabilised else 'Unstabilised'} inverse-probability-of-retention "
            f"weights for wave {wave} ({n_weighted} people; {n_truncated} truncated). "
            f"{model_message}{note}")


# ----------------------------------------------------------------------------- summary
def _join(bits: list[str]) -> str:
    return bits[0] if len(bits) == 1 else ", ".join(bits[:-1]) + " and " + bits[-1]


def _hidden(v) -> bool:
    return isinstance(v, str) or v is None or pd.isna(v)


_WITHHELD = "numbers withheld to protect privacy"

#: said once after the differences, when one of them shows its standardised difference
SMD_MEANING = (" A standardised difference is the gap between the two groups in standard "
               "deviations (about 0.2 is small, 0.5 medium and 0.8 large; Cohen 1988).")


def withheld_meaning(min_cell: int) -> str:
    """Said once after the differences when some are withheld: why (a funder-eyed read took
    the repeated "numbers withheld" for hiding results)."""
    return (f" Numbers are withheld where fewer than {min_cell} people are behind them (in "
            "a group, an answer or a missing answer), or where such a small number could "
            "otherwise be worked out from them.")


def _smd(x: float) -> str:
    """A standardised mean difference in words, with a true minus sign."""
    return f"standardised difference {fmt_num(float(x), 2)}"


def _describe_difference(row: pd.Series, shown: pd.Series, label: str) -> str:
    """One notable difference; numbers only where the public copy (``shown``) shows them."""
    up = row["smd"] > 0
    if row["level"] == "" or pd.isna(row["level"]):
        if any(_hidden(shown[c]) for c in ("mean_retained", "mean_lost", "smd")):
            if label == "age":
                return (f"were {'older' if up else 'younger'} on average ({_WITHHELD})")
            return f"had {'higher' if up else 'lower'} {label} at entry ({_WITHHELD})"
        if label == "age":
            return (f"were {'older' if up else 'younger'} on average (mean "
                    f"{shown['mean_retained']:.0f} vs {shown['mean_lost']:.0f} years; "
                    f"{_smd(shown['smd'])})")
        return (f"had {'higher' if up else 'lower'} {label} at entry (mean "
                f"{shown['mean_retained']:.1f} vs {shown['mean_lost']:.1f}; "
                f"{_smd(shown['smd'])})")
    more = "more" if up else "less"
    if any(_hidden(shown[c]) for c in ("pct_retained", "pct_lost", "smd")):
        # a share of a hidden count (with the group size) would give the count back
        return f"{more} often had {label} '{row['level']}' ({_WITHHELD})"
    return (f"{more} often had {label} '{row['level']}' ({shown['pct_retained']:.0f}% vs "
            f"{shown['pct_lost']:.0f}%; {_smd(shown['smd'])})")


def _group_sizes(table: pd.DataFrame, retained: Any, n0: int) -> tuple[float, float]:
    """(retained, lost) group sizes at a wave: from the flow table when it has the wave, else
    from the comparison table (first variable: its counts plus its missing count)."""
    if retained is not None and not pd.isna(retained):
        return float(retained), float(n0 - retained)
    if table.empty:
        return float("nan"), float("nan")
    first = table[table["variable"] == table["variable"].iloc[0]]
    return tuple(float(pd.to_numeric(first[f"n_{g}"], errors="coerce").sum()
                       + pd.to_numeric(first[f"missing_{g}"], errors="coerce").iloc[0])
                 for g in ("retained", "lost"))


def _when(label: str, wave: str) -> str:
    """A wave as written in its label, inside a sentence: only a capitalised first word is
    lowered ("About 4 months" -> "about 4 months"); acronyms, ids and the rest of the label
    stay as written ("FU1 (PHQ)", "Month 3 Review" -> "month 3 Review"), as in the findings."""
    return in_sentence(str(label)) if label and label != wave else f"wave {wave}"


def _joined_sentence(flow: pd.DataFrame, min_cell: int) -> str:
    n0 = int(flow["retained"].iloc[0])
    parts = []
    for _, r in flow.iloc[1:].iterrows():
        share = "" if is_small(r["retained"], min_cell) else f" ({r['pct_baseline']:.0f}%)"
        parts.append(f"{format_count(r['retained'], min_cell)}{share} at "
                     f"{_when(r['label'], r['wave'])}")
    if not parts:
        return f"{format_count(n0, min_cell)} people joined; no follow-up wave is configured."
    parts[0] = parts[0].replace(" at ", " answered at ", 1)
    return f"Of {format_count(n0, min_cell)} people who joined, {_join(parts)}."


def _comparison_sentence(table: pd.DataFrame, who: str, labels: Mapping[str, str],
                         min_cell: int, notable_smd: float) -> str:
    notable = table[table["smd"].abs() >= notable_smd]
    if notable.empty:
        if table["smd"].dropna().empty:
            return f" {who.capitalize()} could not be compared with those who did not."
        return (f" {who.capitalize()} were similar at entry to those who did not on the "
                f"measures compared (all standardised differences below {notable_smd}).")
    shown = suppress_comparison(table, min_cell)  # the public copy: what funders may read
    # differences whose SMD the public copy hides come last, in the table's order, and a
    # variable is named by a level whose SMD is shown when it has one: placed or chosen by
    # their true size they would bound it ("before 0.50": at least 0.50)
    hidden = notable.index.map(lambda i: _hidden(shown.at[i, "smd"])).to_numpy(bool)
    seen = notable[~hidden]
    notable = pd.concat([seen.loc[seen["smd"].abs().sort_values(ascending=False).index],
                         notable[hidden]]).drop_duplicates("variable")
    bits = [_describe_difference(r, shown.loc[i], labels.get(r["variable"], r["variable"]))
            for i, r in notable.iterrows()]
    return f" Compared with those who did not, {who} {_join(bits)}."


def attrition_summary(
    flow: pd.DataFrame,
    comparisons: Mapping[str, pd.DataFrame] | None = None,
    labels: Mapping[str, str] | None = None,
    *,
    min_cell: int,
    notable_smd: float,
    joined: bool = True,
) -> str:
    """Plain-language summary of attrition whose wording follows the evidence.

    ``flow`` is ``participant_flow`` output; ``comparisons`` maps a follow-up wave to its
    ``retained_vs_lost`` table; ``labels`` gives readable names (e.g. ``belonging_T0`` ->
    "community belonging"). Small counts are written as "<10" (no percentage). Differences are
    mentioned only when notable by :func:`notable_rule` (|SMD| >= ``notable_smd``), largest
    first, one per variable. A follow-up wave whose retained or lost group has 1 to
    ``min_cell - 1`` people gets "Too few people answered at <wave> to compare them with those
    who did not." and no per-variable differences (they would describe those few people); a
    difference whose numbers the public comparison table hides
    (:func:`pipeline.attrition.public.suppress_comparison`: small or protecting counts) is
    named without numbers ("numbers withheld to protect privacy"), so a sentence never gives
    back a hidden count as a share of a known group size. ``joined=False``: without the first
    sentence (how many joined and answered at each wave), for a text that has just said it.
    """
    labels = dict(labels or {})
    text = _joined_sentence(flow, min_cell) if joined else ""
    if len(flow) < 2:
        return text
    n0 = int(flow["retained"].iloc[0])
    wave_label = flow.set_index("wave")["label"]
    retained_at = flow.set_index("wave")["retained"]
    for wave, table in (comparisons or {}).items():
        when = _when(wave_label.get(wave, wave), wave)
        n_ret, n_lost = _group_sizes(table, retained_at.get(wave), n0)
        if is_small(n_ret, min_cell) or is_small(n_lost, min_cell):
            text += f" Too few people answered at {when} to compare them with those who did not."
            continue
        text += _comparison_sentence(table, f"those who answered at {when}", labels, min_cell,
                                     notable_smd)
    if f"({_WITHHELD})" in text:
        text += withheld_meaning(min_cell)
    return (text + (SMD_MEANING if "standardised difference " in text else "")).strip()
