# Scorecard: every figure's landmark table (results/tables/{figure}_landmarks.csv: figure, experiment,
# landmark, value, detail) against the claims registry workflow/claims.yaml -> results/scorecard.csv,
# the first thing `snakemake --report results/report.html` shows.  A failed claim is reported, never
# fatal.

#: The tables each 1-D figure's landmarks are read from (keyword arguments of
#: ghostlearn.oned.tables.FIGURE_LANDMARKS[figure]); the RNN figures write theirs in their own rules.
LANDMARK_INPUTS = {
    "fig1": {
        "field": "results/tables/fig1_vector_field.csv",
        "fixed_points": "results/tables/fig1_fixed_points.csv",
    },
    "fig2": {
        "landscape": "results/tables/landscape.csv",
        "trajectories": "results/tables/gd_fig2_pair_trajectories.csv",
        "sweep": "results/tables/gd_fig2_sweep_loss_vs_lr.csv",
        "cliff": "results/tables/gd_fig2_sweep_cliff.csv",
    },
    "fig8a": {"landscape": "results/tables/landscape.csv"},
    "theory": {
        "table": "results/tables/theory_critical_lr.csv",
        "fit": "results/tables/theory_power_law.csv",
    },
}


rule landmarks_1d:
    input:
        unpack(lambda wc: LANDMARK_INPUTS[wc.figure]),
    output:
        "results/tables/{figure}_landmarks.csv",
    log:
        "results/logs/aggregate/{figure}_landmarks.log",
    benchmark:
        "results/benchmarks/aggregate/{figure}_landmarks.tsv"
    wildcard_constraints:
        figure="|".join(LANDMARK_INPUTS),
    conda:
        ENV
    script:
        "../scripts/landmarks_1d.py"


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
