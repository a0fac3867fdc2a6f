"""Change in a group listing's count of groups (pipeline/change/listing.py, issue 16):
``change.listing_outcomes`` names derived counts that exist at >= 2 waves (``<key>_count``);
each is analysed over its own waves by the scales' own functions, from the same columns of the
clean data, and its rows follow the scales'. ``gained`` exists only at the later wave: not a
change outcome (ConfigError naming the key and why)."""

from __future__ import annotations

import copy
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from pipeline.change.analysis import change_tables
from pipeline.change.listing import CountUnits, listing_change
from pipeline.change.primary import ScaleUnits, change_primary
from pipeline.change.settings import from_config
from pipeline.config import config_from_dict
from pipeline.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]
LISTING = {"grp": {"columns": ["g_a", "g_b", "g_c", "g_d", "g_e"], "none_column": "g_none",
                   "waves": ["T0", "T1"], "label": "Groups you belong to"}}


def _raw(**change) -> dict:
    raw = yaml.safe_load((ROOT / "config" / "studies" / "demo.yaml").read_text())
    raw["group_listings"] = copy.deepcopy(LISTING)
    raw.setdefault("change", {}).update(change)
    return raw


def _settings(raw):
    return from_config(config_from_dict(raw, root=ROOT))


def test_a_count_at_two_waves_is_a_change_outcome_with_its_label_waves_and_range():
    s = _settings(_raw(listing_outcomes=["grp_count"]))
    (c,) = s.listing_outcomes
    assert (c.name, c.label, c.waves, c.low, c.high) == ("grp_count", "Groups listed",
                                                         ("T0", "T1"), 0.0, 5.0)
    scales = config_from_dict(_raw(), root=ROOT).scales
    assert s.figure_constructs(scales) == [*s.analysed_scales(scales), "grp_count"]
    assert _settings(_raw()).listing_outcomes == ()  # none unless named


@pytest.mark.parametrize("name, fragment", [
    ("grp_gained", r"config key change\.listing_outcomes: 'grp_gained' exists only at wave\(s\) "
                   r"T1 \(group_listings\.grp\): it is already counted against entry, so it has "
                   r"no change over waves to estimate; for change in the number of groups use "
                   r"'grp_count'"),
    ("grp_lost", r"'grp_lost' exists only at wave\(s\) T1"),
    ("grp_cout", r"config key change\.listing_outcomes: 'grp_cout' is not a group listing's "
                 r"derived count \(did you mean 'grp_count'\?\); use one of grp_count, "
                 r"grp_maintained, grp_gained, grp_lost\."),
    ("loneliness", r"'loneliness' is not a group listing's derived count"),
])
def test_a_name_that_is_not_a_count_with_change_is_a_config_error(name, fragment):
    with pytest.raises(ConfigError, match=fragment):
        _settings(_raw(listing_outcomes=[name]))


def test_without_listings_the_error_says_none_are_configured():
    raw = _raw(listing_outcomes=["grp_count"])
    del raw["group_listings"]
    with pytest.raises(ConfigError, match="no group_listings are configured"):
        _settings(raw)


def test_a_count_may_have_a_published_reliability_and_direction():
    s = _settings(_raw(listing_outcomes=["grp_count"], reliability={"grp_count": 0.7},
                       higher_is_better={"grp_count": True}))
    assert s.reliability["grp_count"] == 0.7
    with pytest.raises(ConfigError, match=r"change\.reliability\.grp_gained"):
        _settings(_raw(reliability={"grp_gained": 0.7}))


# --- the analysis: the same numbers as the same column analysed as a scale ---------------------

WAVES = ["T0", "T1", "T2"]
LABELS = {"T0": "Entry", "T1": "4 months", "T2": "7 months"}


