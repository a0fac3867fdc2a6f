"""Our FIML bootstrap against lavaan's ``se = "bootstrap"`` (tests/fixtures/sem/bootstrap/).

The fixtures (``make_bootstrap_reference.R``, lavaan 0.6-14, ``iseed = 20261130``) bootstrap
the FIML serial mediation ``mediation_serial3_fiml`` (n = 400, MAR missing data, 20 free and 10
``:=`` parameters; B_lav = 1000, we draw B = 2000); the pipeline's RI-CLPM, 2 constructs x 3
waves (``riclpm_syntax``, lavaan() mode, latent random intercepts with fixed loadings; n = 630
with monotone MAR drop-out, ``panel_moderate.csv``; B_lav = 1000, we draw 2000), free and with
the lagged effects held equal over time (equality constraints by shared labels); and, marked
slow, the demo-sized FIML chain ``mediation_chain_baseline_fiml`` (n = 630, 90 free and 30 ``:=``
parameters; B_lav = 250 - lavaan needs about a second per draw - we draw 1000). The RI-CLPM's
random-intercept correlation is about -.9, so about a third of the draws of either engine cross
-1 (improper, kept by both): the comparison covers a bootstrap distribution piled against a
boundary. Each pair estimates the same ideal-bootstrap quantities, so they differ only by Monte
Carlo error, which we derive rather than pick:

* a percentile bound (the p-quantile of B draws) has MC variance p(1 - p) / (B f(q_p)^2), f the
  density of the bootstrap distribution at the quantile, estimated from our draws by the
  difference quotient (q_{p+h} - q_{p-h}) / 2h, h = 0.01; the two estimates are independent, so
  their difference has SD sqrt(p(1 - p) (1/B + 1/B_lav)) / f;
* a bootstrap SE (an SD of B draws) has MC variance SD^2 (kurt - 1) / (4B) (kurt = the fourth
  standardised moment of the draws, estimated from ours);
* every difference must lie within z SDs, z = the two-sided Bonferroni bound for all K
  comparisons at a family-wise false-alarm rate of 1 in 1000 (z ~ 4.4 for K = 3 x 30, ~ 4.8 for
  K = 3 x 120); an equality-constrained parameter appears once per labelled row (the
  Bonferroni count includes the repeats, which only makes the bound stricter than needed).

Point estimates are the fit's (held to lavaan by tests/sem/test_lavaan_reference.py); they must
equal the fixture's ``est`` to 1e-4 (relative).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import case_inputs
from scipy import stats

from pipeline.sem import fit_sem
from pipeline.sem.bootstrap import _setup, bootstrap_sem

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "sem" / "bootstrap"
LAVAAN = Path(__file__).resolve().parents[1] / "fixtures" / "lavaan"
FAMILY_ALPHA = 1e-3
#: case -> (fixture, our B, parameters compared); the demo-sized chain is slow (90 parameters)
CASES = {
    "mediation_serial3_fiml": ("mediation_serial3.csv", 2000, 30),
    "riclpm_2x3": ("riclpm_2x3.csv", 2000, 26),
    "riclpm_2x3_stationary": ("riclpm_2x3_stationary.csv", 2000, 26),
    "mediation_chain_baseline_fiml": ("mediation_chain.csv", 1000, 120),
}
#: RI-CLPM cases: syntax file (the exact output of pipeline.crosslag.models.riclpm_syntax)
RICLPM = {"riclpm_2x3": LAVAAN / "models" / "riclpm_2x3.lav",
          "riclpm_2x3_stationary": FIXTURE / "riclpm_2x3_stationary.lav"}
PARAMS = [pytest.param("mediation_serial3_fiml"), pytest.param("riclpm_2x3"),
          pytest.param("riclpm_2x3_stationary"),
          pytest.param("mediation_chain_baseline_fiml", marks=pytest.mark.slow)]


def _fit(case, fitted):
    """(syntax, data, fit) of a case: the lavaan reference cases, or an RI-CLPM fitted as
    ``lavaan(meanstructure = TRUE, int.ov.free = TRUE, missing = "ml", fixed.x = FALSE)``."""
    if case not in RICLPM:
        syntax, data, _ = case_inputs(case)
        return syntax, data, fitted(case)
    syntax = RICLPM[case].read_text()
    data = pd.read_csv(LAVAAN / "panel_moderate.csv")
    return syntax, data, fit_sem(syntax, data, mode="lavaan", missing="ml", meanstructure=True,
                                 int_ov_free=True, name=case)


@pytest.fixture(scope="module", params=PARAMS)
def compared(fitted, request):
    case = request.param
    ref_file, B, n_rows = CASES[case]
    syntax, data, fit = _fit(case, fitted)
    res = bootstrap_sem(syntax, data, fit, B=B, seed=20261130)
    # intercept rows have rhs "" (kept as text); lavaan's := SEs are NA when some of its draws
    # failed (it takes cov() of the defined draws with the failed rows left in): compare their
    # intervals only
    ref = pd.read_csv(FIXTURE / ref_file, keep_default_na=False, na_values=["NA"])
    ref = ref[(ref["se"] > 0) | (ref["op"] == ":=")]
    ref = ref.rename(columns={"ci.lower": "ci_lower", "ci.upper": "ci_upper"})
    ours = res.estimates.copy()
    ours["rhs"] = ours["rhs"].where(ours["op"] != ":=", ours["lhs"])
    ref["rhs"] = ref["rhs"].where(ref["op"] != ":=", ref["lhs"])
    both = ref.merge(ours, on=["lhs", "op", "rhs"], suffixes=("_lav", ""), validate="1:1")
    assert len(both) == n_rows == len(ref)
    pt, _ = _setup(syntax, data, fit)
    free_of = {(r.lhs, r.op, r.rhs): r.free for r in pt.table.itertuples()}
    return res, both, free_of


def _draws(res, free_of, row) -> np.ndarray:
    """Our draws of one parameter (a labelled row shares the draws of its free parameter)."""
    if row.op == ":=":
        return res.defined[:, res.defined_names.index(row.lhs)]
    return res.draws[:, free_of[(row.lhs, row.op, row.rhs)] - 1]


def test_every_parameter_is_compared_and_estimates_agree(compared):
    res, both, free_of = compared
    # lavaan: 7 of its 250 chain draws and 9 of its 1000 RI-CLPM draws did not converge; ours
    # all do
    assert res.n_failed == 0
    # the fit's own agreement with lavaan (optimiser tolerances): 1e-4 relative here, well
    # inside tests/sem/test_lavaan_reference.py's 1e-3 absolute
    np.testing.assert_allclose(both["est"], both["est_lav"], rtol=1e-4, atol=1e-6)


def test_percentile_bounds_and_ses_within_monte_carlo_error_of_lavaan(compared):
    res, both, free_of = compared
    b_lav = int(both["B_ok"].iloc[0])   # lavaan's successful draws
    z = stats.norm.isf(FAMILY_ALPHA / (2 * 3 * len(both)))
    worst = 0.0
    for row in both.itertuples():
        d = _draws(res, free_of, row)
        for p, ours, theirs in ((0.025, row.ci_lower, row.ci_lower_lav),
                                (0.975, row.ci_upper, row.ci_upper_lav)):
            q_lo, q_hi = np.quantile(d, [p - 0.01, p + 0.01])
            sd_diff = np.sqrt(p * (1 - p) * (1 / len(d) + 1 / b_lav)) * (q_hi - q_lo) / 0.02
            worst = max(worst, abs(ours - theirs) / sd_diff)
            assert abs(ours - theirs) < z * sd_diff, (row.lhs, row.op, row.rhs, p, ours, theirs)
        if np.isnan(row.se_lav):
            continue
        kurt = stats.kurtosis(d, fisher=False)
        sd_diff = row.se * np.sqrt((kurt - 1) / 4 * (1 / len(d) + 1 / b_lav))
        assert abs(row.se - row.se_lav) < z * sd_diff, (row.lhs, row.op, row.rhs, row.se,
                                                         row.se_lav)
    print(f"worst |difference| / MC SD: {worst:.2f} (bound z = {z:.2f})")
    assert worst > 0.05  # independent draws: they must not agree suspiciously well either


def test_share_of_improper_draws_within_monte_carlo_error_of_lavaan(compared):
    """lavaan counts its successful draws with an improper solution ("nonadmissible": negative
    variance, latent covariance matrix not positive definite) and keeps them, as we do; the two
    shares estimate one probability (binomial MC error, same family-wise z as above)."""
    res, both, _ = compared
    if "nonadmissible" not in both.columns:   # the mediation fixtures predate the count; their
        assert res.n_improper == 0           # variances stay far from 0 in every draw
        return
    b_lav = int(both["B_ok"].iloc[0])
    theirs = int(both["nonadmissible"].iloc[0]) / b_lav
    ours = res.n_improper / res.B_ok
    pooled = (res.n_improper + theirs * b_lav) / (res.B_ok + b_lav)
    sd = np.sqrt(pooled * (1 - pooled) * (1 / res.B_ok + 1 / b_lav))
    assert abs(ours - theirs) <= stats.norm.isf(FAMILY_ALPHA / 2) * max(sd, 1e-12), (ours, theirs)


@pytest.mark.parametrize("case", list(RICLPM))
def test_riclpm_fixture_syntax_is_the_wings_syntax(case):
    """The RI-CLPM fixtures bootstrap exactly the model the crosslag wing writes."""
    from pipeline.crosslag.models import model_syntax

    wing = model_syntax("riclpm", ["belonging", "loneliness"], ["T0", "T1", "T2"],
                        stationary=case.endswith("stationary"))
    assert RICLPM[case].read_text() == wing
