# Aggregation: runs -> tidy figure tables under results/tables/ (one row per observation).


rule vector_field:
    output:
        field="results/tables/fig1_vector_field.csv",
        fixed_points="results/tables/fig1_fixed_points.csv",
    log:
        "results/logs/aggregate/vector_field.log",
    benchmark:
        "results/benchmarks/aggregate/vector_field.tsv"
    conda:
        ENV
    params:
        spec=CANON["vector_field"],
    script:
        "../scripts/vector_field.py"


rule gd_summary:
    input:
        runs=gd_runs("{experiment}"),
        history=gd_history("{experiment}"),
    output:
        summary="results/tables/gd_{experiment}_loss_vs_lr.csv",
        starts="results/tables/gd_{experiment}_loss_per_start.csv",
        cliff="results/tables/gd_{experiment}_cliff.csv",
    log:
        "results/logs/aggregate/gd_{experiment}.log",
    benchmark:
        "results/benchmarks/aggregate/gd_{experiment}.tsv"
    conda:
        ENV
    params:
        report_epochs=lambda wc: GD[wc.experiment].get(
            "report_epochs", [GD[wc.experiment]["epochs"]]
        ),
    script:
        "../scripts/gd_summary.py"


rule gd_trajectories:
    input:
        runs=gd_runs("{experiment}"),
        history=gd_history("{experiment}"),
    output:
        "results/tables/gd_{experiment}_trajectories.csv",
    log:
        "results/logs/aggregate/gd_{experiment}_trajectories.log",
    benchmark:
        "results/benchmarks/aggregate/gd_{experiment}_trajectories.tsv"
    conda:
        ENV
    script:
        "../scripts/gd_trajectories.py"


rule critical_lr:
    input:
        runs=[gd_runs(name) for name in THEORY],
    output:
        table="results/tables/theory_critical_lr.csv",
        fit="results/tables/theory_power_law.csv",
    log:
        "results/logs/aggregate/theory_critical_lr.log",
    benchmark:
        "results/benchmarks/aggregate/theory_critical_lr.tsv"
    conda:
        ENV
    script:
        "../scripts/critical_lr.py"


rule rnn_summary:
    input:
        networks=lambda wc: rnn_job_files(wc.experiment, "networks.parquet"),
    output:
        "results/tables/rnn_{experiment}_networks.csv",
    log:
        "results/logs/aggregate/rnn_{experiment}.log",
    benchmark:
        "results/benchmarks/aggregate/rnn_{experiment}.tsv"
    conda:
        ENV
    script:
        "../scripts/rnn_summary.py"


rule rnn_points:
    input:
        points=lambda wc: rnn_job_files(
            wc.experiment, "points.parquet", "results/analysis/rnn"
        ),
        trajectories=lambda wc: rnn_job_files(
            wc.experiment, "trajectories.parquet", "results/analysis/rnn"
        ),
        fields=lambda wc: rnn_job_files(
            wc.experiment, "fields.parquet", "results/analysis/rnn"
        ),
        histories=lambda wc: rnn_job_files(wc.experiment, "history.parquet"),
    output:
        points="results/tables/rnn_{experiment}_points.csv",
        trajectories="results/tables/rnn_{experiment}_trajectories.parquet",
        ghosts="results/tables/rnn_{experiment}_ghost_vs_drop.csv",
        fields="results/tables/rnn_{experiment}_fields.parquet",
    log:
        "results/logs/aggregate/rnn_{experiment}_points.log",
    benchmark:
        "results/benchmarks/aggregate/rnn_{experiment}_points.tsv"
    conda:
        ENV
    params:
        drop_fraction=config["analysis"]["drop_fraction"],
    script:
        "../scripts/rnn_points.py"


rule rnn_history:
    input:
        histories=lambda wc: rnn_job_files(wc.experiment, "history.parquet"),
    output:
        "results/tables/rnn_{experiment}_history.parquet",
    log:
        "results/logs/aggregate/rnn_{experiment}_history.log",
    benchmark:
        "results/benchmarks/aggregate/rnn_{experiment}_history.tsv"
    conda:
        ENV
    script:
        "../scripts/rnn_history.py"
