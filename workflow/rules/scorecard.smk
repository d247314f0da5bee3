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


# Claim robustness (docs/methods.md §8): the workflow rerun per robustness variant of the config in
# results/robustness/<variant>/ (its own results/, .snakemake/ and job plan), then every claim's status
# compared across this run and the variants.  Not a default target: one variant costs one run.
VARIANTS = list(config["robustness"]["variants"])
#: A variant's workflow runs with every core of this run (--cores; 1 without it, e.g. under a cluster executor).
VARIANT_THREADS = workflow._cores or 1


rule robustness_variant:
    input:
        claims="workflow/claims.yaml",
    output:
        scorecard="results/robustness/{variant}/results/scorecard.csv",
    log:
        "results/logs/robustness/{variant}.log",
    benchmark:
        "results/benchmarks/robustness/{variant}.tsv"
    wildcard_constraints:
        variant="|".join(VARIANTS) or "^$",
    conda:
        ENV
    threads: VARIANT_THREADS
    resources:
        runtime=24 * 60,
    params:
        config=lambda wildcards: variant_config(config, wildcards.variant),
        directory=lambda wildcards: f"results/robustness/{wildcards.variant}",
        snakefile=str(Path(workflow.basedir) / "Snakefile"),
    script:
        "../scripts/robustness_variant.py"


rule claim_robustness:
    input:
        reference="results/scorecard.csv",
        variants=expand(rules.robustness_variant.output.scorecard, variant=VARIANTS),
    output:
        "results/tables/claim_robustness.csv",
    log:
        "results/logs/claim_robustness.log",
    benchmark:
        "results/benchmarks/claim_robustness.tsv"
    localrule: True
    conda:
        ENV
    params:
        variants=VARIANTS,
    script:
        "../scripts/claim_robustness.py"
