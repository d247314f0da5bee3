# Analysis of the 1-D model: the loss landscape over an r grid, closed form and Euler simulation.


rule landscape:
    input:
        task=task_file(CANON["landscape"]["task"]),
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
        landscape=CANON["landscape"],
        threshold=CANON["threshold"],
        clip=CANON["clip"],
    script:
        "../scripts/landscape.py"
