"""The moderation stage: every declared output written and nothing else, status rows instead of
estimates for an analysis the data cannot support (with a placeholder figure), the primary
method flagged, sentences in plain words without counts, and byte-identical reruns."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from moderation_helpers import ANALYSIS, ROOT, demo_raw

from pipeline.config import config_from_dict
from pipeline.moderation import stage
from pipeline.moderation.settings import from_config
from pipeline.stage_io import StageIO

TABLES = {k: f"moderation_{k}.csv" for k in stage.TABLES}


@pytest.fixture
def cfg():
    raw = demo_raw({
        "identification_buffers": {**ANALYSIS, "label": "Identification buffers"},
        "own": {"outcome": "loneliness", "moderator": "identification", "waves": ["T0", "T1"]},
        "flat": {**ANALYSIS, "moderator": "compatibility"},
    })
    raw["scales"]["compatibility"] = {"instrument": "identity_compatibility"}
    return config_from_dict(raw, root=ROOT)


@pytest.fixture
def wide_path(tmp_path, wide):
    path = tmp_path / "wide.parquet"
    wide.assign(compatibility_T0=5.0).to_parquet(path)  # does not vary: "flat" not estimable
    return path


def _io(cfg, wide_path: Path, out: Path) -> dict:
    """The rule's declarations (as rules/moderation.smk builds them from the settings)."""
    s = from_config(cfg)
    output = {k: str(out / "tables" / v) for k, v in TABLES.items()}
    output["figures"] = [str(out / "figures" / f"{stem}.{ext}")
                         for stem in s.figure_stems for ext in ("png", "svg")]
    return {"input": {"wide": str(wide_path)}, "output": output, "wildcards": {}}


def _run(cfg, wide_path, out) -> dict:
    io = _io(cfg, wide_path, out)
    stage.run(cfg, StageIO.from_json(json.dumps(io)))
    return io


def test_writes_every_declared_output_and_nothing_else(cfg, wide_path, tmp_path):
    io = _run(cfg, wide_path, tmp_path / "out")
    written = sorted(str(p) for p in (tmp_path / "out").rglob("*") if p.is_file())
    declared = sorted([*[v for k, v in io["output"].items() if isinstance(v, str)],
                       *io["output"]["figures"]])
    assert written == declared
    names = {Path(p).name for p in written}
    assert {"moderation_flat_jn.svg", "moderation_identification_buffers_slopes.png"} <= names
    assert not any("moderation_own_" in n for n in names)  # no predictor: nothing to probe


def test_tables_status_and_sentences(cfg, wide_path, tmp_path):
    _run(cfg, wide_path, tmp_path)
    t = {k: pd.read_csv(tmp_path / "tables" / v) for k, v in TABLES.items()}
    st = t["status"]
    assert list(st.columns) == ["analysis", "method", "primary", "status", "message", "n",
                                  "n_outcome", "outcome", "predictor", "moderator",
                                  "moderator_wave", "from_wave", "to_wave"]
    flat = st[st["analysis"] == "flat"]
    assert (flat["status"] == "not_estimable").all() and len(flat) == 2
    assert flat["message"].str.contains("compatibility_T0 does not vary").all()
    for name in ("estimates", "simple_slopes", "jn"):
        assert "flat" not in set(t[name]["analysis"]), "no estimates from a model that failed"
    est = t["estimates"]
    assert set(est.loc[est["primary"], "method"]) == {"fiml"}
    assert {"dxw", "dx", "w", "y0", "(intercept)"} <= set(est["term"])
    assert "dxw" not in set(est.loc[est["analysis"] == "own", "term"])
    slopes = t["simple_slopes"]
    assert list(slopes.loc[slopes["method"] == "fiml", "at"]) == ["mean - 1 SD", "mean",
                                                                 "mean + 1 SD"]
    sent = t["sentences"]
    prim = sent[(sent["analysis"] == "identification_buffers") & sent["primary"]]
    assert list(prim["kind"]) == ["interaction", "simple_slopes", "johnson_neyman"]
    text = " ".join(prim["sentence"])
    assert "For people who scored high on identification with the group (one SD" in text
    assert "one SD below average" in text and "Johnson-Neyman interval" in text
    assert set(sent.loc[sent["analysis"] == "own", "kind"]) == {"association"}
    flat_s = sent[sent["analysis"] == "flat"]
    assert (flat_s["kind"] == "status").all() and flat_s["sentence"].str.contains(
        "could not be estimated").all()
    # no counts of people in words meant for readers (500 with data, 285 complete cases)
    assert not sent["sentence"].str.contains(r"\b(?:500|285)\b").any()


def test_reruns_are_byte_identical(cfg, wide_path, tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    _run(cfg, wide_path, a)
    _run(cfg, wide_path, b)
    for p in sorted(a.rglob("*")):
        if p.is_file() and p.suffix != ".png":
            assert p.read_bytes() == (b / p.relative_to(a)).read_bytes(), p.name
