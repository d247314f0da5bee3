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
        analysis=config["analysis"],
    script:
        "../scripts/analyse_checkpoints.py"
