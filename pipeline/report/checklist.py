"""Section 8: reporting checklists mapped to the report's sections (and pages in the PDF).

TREND (Des Jarlais et al. 2004, Am J Public Health 94:361) for non-randomised evaluations,
STROBE items 13 and 14 (participants, descriptive data; von Elm et al. 2007) and AGReMA
(Lee et al. 2021, JAMA 326:1045) for mediation analyses. An item maps to a section key; the
renderers turn ``REF_MARK + key`` into the section's title with its page (PDF) or a link (HTML).
Items the design makes inapplicable say "not applicable" with the reason; items the pipeline
does not produce say "not reported".
"""

from __future__ import annotations

from pipeline.report.model import Paragraph, Section, Table

__all__ = ["REF_MARK", "CHECKLISTS", "checklist_section"]

REF_MARK = "\u00a7ref:"  # a cell "§ref:<section key>" is a cross-reference
NA = "not applicable: single-group design, no assignment to conditions"
NR = "not reported (outside what the pipeline produces)"

CHECKLISTS: dict[str, tuple[tuple[str, str, str], ...]] = {
    "TREND (non-randomised evaluations)": (
        ("1", "Title and abstract: allocation and summary", "summary"),
        ("2", "Background: scientific background and rationale", NR),
        ("3", "Participants: eligibility, recruitment, setting", "flow"),
        ("4", "Interventions: details of each condition", NR),
        ("5", "Objectives and hypotheses", "summary"),
        ("6", "Outcomes: measures, methods of measurement", "appendix_technical"),
        ("7", "Sample size", "flow"),
        ("8", "Assignment method", NA),
        ("9", "Blinding (masking)", NA),
        ("10", "Unit of analysis", "change"),
        ("11", "Statistical methods, incl. missing data", "appendix_technical"),
        ("12", "Participant flow", "flow"),
        ("13", "Recruitment: dates of recruitment and follow-up", "title"),
        ("14", "Baseline data and equivalence", "flow"),
        ("15", "Baseline equivalence of groups", NA),
        ("16", "Numbers analysed", "change"),
        ("17", "Outcomes and estimation (effect sizes, CIs)", "change"),
        ("18", "Ancillary analyses (sensitivity, mediation)", "mechanisms"),
        ("19", "Adverse events", NR),
        ("20", "Interpretation, limitations", "limitations"),
        ("21", "Generalisability", "limitations"),
        ("22", "Overall evidence", "summary"),
    ),
    "STROBE items 13 and 14": (
        ("13a", "Numbers at each stage of the study", "flow"),
        ("13b", "Reasons for non-participation at each stage", "flow"),
        ("13c", "Flow diagram", "flow"),
        ("14a", "Characteristics of participants", "flow"),
        ("14b", "Number with missing data for each variable", "appendix_quality"),
        ("14c", "Follow-up time (summary)", "title"),
    ),
    "AGReMA (mediation analyses)": (
        ("1", "Title/abstract: identify as mediation analysis", "summary"),
        ("4", "Causal assumptions and model (diagram)", "mechanisms"),
        ("7", "Measurement of exposure, mediators, outcome, and their timing",
         "appendix_technical"),
        ("9", "Confounding: covariates adjusted for", "mechanisms"),
        ("10", "Statistical methods: estimator, software, effects estimated", "mechanisms"),
        ("11", "Missing data methods", "flow"),
        ("12", "Sensitivity analyses for assumptions", "mechanisms"),
        ("16", "Total, direct and indirect effects with precision", "mechanisms"),
        ("18", "Limitations: unmeasured confounding, temporal ordering", "limitations"),
    ),
}


# a study with a comparison group (its section, key "comparison"): the TREND items the
# single-group design makes inapplicable are reported there (how people came to each group,
# the balance at entry) or not reported (blinding)
WITH_ARMS = {"8": "comparison", "9": NR, "15": "comparison"}


def checklist_section(known_keys: set[str]) -> Section:
    """One table per checklist; an item whose section is absent says "not reported"; with a
    comparison section, never "single-group design" (:data:`WITH_ARMS`)."""
    tables = []
    arms = "comparison" in known_keys
    for name, items in CHECKLISTS.items():
        if arms and name.startswith("TREND"):
            items = tuple((no, text, WITH_ARMS.get(no, where)) for no, text, where in items)
        rows = tuple(
            (no, text, REF_MARK + where if where in known_keys else
             (where if where in (NA, NR) else NR)) for no, text, where in items)
        tables.append(Table(caption=name, header=("Item", "Topic", "Where in this report"),
                            rows=rows, key="checklist_" + name.split()[0].lower(),
                            widths=(0.8, 5, 4)))
    intro = Paragraph("Each reporting item points to the section (and, in the PDF, the page) "
                      "where it is reported, or says why it is not.")
    return Section("appendix_checklist", "Reporting checklist appendix", (intro, *tables))
