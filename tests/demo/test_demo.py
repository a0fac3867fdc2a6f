"""The seeded demo-study generator (pipeline/demo.py): reproducibility, Ns, planted defects,
agreement with config/config.yaml and the signs of the planted serial mediation chain."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipeline.demo import generator as demo
from pipeline.config import load_config

ROOT = Path(__file__).resolve().parents[2]
SEED = demo.DEFAULT_SEED
TARGET_N = {"T0": 630, "T1": 178, "T2": 63}


@pytest.fixture(scope="module")
def cfg():
    return load_config(ROOT / "config" / "config.yaml")


@pytest.fixture(scope="module")
def study():
    return demo.simulate_demo(SEED)


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    first = tmp_path_factory.mktemp("demo_a")
    second = tmp_path_factory.mktemp("demo_b")
    return demo.write_demo(first, SEED), demo.write_demo(second, SEED)


def _canon(ids: pd.Series) -> pd.Series:
    """Normalised ids (trim, upper case); '' for a missing or blank id."""
    return ids.fillna("").astype(str).str.strip().str.upper()


def _numeric_cells(frame: pd.DataFrame, col: str) -> pd.Series:
    return pd.to_numeric(
        frame[col].where(frame[col].map(lambda v: not isinstance(v, str))), errors="coerce"
    )


def _clean_items(frame: pd.DataFrame, cfg) -> pd.DataFrame:
    """Independent of pipeline.demo.generator: map labels, drop out-of-range / -99, reverse-key (config)."""
    out = {}
    for sc in cfg.scales.values():
        lm = {k.strip().lower(): float(v) for k, v in (sc.label_map or {}).items()}
        lo, hi = sc.range
        for it in sc.items:
            vals = [
                lm.get(v.strip().lower(), np.nan)
                if isinstance(v, str)
                else (np.nan if v is None or pd.isna(v) else float(v))
                for v in frame[it].tolist()
            ]
            s = pd.Series(vals, index=frame.index, dtype=float)
            s = s.where((s >= lo) & (s <= hi))
            if it in sc.reverse:
                s = lo + hi - s
            out[it] = s
    return pd.DataFrame(out)


def _scores(frame: pd.DataFrame, cfg) -> pd.DataFrame:
    items = _clean_items(frame, cfg)
    return pd.DataFrame({k: items[list(sc.items)].mean(axis=1) for k, sc in cfg.scales.items()})


# --------------------------------------------------------------------------------------------
# reproducibility
# --------------------------------------------------------------------------------------------


def test_same_seed_gives_identical_frames():
    a, b = demo.simulate_study(SEED), demo.simulate_study(SEED)
    assert list(a) == ["T0", "T1", "T2"]
    for w in a:
        pd.testing.assert_frame_equal(a[w], b[w])
    other = demo.simulate_study(SEED + 1)
    assert not a["T0"].equals(other["T0"])


def test_written_files_are_byte_identical(written):
    first, second = written
    assert set(first) == {"T0", "T1", "T2", "defects", "readme"}
    for key in first:
        h1 = hashlib.sha256(first[key].read_bytes()).hexdigest()
        h2 = hashlib.sha256(second[key].read_bytes()).hexdigest()
        assert h1 == h2, f"{key}: {first[key].name} differs between two writes with the same seed"


def test_committed_files_match_the_generator(written):
    """data/raw/ holds what `python -m pipeline.demo.generator --out data/raw` writes (text files byte for
    byte; the Excel and SPSS files by content, so a newer openpyxl/pyreadstat does not fail)."""
    import pyreadstat

    first, _ = written
    raw = ROOT / "data" / "raw"
    hint = f"stale: re-run python -m pipeline.demo.generator --out data/raw --seed {SEED}"
    for key, path in first.items():
        committed = raw / path.name
        assert committed.exists(), (
            f"{committed} missing: run python -m pipeline.demo.generator --out data/raw"
        )
        if key in {"T0", "defects", "readme"}:
            assert committed.read_bytes() == path.read_bytes(), f"{committed} {hint}"
    pd.testing.assert_frame_equal(
        pd.read_excel(raw / first["T1"].name),
        pd.read_excel(first["T1"]),
        obj=f"{first['T1'].name} {hint}",
    )
    a, _ = pyreadstat.read_sav(raw / first["T2"].name, user_missing=True)
    b, _ = pyreadstat.read_sav(first["T2"], user_missing=True)
    pd.testing.assert_frame_equal(a, b, obj=f"{first['T2'].name} {hint}")


# --------------------------------------------------------------------------------------------
# agreement with the study config
# --------------------------------------------------------------------------------------------


def test_files_and_columns_match_config(cfg, study):
    assert [w.id for w in cfg.waves] == list(demo.WAVES)
    items = [it for sc in cfg.scales.values() for it in sc.items]
    assert tuple(items) == demo.ITEM_COLUMNS
    assert set(demo.REVERSE_ITEMS) == {r for sc in cfg.scales.values() for r in sc.reverse}
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


def test_file_formats_read_back(written, study):
    import pyreadstat

    paths, _ = written
    t0 = pd.read_csv(paths["T0"], dtype=str, keep_default_na=False)
    assert len(t0) == len(study.frames["T0"])
    assert (t0["gm1"].str.contains("[A-Za-z]", regex=True)).sum() == 2
    t1 = pd.read_excel(paths["T1"], sheet_name=demo.XLSX_SHEET)
    assert len(t1) == len(study.frames["T1"])
    assert pd.api.types.is_datetime64_any_dtype(t1["completed_at"])
    np.testing.assert_array_equal(
        t1["eq_vas"].to_numpy(float), study.frames["T1"]["eq_vas"].to_numpy(float, na_value=np.nan)
    )
    t2, meta = pyreadstat.read_sav(paths["T2"], user_missing=True)
    assert meta.variable_value_labels["cb1"][7.0] == "Strongly agree"
    assert meta.variable_value_labels["lon2"] == {
        1.0: "Hardly ever",
        2.0: "Some of the time",
        3.0: "Often",
    }
    assert meta.variable_value_labels["gender"][3.0] == "Non-binary / other"
    assert meta.variable_value_labels["eq_vas"] == {-99.0: "Refused"}
    assert set(meta.missing_ranges) == {"eq_vas", "lon1"}
    assert (t2[["eq_vas", "lon1"]] == -99).sum().sum() == 3
    plain, _ = pyreadstat.read_sav(paths["T2"])  # default: user-missing -> NaN
    assert not (plain[list(demo.ITEM_COLUMNS)] == -99).any().any()


# --------------------------------------------------------------------------------------------
# sample sizes and attrition
# --------------------------------------------------------------------------------------------


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


def test_attrition_is_mar_older_and_less_lonely_stay(study, cfg):
    t0 = study.frames["T0"].drop_duplicates("participant_id", keep="last")
    t0 = t0[t0["participant_id"].notna()]
    sc = _scores(t0, cfg)
    stayed = _canon(t0["participant_id"]).isin(set(_canon(study.frames["T1"]["participant_id"])))
    assert t0.loc[stayed, "age"].mean() > t0.loc[~stayed, "age"].mean()
    assert (
        sc.loc[stayed.to_numpy(), "loneliness"].mean()
        < sc.loc[~stayed.to_numpy(), "loneliness"].mean()
    )


# --------------------------------------------------------------------------------------------
# planted defects
# --------------------------------------------------------------------------------------------


def test_planted_defects_are_present(study, cfg):
    f, d = study.frames, study.defects
    counts = d.groupby(["wave", "defect"]).size().to_dict()
    base = set(_canon(f["T0"]["participant_id"])) - {""}

    # duplicate submissions: same id twice in a wave, one copy less complete
    for w, expected in [("T0", 3), ("T1", 2), ("T2", 0)]:
        ids = _canon(f[w]["participant_id"])
        dup_ids = ids[ids.duplicated() & (ids != "")].unique()
        assert len(dup_ids) == expected == counts.get((w, "duplicate_submission"), 0)
        for pid in dup_ids:
            answered = f[w].loc[ids == pid, list(demo.ITEM_COLUMNS)].notna().sum(axis=1)
            assert answered.min() < answered.max()

    # ids differing by case / white space from the baseline form
    for w, expected in [("T1", 4), ("T2", 2)]:
        raw = f[w]["participant_id"].dropna().astype(str)
        odd = raw[(raw != raw.str.strip().str.upper()) & raw.str.strip().str.upper().isin(base)]
        assert len(odd) == expected == counts[(w, "id_format")]
        assert odd.str.strip().str.upper().isin(set(f["T0"]["participant_id"].dropna())).all()

    # rows without an id, follow-up ids never seen at baseline, missing dates
    assert f["T0"]["participant_id"].isna().sum() == 1
    assert (f["T1"]["participant_id"].astype(str).str.strip() == "").sum() == 1
    for w, expected in [("T1", 2), ("T2", 1)]:
        ids = set(_canon(f[w]["participant_id"])) - {""}
        assert len(ids - base) == expected == counts[(w, "unmatched_followup")]
    assert f["T0"]["completed_at"].isna().sum() == 1
    assert f["T1"]["completed_at"].isna().sum() == 1
    assert f["T2"]["completed_at"].isna().sum() == 0

    # out-of-range codes
    for w in demo.WAVES:
        n_bad = 0
        for sc in cfg.scales.values():
            lo, hi = sc.range
            for it in sc.items:
                v = _numeric_cells(f[w], it)
                n_bad += int(((v < lo) | (v > hi)).sum() - (v == -99).sum())
        assert (
            n_bad == counts.get((w, "out_of_range"), 0) == len(demo.DEFECT_PLAN[w]["out_of_range"])
        )
    assert (_numeric_cells(f["T0"], "eq_vas") == 150).sum() == 1

    # Likert answers as text labels (T0 CSV only), all valid config labels, odd case included
    texts = [(it, v) for it in demo.ITEM_COLUMNS for v in f["T0"][it] if isinstance(v, str)]
    assert len(texts) == 12 == counts[("T0", "text_label")]
    for it, v in texts:
        sc = next(s for s in cfg.scales.values() if it in s.items)
        assert v.strip().lower() in {k.lower() for k in sc.label_map}, v
    assert any(v not in demo.AGREE7 + demo.UCLA3 for _, v in texts), "no odd-case labels planted"
    for w in ("T1", "T2"):
        assert not any(isinstance(v, str) for it in demo.ITEM_COLUMNS for v in f[w][it])

    # SPSS user-missing -99 at T2 only
    assert (
        int((f["T2"][list(demo.ITEM_COLUMNS)] == -99).sum().sum())
        == 3
        == counts[("T2", "user_missing")]
    )

    # defects stay a small minority of cells; manifest rows point at the right rows
    n_cells = sum(fr.size for fr in f.values())
    assert len(d) < 0.01 * n_cells
    for _, r in d.iterrows():
        row = f[r["wave"]].iloc[r["data_row"] - 1]
        if r["defect"] in {"id_format", "unmatched_followup", "duplicate_submission"}:
            assert row["participant_id"] == r["participant_id"]
        if r["defect"] in {"text_label", "out_of_range", "user_missing"}:
            assert str(row[r["column"]]).removesuffix(".0") == r["value"]


def test_item_missingness_is_a_few_percent(study):
    t0 = study.frames["T0"]
    rates = t0[list(demo.ITEM_COLUMNS)].isna().mean()
    assert (rates > 0).all() and (rates < 0.06).all()


# --------------------------------------------------------------------------------------------
# the planted model
# --------------------------------------------------------------------------------------------


def _ols(y: pd.Series, X: pd.DataFrame) -> pd.Series:
    A = np.column_stack([np.ones(len(X)), X.to_numpy(float)])
    beta = np.linalg.lstsq(A, y.to_numpy(float), rcond=None)[0]
    return pd.Series(beta[1:], index=X.columns)


def test_serial_chain_signs_at_baseline(study, cfg):
    t0 = study.frames["T0"]
    t0 = t0[t0["participant_id"].notna()].drop_duplicates("participant_id", keep="last")
    s = _scores(t0, cfg).dropna()
    assert len(s) > 500
    b_ss = _ols(s["support"], s[["belonging", "group_memberships"]])
    b_lon = _ols(s["loneliness"], s[["support", "belonging", "group_memberships"]])
    b_qol = _ols(s["qol"], s[["loneliness", "support", "belonging", "group_memberships"]])
    b_cb = _ols(s["belonging"], s[["group_memberships"]])
    assert b_cb["group_memberships"] > 0.2
    assert b_ss["belonging"] > 0.15
    assert b_lon["support"] < -0.05
    assert b_qol["loneliness"] < -3


def test_group_memberships_rise_after_entry(study, cfg):
    means = {w: _scores(study.frames[w], cfg)["group_memberships"].mean() for w in demo.WAVES}
    assert means["T1"] > means["T0"] + 0.3
    assert means["T2"] > means["T0"] + 0.3


def test_latent_truth_recovers_contemporaneous_paths(study):
    lat = study.latent
    t0 = lat[(lat["wave"] == "T0") & lat["in_panel"]]
    b = _ols(t0["eta_ss"], t0[["eta_cb", "eta_gm"]])
    assert b["eta_cb"] == pytest.approx(demo.TRUE_PARAMS.d21, abs=0.1)
    assert b["eta_gm"] == pytest.approx(demo.TRUE_PARAMS.a2, abs=0.1)
    m = demo.latent_moments()
    for cov in m["within_cov"]:
        np.testing.assert_allclose(np.diag(cov), 1 - demo.TRUE_PARAMS.ri_share, atol=1e-9)
