# Figure tables of the RNN sweeps (Figures 6, 7, 8B, 8C and the T scaling): per-network tables and job
# histories -> tidy figure tables and one long landmark table per figure (figure, experiment, landmark,
# value, detail).  The rules to read landmarks live in ghostlearn.tables.sweeps; settings in `rnn_figures`.


rule fig6_tables:
    input:
        unpack(
            lambda wc: {
                **rnn_tables("fig6a_rank_one", "rank_one"),
                **rnn_tables("fig6a_full", "full"),
                "fig6b_networks": [
                    f"results/tables/rnn_{name}_networks.csv" for name in FIG6B
                ],
                "fig6b_histories": [
                    path
                    for name in FIG6B
                    for path in rnn_job_files(name, "history.parquet")
                ],
            }
        ),
    output:
        loss_vs_lr="results/tables/fig6a_loss_vs_lr.csv",
        cliff="results/tables/fig6a_cliff.csv",
        learned="results/tables/fig6b_fraction_learned.csv",
        curves="results/tables/fig6b_learning_curves.parquet",
        landmarks="results/tables/fig6_landmarks.csv",
    log:
        "results/logs/aggregate/fig6_tables.log",
    benchmark:
        "results/benchmarks/aggregate/fig6_tables.tsv"
    conda:
        ENV
    params:
        report_epochs={
            name: RNN[name]["report_epochs"] or [RNN[name]["epochs"]]
            for name in ("fig6a_rank_one", "fig6a_full")
            if name in RNN
        },
        ranks=[RNN[name]["model"]["K"] for name in FIG6B],
        history_ranks=[
            RNN[name]["model"]["K"]
            for name in FIG6B
            for _ in rnn_job_files(name, "history.parquet")
        ],
        figures=config["rnn_figures"],
    script:
        "../scripts/fig6_tables.py"


rule fig7_tables:
    input:
        unpack(
            lambda wc: {
                **rnn_tables("fig7_dcdt", "dcdt"),
                **rnn_tables("fig7_dmts", "dmts"),
                **rnn_tables("fig7_saturation", "saturation"),
                "saturation_checkpoints": rnn_job_files(
                    "fig7_saturation", "checkpoints.pt"
                ),
                "saturation_task": task_file(RNN["fig7_saturation"]["task"]),
            }
        ),
    output:
        networks="results/tables/fig7_networks.csv",
        stuck="results/tables/fig7_stuck.csv",
        cases="results/tables/fig7_cases.csv",
        saturation="results/tables/fig7_saturation_history.csv",
        rates="results/tables/fig7_saturation_rates.csv",
        outputs="results/tables/fig7_saturation_outputs.csv",
        landmarks="results/tables/fig7_landmarks.csv",
    log:
        "results/logs/aggregate/fig7_tables.log",
    benchmark:
        "results/benchmarks/aggregate/fig7_tables.tsv"
    conda:
        ENV
    params:
        saturation=RNN.get("fig7_saturation"),
        figures=config["rnn_figures"],
    script:
        "../scripts/fig7_tables.py"


rule fig8b_tables:
    input:
        unpack(
            lambda wc: {
                **rnn_tables(rnn_parent("fig8b_ablation"), "ablation_phase1"),
                **rnn_tables("fig8b_ablation", "ablation"),
                **rnn_tables(rnn_parent("fig8b_learnable"), "learnable_phase1"),
                **rnn_tables("fig8b_learnable", "learnable"),
            }
        ),
    output:
        selection="results/tables/fig8b_selection.csv",
        curves="results/tables/fig8b_ablation_curves.csv",
        learnable="results/tables/fig8b_learnable.csv",
        landmarks="results/tables/fig8b_landmarks.csv",
    log:
        "results/logs/aggregate/fig8b_tables.log",
    benchmark:
        "results/benchmarks/aggregate/fig8b_tables.tsv"
    conda:
        ENV
    params:
        switch_epoch=lambda wc: start_epoch("fig8b_ablation", RNN),
        figures=config["rnn_figures"],
    script:
        "../scripts/fig8b_tables.py"


rule fig8c_tables:
    input:
        unpack(
            lambda wc: {
                **rnn_tables(rnn_parent("fig8c"), "phase1"),
                **rnn_tables("fig8c", "continuation"),
            }
        ),
    output:
        curves="results/tables/fig8c_curves.csv",
        landmarks="results/tables/fig8c_landmarks.csv",
    log:
        "results/logs/aggregate/fig8c_tables.log",
    benchmark:
        "results/benchmarks/aggregate/fig8c_tables.tsv"
    conda:
        ENV
    params:
        switch_epoch=lambda wc: start_epoch("fig8c", RNN),
    script:
        "../scripts/fig8c_tables.py"


rule rnn_scaling_tables:
    input:
        networks=[f"results/tables/rnn_{name}_networks.csv" for name in T_SCALING],
        histories=[
            path
            for name in T_SCALING
            for path in rnn_job_files(name, "history.parquet")
        ],
    output:
        loss_vs_lr="results/tables/rnn_scaling_loss_vs_lr.csv",
        critical="results/tables/rnn_scaling_critical_lr.csv",
        fit="results/tables/rnn_scaling_power_law.csv",
        landmarks="results/tables/rnn_scaling_landmarks.csv",
    log:
        "results/logs/aggregate/rnn_scaling_tables.log",
    benchmark:
        "results/benchmarks/aggregate/rnn_scaling_tables.tsv"
    conda:
        ENV
    params:
        T=[RNN[name]["task"]["T"] for name in T_SCALING],
        epochs=[RNN[name]["epochs"] for name in T_SCALING],
        figures=config["rnn_figures"],
    script:
        "../scripts/rnn_scaling_tables.py"
