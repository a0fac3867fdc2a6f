# The report wing (pipeline/report/): the funder report as PDF/UA-1 (Typst) and HTML, built
# from the findings table and the other rules' declared outputs (see docs/design.md), one per
# study. It reruns when any input, the report settings or the configuration (its hash is in the
# params) changes. Include after every analysis rule file. Inputs are found by file name among
# the study's rules' declared outputs, so a table a wing does not produce gives a "not
# estimable because ..." paragraph in the report instead of a missing-input error
# (report_inputs in rules/common.smk).
for S in studies_running("report"):

    rule:
        name:
            rule_name("report", S)
        input:
            **report_inputs(S),
        output:
            pdf=report(
                out(S, f"report/{S.cfg.study_id}_report.pdf"),
                caption="../pipeline/report/templates/caption_pdf.rst",
                category="Funder report",
                subcategory=S.name,
            ),
            html=out(S, f"report/{S.cfg.study_id}_report.html"),
        log:
            out(S, "logs/report.log"),
        priority: 20  # the critical chain clean -> ... -> report starts first
        group:
            cluster_group(STUDY_GROUP)
        threads: 1
        resources:
            **RESOURCES["report"],
        params:
            cfg=settings_params("report", S),
            io=stage_io,
            effective=effective(S),
        shell:
            run_stage("report", S)
