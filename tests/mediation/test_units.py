"""Units, counts and caveat columns of mediation_estimates.csv (read by the findings wing)."""

from __future__ import annotations

import numpy as np
from mediation_helpers import complete_case, reference_spec, wide_from_chain

from pipeline.mediation.estimator import concurrent_mediators
from pipeline.mediation.units import binding_units, unit_columns


def test_units_use_the_score_range_and_say_change():
    spec = reference_spec(y={"construct": "loneliness", "wave": "T1"},
                          mediators=[{"construct": "belonging", "wave": "T1"}])
    u = unit_columns(spec)
    assert u["y_units"] == "points on the 3\u20139 loneliness scale (item sum)"
    assert (u["y_scale_min"], u["y_scale_max"]) == (3.0, 9.0)
    assert u["x_units"].startswith("points of change (T1 minus T0) on the 1\u20137 group")
    assert binding_units(spec, spec.mediators[0])[1:] == (1.0, 7.0)


def test_counts_units_and_caveats_on_every_row():
    wide = wide_from_chain()
    wide.loc[wide.index[:100], "qol_T1"] = np.nan
    spec = reference_spec()
    res = complete_case(seed=1, B=200).fit(wide, spec)
    t, st = res.table, res.status
    assert (t["n_outcome"] == len(wide) - 100).all()
    assert (t["n_contributing"] == t["n"]).all() and t["n_contributing"].iloc[0] <= len(wide) - 100
    assert set(t["caveats"]) == {"concurrent_mediators"}      # no MAR caveat for complete cases
    assert not bool(st["mar_assumption"].iloc[0])
    assert {"total", "direct", "indirect_total", "indirect_specific"} <= set(t["effect_type"])
    assert (t["y_units"] == "points on the 0\u2013100 quality of life scale (item mean)").all()
    assert (t["ci_level"] == 0.95).all()
    ind = t[t["effect_type"] == "indirect_specific"]
    assert (ind["ci_lower_mcse"] > 0).all()


def test_concurrent_mediators():
    assert concurrent_mediators(reference_spec())
    later = reference_spec(y={"construct": "qol", "wave": "T2"})
    assert not concurrent_mediators(later)
