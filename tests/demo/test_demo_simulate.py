"""pipeline.demo.simulate: reproducibility, agreement with config/studies/demo.yaml, Ns, MAR
attrition, item missingness and the signs of the planted serial mediation chain (checked with
an independent, config-driven cleaner)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import pipeline.demo as demo
from pipeline.demo.layout import SCALE_ITEMS, SCALE_RANGE

SEED = demo.DEFAULT_SEED
TARGET_N = {"T0": 630, "T1": 178, "T2": 63}


def _canon(ids: pd.Series) -> pd.Series:
    """Normalised ids (trim, upper case); '' for a missing or blank id."""
    return ids.fillna("").astype(str).str.strip().str.upper()


def _scores(frame: pd.DataFrame, cfg, clean) -> pd.DataFrame:
    items = clean(frame)
    return pd.DataFrame({k: items[list(sc.items)].mean(axis=1) for k, sc in cfg.scales.items()})


def test_same_seed_gives_identical_frames():
    a, b = demo.simulate_study(SEED), demo.simulate_study(SEED)
    assert list(a) == ["T0", "T1", "T2"]
    for w in a:
        pd.testing.assert_frame_equal(a[w], b[w])
    other = demo.simulate_study(SEED + 1)
    assert not a["T0"].equals(other["T0"])


def test_too_small_n_is_refused():
    with pytest.raises(ValueError, match="n >= 100"):
        demo.simulate_demo(SEED, n=50)


def test_files_and_columns_match_config(demo_cfg, study):
    cfg = demo_cfg
    assert [w.id for w in cfg.waves] == list(demo.WAVES)
    items = [it for sc in cfg.scales.values() for it in sc.items]
    assert tuple(items) == demo.ITEM_COLUMNS
    assert set(demo.REVERSE_ITEMS) == {r for sc in cfg.scales.values() for r in sc.reverse}
    assert {k: tuple(sc.items) for k, sc in cfg.scales.items()} == SCALE_ITEMS
    assert {k: tuple(map(float, sc.range)) for k, sc in cfg.scales.items()} == SCALE_RANGE
    for w in cfg.waves:
        assert Path(w.file).name == demo.FILES[w.id]
        frame = study.frames[w.id]
        assert frame.columns[0] == cfg.id_column
        assert w.date_column in frame.columns
        assert set(items) <= set(frame.columns)
    t0 = study.frames["T0"]
    for cov in cfg.covariates.values():
        assert cov.column in t0.columns
        if cov.type == "categorical":
            assert set(t0[cov.column].dropna()) <= set(cov.levels)
        else:
            lo, hi = cov.range
            assert t0[cov.column].between(lo, hi).all()
    maps = cfg.raw["label_maps"]
    assert list(maps["agree7"]) == list(demo.AGREE7)
    assert list(maps["ucla3"]) == list(demo.UCLA3)
    assert tuple(cfg.covariates["gender"].levels) == demo.GENDER_LEVELS


def test_ns_per_wave(study):
    f = study.frames
    base = set(_canon(f["T0"]["participant_id"])) - {""}
    for w in demo.WAVES:
        ids = set(_canon(f[w]["participant_id"])) - {""}
        n = len(ids & base)
        assert abs(n - TARGET_N[w]) <= 0.15 * TARGET_N[w], (w, n)
    t1 = set(_canon(f["T1"]["participant_id"])) & base
    t2 = set(_canon(f["T2"]["participant_id"])) & base
    assert 0 < len(t2 - t1) <= 10, "a few T2 responders skipped T1"
    assert len(t2 & t1) > 0.8 * len(t2)


def test_panel_ns_are_exact_in_the_ground_truth(study):
    lat = study.latent
    n = lat[lat["responded"]].groupby("wave").size().to_dict()
    assert n == TARGET_N


def test_attrition_is_mar_older_and_less_lonely_stay(study, demo_cfg, config_clean):
    t0 = study.frames["T0"].drop_duplicates("participant_id", keep="last")
    t0 = t0[t0["participant_id"].notna()]
    sc = _scores(t0, demo_cfg, config_clean)
    stayed = _canon(t0["participant_id"]).isin(set(_canon(study.frames["T1"]["participant_id"])))
    assert t0.loc[stayed, "age"].mean() > t0.loc[~stayed, "age"].mean()
    assert (
        sc.loc[stayed.to_numpy(), "loneliness"].mean()
        < sc.loc[~stayed.to_numpy(), "loneliness"].mean()
    )


def test_item_missingness_is_a_few_percent(study):
    t0 = study.frames["T0"]
    rates = t0[list(demo.ITEM_COLUMNS)].isna().mean()
    assert (rates > 0).all() and (rates < 0.06).all()


def _ols(y: pd.Series, X: pd.DataFrame) -> pd.Series:
    A = np.column_stack([np.ones(len(X)), X.to_numpy(float)])
    beta = np.linalg.lstsq(A, y.to_numpy(float), rcond=None)[0]
    return pd.Series(beta[1:], index=X.columns)


def test_serial_chain_signs_at_baseline(study, demo_cfg, config_clean):
    t0 = study.frames["T0"]
    t0 = t0[t0["participant_id"].notna()].drop_duplicates("participant_id", keep="last")
    s = _scores(t0, demo_cfg, config_clean).dropna()
    assert len(s) > 500
    b_ss = _ols(s["support"], s[["belonging", "group_memberships"]])
    b_lon = _ols(s["loneliness"], s[["support", "belonging", "group_memberships"]])
    b_qol = _ols(s["qol"], s[["loneliness", "support", "belonging", "group_memberships"]])
    b_cb = _ols(s["belonging"], s[["group_memberships"]])
    assert b_cb["group_memberships"] > 0.2
    assert b_ss["belonging"] > 0.15
    assert b_lon["support"] < -0.05
    assert b_qol["loneliness"] < -3


def test_group_memberships_rise_after_entry(study, demo_cfg, config_clean):
    means = {
        w: _scores(study.frames[w], demo_cfg, config_clean)["group_memberships"].mean()
        for w in demo.WAVES
    }
    assert means["T1"] > means["T0"] + 0.3
    assert means["T2"] > means["T0"] + 0.3
