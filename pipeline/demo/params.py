"""True parameters of the demo study's data-generating model (one frozen dataclass).

The structural chain GM -> CB -> SS -> LON -> QOL follows the serial mediation reported by
Wakefield et al. (2022, J Health Psychol 27(2):386-396): joining groups on a social prescribing
pathway raises community belonging, belonging raises social support, support lowers loneliness
and loneliness lowers quality of life. The values are chosen, not estimated: they give a clearly
non-zero serial indirect effect (a1 d21 d32 b3 = 0.0832 latent SD units) that the analysis
stages must recover. Each field is documented where it is used (:mod:`pipeline.demo.latent`,
:mod:`pipeline.demo.items`, :mod:`pipeline.demo.dropout`).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DemoParams:
    """True parameters of the data-generating model (see :mod:`pipeline.demo`)."""

    a1: float = 0.55  # GM -> CB
    a2: float = 0.15  # GM -> SS
    d21: float = 0.55  # CB -> SS
    d31: float = -0.15  # CB -> LON
    d32: float = -0.55  # SS -> LON
    b3: float = -0.50  # LON -> QOL
    c_prime: float = 0.10  # GM -> QOL (direct)
    gm_shift: tuple[float, float, float] = (0.0, 0.5, 0.5)  # GM intercept per wave (SD units)
    ri_share: float = 0.5  # share of each construct's variance that is between-person
    ar: float = 0.30  # within-person autoregression, every construct
    lag_gm_cb: float = 0.10
    lag_cb_ss: float = 0.15
    lag_ss_lon: float = -0.10
    loadings: tuple[tuple[str, tuple[float, ...]], ...] = (
        ("gm", (0.80, 0.75, 0.70, 0.75)),
        ("cb", (0.85, 0.80, 0.75)),
        ("ss", (0.80, 0.80, 0.75, 0.65)),
        ("lon", (0.85, 0.85, 0.80)),
    )
    agree7_cuts: tuple[float, ...] = (-1.5, -0.9, -0.4, 0.1, 0.6, 1.2)
    agree7_location: tuple[tuple[str, float], ...] = (("gm", -0.3), ("cb", -0.1), ("ss", 0.3))
    ucla3_cuts: tuple[float, ...] = (-0.3, 0.7)
    ucla3_location: float = 0.2
    vas_mean: float = 62.0
    vas_sd: float = 20.0
    vas_loading: float = 0.9
    vas_heaping: float = 0.6  # share of people rounding EQ VAS to the nearest 5
    item_missing: float = 0.02
    vas_missing: float = 0.015
    expected_n1: float = 178.0
    expected_n2_from_t1: float = 58.0
    expected_n2_skip_t1: float = 5.0
    n_ref: float = 630.0  # expected follow-up Ns scale with n / n_ref
    resp_age: float = 0.02
    resp_t1_ucla: float = -0.25
    resp_t1_gm: float = 0.15
    resp_t2_gm: float = 0.25
    resp_t2_skip_ucla: float = -0.25
    # waves after T2 (``--waves`` > 3): of the previous wave's responders this share answers
    # again (logit on the previous GM mean), and people who skipped the previous wave return
    # in a number equal to this share of the previous wave's responders (logit on UCLA at T0)
    cont_retention: float = 0.70
    cont_return: float = 0.05

    def gm_shift_at(self, t: int) -> float:
        """GM intercept shift at wave ``t``; waves after the last listed keep the last value."""
        return self.gm_shift[min(t, len(self.gm_shift) - 1)]


TRUE_PARAMS = DemoParams()
