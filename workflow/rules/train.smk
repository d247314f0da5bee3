# Training: gradient descent on r of the 1-D model, all (learning rate, start) pairs of an experiment
# vectorised in one job; RNN experiments in jobs of `networks_per_job` stacked networks.


rule train_gd:
    input:
        task=lambda wc: task_file(GD[wc.experiment]["task"]),
    output:
        runs=gd_runs("{experiment}"),
        history=gd_history("{experiment}"),
    log:
        "results/logs/train/gd_{experiment}.log",
    benchmark:
        "results/benchmarks/train/gd_{experiment}.tsv"
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=gd_mem_mb,
        runtime=gd_runtime,
    params:
        experiment=lambda wc: GD[wc.experiment],
    script:
        "../scripts/train_gd.py"


rule train_rnn:
    input:
        task=lambda wc: task_file(RNN[wc.experiment]["task"]),
        parents=rnn_parent_checkpoints,
    output:
        history="results/runs/rnn/{experiment}/job{job}/history.parquet",
        networks="results/runs/rnn/{experiment}/job{job}/networks.parquet",
        checkpoints="results/runs/rnn/{experiment}/job{job}/checkpoints.pt",
    log:
        "results/logs/train/rnn_{experiment}_job{job}.log",
    benchmark:
        "results/benchmarks/train/rnn_{experiment}_job{job}.tsv"
    priority: rnn_priority
    conda:
        ENV
    threads: config["rnn"]["threads"]
    resources:
        mem_mb=rnn_mem_mb,
        runtime=rnn_runtime,
    params:
        experiment=lambda wc: RNN[wc.experiment],
        networks=lambda wc: RNN_JOBS[wc.experiment][int(wc.job)],
        state=lambda wc: f"{rnn_job_dir(wc.experiment, wc.job)}/state",
        device=config["rnn"]["device"],
        dtype=config["rnn"]["dtype"],
        start_epoch=lambda wc: start_epoch(wc.experiment, RNN),
    script:
        "../scripts/train_rnn.py"
