# ghostlearn: every figure of "A ghost mechanism: an analytical model of abrupt learning"
# (Dinc et al., arXiv 2501.02378) from one DAG:
#   tasks -> training -> analysis -> aggregation (tidy tables) -> papermill notebooks -> figures.
# Default target: every figure the config enables.  Paper scale: `snakemake --cores 8`;
# minutes: `snakemake --cores 8 --configfile config/quick.yaml`.
from snakemake.utils import min_version

min_version("9.0")


# `snakemake --report results/report.html`: this page, the scorecard first, then every figure.
report: "workflow/report/workflow.rst"


# config/config.yaml is the default; a --configfile on the command line replaces it instead of being
# merged into it, so quick.yaml and test.yaml define complete experiments of their own.
if not workflow.overwrite_configfiles:

    configfile: "config/config.yaml"


include: "workflow/rules/common.smk"
include: "workflow/rules/tasks.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/analysis.smk"
include: "workflow/rules/aggregate.smk"
include: "workflow/rules/figure_tables.smk"
include: "workflow/rules/figures.smk"
include: "workflow/rules/scorecard.smk"


# Jobs that take a second or two run in the main process even under a cluster executor (the figure and
# landmark rules are marked `localrule: True` where they are generated).
localrules:
    all,
    make_task,
    vector_field,
    gd_trajectories,
    rnn_summary,
    critical_lr,
    scorecard,


rule all:
    default_target: True
    input:
        all_targets(),