def _data(seed: int = 3, n: int = 150) -> tuple[pd.DataFrame, pd.DataFrame]:
    """long and wide as the clean stage writes them: scales 'mood' and 'belong' at T0-T2, the
    listing count at T0 and T1 only (no T2 column in wide), some answers missing."""
    rng = np.random.default_rng(seed)
    pid = [f"p{i:03d}" for i in range(n)]
    mood0 = rng.normal(4, 1, n)
    cnt0 = rng.integers(0, 6, n).astype(float)
    wide = pd.DataFrame({"pid": pid, "age": rng.integers(18, 90, n).astype(float)})
    for k, w in enumerate(WAVES):
        wide[f"mood_{w}"] = mood0 + 0.3 * k + rng.normal(0, 0.5, n)
        wide[f"belong_{w}"] = 3 + 0.2 * k + rng.normal(0, 1, n)
    wide["grp_count_T0"] = cnt0
    wide["grp_count_T1"] = np.clip(cnt0 + rng.integers(-1, 3, n), 0, 5)
    for c, share in (("mood_T1", 0.2), ("mood_T2", 0.35), ("grp_count_T1", 0.25),
                     ("belong_T2", 0.3)):
        wide.loc[rng.random(n) < share, c] = np.nan
    rows = []
    for w in WAVES:
        d = {"pid": pid, "wave": w, "age": wide["age"], "mood": wide[f"mood_{w}"],
             "belong": wide[f"belong_{w}"],
             "grp_count": wide.get(f"grp_count_{w}", pd.Series(np.nan, index=wide.index))}
        rows.append(pd.DataFrame(d))
    return pd.concat(rows, ignore_index=True), wide


def _change_settings(**kw):
    s = _settings(_raw(listing_outcomes=["grp_count"], methods=["fiml", "lmm",
                                                                 "complete_case"], **kw))
    return replace(s, methods=("fiml", "lmm", "complete_case"), primary="fiml")


def test_the_count_gives_the_numbers_of_the_same_column_analysed_as_a_scale():
    long, wide = _data()
    s = _change_settings()
    got = listing_change(long, wide, s, {"age": "numeric"}, ["mood", "belong"], LABELS, 10)
    # the same values as an ordinary scale 'as_scale', over the same two waves, with the
    # auxiliaries `auto` means for it (every other scale at every wave and the covariates)
    ren = {"grp_count_T0": "as_scale_T0", "grp_count_T1": "as_scale_T1"}
    wide2, long2 = wide.rename(columns=ren), long.rename(columns={"grp_count": "as_scale"})
    aux = tuple(f"{k}_{w}" for k in ("mood", "belong") for w in WAVES) + ("age",)
    s2 = replace(s, auxiliary=aux, listing_outcomes=())
    tables = change_tables(long2, {"as_scale": None}, ["T0", "T1"], {"age": "numeric"}, s2,
                           reliability={"as_scale": None}, min_cell=10)
    units = {"as_scale": ScaleUnits("Groups listed", 0.0, 5.0, "count")}
    want, want_means = change_primary(wide2, units, ["T0", "T1"], {"age": "numeric"}, s2,
                                      tables, min_cell=10)
    num = ["est", "se", "ci_lower", "ci_upper", "pvalue", "d", "d_z", "n_observed", "n_pairs"]
    assert list(got.primary["method"]) == list(want["method"]) == ["fiml", "lmm",
                                                                   "complete_case"]
    np.testing.assert_array_equal(got.primary[num].to_numpy(float), want[num].to_numpy(float))
    np.testing.assert_array_equal(got.means["est"].to_numpy(float),
                                  want_means["est"].to_numpy(float))
    assert set(got.primary["construct"]) == {"grp_count"} and set(got.primary["wave"]) == {"T1"}
    # the change is the change in the listing's own column (not another one's)
    pair = wide[["grp_count_T0", "grp_count_T1"]].dropna()
    cc = got.primary.set_index("method").loc["complete_case"]
    assert cc["est"] == pytest.approx((pair["grp_count_T1"] - pair["grp_count_T0"]).mean())
    assert cc["n_pairs"] == len(pair)
    assert cc["units"] == "groups on the 0\u20135 count of groups listed"
    fiml = got.primary.set_index("method").loc["fiml"]
    assert "mood_T2" in fiml["auxiliaries"] and "age" in fiml["auxiliaries"]


