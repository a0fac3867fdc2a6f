"""The findings settings on the demo study's config: primary method, units, chains, waves."""

from __future__ import annotations

from pipeline.settings import section_defaults


def test_settings_from_the_demo_config(settings):
    assert settings.primary == "fiml"  # missing_data.primary, read through its settings
    assert settings.fragile_sd == 0.2  # missing_data.sensitivity.fragile_sd
    assert settings.scales["loneliness"].units == "points on the 3\u20139 UCLA-3 sum"
    assert (settings.scales["loneliness"].scale_min, settings.scales["loneliness"].scale_max) \
        == (3, 9)
    assert settings.scales["qol"].units == "points on the 0\u2013100 EQ VAS"
    assert [w.phrase for w in settings.waves] == ["pathway entry", "about 4 months",
                                                  "6-9 months"]
    (chain,) = settings.chains
    assert (chain.x, chain.x_waves, chain.y, chain.y_wave) == (
        "group_memberships", ("T0", "T1"), "qol", "T1")
    assert [m for m, _ in chain.mediators] == ["belonging", "support", "loneliness"]


def test_defaults_live_in_the_schema():
    assert section_defaults("findings") == {"enabled": True, "small_n": 30, "alpha": 0.05,
                                            "crosslag_comparison": True}
