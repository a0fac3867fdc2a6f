"""lavaan syntax of the chain (pipeline/mediation/lavaan.py) against the committed R reference."""

from __future__ import annotations

import re

from mediation_helpers import FIXTURES, reference_spec

from pipeline.mediation.lavaan import chain_lavaan_syntax, mediation_lavaan_syntax


def _statements(text: str) -> set[str]:
    """Whitespace-free statements; the terms of the ind_total sum in sorted order."""
    out = set()
    for line in text.splitlines():
        s = re.sub(r"\s+", "", line)
        if s.startswith("ind_total:="):
            s = "ind_total:=" + "+".join(sorted(s.split(":=")[1].split("+")))
        if s:
            out.add(s)
    return out


def test_syntax_matches_the_model_fitted_in_r():
    r_script = (FIXTURES / "lavaan_reference.R").read_text()
    r_model = r_script.split("model <- '")[1].split("'")[0]
    ours = _statements(chain_lavaan_syntax("x", ["m1", "m2", "m3"], "y", ["age", "female"]))
    theirs = _statements(r_model)
    assert theirs <= ours          # every R statement (paths, 7 indirect, total, 2 contrasts)
    assert len([s for s in ours if s.startswith("con_")]) == 21
    assert len([s for s in ours if re.match(r"ind_\d+:=", s)]) == 7


def test_spec_syntax_uses_frame_names_and_all_dummies():
    text = mediation_lavaan_syntax(reference_spec())
    first = text.splitlines()[0]
    assert first == ("belonging_T1 ~ a1*group_memberships_change_T0_T1 + age + gender_Man + "
                     "gender_Non_binary_other")
    assert "qol_T1 ~ cp*group_memberships_change_T0_T1 + b1*belonging_T1" in text
    assert "ind_123 := a1*d21*d32*b3" in text and "total := cp + ind_total" in text
