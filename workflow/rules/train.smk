# Training: gradient descent on r of the 1-D model, all (learning rate, start) pairs of an experiment
# vectorised in one job.


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
