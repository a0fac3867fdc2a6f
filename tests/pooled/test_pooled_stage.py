"""The pooled rule in the workflow: a small end-to-end run on two generated schemes, the plan
after adding a wave to one scheme (that scheme's jobs and the pooled one only), and a run with
one study (the pooled rule is not in the workflow, and start-up says why).

Data: ``python -m pipeline.demo --schemes 2 --n 100`` (each scheme its own seed and effects);
the studies are the demo's config with the slow wings switched off (missing data, mediation,
cross-lags, findings, report), so only ingest, clean, change, attrition and pooled run; the
demo's mediation chain stays configured, and the pooled wing fits it across the schemes.
"""

from __future__ import annotations

import re
import subprocess
import sys
from html import unescape
from pathlib import Path

import pandas as pd
import pytest
import yaml

from pipeline.pooled.schemes import ALL, text_bounds

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "config" / "studies" / "demo.yaml"
OFF = {"missing_data": {"enabled": False, "primary": "fiml"},
       "mediation": {"enabled": False, "analyses": {}},
       "crosslag": {"enabled": False}, "findings": {"enabled": False},
       "report": {"enabled": False}}


def _snakemake(work: Path, config: Path, *extra: str) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), "-d", str(work),
           "--configfile", str(config), "--cores", "2", *extra]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=1500)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc


def _planned(work: Path, config: Path) -> set[str]:
    out = _snakemake(work, config, "-n").stdout
    return {line.split(" ", 1)[1].rstrip(":") for line in out.splitlines()
            if line.startswith(("rule ", "localrule "))} - {"all"}


def _study(path: Path, data: Path, waves: int) -> Path:
    cfg = yaml.safe_load(DEMO.read_text(encoding="utf-8"))
    del cfg["study"]["id"]
    cfg["waves"] = cfg["waves"][:waves]
    for w in cfg["waves"]:
        w["file"] = str(data / Path(w["file"]).name)
    cfg.update(OFF)
    # the chain stays configured (its own rule is off): the pooled wing fits it across schemes
    cfg["mediation"]["analyses"] = yaml.safe_load(DEMO.read_text(encoding="utf-8"))[
        "mediation"]["analyses"]
    path.write_text(yaml.safe_dump(cfg, sort_keys=False), encoding="utf-8")
    return path


