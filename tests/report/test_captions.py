"""Figure captions and table cells a funder reads (pipeline/report/captions.py and the
sections that use it): every caption says in words what its figure shows, never the figure's
file stem ("groups gained jn"); no published table row has an "NA" cell."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from report_helpers import demo_config, stage_io

from pipeline.findings.table import finding_row, frame
from pipeline.report.build import build_report
from pipeline.report.captions import figure_words
from pipeline.report.inputs import ReportInputs, WaveInfo
from pipeline.report.model import Figure, Section, Table
from pipeline.report.more_sections import MORE_SPECS, more_section

QUESTION = ("Does the link between change in group memberships and change in loneliness "
            "(UCLA-3) depend on group_list_gained?")
STEM_TOKENS = re.compile(r"_|\bjn\b|(?<!simple )\bslopes\b|\brci\b|\bind_?\d", re.IGNORECASE)


class _Scale:
    def __init__(self, label: str) -> None:
        self.label = label


def _inputs(rows, **tables) -> ReportInputs:
    return ReportInputs(
        findings=frame(rows), waves=(WaveInfo("T0", "Entry", 0.0), WaveInfo("T1", "4 months", 4)),
        scales={"group_memberships": _Scale("Group memberships"),
                "loneliness": _Scale("Loneliness (UCLA-3)"), "gp_visits": _Scale(
                    "GP visits in the last 3 months"), "compatibility": _Scale(
                    "Compatibility of the groups")},
        min_cell=10, tables=dict(tables), labels={"group_list_gained": "Groups gained"})


def _moderation_row(analysis: str = "groups_gained", question: str = QUESTION):
    return finding_row(finding_id=f"moderation.{analysis}.interaction", kind="moderation",
                       role="primary", analysis=analysis, construct="loneliness", method="fiml",
                       question=question, estimate=-0.04, ci_lower=-0.19, ci_upper=0.11,
                       ci_label="95% CI", n_contributing=750, n_observed=270, evidence="no_clear",
                       sentence="Sentence.")


def test_johnson_neyman_caption_says_what_it_shows_not_its_stem():
    """The caption of ``moderation_groups_gained_jn`` names the link and the moderator in
    words (a group listing's derived count by its label), not "groups gained jn"."""
    caption, alt = figure_words(_inputs([_moderation_row()]), "moderation_groups_gained_jn",
                                "moderation_")
    assert caption == ("Where the link between change in group memberships and change in "
                       "loneliness (UCLA-3) is clear, across levels of groups gained: the "
                       "Johnson-Neyman interval")
    assert not STEM_TOKENS.search(caption) and "groups gained jn" not in caption
    assert "Johnson-Neyman" in alt and not STEM_TOKENS.search(alt)


def test_moderation_captions_prefer_the_status_table_context():
    status = pd.DataFrame({"analysis": ["compatibility_blunts"], "predictor": ["group_memberships"],
                           "outcome": ["loneliness"], "moderator": ["compatibility"]})
    inp = _inputs([], moderation_status=status)
    caption, _ = figure_words(inp, "moderation_compatibility_blunts_slopes", "moderation_")
    assert caption == ("Does the link between change in group memberships and loneliness "
                       "(UCLA-3) depend on compatibility of the groups? The link at chosen "
                       "levels of compatibility of the groups (simple slopes)")


@pytest.mark.parametrize("stem, prefix, expected", [
    ("comparison_loneliness", "comparison_", "Mean loneliness (UCLA-3) at each wave in the "
     "programme group and in the comparison group"),
    ("comparison_indirect_social_cure_chain", "comparison_", "Indirect associations through the "
     "mediators of the social cure chain, in the programme group and in the comparison group "
     "(estimate and 95% interval)"),
    ("healthcare_gp_visits", "healthcare_", "GP visits in the last 3 months: mean per person at "
     "each wave"),
])
def test_other_wing_figures_get_captions_in_words(stem, prefix, expected):
    caption, alt = figure_words(_inputs([]), stem, prefix)
    assert caption == expected
    assert not STEM_TOKENS.search(caption) and not STEM_TOKENS.search(alt)


def test_moderation_section_figures_are_captioned_in_words(tmp_path):
    svgs = {}
    for kind in ("slopes", "jn"):
        p = tmp_path / f"moderation_groups_gained_{kind}.svg"
        p.write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
        svgs[p.stem] = p
    inp = _inputs([_moderation_row()])
    inp.figures.update(svgs)
    sec = more_section(inp, MORE_SPECS[2])
    figs = [b for b in sec.blocks if isinstance(b, Figure)]
    assert len(figs) == 2
    for f in figs:
        assert not STEM_TOKENS.search(f.caption), f.caption
        assert "groups gained" in f.caption and not f.caption.startswith(MORE_SPECS[2].title)


def _walk(sections: tuple[Section, ...]):
    for s in sections:
        yield from s.blocks
        yield from _walk(s.subsections)


@pytest.fixture(scope="module")
def demo_report(demo_tree):
    from pipeline.report import stage
    from pipeline.report.settings import from_config

    cfg = demo_config()
    inp = stage.gather(cfg, stage_io(demo_tree, Path(demo_tree) / "out"))
    return build_report(inp, from_config(cfg), cfg.root)


def test_no_caption_in_the_demo_report_is_a_figure_stem(demo_report):
    figs = [b for b in _walk(demo_report.sections) if isinstance(b, Figure)]
    assert len(figs) >= 8
    for f in figs:
        assert f.key not in f.caption and not STEM_TOKENS.search(f.caption), f.caption
        assert f.key.replace("_", " ") not in f.caption


def test_no_published_table_cell_is_na(demo_report):
    """A value that does not exist is a dash (or words under the table), never "NA"/"nan";
    the effects table names each indirect route by its mediators, not its label ("ind_12")."""
    tables = [b for b in _walk(demo_report.sections) if isinstance(b, Table)]
    assert tables
    for t in tables:
        for row in t.rows:
            for cell in row:
                assert cell.strip() not in ("NA", "nan", "None"), (t.key, row)
                if t.key.startswith("effects_"):
                    assert not re.search(r"\bind_?\d|indirect specific", cell), (t.key, row)


def test_no_notice_points_to_a_table_column_or_repeats_itself(demo_report):
    """Caveats under the cross-lagged models name no table column ("(column pvalue_holm)"),
    and a caveat that a "not estimable" notice of the same section already says is not
    printed twice."""
    from pipeline.report.model import Notice

    def sections(secs):
        for s in secs:
            yield s
            yield from sections(s.subsections)

    for sec in sections(demo_report.sections):
        texts = [b.text for b in sec.blocks if isinstance(b, Notice)]
        assert not any("(column " in t for t in texts), sec.key
        bodies = [t.split(": not estimable because ", 1)[-1].lower().rstrip(".") for t in texts]
        assert len(bodies) == len(set(bodies)), sec.key


def test_an_riclpm_without_a_result_is_said_once_in_words():
    """The demo's five-construct RI-CLPM: its headline note ("No headline cross-lagged
    estimate ...") is the "not estimable" notice's reason, not repeated as a caveat; the
    CLPM's caveat names no table column."""
    from pipeline.report.mechanisms_section import _crosslag
    from pipeline.report.model import Notice

    clpm_note = ("For comparison only: mixes stable differences with within-person change. "
                 "Cross-lagged p-values are Holm-adjusted over its 40 cross-lagged path(s) "
                 "(column pvalue_holm); only the headline model's paths are findings.")
    head = "No headline cross-lagged estimate: no RI-CLPM version was estimable."
    status = pd.DataFrame({
        "analysis": ["sc"] * 3, "model": ["clpm", "riclpm", "riclpm"],
        "constraint": ["free", "free", "stationary"], "method": ["fiml"] * 3,
        "status": ["ok", "improper_solution", "improper_solution"],
        "message": ["", "riclpm[a,b]: improper solution: negative variance w_a_T1", "x"],
        "note": [clpm_note, head, head], "role": ["", "headline", ""]})
    lagged = pd.DataFrame([{"analysis": "sc", "model": "clpm", "constraint": "free",
                            "role": "", "type": "cross-lagged", "from": "loneliness",
                            "to": "compatibility", "from_wave": "T0", "to_wave": "T1",
                            "est": 0.1, "ci_lower": 0.0, "ci_upper": 0.2, "std_all": 0.1}])
    inp = _inputs([], crosslag_lagged_effects=lagged)
    sec = _crosslag(inp, "sc", status)
    texts = [b.text for b in sec.blocks if isinstance(b, Notice)]
    assert sum("no version of it could be estimated: the model gave an impossible value" in t
               for t in texts) == 1
    assert not any("no headline cross-lagged estimate" in t.lower() for t in texts)  # circular
    assert not any("(column " in t or "w_a_T1" in t for t in texts)
    assert any(t.startswith("For comparison only") for t in texts)


def test_checklist_never_calls_a_study_with_a_comparison_group_single_group():
    from pipeline.report.checklist import NA, checklist_section

    single = checklist_section({"summary", "flow", "change"})
    arms = checklist_section({"summary", "flow", "change", "comparison"})
    cells = lambda sec: [r[2] for t in sec.blocks if isinstance(t, Table) for r in t.rows]  # noqa: E731
    assert NA in cells(single)
    assert NA not in cells(arms) and "\u00a7ref:comparison" in cells(arms)
