"""Bootstrap of a multi-group fit (pipeline.sem.multigroup_bootstrap) against lavaan.

Reference: ``tests/fixtures/multigroup/make_multigroup_bootstrap.R`` (lavaan 0.6-14):

    sem(model, data = mediation2.csv, group = "scheme", missing = "ml", fixed.x = FALSE,
        se = "bootstrap", bootstrap = 1000, iseed = 20261130)
    parameterEstimates(fit, boot.ci.type = "perc")

for the free 2-group serial mediation with per-group ``:=`` effects (``c(a1.g1, a1.g2)*x``).
We draw B = 2000 (resampling within groups, as lavaan). Both estimate the same ideal-bootstrap
quantities, so they differ by Monte Carlo error only, derived as in test_bootstrap_lavaan.py:
an SE (SD of B draws) has MC variance SD^2 (kurt - 1) / (4B); a percentile bound at p has MC
variance p (1 - p) / (B f^2), f the density at the quantile (difference quotient of our draws,
h = 0.01); every difference lies within the Bonferroni z for all comparisons at a family-wise
false-alarm rate of 1e-3.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from pipeline.errors import ModelError
from pipeline.sem.multigroup import fit_multigroup
from pipeline.sem.multigroup_bootstrap import (
    _defined_draws,
    bootstrap_multigroup,
    resample_groups,
)
from pipeline.sem.partable import build_partable
from pipeline.sem.syntax import parse_model

HERE = Path(__file__).resolve().parents[1] / "fixtures" / "multigroup"
MED = """m1 ~ a1*x
m2 ~ a2*x + d*m1
y ~ b1*m1 + b2*m2 + c*x
ind1 := a1*b1
ind2 := a2*b2
serial := a1*d*b2
total := c + a1*b1 + a2*b2 + a1*d*b2"""
B = 2000


@pytest.fixture(scope="module")
def boot():
    fit = fit_multigroup(MED, pd.read_csv(HERE / "mediation2.csv"), "scheme", name="med2")
    return fit, bootstrap_multigroup(fit, B=B, seed=20261130)


def _draw_columns(fit, res) -> list[np.ndarray]:
    """Per estimates row, its bootstrap draws (None for fixed rows)."""
    out = []
    n_par = len(fit.free_index)
    for k in fit.free_index:
        out.append(res.draws[:, k] if k >= 0 else None)
    pt = build_partable(parse_model(fit.syntax))
    for vals in _defined_draws(fit, pt, res.draws).values():
        out.extend(vals.T)
    assert len(out) == len(fit.estimates) and n_par <= len(out)
    return out


def _merged(fit, res) -> pd.DataFrame:
    ref = pd.read_csv(HERE / "bootstrap.csv", keep_default_na=False, na_values=["NA"])
    ref = ref.rename(columns={"ci.lower": "ci_lower", "ci.upper": "ci_upper"})
    par = ref[ref["op"] != ":="].drop(columns="group").rename(columns={"group.label": "group"})
    d = ref[ref["op"] == ":="].copy()
    d["group"] = [fit.groups[int(s.rpartition(".g")[2]) - 1] for s in d["lhs"]]
    d["lhs"] = [s.rpartition(".g")[0] for s in d["lhs"]]
    ref = pd.concat([par, d.drop(columns="group.label")], ignore_index=True)
    ours = res.estimates.assign(rhs=lambda x: x["rhs"].where(x["op"] != ":=", ""),
                                draws=_draw_columns(fit, res))
    ref["rhs"] = ref["rhs"].where(ref["op"] != ":=", "")
    m = ref.merge(ours, on=["group", "lhs", "op", "rhs"], suffixes=("_ref", ""))
    assert len(m) == len(ours)
    return m[m["se_ref"] > 0]


def test_estimates_are_the_fits(boot):
    fit, res = boot
    m = _merged(fit, res)
    np.testing.assert_allclose(m["est"], m["est_ref"], atol=1e-5)
    assert res.n_failed == 0 and res.B_ok == B


def test_bootstrap_se_and_percentile_interval_match_lavaan_within_mc_error(boot):
    fit, res = boot
    m = _merged(fit, res)
    b_lav = int(m["B_ok"].iloc[0])
    z = stats.norm.isf(1e-3 / 2 / (3 * len(m)))
    for r in m.itertuples():
        x = r.draws
        sd = x.std()
        kurt = np.mean((x - x.mean()) ** 4) / sd ** 4
        mc_se = sd * np.sqrt((kurt - 1) / 4 * (1 / B + 1 / b_lav))
        assert abs(r.se - r.se_ref) < z * mc_se, (r.group, r.lhs, r.op, r.rhs)
        for p, ours, lav in ((0.025, r.ci_lower, r.ci_lower_ref),
                             (0.975, r.ci_upper, r.ci_upper_ref)):
            q = np.quantile(x, [p - 0.01, p + 0.01])
            dens = 0.02 / (q[1] - q[0])
            mc = np.sqrt(p * (1 - p) * (1 / B + 1 / b_lav)) / dens
            assert abs(ours - lav) < z * mc, (r.group, r.lhs, r.op, r.rhs, p)


def test_resamples_keep_each_groups_cases_and_size():
    idx = resample_groups(7, 0, [3, 5, 2], B=60)
    assert idx.shape == (50, 10)
    assert ((idx[:, :3] >= 0) & (idx[:, :3] < 3)).all()
    assert ((idx[:, 3:8] >= 3) & (idx[:, 3:8] < 8)).all()
    assert ((idx[:, 8:] >= 8) & (idx[:, 8:] < 10)).all()
    assert resample_groups(7, 1, [3, 5, 2], B=60).shape == (10, 10)
    np.testing.assert_array_equal(idx, resample_groups(7, 0, [3, 5, 2], B=60))


def test_same_seed_same_bootstrap_and_refusals(boot):
    fit, _ = boot
    one = bootstrap_multigroup(fit, B=60, seed=3)
    two = bootstrap_multigroup(fit, B=60, seed=3)
    pd.testing.assert_frame_equal(one.estimates, two.estimates)
    assert not np.array_equal(one.draws, bootstrap_multigroup(fit, B=60, seed=4).draws)
    with pytest.raises(ModelError, match="B >= 2"):
        bootstrap_multigroup(fit, B=1, seed=3)
