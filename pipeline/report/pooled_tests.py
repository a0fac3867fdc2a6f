"""The pooled report's table of the across-scheme tests: "do the schemes differ?", one row per
pooled model (issue 15).

* change, per construct and follow-up wave pooled: Cochran's Q test of the meta-analysis
  (``pooled_change.csv``), with I\u00b2 beside it;
* the mechanism (``pooled_mediation_test.csv``) and the cross-lags per model
  (``pooled_crosslag_test.csv``): the headline test as the pooled wing marked it (the one rule
  of :mod:`pipeline.sem.headline`: the scaled LR test under MLR, else the robust Wald test,
  else the LR test), its df, p and scaling factor, the other tests beside it.

The verdict is in words from the headline test's p (below
:data:`pipeline.pooled.settings.DIFFER_P`: "differ across schemes"), and says when a test
beside it disagrees. Numbers as the study report prints its tests
(:mod:`pipeline.report.numfmt`); no count of people is printed (df and the number of schemes
are not counts of people); a model not tested gives its reason, small counts scrubbed.
"""

from __future__ import annotations

import pandas as pd

from pipeline.pooled.settings import DIFFER_P, TEST_WORDS
from pipeline.report.blocks import scrub_counts
from pipeline.report.model import Paragraph, Section, Table
from pipeline.report.numfmt import fmt_num, fmt_p, in_sentence, is_missing

__all__ = ["scheme_tests_table", "scheme_tests_section", "named_test", "DASH"]

DASH = "\u2013"  # an empty cell (no scaling factor; a model not tested)
_MODELS = {"clpm": "CLPM", "riclpm": "RI-CLPM"}


def named_test(test: object) -> str:
    """A test id ("lr_scaled_mlr") as the table names it ("Scaled likelihood-ratio (MLR)")."""
    name, est = TEST_WORDS.get(str(test), (str(test).replace("_", " "), ""))
    name = name.removesuffix(" test")
    return name[:1].upper() + name[1:] + (f" ({est})" if est else "")


def _stat(chisq: object, df: object, p: object) -> str:
    shown = fmt_p(p)
    p_text = f"p < {shown[1:]}" if shown.startswith("<") else f"p = {shown}"
    return f"\u03c7\u00b2 = {fmt_num(chisq, 2)}, df = {int(float(df))}, {p_text}"


def _verdict(p: float, others: list[float], differ: str) -> str:
    says = p < DIFFER_P
    out = differ if says else "No clear difference"
    if any((q < DIFFER_P) != says for q in others):
        out += " (not every test agrees)"
    return out


def _model_rows(tests: pd.DataFrame, what: str, differ: str, min_cell: int) -> tuple:
    """One row of a model's tests (the rows of one model in a ``pooled_*_test.csv``)."""
    flag = tests["headline"].astype(str).str.strip().str.lower().isin(("true", "1"))
    head = tests[flag].iloc[0] if flag.any() else tests.iloc[0]
    if str(head["status"]) != "ok":
        msg = head.get("message")
        why = "" if is_missing(msg) else scrub_counts(str(msg).split(";")[0].strip(), min_cell)
        return (what, *(DASH,) * 6, "Not tested" + (f": {why.rstrip('.')}" if why else ""))
    others = tests[(~flag) & (tests["status"].astype(str) == "ok")]
    beside = "; ".join(
        f"{named_test(r['test'])}: {_stat(r['chisq_diff'], r['df_diff'], r['pvalue'])}"
        for _, r in others.iterrows()) or DASH
    sf = head.get("scaling_factor")
    return (what, named_test(head["test"]), fmt_num(head["chisq_diff"], 2),
            str(int(float(head["df_diff"]))), fmt_p(head["pvalue"]),
            DASH if is_missing(sf) else fmt_num(sf, 2), beside,
            _verdict(float(head["pvalue"]), [float(p) for p in others["pvalue"]], differ))


def _change_rows(pooled: pd.DataFrame | None, settings) -> list[tuple]:
    if pooled is None or pooled.empty:
        return []
    rows = []
    for key, (label, *_rest) in settings.constructs.items():
        mine = pooled[(pooled["construct"].astype(str) == key)
                      & (pooled["status"].astype(str) == "ok")]
        for r in mine.itertuples():
            w = str(r.wave)
            when = in_sentence(settings.wave_labels.get(w, w))
            what = f"Change in {in_sentence(label)} to {when} ({w})"
            rows.append((what, "Cochran's Q (heterogeneity)", fmt_num(r.Q, 2),
                         str(int(float(r.Q_df))), fmt_p(r.Q_pvalue), DASH,
                         f"I\u00b2 = {float(r.I2):.0f}%",
                         _verdict(float(r.Q_pvalue), [], "Change differs across schemes")))
    return rows


def scheme_tests_table(inp, settings) -> Table | None:
    """The table of every across-scheme test (None when the pooled stage wrote none)."""
    rows = _change_rows(inp.table("pooled_change"), settings)
    med = inp.table("pooled_mediation_test")
    if med is not None and not med.empty:
        chain = (settings.mediation_label or str(med["analysis"].iloc[0])).replace(
            "->", "\u2192")
        rows.append(_model_rows(med, f"The mechanism ({chain})",
                                "Paths differ across schemes", settings.min_cell))
    cl = inp.table("pooled_crosslag_test")
    if cl is not None and not cl.empty:
        for model, g in cl.groupby("model", sort=False):
            what = f"Cross-lagged paths ({_MODELS.get(str(model), str(model))})"
            rows.append(_model_rows(g, what, "Paths differ across schemes", settings.min_cell))
    if not rows:
        return None
    return Table(
        caption="Do the schemes differ? One test per pooled result",
        header=("Model", "Test", "\u03c7\u00b2 (Q)", "df", "p", "Scaling factor",
                "Other tests", "Verdict"),
        rows=tuple(rows), key="pooled_tests", widths=(2.3, 1.7, 0.9, 0.5, 0.9, 1.0, 3.0, 1.8),
        note="The test named is the one each answer rests on: for the change, Cochran's Q test "
             "of the meta-analysis; for the mechanism and the cross-lags, the scaled "
             "likelihood-ratio test (Satorra-Bentler, allows for data that are not normally "
             "distributed; its scaling factor beside it), or the robust Wald test when the "
             "scaled test cannot be computed, with the other tests beside it. 'Differ' means "
             f"p < {DIFFER_P:g}. With few schemes these tests can miss real differences: 'no "
             "clear difference' does not show that the schemes are alike.")


def scheme_tests_section(inp, settings) -> Section | None:
    """The section holding :func:`scheme_tests_table` (None when there is no test)."""
    table = scheme_tests_table(inp, settings)
    if table is None:
        return None
    lead = Paragraph("Each row asks whether the schemes differ: in how much an outcome "
                     "changed, or in the paths of the mechanism and the cross-lags. The "
                     "verdict rests on the test named; the other tests are there to show "
                     "whether they agree. The sections above say the same in words.",
                     strong_lead="How to read the table.")
    return Section("pooled_tests", "Do the schemes differ? The tests", (lead, table))
