"""Multi-group estimates table (pipeline.sem.multigroup_estimates): rows per group with the
user's names, ``:=`` effects per group. A free multi-group model is the groups' single-group
models side by side, so every row must equal ``fit_sem`` on that group's data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pipeline.sem import fit_sem
from pipeline.sem.multigroup import fit_multigroup

MED = "m ~ a*x\ny ~ b*m + c*x\nind := a*b\ntotal := c + ind"


def _data(seed=11, n=(140, 90)):
    rng = np.random.default_rng(seed)
    frames = []
    for g, (k, a) in enumerate(zip(n, (0.5, 0.1), strict=True)):
        x = rng.normal(size=k)
        m = a * x + rng.normal(size=k)
        y = 0.4 * m + 0.2 * x + rng.normal(size=k)
        frames.append(pd.DataFrame({"arm": f"arm{g}", "x": x, "m": m, "y": y}))
    df = pd.concat(frames, ignore_index=True).sample(frac=1, random_state=1)
    df.loc[rng.random(len(df)) < 0.2, "y"] = np.nan
    df.loc[rng.random(len(df)) < 0.1, "m"] = np.nan
    return df.reset_index(drop=True)


@pytest.mark.parametrize("missing", ["ml", "listwise"])
def test_free_model_equals_one_fit_per_group(missing):
    df = _data()
    multi = fit_multigroup(MED, df, "arm", missing=missing)
    assert multi.ok, multi.message
    cols = ["est", "se", "std_all", "std_all_se"]
    for lab in multi.groups:
        one = fit_sem(MED, df[df["arm"] == lab], missing=missing)
        ours = multi.estimates[multi.estimates["group"] == lab].reset_index(drop=True)
        ref = one.estimates.reset_index(drop=True)
        assert ours[["lhs", "op", "rhs", "label"]].equals(ref[["lhs", "op", "rhs", "label"]])
        np.testing.assert_allclose(ours[cols], ref[cols], rtol=2e-5, atol=1e-6)
        assert multi.n_obs[lab] == one.n_obs
        np.testing.assert_allclose(multi.fit_by_group[lab]["logl"], one.fit["logl"],
                                   atol=1e-6)
    assert not multi.estimates["equal"].any()


def test_defined_effects_use_their_own_groups_parameters():
    multi = fit_multigroup(MED, _data(), "arm")
    est = multi.estimates.set_index(["group", "lhs", "op", "rhs"])
    for g in multi.groups:
        a, b = est.loc[(g, "m", "~", "x"), "est"], est.loc[(g, "y", "~", "m"), "est"]
        c = est.loc[(g, "y", "~", "x"), "est"]
        assert est.loc[(g, "ind", ":=", "a*b"), "est"] == pytest.approx(a * b)
        assert est.loc[(g, "total", ":=", "c+ind"), "est"] == pytest.approx(c + a * b)


def test_equal_effect_is_marked_and_partial_effect_is_not():
    multi = fit_multigroup(MED, _data(), "arm", group_equal=["a", "b"])
    d = multi.estimates[multi.estimates["op"] == ":="].set_index(["lhs", "group"])
    assert d.loc["ind", "equal"].all()
    assert not d.loc["total", "equal"].any()          # c is free per group
    assert d.loc[("ind", "arm0"), "se"] == pytest.approx(d.loc[("ind", "arm1"), "se"])
