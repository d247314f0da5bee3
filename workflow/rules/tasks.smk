# Task generation: every task a config entry names becomes one tidy table under results/tasks/.


rule make_task:
    output:
        "results/tasks/{task}.parquet",
    log:
        "results/logs/tasks/{task}.log",
    benchmark:
        "results/benchmarks/tasks/{task}.tsv"
    # a second each; made first, so that every training job is ready and the longest can start first
    priority: TASK_PRIORITY
    conda:
        ENV
    params:
        spec=lambda wc: TASKS[wc.task],
    script:
        "../scripts/make_task.py"
