# A figure's own tables and its landmark table, from the figure registry (ghostlearn.registry): one
# figure-table rule per enabled figure that has a builder (its experiments' tables -> the tables its
# notebook draws), and one landmark rule for every figure (-> results/tables/{figure}_landmarks.csv: figure,
# experiment, landmark, value, detail), each calling one package function.


for figure in [name for name in ENABLED if FIGURES[name].builder]:

    rule:
        name:
            f"{figure}_tables"
        input:
            **builder_inputs(figure),
        output:
            **{
                name: f"results/tables/{path}"
                for name, path in FIGURES[figure].builder_outputs.items()
            },
        log:
            f"results/logs/aggregate/{figure}_tables.log",
        benchmark:
            f"results/benchmarks/aggregate/{figure}_tables.tsv"
        conda:
            ENV
        params:
            figure=figure,
            sources=builder_sources(figure),
            specs=builder_specs(figure),
            settings=settings(FIGURES[figure].builder_settings),
        script:
            "../scripts/figure_tables.py"


rule landmarks:
    input:
        unpack(lambda wc: landmark_inputs(FIGURES[wc.figure], RNN, ANALYSED)),
    output:
        "results/tables/{figure}_landmarks.csv",
    log:
        "results/logs/aggregate/{figure}_landmarks.log",
    benchmark:
        "results/benchmarks/aggregate/{figure}_landmarks.tsv"
    wildcard_constraints:
        figure="|".join(ENABLED) or "^$",
    localrule: True
    conda:
        ENV
    params:
        settings=lambda wc: settings(FIGURES[wc.figure].landmark_settings),
    script:
        "../scripts/landmarks.py"
