# Figures: one papermill-executed notebook per enabled figure, generated from the figure registry
# (ghostlearn.registry); the executed notebook is the rule's log.
NOTEBOOK = (
    "jupytext --to ipynb --output - {input.notebook} 2> {log.stderr} | "
    "papermill - {log.notebook} -k python3 --log-output {params.args} >> {log.stderr} 2>&1"
)


for figure in ENABLED:

    rule:
        name:
            figure
        input:
            **notebook_inputs(figure),
            notebook=f"notebooks/{figure}.py",
        output:
            figure_outputs(figure),
        log:
            notebook=f"results/notebooks/{figure}.ipynb",
            stderr=f"results/logs/figures/{figure}.log",
        benchmark:
            f"results/benchmarks/figures/{figure}.tsv"
        localrule: True
        conda:
            ENV
        params:
            args=notebook_args(figure),
        shell:
            NOTEBOOK
