"""A study where models are not estimable: the report says so, section by section, with the
stage's reason ("not estimable because ..."), never an empty table or a stale number."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pandas as pd
import pytest
from report_helpers import make_tree, run_report

QOL_WHY = "only 4 people answered quality of life at two or more waves"
MED_WHY = "fewer complete cases than coefficients in the outcome equation"


def _break(tree):
    t = tree / "tables"
    st = pd.read_csv(t / "change_status.csv", dtype={"message": object})
    st.loc[st["construct"] == "qol", ["status", "message"]] = ["not_estimable", QOL_WHY]
    st.to_csv(t / "change_status.csv", index=False)
    means = pd.read_csv(t / "change_means.csv")
    means[means["construct"] != "qol"].to_csv(t / "change_means.csv", index=False)
    (tree / "figures" / "change_qol.svg").unlink()
    f = pd.read_csv(tree / "findings.csv")
    f = f[~((f["kind"] == "change") & (f["construct"] == "qol"))]
    f = f[f["kind"] != "mediation"]
    f.to_csv(tree / "findings.csv", index=False)
    med = pd.read_csv(t / "mediation_status.csv")
    med["status"], med["message"] = "not_estimable", MED_WHY
    med.to_csv(t / "mediation_status.csv", index=False)
    est = pd.read_csv(t / "mediation_estimates.csv")
    est.iloc[0:0].to_csv(t / "mediation_estimates.csv", index=False)
    imp = json.loads((tree / "impute_summary.json").read_text())
    imp.update(sensitivity_status="not_estimable", primary_message="the imputation model did "
               "not converge")
    (tree / "impute_summary.json").write_text(json.dumps(imp))


@pytest.fixture(scope="module")
def broken(tmp_path_factory):
    tree = make_tree(tmp_path_factory.mktemp("broken_tree"))
    _break(tree)
    return run_report(tree, tmp_path_factory.mktemp("broken_out"))


def _html_text(path) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", path.read_text(encoding="utf-8")))


@pytest.mark.parametrize("why", [QOL_WHY, MED_WHY, "the imputation model did not converge",
                                 "improper solution"])
def test_html_says_not_estimable_because(broken, why):
    text = _html_text(broken[1])
    assert re.search(r"not estimable because [^.]*" + re.escape(why.split()[0]), text), why


def test_pdf_says_not_estimable_because(broken):
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext not installed: apt-get install -y poppler-utils")
    text = subprocess.run(["pdftotext", str(broken[0]), "-"], capture_output=True, text=True,
                          check=True).stdout
    text = re.sub(r"\s+", " ", text)
    shown = QOL_WHY.replace("only 4 people", "only <10 people")  # small count hidden
    assert f"Change in Quality of life (EQ VAS): not estimable because {shown}" in text
    assert "only 4 people" not in text
    assert f"not estimable because {MED_WHY}" in text


def test_no_stale_table_for_the_missing_result(broken):
    html = broken[1].read_text(encoding="utf-8")
    assert 'id="findings_change_qol"' not in html
    assert 'id="effects_social_cure_chain"' not in html
    assert 'id="fig-change_qol"' not in html


def test_a_study_with_no_results_at_all_still_gets_a_report(tmp_path):
    """Only the findings table's header and no other table: every section says why."""
    from report_helpers import demo_config

    from pipeline.report import stage
    from pipeline.report.inputs import FINDINGS_COLUMNS
    from pipeline.stage_io import StageIO

    (tmp_path / "findings.csv").write_text(",".join(FINDINGS_COLUMNS) + "\n")
    io = StageIO(inputs={"findings": str(tmp_path / "findings.csv"), "tables": [],
                         "models": [], "figures": []},
                 outputs={"pdf": str(tmp_path / "r.pdf"), "html": str(tmp_path / "r.html")})
    stage.run(demo_config(), io)
    text = _html_text(io.output("html"))
    for what in ("Participant flow", "Mediation", "Cross-lagged models", "Data quality",
                 "Reliability", "Tipping-point analysis"):
        assert re.search(re.escape(what) + r"[^.]*: not estimable because", text), what
    assert not re.search(r"<tbody>\s*</tbody>", io.output("html").read_text())  # no empty table
    assert io.output("pdf").stat().st_size > 10_000
