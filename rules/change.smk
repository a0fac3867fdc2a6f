# The change wing (pipeline/change/): see docs/design.md.


rule change:
    input:
        long=CLEAN["long"],
        wide=CLEAN["wide"],
        reliability="results/tables/reliability.csv",
    output:
        tables=expand(
            "results/tables/change_{name}.csv",
            name=["means", "contrasts", "effect_sizes", "rci_shares", "status"],
        ),
        baseline="results/tables/descriptives_baseline.csv",
        public=[
            "results/tables/descriptives_baseline_public.csv",
            "results/tables/change_rci_shares_public.csv",
        ],
        correlations="results/tables/descriptives_correlations.csv",
        individual="results/change/rci_individual.csv",
        sentences="results/tables/change_sentences.csv",
        figures=expand("results/figures/change_{scale}.png", scale=list(CFG.scales)),
    params:
        cfg=lambda w: settings_params("change"),
    log:
        "results/logs/change.log",
    shell:
        cli("change") + " --long {input.long} --wide {input.wide} --reliability {input.reliability}"
        " --out-dir results/tables --individual {output.individual} --fig-dir results/figures"
        " --sentences {output.sentences} --log {log}"
