# Config validation, target lists and path helpers shared by every rule file.
import os
import shlex
import sys
from pathlib import Path

# The science lives in the package under src/.  Make it, and the tools installed beside this Python
# (papermill, jupytext), reachable from every job even when the environment is not activated or the
# package is not pip-installed (e.g. under --use-conda with environment.yml).
SRC = str(Path(workflow.basedir) / "src")
sys.path.insert(0, SRC)
os.environ.update(
    PYTHONPATH=os.pathsep.join(filter(None, [SRC, os.environ.get("PYTHONPATH")])),
    PATH=os.pathsep.join(
        [str(Path(sys.executable).parent), os.environ.get("PATH", "")]
    ),
)

from snakemake.exceptions import WorkflowError
import snakemake.io as smk_io  # a line opening with `report` would parse as the keyword
from snakemake.utils import validate

from ghostlearn.config import (
    T_SCALING_PREFIX,
    ConfigError,
    analysable,
    check_config,
    checkpoint_epochs,
    gd_experiments,
    rnn_experiments,
    rnn_jobs,
    rnn_networks,
    start_epoch,
)
from ghostlearn.rnn.cost import CostModel, describe_plan, job_shape, stored_plan
from ghostlearn.registry import FIGURE_EXPERIMENTS, panel_files
from ghostlearn.tasks import task_name

SCHEMA = Path(workflow.basedir) / "workflow" / "schemas" / "config.schema.yaml"

# Stop before any job with every bad key named; then fill the schema's defaults.
try:
    _checked = check_config(config, SCHEMA)
except ConfigError as error:
    raise WorkflowError(str(error)) from None
config.clear()
config.update(_checked)
validate(config, str(SCHEMA), set_default=False)

CANON = config["canonical"]
GD = gd_experiments(CANON)
THEORY = [name for name in GD if name.startswith("theory_T")]
ENV = "../../environment.yml"


wildcard_constraints:
    experiment="[A-Za-z][A-Za-z0-9_.]*",
    task="[A-Za-z0-9_.]+",
    job="[0-9]+",


def task_file(spec):
    """The task table a config task entry is generated into."""
    return f"results/tasks/{task_name(spec)}.parquet"


RNN = rnn_experiments(config["rnn"])
# Job sizes from the measured cost model (ghostlearn.rnn.cost): experiments without networks_per_job are
# split so that no job is longer than the whole run divided by --cores.  The plan is stored, so a
# restart with other --cores resumes the same jobs, and remote jobs read the plan of the main process.
COST = CostModel.load()
JOB_PLAN = "results/runs/rnn/job_plan.json"
# --cores locally; on a cluster (no --cores) the jobs run at once (--jobs)
PLAN_CORES = (
    (workflow._cores or workflow.nodes or 1) if workflow.is_main_process else None
)
try:
    _sizes, _kept = stored_plan(
        JOB_PLAN,
        RNN,
        {name: len(rnn_networks(exp, RNN)) for name, exp in RNN.items()},
        PLAN_CORES,
        COST,
        write=workflow.is_main_process and not workflow.dryrun,
    )
except ValueError as error:
    raise WorkflowError(str(error)) from None
RNN_JOBS = {name: rnn_jobs(exp, RNN, _sizes[name]) for name, exp in RNN.items()}
if workflow.is_main_process and RNN:
    print(describe_plan(RNN, _sizes, COST, PLAN_CORES), file=sys.stderr)
    if _kept:
        print(
            f"  (job sizes of {len(_kept)} experiments kept from {JOB_PLAN})",
            file=sys.stderr,
        )
FIG6B = sorted(
    (name for name in RNN if name.startswith("fig6b_")),
    key=lambda name: RNN[name]["model"]["K"],
)
T_SCALING = [name for name in RNN if name.startswith(T_SCALING_PREFIX)]
ANALYSED = [name for name, exp in RNN.items() if analysable(exp)]

TASKS = {
    task_name(spec): spec
    for spec in [
        CANON["landscape"]["task"],
        *(exp["task"] for exp in GD.values()),
        *(exp["task"] for exp in RNN.values()),
    ]
}


def rnn_job_dir(experiment, job):
    return f"results/runs/rnn/{experiment}/job{job}"


def rnn_job_files(experiment, name, root="results/runs/rnn"):
    """One file of every training (or analysis) job of an experiment."""
    return [
        f"{root}/{experiment}/job{job}/{name}"
        for job in range(len(RNN_JOBS[experiment]))
    ]


def rnn_parent(experiment):
    """The experiment a continuation starts from (None for a fresh one)."""
    return RNN[experiment].get("start_from", {}).get("experiment")


def rnn_parent_checkpoints(wildcards):
    """A continuation's training jobs read every job checkpoint of the experiment it continues."""
    parent = rnn_parent(wildcards.experiment)
    return rnn_job_files(parent, "checkpoints.pt") if parent else []


def rnn_tables(experiment, key):
    """Named inputs ``<key>_networks`` (the per-network table) and ``<key>_histories`` (every job
    history) of an experiment, for a figure-table rule."""
    return {
        f"{key}_networks": f"results/tables/rnn_{experiment}_networks.csv",
        f"{key}_histories": rnn_job_files(experiment, "history.parquet"),
    }


def rnn_job_networks(wildcards):
    return len(RNN_JOBS[wildcards.experiment][int(wildcards.job)])


