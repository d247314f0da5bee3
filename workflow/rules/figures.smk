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


rule fig3:
    input:
        **figure_tables(
            "fig3_small_lr", "fig3_large_lr", kinds=("history", "points", "fields")
        ),
        notebook="notebooks/fig3.py",
        epochs="results/tables/fig3_epochs.csv",
        landmarks="results/tables/fig3_landmarks.csv",
    output:
        figure_outputs("fig3"),
    log:
        notebook="results/notebooks/fig3.ipynb",
        stderr="results/logs/figures/fig3.log",
    benchmark:
        "results/benchmarks/figures/fig3.tsv"
    conda:
        ENV
    params:
        args=notebook_args,
    shell:
        NOTEBOOK


rule fig4:
    input:
        **figure_tables(
            "fig4_dcdt",
            "fig4_dmts",
            kinds=("history", "points", "trajectories", "fields"),
        ),
        notebook="notebooks/fig4.py",
        landmarks="results/tables/fig4_landmarks.csv",
    output:
        figure_outputs("fig4"),
    log:
        notebook="results/notebooks/fig4.ipynb",
        stderr="results/logs/figures/fig4.log",
    benchmark:
        "results/benchmarks/figures/fig4.tsv"
    conda:
        ENV
    params:
        args=lambda wc, input: notebook_args(wc, input)
        + f" -p fixed_tol {config['analysis']['fixed_tol']}"
        + f" -p ghost_tol {config['analysis']['ghost_tol']}",
    shell:
        NOTEBOOK


rule fig5:
    input:
        **figure_tables(
            "fig5_dcdt", "fig5_dmts", kinds=("history", "points", "trajectories")
        ),
        notebook="notebooks/fig5.py",
        landmarks="results/tables/fig5_landmarks.csv",
    output:
        figure_outputs("fig5"),
    log:
        notebook="results/notebooks/fig5.ipynb",
        stderr="results/logs/figures/fig5.log",
    benchmark:
        "results/benchmarks/figures/fig5.tsv"
    conda:
        ENV
    params:
        args=notebook_args,
    shell:
        NOTEBOOK


rule fig6:
    input:
        notebook="notebooks/fig6.py",
        loss_vs_lr="results/tables/fig6a_loss_vs_lr.csv",
        cliff="results/tables/fig6a_cliff.csv",
        learned="results/tables/fig6b_fraction_learned.csv",
        curves="results/tables/fig6b_learning_curves.parquet",
    output:
        figure_outputs("fig6"),
    log:
        notebook="results/notebooks/fig6.ipynb",
        stderr="results/logs/figures/fig6.log",
    benchmark:
        "results/benchmarks/figures/fig6.tsv"
    conda:
        ENV
    params:
        args=notebook_args,
    shell:
        NOTEBOOK


rule fig7:
    input:
        notebook="notebooks/fig7.py",
        networks="results/tables/fig7_networks.csv",
        stuck="results/tables/fig7_stuck.csv",
        cases="results/tables/fig7_cases.csv",
        saturation="results/tables/fig7_saturation_history.csv",
        rates="results/tables/fig7_saturation_rates.csv",
        outputs="results/tables/fig7_saturation_outputs.csv",
        landmarks="results/tables/fig7_landmarks.csv",
    output:
        figure_outputs("fig7"),
    log:
        notebook="results/notebooks/fig7.ipynb",
        stderr="results/logs/figures/fig7.log",
    benchmark:
        "results/benchmarks/figures/fig7.tsv"
    conda:
        ENV
    params:
        args=notebook_args,
    shell:
        NOTEBOOK


rule fig8b:
    input:
        notebook="notebooks/fig8b.py",
        curves="results/tables/fig8b_ablation_curves.csv",
        learnable="results/tables/fig8b_learnable.csv",
        landmarks="results/tables/fig8b_landmarks.csv",
    output:
        figure_outputs("fig8b"),
    log:
        notebook="results/notebooks/fig8b.ipynb",
        stderr="results/logs/figures/fig8b.log",
    benchmark:
        "results/benchmarks/figures/fig8b.tsv"
    conda:
        ENV
    params:
        args=lambda wc, input: notebook_args(wc, input)
        + f" -p switch_epoch {start_epoch('fig8b_ablation', RNN)}"
        + f" -p plot_every {config['rnn_figures']['ablation_plot_every']}",
    shell:
        NOTEBOOK


rule fig8c:
    input:
        notebook="notebooks/fig8c.py",
        curves="results/tables/fig8c_curves.csv",
    output:
        figure_outputs("fig8c"),
    log:
        notebook="results/notebooks/fig8c.ipynb",
        stderr="results/logs/figures/fig8c.log",
    benchmark:
        "results/benchmarks/figures/fig8c.tsv"
    conda:
        ENV
    params:
        args=lambda wc, input: notebook_args(wc, input)
        + f" -p switch_epoch {start_epoch('fig8c', RNN)}",
    shell:
        NOTEBOOK


rule rnn_scaling:
    input:
        notebook="notebooks/rnn_scaling.py",
        loss_vs_lr="results/tables/rnn_scaling_loss_vs_lr.csv",
        critical="results/tables/rnn_scaling_critical_lr.csv",
        fit="results/tables/rnn_scaling_power_law.csv",
    output:
        figure_outputs("rnn_scaling"),
    log:
        notebook="results/notebooks/rnn_scaling.ipynb",
        stderr="results/logs/figures/rnn_scaling.log",
    benchmark:
        "results/benchmarks/figures/rnn_scaling.tsv"
    conda:
        ENV
    params:
        args=notebook_args,
    shell:
        NOTEBOOK