def test_no_row_for_a_wave_the_listing_did_not_ask_and_rci_says_why():
    long, wide = _data()
    got = listing_change(long, wide, _change_settings(), {"age": "numeric"}, ["mood"], LABELS,
                         10)
    for name in ("means", "contrasts", "status"):
        assert "T2" not in set(got.tables[name].get("wave", pd.Series(dtype=str))), name
    assert set(got.tables["rci_individual"]["wave"]) == {"T1"}
    assert got.tables["rci_individual"]["rci"].isna().all()
    said = got.sentences.set_index("kind")["sentence"]
    assert said["group_change"].startswith("Groups listed ")
    assert "groups on the 0\u20135 count of groups listed" in said["group_change"]
    assert "grp_count" not in said["group_change"]
    assert "a count of ticked group types has no items" in said["reliable_change"]
    assert list(got.sentences["wave"].replace("", None).dropna()) == ["T1"]
    assert isinstance(got.units["grp_count"], CountUnits)
    # with a published reliability the reliable change is classified
    rel = listing_change(long, wide, _change_settings(reliability={"grp_count": 0.7}),
                         {"age": "numeric"}, ["mood"], LABELS, 10)
    assert rel.tables["rci_individual"]["rci"].notna().all()


def test_without_listing_outcomes_the_scales_tables_are_untouched():
    long, wide = _data()
    s = replace(_change_settings(), listing_outcomes=())
    none = listing_change(long, wide, s, {"age": "numeric"}, ["mood"], LABELS, 10)
    table = pd.DataFrame({"construct": ["mood"], "est": [1.0]})
    merged = none.merged({"means": table}, table, table, {})
    assert merged[0]["means"] is table and merged[1] is table and merged[2] is table


# --- the controlled demo study with a small config variant, through the workflow's rules -------

@pytest.mark.slow
def test_demo_controlled_variant_change_and_mediation_with_the_listing(tmp_path):
    """demo_controlled (listing at T0 and T1 of three waves) with change.listing_outcomes:
    [group_list_count] and a chain whose X is the count of groups gained: both run through
    the rules, the count's change is at T1 only, the chain reads group_list_gained_T1."""
    raw = yaml.safe_load((ROOT / "config" / "studies" / "demo_controlled.yaml").read_text())
    for w in raw["waves"]:
        w["file"] = str(ROOT / w["file"]) if not Path(w["file"]).is_absolute() else w["file"]
    raw["change"]["listing_outcomes"] = ["group_list_count"]
    raw["missing_data"]["enabled"] = False
    raw["attrition"] = {**raw.get("attrition", {}), "enabled": False}
    raw["mediation"].update(methods=["fiml", "complete_case"], bootstrap={"B": 200},
                            fiml={"mc_draws": 1000, "se": "robust"})
    raw["mediation"]["analyses"] = {"gained_chain": {
        "label": "Groups gained -> belonging -> loneliness",
        "x": {"construct": "group_list_gained", "wave": "T1"},
        "mediators": [{"construct": "belonging", "wave": "T1"}],
        "y": {"construct": "loneliness", "wave": "T1"}, "covariates": ["age"],
        "adjust_baseline": True}}
    config = tmp_path / "demo_controlled.yaml"
    config.write_text(yaml.safe_dump(raw, sort_keys=False))
    work = tmp_path / "work"
    res = "results/demo_controlled"
    targets = [f"{res}/tables/change_primary.csv", f"{res}/tables/mediation_estimates.csv"]
    proc = subprocess.run(
        [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), "-d", str(work),
         "--configfile", str(config), "--cores", "2", *targets],
        capture_output=True, text=True, timeout=3000)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    out = work / res
    change = pd.read_csv(out / "tables" / "change_primary.csv")
    grp = change[change["construct"] == "group_list_count"]
    assert set(grp["wave"]) == {"T1"} and (grp["status"] == "ok").all()
    wide = pd.read_parquet(out / "clean" / "wide.parquet")
    pair = wide[["group_list_count_T0", "group_list_count_T1"]].dropna()
    cc = grp.set_index("method").loc["complete_case"]
    assert cc["est"] == pytest.approx((pair.iloc[:, 1] - pair.iloc[:, 0]).mean())
    assert (out / "figures" / "change_group_list_count.png").exists()
    # the scales' rows come first, as before
    assert change["construct"].iloc[-1] == "group_list_count"
    med = pd.read_csv(out / "tables" / "mediation_estimates.csv")
    assert (med["analysis"] == "gained_chain").all() and len(med)
    assert med["path"].fillna("").str.contains("group_list_gained_T1").any()
    assert not med["rhs"].fillna("").str.contains("group_list_gained_T0").any()