def _config(path: Path, studies: list[Path]) -> Path:
    path.write_text(yaml.safe_dump({"studies": [str(p) for p in studies], "defaults": {},
                                    "pooled": {"min_schemes": 2,
                                               "mediation": "social_cure_chain",
                                               "crosslag": "all_constructs"}}),
                    encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def pooled_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("pooled")
    data = tmp / "data"
    subprocess.run([sys.executable, "-m", "pipeline.demo", "--out", str(data), "--n", "100",
                    "--schemes", "2", "--no-readme"], check=True, cwd=ROOT, capture_output=True)
    north = _study(tmp / "north.yaml", data / "scheme_1", 2)
    south = _study(tmp / "south.yaml", data / "scheme_2", 2)
    config = _config(tmp / "programme.yaml", [north, south])
    work = tmp / "work"
    _snakemake(work, config)
    return tmp, work, config


def test_end_to_end_writes_the_pooled_outputs(pooled_run):
    tmp, work, config = pooled_run
    tables = work / "results" / "pooled" / "tables"
    pooled = pd.read_csv(tables / "pooled_change.csv")
    assert list(pooled["wave"]) == ["T1"] * 5
    assert set(pooled["status"]) == {"ok"} and set(pooled["k"]) == {2}
    rows = pd.read_csv(tables / "pooled_change_schemes.csv")
    assert set(rows["scheme"]) == {"north", "south"}
    assert rows.groupby("construct")["weight_pct"].sum().round(6).eq(100).all()
    public = pd.read_csv(tables / "pooled_schemes_public.csv", dtype=str)
    for text in public["responded"]:
        lo, hi = text_bounds(text, 10)
        assert lo == hi or lo < hi  # every cell is a count, "<10", a range or [c]
        assert not (lo == hi and 0 < lo < 10)
    assert set(public["scheme"]) == {"north", "south", ALL}
    sentences = pd.read_csv(tables / "pooled_sentences.csv")
    assert sentences["sentence"].str.startswith("Across the 2 schemes").sum() == 5
    for c in ("group_memberships", "belonging", "support", "loneliness", "qol"):
        for ext in ("png", "svg"):
            assert (work / "results/pooled/figures" / f"pooled_change_{c}.{ext}").stat().st_size
    tests = pd.read_csv(tables / "pooled_mediation_test.csv").set_index("test")
    assert list(tests.index) == ["lr_ml", "lr_scaled_mlr", "wald_mlr"]
    assert list(tests["headline"]) == [False, True, False]  # the scaled LR test (MLR)
    assert tests.loc["lr_scaled_mlr", "status"] == "ok"
    assert tests.loc["lr_scaled_mlr", "df_diff"] == 10
    assert tests["scaling_factor"].notna().sum() == 1
    test = tests.loc["lr_ml"]
    assert test["status"] == "ok" and test["groups"] == 2 and test["df_diff"] == 10
    assert tests.loc["wald_mlr", "status"] == "ok" and tests.loc["wald_mlr", "df_diff"] == 10
    med = pd.read_csv(tables / "pooled_mediation.csv")
    assert len(med[(med["model"] == "equal") & (med["lhs"] == "ind_total")]) == 1
    assert sentences["kind"].eq("mediation").sum() == 1
    # pooled cross-lag on the two waves both schemes have: the CLPM, the RI-CLPM said why not
    cl = pd.read_csv(tables / "pooled_crosslag_test.csv").set_index(["model", "test"])
    assert cl.loc[("clpm", "lr_ml"), "status"] == "ok"
    assert cl.loc[("clpm", "lr_scaled_mlr"), "headline"]
    assert cl.loc[("clpm", "lr_ml"), "df_diff"] == 20  # 5 x 4 cross-lags, one lag, 2 schemes
    assert cl.loc[("riclpm", "lr_ml"), "status"] == "not_identified"
    paths = pd.read_csv(tables / "pooled_crosslag.csv")
    assert len(paths[(paths["group"] == "all schemes")]) == 20
    assert sentences["kind"].eq("crosslag").sum() == 2
    assert _planned(work, config) == set()


def test_the_pooled_report_is_built_and_prints_no_small_count(pooled_run):
    """results/pooled/report/pooled_report.pdf and .html, from the public pooled tables: every
    scheme listed with its n; no count of people below min_cell printed anywhere (the
    counts of the scheme table exactly as the public table prints them)."""
    _, work, _ = pooled_run
    folder = work / "results" / "pooled" / "report"
    pdf, html = folder / "pooled_report.pdf", folder / "pooled_report.html"
    assert pdf.read_bytes().startswith(b"%PDF")
    text = html.read_text(encoding="utf-8")
    public = pd.read_csv(work / "results/pooled/tables/pooled_schemes_public.csv", dtype=str)
    cells = [unescape(c) for c in re.findall(r'<td class="count">([^<]*)</td>', text)]
    for r in public[public["wave"] == "T1"].itertuples():
        assert f"{r.responded} ({r.pct_entry})" in cells
    for cell in cells:
        n = re.match(r"(\d+)(?: \(|$)", cell)
        assert n is None or not 0 < int(n.group(1)) < 10, cell
    words = unescape(re.sub(r"<[^>]+>", " ", text))
    small = [m.group(0) for m in re.finditer(
        r"(?<![\w<.\-\u2212])(\d+) (?:people|answered|\(\d+(?:\.\d+)?%\))", words)
        if 0 < int(m.group(1)) < 10]
    assert small == []
    assert "north" in words and "south" in words


def test_adding_a_wave_to_one_scheme_reruns_its_jobs_and_the_pooled_one(pooled_run):
    tmp, work, _ = pooled_run
    (tmp / "grown").mkdir(exist_ok=True)
    south3 = _study(tmp / "grown" / "south.yaml", tmp / "data" / "scheme_2", 3)
    grown = _config(tmp / "grown.yaml", [tmp / "north.yaml", south3])
    planned = _planned(work, grown)
    assert "pooled" in planned and "pooled_report" in planned
    assert not [r for r in planned if r.endswith("_north")], planned
    assert {"ingest_south", "clean_south", "change_south"} <= planned


def test_studies_with_different_waves_run_with_their_own_configs(pooled_run):
    """north with three waves, south with two: each study's stages must read its own config
    (a rule's shell is evaluated again at run time, when the rule files' loop variable holds
    the last study: the config comes from params.effective)."""
    tmp, _, _ = pooled_run
    north3 = _study(tmp / "north3.yaml", tmp / "data" / "scheme_1", 3)
    config = _config(tmp / "mixed.yaml", [north3, tmp / "south.yaml"])
    work = tmp / "work_mixed"
    _snakemake(work, config)
    pooled = pd.read_csv(work / "results/pooled/tables/pooled_change.csv")
    t2 = pooled[pooled["wave"] == "T2"]  # T2 only in north: not pooled, with the reason
    assert set(t2["status"]) == {"not_estimable"}
    assert t2["message"].str.contains("pooled.min_schemes").all()
    cl = pd.read_csv(work / "results/pooled/tables/pooled_sentences.csv")
    cl = cl[cl["kind"] == "crosslag"]["sentence"]
    assert cl.str.contains("left out: T2 of north").all()


def test_one_study_has_no_pooled_rule_and_says_why(pooled_run):
    tmp, work, _ = pooled_run
    single = _config(tmp / "single.yaml", [tmp / "north.yaml"])
    proc = _snakemake(work, single, "-n")
    assert "Not run: pooled: needs two or more studies (schemes) in the run; this run has 1 " \
           "(north)" in proc.stderr
    assert "pooled" not in _planned(work, single)
