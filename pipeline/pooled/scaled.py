"""The pooled multi-group tests of "do the paths differ across schemes?": the scaled LR row
and which row is the headline.

The pooled mediation chain and cross-lags are each fitted free and with the tested paths
equal across schemes (ML estimates; the MLR estimates are the same). Each test is a row of
``pooled_mediation_test.csv`` / ``pooled_crosslag_test.csv``:

* ``lr_ml``: the likelihood-ratio (chi-square difference) test of the ML fits (lavaan
  ``lavTestLRT`` of ML fits); valid under multivariate normality;
* ``lr_scaled_mlr``: the Satorra-Bentler (2001) scaled difference of the MLR chi-squares,
  ``T = (T0 - T1) / cd`` with ``cd = (df0 c0 - df1 c1) / (df0 - df1)`` from each model's MLR
  scaling factor (Yuan-Bentler, Mplus variant; lavaan ``lavTestLRT`` of the two MLR fits,
  ``method = "satorra.bentler.2001"``: :func:`pipeline.sem.multigroup.scaled_lr_test_groups`),
  robust to non-normal data; ``scaling_factor`` holds ``cd``. When ``cd`` is negative (lavaan:
  ``NA``) or cannot be computed the row is ``not_estimable`` with the reason;
* ``wald_mlr``: the robust Wald test of the same equalities (the free fit's MLR sandwich
  covariance, ``lavTestWald``).

The ``headline`` row, the one the sentences and the pooled report lead with, is the scaled LR
test when it was computed, else the robust Wald test, else the LR test: the one rule of
:mod:`pipeline.sem.headline`, which the comparison wing's by-arm tests
(:mod:`pipeline.comparison.armfits`) use too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from pipeline.errors import PipelineError
from pipeline.pooled.settings import TEST_WORDS  # each test in words and its estimator
from pipeline.sem import headline
from pipeline.status import Status

__all__ = ["TEST_ORDER", "TEST_WORDS", "TEST_NAMES", "TEST_KINDS", "scaled_row", "mark_headline",
           "headline_row"]

TEST_ORDER = ("lr_ml", "lr_scaled_mlr", "wald_mlr")
TEST_NAMES = {k: f"{name}, {est}" for k, (name, est) in TEST_WORDS.items()}
#: each test's kind in the headline rule (:mod:`pipeline.sem.headline`)
TEST_KINDS = {"lr_ml": headline.LR, "lr_scaled_mlr": headline.SCALED_LR,
              "wald_mlr": headline.ROBUST_WALD}


def scaled_row(equal, free) -> dict:
    """The ``lr_scaled_mlr`` row's values (``chisq_diff, df_diff, pvalue, scaling_factor,
    status, message``) of the ``equal`` fit against the ``free`` fit (both successful, any
    estimator: the scaling factors come from their estimates). A test that cannot be computed
    (``cd < 0``, singular information) is ``not_estimable`` with the reason, never an error."""
    from pipeline.sem.multigroup import scaled_lr_test_groups

    try:
        t = scaled_lr_test_groups(equal, free)
    except (PipelineError, np.linalg.LinAlgError, FloatingPointError) as exc:
        return {"status": Status.NOT_ESTIMABLE.value,
                "message": f"scaled LR test: {str(exc).rstrip('.')}; the robust Wald test is "
                           "the headline"}
    if t.get("message"):
        return {"df_diff": t["df_diff"], "status": Status.NOT_ESTIMABLE.value,
                "message": f"scaled LR test: {str(t['message']).rstrip('.')}; the robust Wald "
                           "test is the headline"}
    return {"chisq_diff": float(t["chisq_diff"]), "df_diff": float(t["df_diff"]),
            "pvalue": float(t["pvalue"]), "scaling_factor": float(t["scaling_factor"]),
            "status": Status.OK.value, "message": ""}


def mark_headline(rows: Sequence[Mapping]) -> list[dict]:
    """``rows`` (one model's tests) with ``headline``: True on exactly one row, the first
    successful of scaled LR, robust Wald, LR; when none succeeded, the LR row (its reason)
    (:func:`pipeline.sem.headline.mark_headline`)."""
    return headline.mark_headline(rows, lambda r: TEST_KINDS.get(r["test"], str(r["test"])))


def headline_row(rows: Sequence[Mapping]) -> Mapping | None:
    """The row marked ``headline`` (as :func:`mark_headline` would mark it when none is)."""
    if not rows:
        return None
    marked = rows if any(bool(r.get("headline")) for r in rows) else mark_headline(rows)
    return next(r for r in marked if bool(r.get("headline")))
