"""True parameters of the controlled demo study (``demo_controlled``): one frozen dataclass.

The five demo constructs (GM, CB, SS, LON, QOL) follow the demo's RI-CLPM and serial chain
(:class:`~pipeline.demo.params.DemoParams`, field ``chain``) with the means set per arm; the
arm, the moderators and the GP-visit count are added on top (:mod:`pipeline.demo.controlled_model`
states the equations). The values are chosen, not estimated, so that the analyses have
something known to find (CONTRACT_demo_controlled):

* the programme raises group memberships more (GM shift 0.5 vs 0.1 latent SD after entry) and
  lowers loneliness more (a direct -0.25 on top of the chain), a difference in the change of the
  UCLA-3 sum from T0 to T1 of about -0.6 points on 3-9;
* the arms are not randomised: the programme arm is older (+5 years) and lonelier at entry
  (+0.45 latent SD), baseline SMDs about 0.3;
* identification moderates: each latent SD of identification at entry makes the effect of a
  change in GM on loneliness -0.35 stronger; compatibility does the same, smaller (-0.15);
* GP visits (negative binomial, random intercept) rise with loneliness and fall with
  belonging, and fall a little more in the programme arm: rate ratio T1 vs T0 about 0.8 in the
  programme arm, about 0.95 in usual care.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pipeline.demo.params import DemoParams


def _chain() -> DemoParams:
    # the demo's chain with no common GM shift: the means are set per arm
    return DemoParams(gm_shift=(0.0,))


@dataclass(frozen=True)
class ControlledParams:
    """True parameters of the controlled study (see :mod:`pipeline.demo.controlled_model`)."""

    chain: DemoParams = field(default_factory=_chain)
    programme_share: float = 2 / 3  # of the n people at entry (500 of 750)
    age_shift: float = 5.0  # programme arm older by this many years (before clipping to 18-90)
    lon_entry: float = 0.35  # programme arm lonelier at entry (LON intercept, latent SD)
    gm_shift_programme: tuple[float, ...] = (0.0, 0.5, 0.5)  # GM intercept per wave
    gm_shift_usual: tuple[float, ...] = (0.0, 0.1, 0.1)
    lon_programme: tuple[float, ...] = (0.0, -0.20, -0.20)  # direct programme effect on LON
    mod_identification: float = -0.50  # d LON / d(change in GM) per SD of identification at T0
    mod_compatibility: float = -0.10  # the same per SD of compatibility at T0
    id_cb: float = 0.30  # correlation of identification at T0 with belonging at T0
    id_stability: float = 0.70  # identification at t >= 1 on identification at T0
    id_rise: float = 0.20  # programme arm identifies more after entry (latent SD)
    comp_id: float = 0.30  # compatibility at T0 on identification at T0
    comp_stability: float = 0.60
    cont_gm: float = 0.50  # groups maintained on GM at T0 (every wave)
    new_gm: float = 0.30  # new groups on GM at the wave
    new_change: float = 0.60  # new groups on the change in GM since T0
    loadings: tuple[tuple[str, tuple[float, ...]], ...] = (
        ("id", (0.85,)),
        ("comp", (0.80, 0.75, 0.70)),
        ("cont", (0.75, 0.75, 0.70, 0.70)),
        ("new", (0.80, 0.75, 0.75, 0.70)),
    )
    location: tuple[tuple[str, float], ...] = (
        ("id", 0.2),
        ("comp", 0.0),
        ("cont", 0.0),
        ("new", -0.3),
    )
    gp_rate: float = 1.6  # GP visits in 3 months at the latent means, age 55, usual care T0
    gp_age: float = 0.015  # log rate per year of age
    gp_lon: float = 0.25  # log rate per latent SD of loneliness
    gp_cb: float = -0.15  # log rate per latent SD of belonging
    gp_programme: tuple[float, ...] = (0.0, -0.08, -0.08)  # direct programme effect (log rate)
    gp_ri_sd: float = 0.40  # SD of the person's random intercept (log rate)
    gp_size: float = 1.5  # negative binomial size (NB2: var = mu + mu^2 / size)
    gp_max: int = 60
    item_missing: float = 0.02  # MCAR, every added item
    # response (as the demo, MAR; plus a small arm term): expected Ns at n_ref people at entry
    n_ref: float = 750.0
    expected_n1: float = 270.0
    expected_n2_from_t1: float = 90.0
    expected_n2_skip_t1: float = 6.0
    resp_arm: float = 0.30  # programme arm a little more likely to answer follow-ups

    def gm_shift(self, programme: bool, t: int) -> float:
        """GM intercept of an arm at wave ``t`` (the last value for later waves)."""
        s = self.gm_shift_programme if programme else self.gm_shift_usual
        return s[min(t, len(s) - 1)]

    def at(self, name: str, t: int) -> float:
        """Wave ``t``'s value of the per-wave tuple field ``name``."""
        s = getattr(self, name)
        return s[min(t, len(s) - 1)]


TRUE_CONTROLLED = ControlledParams()
