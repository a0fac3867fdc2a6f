"""Which test of "are these paths equal across the groups?" is the headline: one rule for the
by-arm tests (:func:`pipeline.comparison.armfits.arm_test_rows`) and the across-scheme tests
(:mod:`pipeline.pooled.scaled`), so that a study report and the pooled report never lead with
different tests for the same kind of model.

A multi-group model is fitted with the tested paths free and held equal; up to three tests
compare the two fits:

* :data:`SCALED_LR`: the Satorra-Bentler (2001) scaled difference of the MLR chi-squares,
  robust to non-normal data; it cannot be computed when its scaling factor ``cd`` is negative;
* :data:`ROBUST_WALD`: the Wald test of the equalities with the free fit's MLR (sandwich)
  covariance;
* :data:`LR`: the difference of the ML chi-squares, valid under multivariate normality.

The headline is the first of those, in that order, that was computed (status ``ok``): under
MLR the scaled LR test, else the robust Wald test; under ML the LR test. When none was
computed the LR row leads, so that its reason is what the reader sees. Any other test (e.g. a
Wald test with the ML covariance) is reported beside the headline but never leads.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence

from pipeline.status import Status

__all__ = ["SCALED_LR", "ROBUST_WALD", "LR", "PREFERENCE", "headline_kind", "mark_headline"]

SCALED_LR = "scaled_lr"
ROBUST_WALD = "robust_wald"
LR = "lr"
#: the order in which a computed test becomes the headline
PREFERENCE = (SCALED_LR, ROBUST_WALD, LR)


def headline_kind(computed: Iterable[str], present: Sequence[str]) -> str | None:
    """The kind of test that leads: the first of :data:`PREFERENCE` among ``computed`` (the
    kinds whose test has status ``ok``); when none was, :data:`LR` if it is ``present``, else
    the first ``present``; None when no test is present."""
    done = set(computed)
    pick = next((k for k in PREFERENCE if k in done), None)
    if pick is not None:
        return pick
    return LR if LR in present else (present[0] if present else None)


def mark_headline(rows: Sequence[Mapping], kind: Callable[[Mapping], str]) -> list[dict]:
    """Copies of ``rows`` (one model's tests) with ``headline`` True on exactly one row, the
    one :func:`headline_kind` picks; ``kind`` maps a row to its kind (:data:`SCALED_LR`,
    :data:`ROBUST_WALD`, :data:`LR` or any other name). The input rows are not changed."""
    kinds = [kind(r) for r in rows]
    pick = headline_kind((k for k, r in zip(kinds, rows)
                          if r.get("status") == Status.OK.value), kinds)
    first = kinds.index(pick) if pick is not None else -1
    return [dict(r) | {"headline": i == first} for i, r in enumerate(rows)]
