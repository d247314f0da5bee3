# Analysis: the 1-D model's loss landscape over an r grid (closed form and Euler simulation), and the
# fixed points, slow points and ghosts of every saved RNN checkpoint.


rule landscape:
    input:
        task=lambda wc: task_file(CANON["landscape"]["task"]),
    output:
        "results/tables/landscape.csv",
    log:
        "results/logs/analysis/landscape.log",
    benchmark:
        "results/benchmarks/analysis/landscape.tsv"
    conda:
        ENV
    threads: 1
    params:
        landscape=lambda wc: CANON["landscape"],
        threshold=CANON["threshold"],
        clip=CANON["clip"],
    script:
        "../scripts/landscape.py"


rule analyse_checkpoints:
    input:
        checkpoints="results/runs/rnn/{experiment}/job{job}/checkpoints.pt",
        history="results/runs/rnn/{experiment}/job{job}/history.parquet",
        task=lambda wc: task_file(RNN[wc.experiment]["task"]),
    output:
        points="results/analysis/rnn/{experiment}/job{job}/points.parquet",
        trajectories="results/analysis/rnn/{experiment}/job{job}/trajectories.parquet",
        fields="results/analysis/rnn/{experiment}/job{job}/fields.parquet",
    log:
        "results/logs/analysis/rnn_{experiment}_job{job}.log",
    benchmark:
        "results/benchmarks/analysis/rnn_{experiment}_job{job}.tsv"
    conda:
        ENV
    threads: 1
    params:
        experiment=lambda wc: RNN[wc.experiment],
        analysis=lambda wc: experiment_analysis(config["analysis"], RNN[wc.experiment]),
    script:
        "../scripts/analyse_checkpoints.py"


rule detect_trajectory_ghosts:
    input:
        checkpoints="results/runs/rnn/{experiment}/job{job}/checkpoints.pt",
        points="results/analysis/rnn/{experiment}/job{job}/points.parquet",
    output:
        points="results/analysis/rnn/{experiment}/job{job}/trajectory_points.parquet",
        agreement="results/analysis/rnn/{experiment}/job{job}/detector_agreement.parquet",
    log:
        "results/logs/analysis/rnn_{experiment}_job{job}_trajectory_ghosts.log",
    benchmark:
        "results/benchmarks/analysis/rnn_{experiment}_job{job}_trajectory_ghosts.tsv"
    conda:
        ENV
    threads: 1
    params:
        experiment=lambda wc: RNN[wc.experiment],
        analysis=lambda wc: experiment_analysis(config["analysis"], RNN[wc.experiment]),
    script:
        "../scripts/detect_trajectory_ghosts.py"


rule detector_agreement:
    input:
        agreements=[
            path
            for name in DETECTED
            for path in rnn_job_files(
                name, "detector_agreement.parquet", "results/analysis/rnn"
            )
        ],
    output:
        "results/tables/detector_agreement.csv",
    log:
        "results/logs/aggregate/detector_agreement.log",
    benchmark:
        "results/benchmarks/aggregate/detector_agreement.tsv"
    conda:
        ENV
    params:
        experiments=[name for name in DETECTED for _ in RNN_JOBS[name]],
    script:
        "../scripts/detector_agreement.py"
