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


def test_a_listing_count_named_by_an_analysis_is_worded_by_its_label_not_its_key():
    """A chain, moderation or change outcome may name a group listing's derived count
    (``grp_gained``): sentences take its label and units in groups from the listing; it adds no
    'no change row' line of its own (change.listing_outcomes writes its rows when it is named)."""
    import copy
    from pathlib import Path

    import yaml

    from pipeline.config import config_from_dict
    from pipeline.findings.change import not_available_rows
    from pipeline.findings.settings import from_config

    root = Path(__file__).resolve().parents[2]
    raw = yaml.safe_load((root / "config" / "studies" / "demo.yaml").read_text())
    raw["group_listings"] = {"grp": {"columns": ["g_a", "g_b", "g_c", "g_d"],
                                     "none_column": "g_none", "waves": ["T0", "T1"],
                                     "label": "Groups you belong to"}}
    s = from_config(config_from_dict(copy.deepcopy(raw), root=root))
    gained = s.scales["grp_gained"]
    assert gained.listing and gained.label == "Groups gained"
    assert gained.units == "groups on the 0\u20134 count of groups gained"
    assert not s.scales["loneliness"].listing
    rows = not_available_rows(s, "why")
    assert rows and not {r["construct"] for r in rows} & {"grp_count", "grp_gained"}
    assert {r["construct"] for r in rows} == {k for k, v in s.scales.items() if not v.listing}


def test_a_healthcare_count_gets_no_linear_change_row_of_its_own():
    """demo_controlled's GP visits are a count (healthcare.outcomes): the healthcare rows tell
    its story, so the findings add no 'no estimate' change row for it (the change wing does not
    analyse it as a linear score)."""
    from pathlib import Path

    import yaml

    from pipeline.config import config_from_dict
    from pipeline.findings.change import not_available_rows
    from pipeline.findings.settings import from_config

    root = Path(__file__).resolve().parents[2]
    raw = yaml.safe_load((root / "config" / "studies" / "demo_controlled.yaml").read_text())
    s = from_config(config_from_dict(raw, root=root))
    assert s.count_outcomes == ("gp_visits",)
    constructs = {r["construct"] for r in not_available_rows(s, "why")}
    assert "gp_visits" not in constructs and "loneliness" in constructs
