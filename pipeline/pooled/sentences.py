"""The pooled analysis in plain words (``pooled_sentences.csv``): one row per claim.

Every number comes from the pooled tables; counts of people come from the public scheme table
(already protected), so a sentence discloses nothing the tables do not. Heterogeneity is worded
from the Q test and I^2, and says that with few schemes the test has little power (it detects
only large differences: Higgins & Thompson 2002; IntHout et al. 2014).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from pipeline.pooled.scaled import TEST_NAMES, TEST_WORDS, headline_row
from pipeline.pooled.schemes import ALL
from pipeline.pooled.settings import DIFFER_P, Construct
from pipeline.wording import (
    change_verb,
    ci_label,
    decimals_for,
    evidence_grade,
    fmt_ci,
    fmt_num,
    fmt_p,
    lower_first,
    units_text,
)

__all__ = ["SENTENCE_COLUMNS", "scheme_sentence", "change_sentence", "heterogeneity_phrase",
           "mediation_sentence", "crosslag_sentence", "sentences_table"]

SENTENCE_COLUMNS = ["kind", "construct", "wave", "status", "sentence"]
DISAGREE = " The tests disagree, so the answer is uncertain; it follows the {head}: {why}."
#: why the tests can disagree, said of the tests that ran
CAVEATS = {"lr_scaled_mlr": "the scaled likelihood-ratio test allows for data that are not "
                            "normally distributed",
           "lr_ml": "the likelihood-ratio test assumes normally distributed data",
           "wald_mlr": "the robust Wald test can find differences too readily when few people "
                       "per scheme answered or many paths are compared"}


def scheme_sentence(public: pd.DataFrame) -> str:
    """"3 schemes took part: 600 people entered; 171 (28.5%) answered at T1 ..." from the
    public scheme table's ``All schemes`` rows."""
    tot = public[public["scheme"] == ALL]
    k = public.loc[public["scheme"] != ALL, "scheme"].nunique()
    if tot.empty:
        return f"{k} schemes took part."
    first = tot.iloc[0]
    parts = [f"{r.responded} ({r.pct_entry}) answered at {r.wave}"
             + ("" if int(r.schemes) == k else " (the one scheme with that wave)"
                if int(r.schemes) == 1 else f" (the {int(r.schemes)} schemes with that wave)")
             for r in tot.iloc[1:].itertuples()]
    text = f"{k} schemes took part: {first.entered} people entered"
    return text + ("; " + "; ".join(parts) if parts else "") + "."


def heterogeneity_phrase(row: Mapping) -> str:
    """Whether the schemes differed: from the Q test (p < 0.05) and I^2."""
    i2, q_p = float(row["I2"]), float(row["Q_pvalue"])
    stats_text = f"I\u00b2 = {i2:.0f}%, Q test {fmt_p(q_p)}"
    if q_p < DIFFER_P:
        return f"the schemes differed more than chance alone would explain ({stats_text})"
    k = int(row["k"])
    weak = f"; with only {k} schemes this test can miss real differences" if k < 10 else ""
    return f"the schemes did not differ detectably ({stats_text}{weak})"


def change_sentence(row: Mapping, c: Construct, wave_label: str) -> str:
    """"Across the 3 schemes, loneliness decreased by 0.43 points on the 3–9 UCLA-3 sum from
    entry to T1 (95% CI ...); the schemes differed ...; in a new scheme the change would
    likely lie between ... (95% prediction interval)." """
    what = lower_first(c.label)
    if row["status"] != "ok":
        return f"The change in {what} to {wave_label} was not pooled: {row['message']}."
    est, lo, hi = float(row["est"]), float(row["ci_lower"]), float(row["ci_upper"])
    dec = decimals_for(c.lo, c.hi, [est, lo, hi])
    level = float(row["ci_level"])
    verb = change_verb(evidence_grade(est, lo, hi), est)
    size = "" if verb.startswith(("showed", "could")) else f" by {fmt_num(abs(est), dec)}"
    units = units_text(c.label, c.lo, c.hi, c.score)
    label = f"{ci_label(level)}, Knapp-Hartung"
    pi = f"{fmt_num(float(row['pi_lower']), dec)} and {fmt_num(float(row['pi_upper']), dec)}"
    return (f"Across the {int(row['k'])} schemes, {what} {verb}{size} from entry to "
            f"{lower_first(wave_label)} (mean change {fmt_num(est, dec, signed=True)} {units}; "
            f"{fmt_ci(lo, hi, dec, label)}); {heterogeneity_phrase(row)}. In a new scheme like "
            f"these the change would lie between {pi} ({100 * level:.10g}% prediction "
            "interval).")


def _test_text(test: Mapping, what: str) -> str:
    return (f"{what}: \u03c7\u00b2 = {float(test['chisq_diff']):.2f}, df = "
            f"{int(test['df_diff'])}, {fmt_p(float(test['pvalue']))}")


