# Figures: one papermill-executed notebook per figure; the executed notebook is the rule's log.
NOTEBOOK = (
    "jupytext --to ipynb --output - {input.notebook} 2> {log.stderr} | "
    "papermill - {log.notebook} -k python3 --log-output {params.args} >> {log.stderr} 2>&1"
)


rule fig1:
    input:
        notebook="notebooks/fig1.py",
        field="results/tables/fig1_vector_field.csv",
        fixed_points="results/tables/fig1_fixed_points.csv",
    output:
        figure_outputs("fig1"),
    log:
        notebook="results/notebooks/fig1.ipynb",
        stderr="results/logs/figures/fig1.log",
    benchmark:
        "results/benchmarks/figures/fig1.tsv"
    conda:
        ENV
    params:
        args=notebook_args,
    shell:
        NOTEBOOK


rule fig2:
    input:
        notebook="notebooks/fig2.py",
        landscape="results/tables/landscape.csv",
        trajectories="results/tables/gd_fig2_pair_trajectories.csv",
        sweep="results/tables/gd_fig2_sweep_loss_vs_lr.csv",
        cliff="results/tables/gd_fig2_sweep_cliff.csv",
    output:
        figure_outputs("fig2"),
    log:
        notebook="results/notebooks/fig2.ipynb",
        stderr="results/logs/figures/fig2.log",
    benchmark:
        "results/benchmarks/figures/fig2.tsv"
    conda:
        ENV
    params:
        args=lambda wc, input: notebook_args(wc, input)
        + " -y "
        + shlex.quote(f"confidences: {CANON['landscape']['fig2a_confidences']}"),
    shell:
        NOTEBOOK


rule fig8a:
    input:
        notebook="notebooks/fig8a.py",
        landscape="results/tables/landscape.csv",
    output:
        figure_outputs("fig8a"),
    log:
        notebook="results/notebooks/fig8a.ipynb",
        stderr="results/logs/figures/fig8a.log",
    benchmark:
        "results/benchmarks/figures/fig8a.tsv"
    conda:
        ENV
    params:
        args=notebook_args,
    shell:
        NOTEBOOK


rule theory:
    input:
        notebook="notebooks/theory.py",
        table="results/tables/theory_critical_lr.csv",
        fit="results/tables/theory_power_law.csv",
    output:
        figure_outputs("theory"),
    log:
        notebook="results/notebooks/theory.ipynb",
        stderr="results/logs/figures/theory.log",
    benchmark:
        "results/benchmarks/figures/theory.tsv"
    conda:
        ENV
    params:
        args=notebook_args,
    shell:
        NOTEBOOK
