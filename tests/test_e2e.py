"""End-to-end: run the whole Snakemake workflow on the shipped demo study.

The workflow runs from the project's Snakefile with a temporary working directory, so the raw
files in data/raw/ are only read. A second run into another directory must give byte-identical
tables (same inputs + config + seed). The default config (config/config.yaml) lists the demo
study (config/studies/demo.yaml): its results are under results/demo/ and its rules are named
<stage>_demo.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parent.parent
DEMO_CONFIG = ROOT / "config" / "studies" / "demo.yaml"

pytestmark = pytest.mark.e2e


def _run(workdir: Path, *extra: str, quiet: bool = True) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), "-d", str(workdir),
           "--cores", "2", *(["--quiet"] if quiet else []), *extra]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=1800)


def _digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*.csv"))
    }


@pytest.fixture(scope="module")
def demo_run(demo_workflow_run) -> Path:
    """The shared full run of the demo study (tests/conftest.py)."""
    return demo_workflow_run


def test_dry_run_shows_dag(tmp_path):
    proc = _run(tmp_path, "-n")
    assert proc.returncode == 0, proc.stderr[-3000:]


def test_clean_outputs_and_accounting(demo_run):
    long = pd.read_parquet(demo_run / "clean" / "long.parquet")
    wide = pd.read_parquet(demo_run / "clean" / "wide.parquet")
    qc = pd.read_csv(demo_run / "clean" / "qc_log.csv")
    assert set(long["wave"]) == {"T0", "T1", "T2"}
    assert wide["pid"].is_unique
    assert not long["pid"].astype(str).str.contains("SP-", case=False).any(), "raw ids leaked"
    assert "participant_id" not in long.columns
    quality = pd.read_csv(demo_run / "tables" / "data_quality.csv")
    assert len(quality) >= 3
    assert len(qc) > 0


def test_tables_are_reproducible(demo_run, tmp_path):
    proc = _run(tmp_path)
    assert proc.returncode == 0, proc.stderr[-4000:]
    first, second = _digest(demo_run), _digest(tmp_path / "results" / "demo")
    assert first and first == second


def test_adding_a_wave_rereads_only_that_wave(demo_run, tmp_path):
    """Adding a wave = one config entry + its file; the existing waves are not re-ingested."""
    import shutil

    import yaml

    cfg = yaml.safe_load(DEMO_CONFIG.read_text())
    extra = tmp_path / "wave_T3.sav"
    shutil.copy(ROOT / "data" / "raw" / "demo_T2_7months.sav", extra)
    cfg["waves"].append({"id": "T3", "label": "12 months", "file": str(extra), "months": 12,
                         "date_column": "completed_at"})
    cfg_path = tmp_path / "config_T3.yaml"
    cfg_path.write_text(yaml.safe_dump(cfg))
    proc = _run(demo_run.parent.parent, "-n", "--configfile", str(cfg_path), quiet=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    plan = proc.stdout + proc.stderr
    assert "wave=T3" in plan
    for wave in ("T0", "T1", "T2"):
        assert f"wave={wave}" not in plan


def test_failed_models_show_no_estimates(demo_run):
    tables = demo_run / "tables"
    cl_status = pd.read_csv(tables / "crosslag_status.csv")
    cl_est = pd.read_csv(tables / "crosslag_estimates.csv")
    key = ["analysis", "model", "constraint"]
    ok = set(map(tuple, cl_status.loc[cl_status["status"] == "ok", key].to_numpy()))
    assert set(map(tuple, cl_est[key].drop_duplicates().to_numpy())) <= ok
    assert (cl_status["status"] != "ok").any(), "the demo's 5-construct RI-CLPM is improper"
    med_status = pd.read_csv(tables / "mediation_status.csv")
    med_est = pd.read_csv(tables / "mediation_estimates.csv")
    ok = set(map(tuple, med_status.loc[med_status["status"] == "ok",
                                       ["analysis", "method"]].to_numpy()))
    assert set(map(tuple, med_est[["analysis", "method"]].drop_duplicates().to_numpy())) <= ok
    assert set(med_status["method"]) == {"fiml", "mi", "complete_case"}
    for name in ("change_status", "attrition_retention_status", "mediation_status",
                 "crosslag_status", "missing_data_primary"):
        t = pd.read_csv(tables / f"{name}.csv")
        assert "status" in t.columns and t["status"].notna().all(), name


def test_no_raw_ids_outside_the_interim_cache(demo_run):
    """Raw ids (SP-0001 ...) may only sit in results/interim (a cache of data/raw)."""
    import re

    pattern = re.compile(rb"sp-\d{4}", re.IGNORECASE)
    for p in demo_run.rglob("*"):
        if p.is_dir() or "interim" in p.parts or p.suffix in {".png"}:
            continue
        if p.suffix == ".parquet":
            data = pd.read_parquet(p).astype(str).to_csv().encode()
        else:
            data = p.read_bytes()
        assert not pattern.search(data), f"raw id in {p}"


def test_figures_are_written(demo_run):
    figs = {p.stem for p in (demo_run / "figures").glob("*.png")}
    for stem in ("attrition_flow", "missing_patterns", "change_qol", "imputation_chains",
                 "sensitivity_tipping_point", "mediation_social_cure_chain_path",
                 "mediation_social_cure_chain_forest", "crosslag_social_cure_clpm"):
        assert stem in figs, stem


def test_analysis_config_typo_stops_at_start_up(tmp_path):
    import yaml

    cfg = yaml.safe_load(DEMO_CONFIG.read_text())
    cfg["mediation"]["analyses"]["social_cure_chain"]["y"]["construct"] = "qoll"
    cfg_path = tmp_path / "bad.yaml"
    cfg_path.write_text(yaml.safe_dump(cfg))
    proc = _run(tmp_path, "-n", "--configfile", str(cfg_path), quiet=False)
    assert proc.returncode != 0
    assert "qoll" in proc.stderr and "Configuration problem" in proc.stderr
    assert "Traceback" not in proc.stderr


# --- The workflow's contract: every file under results/ is a declared output -----------------


def _workdir_copy(demo_run: Path, tmp_path: Path) -> Path:
    """A copy of a finished run (results + Snakemake's metadata, timestamps kept)."""
    import shutil

    work = tmp_path / "copy"
    shutil.copytree(demo_run.parent.parent, work, symlinks=True)
    return work


def _planned_rules(workdir: Path, *extra: str) -> dict[str, int]:
    """Stages `snakemake -n` would run in ``workdir`` for the demo study (rule <stage>_demo),
    with their job counts."""
    proc = _run(workdir, "-n", *extra, quiet=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    text = proc.stdout + proc.stderr
    if "Nothing to be done" in text:
        return {}
    table = text.split("Job stats:", 1)[1].split("total", 1)[0]
    counts = {}
    for line in table.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1].isdigit():
            counts[parts[0].removesuffix("_demo")] = int(parts[1])
    return counts


def _deep_update(target: dict, values: dict) -> None:
    for key, value in values.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            _deep_update(target[key], value)
        else:
            target[key] = value


def test_own_configfile_is_not_merged_with_the_demo(tmp_path):
    """`snakemake --configfile study.yaml` runs exactly that study: a key the demo config has
    and the study's file lacks must not come back from the demo."""
    import yaml

    cfg = yaml.safe_load(DEMO_CONFIG.read_text())
    del cfg["crosslag"]["analyses"]["social_cure"]
    cfg_path = tmp_path / "study.yaml"
    cfg_path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    proc = _run(tmp_path, "-n", "--configfile", str(cfg_path), quiet=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    plan = proc.stdout + proc.stderr
    assert "crosslag_connections_health" in plan and "crosslag_social_cure" not in plan


def test_nothing_under_results_is_untracked(demo_run):
    proc = _run(demo_run.parent.parent, "--list-untracked", quiet=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    listed = [line.strip() for line in (proc.stdout + proc.stderr).splitlines()]
    untracked = [line for line in listed if line.startswith("results/")]
    assert untracked == [], f"written but not declared by any rule: {untracked}"


def test_a_finished_run_has_nothing_to_do(demo_run):
    assert _planned_rules(demo_run.parent.parent) == {}


@pytest.mark.parametrize(
    ("relpath", "rule"),
    [
        ("results/demo/figures/attrition_flow.svg", "attrition"),
        ("results/demo/tables/change_sentences.csv", "change"),
        ("results/demo/tables/attrition_flow_public.csv", "attrition"),
        ("results/demo/tables/attrition_ipw_balance_T2.csv", "attrition"),
        ("results/demo/figures/mediation_social_cure_chain_forest.png", "mediation"),
        ("results/demo/models/crosslag_connections_health_riclpm_free.lav", "crosslag"),
        ("results/demo/figures/sensitivity_tipping_point.svg", "impute"),
        ("results/demo/tables/reliability.csv", "clean"),
        ("results/demo/tables/change_primary.csv", "change"),
        ("results/demo/tables/findings_public.csv", "findings"),
        ("results/demo/report/demo_report.html", "report"),
        ("results/demo/imputed/parts/chains_0.parquet", "impute_chains"),
        ("results/demo/mediation/parts/mi_block_0.parquet", "mediation_mi_block"),
    ],
)
def test_deleting_a_result_plans_its_rebuild(demo_run, tmp_path, relpath, rule):
    work = _workdir_copy(demo_run, tmp_path)
    (work / relpath).unlink()
    planned = _planned_rules(work)
    assert rule in planned, f"deleting {relpath} should rerun {rule}; plan: {planned}"


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        ({"change": {"conf_level": 0.9}}, {"change", "findings", "report"}),
        ({"missing_data": {"sensitivity": {"deltas": {"from": -10, "to": 10, "step": 1}}}},
         {"impute", "findings", "report"}),
        ({"crosslag": {"exploratory_min_df": 6}}, {"crosslag", "findings", "report"}),
        ({"mediation": {"warn_n": 40}}, {"mediation", "findings", "report"}),
    ],
)
def test_a_settings_change_reruns_only_its_analysis(demo_run, tmp_path, override, expected):
    """Each rule's params hold only what it reads: a change to one analysis's settings reruns
    that analysis and what reads its tables (the findings table and the report), nothing else
    (not, e.g., mediation or change when the tipping-point grid changes)."""
    import yaml

    work = _workdir_copy(demo_run, tmp_path)
    cfg = yaml.safe_load(DEMO_CONFIG.read_text())
    for section, values in override.items():
        _deep_update(cfg[section], values)
    cfg_path = tmp_path / "override.yaml"
    cfg_path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    planned = set(_planned_rules(work, "--configfile", str(cfg_path))) - {"all"}
    assert planned == expected


def test_snakemake_provenance_report(demo_run, tmp_path):
    """Analysts' view: Snakemake's own report of the main tables and figures (report())."""
    work = _workdir_copy(demo_run, tmp_path)
    out = work / "results" / "workflow_report.html"
    proc = _run(work, "--report", "results/workflow_report.html", quiet=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    text = out.read_text(errors="replace")
    for name in ("findings.csv", "change_primary.csv", "demo_report.pdf"):
        assert name in text, name


def test_the_demo_reports_summary_fits_on_one_page(demo_run):
    """Issue 12's one-page summary, on the demo's own report (the report tests' fixture is a
    smaller study): a funder-eyed read found its last two limitations alone on page 3."""
    import re
    import shutil

    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext not installed: apt-get install -y poppler-utils")
    pdf = demo_run / "report" / "demo_report.pdf"
    out = subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"], check=True,
                         capture_output=True, text=True).stdout
    pages = [[ln.strip() for ln in p.splitlines()] for p in out.split("\f")]

    def heading(title: str) -> int:
        return next(i for i, lines in enumerate(pages)
                    if any(re.fullmatch(rf"\d+\s+{re.escape(title)}", ln) for ln in lines))

    start = heading("Summary for funders")
    assert heading("Participant flow and attrition") == start + 1
    assert any(ln.startswith("What this evaluation cannot tell") for ln in pages[start])