def _tests(tests: Sequence[Mapping], what: str) -> tuple[Mapping, str, str]:
    """(the headline row, every successful test in words, headline first, and the
    disagreement remark when a successful test's verdict differs from the headline's)."""
    head = headline_row(tests)
    ok = [t for t in tests if t.get("status") == "ok" and t is not head]
    name, est = TEST_WORDS.get(head["test"], (str(head["test"]), ""))
    words = [_test_text(head, f"{name} of equal {what}" + (f", {est}" if est else ""))]
    words += [_test_text(t, TEST_NAMES.get(t["test"], t["test"])) for t in ok]
    differ = float(head["pvalue"]) < DIFFER_P
    extra = ""
    if any((float(t["pvalue"]) < DIFFER_P) != differ for t in ok):
        why = [CAVEATS[t["test"]] for t in (head, *ok) if t["test"] in CAVEATS]
        extra = DISAGREE.format(head=name, why=", ".join(why[:-1]) + " and " + why[-1]
                                if len(why) > 1 else "".join(why))
    return head, "; ".join(words), extra


def _and(items: Sequence[str]) -> str:
    """"a, b and c" (one item as it is)."""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def _as_rows(tests: Mapping | Sequence[Mapping] | None) -> list[Mapping]:
    if tests is None:
        return []
    return [tests] if isinstance(tests, Mapping) else list(tests)


def mediation_sentence(tests: Mapping | Sequence[Mapping] | None, chain_label: str,
                       k: int) -> str:
    """The multi-group answer to "do the paths differ across schemes?" from the ``headline``
    test (:func:`pipeline.pooled.scaled.mark_headline`: the scaled LR test under MLR, else the
    robust Wald test, else the LR test), the other successful tests beside it, each labelled.
    When they disagree the sentence says so. ``tests``: the rows of
    ``pooled_mediation_test.csv`` (or one row)."""
    rows = _as_rows(tests)
    head = headline_row(rows)
    if head is None or head.get("status") != "ok":
        why = "" if head is None else f": {head.get('message', '')}"
        return f"The chain {chain_label} was not compared across the schemes{why}."
    head, words, extra = _tests(rows, "paths")
    verdict = ("the paths differed across the schemes" if float(head["pvalue"]) < DIFFER_P
               else "the paths did not differ detectably across the schemes")
    return (f"In one model of the {k} schemes (multi-group, FIML), {verdict} ({words})."
            + extra)


def crosslag_sentence(tests: Sequence[Mapping], model: str, constructs: Sequence[str],
                      k: int, waves: Sequence[str], left_out: Mapping[str, Sequence[str]]
                      ) -> str:
    """Whether the cross-lagged paths differ across the schemes, on the waves every scheme
    has (the waves left out named), from the headline test (as :func:`mediation_sentence`)
    with the other successful tests beside it."""
    what = f"The cross-lagged paths among {_and([lower_first(c) for c in constructs])}"
    left = ("; left out: " + "; ".join(f"{', '.join(ws)} of {n}" for n, ws in
                                       left_out.items())) if left_out else ""
    on = f"on {_and(list(waves))}, the waves every scheme has{left}"
    rows = _as_rows(tests)
    head = headline_row(rows)
    if head is None or head.get("status") != "ok":
        why = "" if head is None else str(head.get("message", "")).rstrip(".")
        return (f"{what} ({model}) were not compared across the {k} schemes: "
                f"{why}" + (f" ({left[2:]})" if left else "") + ".")
    head, words, extra = _tests(rows, "cross-lags")
    verdict = ("differed across the schemes" if float(head["pvalue"]) < DIFFER_P else
               "did not differ detectably across the schemes")
    return (f"{what} ({model}, one multi-group model of the {k} schemes, {on}) {verdict} "
            f"({words}).{extra}")


def sentences_table(public_schemes: pd.DataFrame, pooled: pd.DataFrame,
                    constructs: Sequence[Construct], wave_labels: Mapping[str, str],
                    extra: Sequence[dict] = ()) -> pd.DataFrame:
    """Every pooled sentence: the schemes, then each construct's change per wave, then
    ``extra`` rows (mediation, constructs not pooled)."""
    rows = [{"kind": "schemes", "construct": "", "wave": "", "status": "ok",
             "sentence": scheme_sentence(public_schemes)}]
    by_key = {c.key: c for c in constructs}
    for r in pooled.to_dict("records"):
        c = by_key[r["construct"]]
        rows.append({"kind": "change", "construct": c.key, "wave": r["wave"],
                     "status": r["status"],
                     "sentence": change_sentence(r, c, wave_labels.get(r["wave"], r["wave"]))})
    rows += list(extra)
    return pd.DataFrame(rows, columns=SENTENCE_COLUMNS)
