"""pipeline.sem.chain_syntax: the chain's syntax is the mediation wing's (moved here so that the
comparison wing builds the same model by arm)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from pipeline.mediation import effects
from pipeline.mediation.lavaan import chain_lavaan_syntax as wing_syntax
from pipeline.sem.chain_syntax import (
    chain_lavaan_syntax,
    chain_path_labels,
    path_label,
    path_product,
    serial_paths,
)
from pipeline.sem.syntax import parse_model


@given(st.integers(1, 5))
def test_paths_equal_the_mediation_wings(k):
    assert serial_paths(k) == effects.serial_paths(k)
    assert [path_label(p) for p in serial_paths(k)] == [effects.path_label(p)
                                                         for p in effects.serial_paths(k)]
    assert [path_product(p) for p in serial_paths(k)] == [effects.path_product(p)
                                                           for p in effects.serial_paths(k)]


def test_the_wing_reexports_the_engine_builder():
    assert wing_syntax is chain_lavaan_syntax


@given(st.integers(1, 4))
def test_path_labels_are_every_label_of_the_syntax(k):
    meds = [f"m{j}" for j in range(k)]
    parsed = parse_model(chain_lavaan_syntax("x", meds, "y", ["age"]), "t")
    labels = {t.label for f in parsed.formulas for t in getattr(f, "terms", ()) if
              getattr(t, "label", "")}
    assert not labels or labels == set(chain_path_labels(k))
    assert len(chain_path_labels(k)) == 2 * k + k * (k - 1) // 2 + 1