def rnn_mem_mb(wildcards, attempt):
    """MB for parameters, optimiser state, activations and history; doubled, tripled on retries."""
    exp = RNN[wildcards.experiment]
    shape = job_shape(exp, rnn_job_networks(wildcards))
    work = shape.steps * shape.trials
    N = exp["model"]["N"]
    history = shape.networks * exp["epochs"] // exp["history_every"] * 40
    base = (
        1024
        + (shape.networks * N * N * 4 * 8 + shape.networks * work * N * 4 * 6 + history)
        // 1_000_000
    )
    return base * attempt


def rnn_seconds(wildcards):
    """Estimated seconds of a training job (ghostlearn.rnn.cost, fitted to measured throughput)."""
    return COST.job_seconds(RNN[wildcards.experiment], rnn_job_networks(wildcards))


def rnn_runtime(wildcards):
    """Minutes: twice the estimate (rnn_seconds), plus ten."""
    return 10 + int(2 * rnn_seconds(wildcards) / 60)


#: Above any training job's priority (rnn_priority): tasks are made before any training starts.
TASK_PRIORITY = 10**12


def rnn_priority(wildcards):
    """Longest training jobs first (their estimated seconds): on a few cores the long ones then run
    beside the short ones instead of after them."""
    return int(rnn_seconds(wildcards))


def gd_runs(experiment):
    return f"results/runs/canonical/{experiment}/runs.parquet"


def gd_history(experiment):
    return f"results/runs/canonical/{experiment}/history.parquet"


def gd_size(wildcards):
    """(runs, stored epochs, epochs) of a gradient-descent job, for its resource requests."""
    exp = GD[wildcards.experiment]
    lrs = exp["learning_rates"]
    n_lrs = len(lrs) if isinstance(lrs, list) else next(iter(lrs.values()))[2]
    runs = n_lrs * exp["starts"]
    stored = (
        exp["epochs"] // exp["record_every"] + len(exp.get("report_epochs", [])) + 2
    )
    return runs, stored, exp["epochs"]


def gd_mem_mb(wildcards, attempt):
    runs, stored, _ = gd_size(wildcards)
    return (512 + runs * stored * 64 // 1_000_000) * attempt


def gd_runtime(wildcards):
    runs, _, epochs = gd_size(wildcards)
    return 5 + runs * epochs // 50_000_000


def notebook_args(wildcards, input):
    """papermill -p arguments: every named input but the notebook itself, plus the output root."""
    args = [
        f"-p {name} {shlex.quote(str(path))}"
        for name, path in input.items()
        if name != "notebook"
    ]
    return " ".join([*args, "-p figures_dir results/figures"])


def figure_tables(*names, kinds=("history",)):
    """Named notebook inputs: the aggregated tables of the given experiments."""
    suffix = {
        "history": "history.parquet",
        "points": "points.csv",
        "trajectories": "trajectories.parquet",
        "fields": "fields.parquet",
    }
    return {
        f"{kind}_{name}": f"results/tables/rnn_{name}_{suffix[kind]}"
        for name in names
        for kind in kinds
    }


#: Report category of the scorecard; categories are listed alphabetically, so it comes first.
SCORECARD_CATEGORY = "0. Reproduction scorecard"
REPORT_DIR = Path(workflow.basedir) / "workflow" / "report"


def figure_category(figure):
    """Report category of a figure: 'Figure 2', 'Figure 8A', 'Theory check'."""
    if figure == "theory":
        return "Theory check"
    return f"Figure {figure.removeprefix('fig').upper()}"


def figure_outputs(figure):
    """A figure rule's outputs (ghostlearn.registry.panel_files), PNGs marked for the report with the
    figure's caption (workflow/report/<figure>.rst, templated from the config; figure.rst if none).
    """
    caption = (
        f"{figure}.rst" if (REPORT_DIR / f"{figure}.rst").exists() else "figure.rst"
    )
    return [
        (
            smk_io.report(
                path,
                caption=f"../report/{caption}",
                category=figure_category(figure),
                labels={"panel": Path(path).stem},
            )
            if path.endswith(".png")
            else path
        )
        for path in panel_files(figure)
    ]


def landmark_tables():
    """The landmark table of every enabled figure: what the scorecard reads."""
    return [f"results/tables/{figure}_landmarks.csv" for figure in config["figures"]]


def all_targets():
    """Every enabled figure and the scorecard, plus the summary table of every gradient-descent experiment."""
    targets = [f for figure in config["figures"] for f in panel_files(figure)]
    targets.append("results/scorecard.csv")
    targets += [f"results/tables/gd_{name}_loss_vs_lr.csv" for name in CANON["gd"]]
    targets += [f"results/tables/rnn_{name}_networks.csv" for name in RNN]
    targets += [f"results/tables/rnn_{name}_ghost_vs_drop.csv" for name in ANALYSED]
    targets += [
        f"results/tables/{figure}_landmarks.csv"
        for figure in config["figures"]
        if figure in FIGURE_EXPERIMENTS or figure in LANDMARK_FIGURES
    ]
    return targets


#: Figures whose aggregation writes a landmark table results/tables/<figure>_landmarks.csv.
LANDMARK_FIGURES = ("fig6", "fig7", "fig8b", "fig8c", "rnn_scaling")
