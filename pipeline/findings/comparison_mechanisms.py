"""Findings rows of the by-arm mechanism tests: does the mediation chain, or do the cross-lagged
effects, work the same way in both arms?

Source: the comparison wing's ``comparison_mediation_test.csv`` and
``comparison_crosslag_test.csv`` (each model fitted as one two-group FIML model, paths free in
each arm against paths equal across arms; the ``headline`` row is, under MLR, the
Satorra-Bentler (2001) scaled LR test (lavaan ``lavTestLRT`` of MLR fits) or, when that cannot
be computed, the robust Wald test (``lavTestWald``); under ML the LR test), and the wing's
``kind = mechanism`` sentences in ``comparison_sentences.csv`` (keyed by the chain's name, or
``<analysis>/<clpm|riclpm>``).

One row per chain (``comparison.mechanism.<chain>``) and per cross-lagged analysis and model
(``comparison.crosslag.<analysis>.<model>``): kind ``comparison``, role primary, no estimate (a
test, not an effect), the test's p-value, and the wing's own sentence, which already says the
test's limited power and, for a model that could not be fitted, why. Evidence: ``clear`` when the
test rejects equal paths at 5%, else ``no_clear``; ``not_estimable`` with the wing's status
when the model could not be fitted. Counts are the arms' entered numbers the public flow prints.
"""

from __future__ import annotations

import pandas as pd

from pipeline.findings.table import finding_row, missing_columns, num, text
from pipeline.status import Status

__all__ = ["TEST_NEEDS", "mechanism_findings"]

TEST_NEEDS = ["analysis", "model", "test", "chisq", "df", "pvalue", "headline", "status",
              "message"]
_MODEL_KEY = {"CLPM": "clpm", "RI-CLPM": "riclpm"}
_PLAIN = {"improper_solution": "the model by group gave improper estimates (such as a negative "
                               "variance), which often means too few people for its parameters",
          "not_converged": "the model by group did not converge",
          "not_identified": "the model by group is not identified with these data"}


def _headline(t: pd.DataFrame) -> pd.DataFrame:
    flag = t["headline"].astype(str).str.strip().str.lower().isin(("true", "1"))
    return t[flag]


def _row(r: pd.Series, kind: str, said: dict[str, str]) -> dict:
    analysis, model = text(r, "analysis"), text(r, "model")
    status = text(r, "status") or Status.OK.value
    p = num(r, "pvalue")
    if kind == "mediation":
        fid, key = f"comparison.mechanism.{analysis}", analysis
        question = "Does the chain work the same way in both groups?"
    else:
        m = _MODEL_KEY.get(model, model.lower())
        fid, key = f"comparison.crosslag.{analysis}.{m}", f"{analysis}/{m}"
        question = f"Do the {model} cross-lagged effects work the same way in both groups?"
    ok = status == Status.OK.value
    evidence = ("clear" if p < 0.05 else "no_clear") if ok else "not_estimable"
    return finding_row(
        finding_id=fid, kind="comparison", role="primary", analysis="comparison",
        question=question, estimand=f"{text(r, 'test')}: paths equal across arms vs free "
        f"({model}, chi-square {num(r, 'chisq'):.2f} on {num(r, 'df'):.0f} df)" if ok else
        f"{text(r, 'test')}: paths equal across arms vs free ({model})",
        term=f"{model} by arm", method="fiml", pvalue=p if ok else float("nan"),
        evidence=evidence, status=status, message="" if ok else _PLAIN.get(
            status, "the model by group could not be fitted") + f" ({model} by arm; the "
        f"comparison_{kind}_test.csv table has the details)",
        sentence=said.get(key, ""))


def mechanism_findings(mediation_test: pd.DataFrame | None, crosslag_test: pd.DataFrame | None,
                       sentences: pd.DataFrame | None) -> list[dict]:
    """Rows of the by-arm tests (see the module notes); none when no test was configured."""
    said: dict[str, str] = {}
    if sentences is not None and not missing_columns(sentences, ["kind", "outcome",
                                                                 "sentence"]):
        mech = sentences[sentences["kind"] == "mechanism"]
        said = {str(o): str(s) for o, s in zip(mech["outcome"], mech["sentence"])}
    rows = []
    for kind, t in (("mediation", mediation_test), ("crosslag", crosslag_test)):
        if t is None or t.empty or missing_columns(t, TEST_NEEDS):
            continue
        rows += [_row(r, kind, said) for _, r in _headline(t).iterrows()]
    return rows
