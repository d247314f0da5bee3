# Scorecard: every figure's landmark table (results/tables/{figure}_landmarks.csv: figure, experiment,
# landmark, value, detail) against the claims registry workflow/claims.yaml -> results/scorecard.csv,
# the first thing `snakemake --report results/report.html` shows.  A failed claim is reported, never
# fatal.


rule scorecard:
    input:
        claims="workflow/claims.yaml",
        landmarks=landmark_tables(),
    output:
        table=report(
            "results/scorecard.csv",
            caption="../report/scorecard.rst",
            category=SCORECARD_CATEGORY,
            labels={"file": "scorecard.csv (table)"},
        ),
        html=report(
            "results/scorecard.html",
            caption="../report/scorecard.rst",
            category=SCORECARD_CATEGORY,
            labels={"file": "scorecard (view)"},
        ),
    log:
        "results/logs/scorecard.log",
    benchmark:
        "results/benchmarks/scorecard.tsv"
    conda:
        ENV
    params:
        config=config,
    script:
        "../scripts/scorecard.py"
