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

import yaml
from snakemake.exceptions import WorkflowError
import snakemake.io as smk_io  # a line opening with `report` would parse as the keyword

from ghostlearn.config import (
    ConfigError,
    analysable,
    check_config,
    checkpoint_epochs,
    experiment_analysis,
    variant_config,
    gd_experiments,
    rnn_experiments,
    rnn_jobs,
    rnn_networks,
    start_epoch,
)
from ghostlearn.rnn.cost import CostModel, describe_plan, job_shape, stored_plan
from ghostlearn.registry import (
    FIGURES,
    landmark_inputs,
    panel_files,
    resolve,
    run_table,
    source_experiments,
    target_experiments,
)
from ghostlearn.tasks import task_name

# The one validation (ghostlearn.config.check_config, the schema shipped with the package): stop before
# any job with every bad key named, then fill the schema's defaults.
try:
    _checked = check_config(config)
except ConfigError as error:
    raise WorkflowError(str(error)) from None
config.clear()
config.update(_checked)

#: The enabled figures, in the registry's order.
ENABLED = [name for name in FIGURES if name in config["figures"]]
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
_PLAN = (
    JOB_PLAN,
    RNN,
    {name: len(rnn_networks(exp, RNN)) for name, exp in RNN.items()},
    PLAN_CORES,
    COST,
)


def command_line_targets():
    """The targets of this snakemake command, or None when they cannot be told (a run through the API).
    Snakemake parses the workflow before it hands over its DAG settings, so they are read off the
    command line with Snakemake's own argument parser."""
    settings = getattr(workflow, "dag_settings", None)
    if settings is not None:
        return list(settings.targets)
    if Path(sys.argv[0]).name != "snakemake":
        return None
    from snakemake.cli import get_argument_parser

    try:
        args, _ = get_argument_parser().parse_known_args(sys.argv[1:])
    except (Exception, SystemExit):
        return None
    return list(args.targets or [])


# The experiments the command line's targets train (all of them for the default target): a run of one
# figure is planned, and its cost printed, as the run it is.
REQUESTED = (
    target_experiments(command_line_targets(), RNN)
    if workflow.is_main_process
    else None
)
try:
    _sizes, _kept = stored_plan(*_PLAN, write=False, scope=REQUESTED)
except ValueError as error:
    raise WorkflowError(str(error)) from None


# The plan is stored when jobs are about to run (not by a dry run, which would fix it for its --cores).
onstart:
    if workflow.is_main_process:
        stored_plan(*_PLAN, write=True, scope=REQUESTED)


RNN_JOBS = {name: rnn_jobs(exp, RNN, _sizes[name]) for name, exp in RNN.items()}
if workflow.is_main_process and RNN and REQUESTED != []:
    _shown = RNN if REQUESTED is None else {name: RNN[name] for name in REQUESTED}
    print(describe_plan(_shown, _sizes, COST, PLAN_CORES), file=sys.stderr)
    if REQUESTED is not None:
        print(
            f"  (the {len(REQUESTED)} experiments the targets train, of {len(RNN)} in the config)",
            file=sys.stderr,
        )
    if _kept:
        print(
            f"  (job sizes of {len(_kept)} experiments kept from {JOB_PLAN})",
            file=sys.stderr,
        )
ANALYSED = [name for name, exp in RNN.items() if analysable(exp)]
#: Analysed rank-2 experiments the trajectory-based detector also runs on (analysis.trajectory_detector).
DETECTED = [
    name
    for name in ANALYSED
    if RNN[name]["model"]["family"] == "task_low_rank"
    and experiment_analysis(config["analysis"], RNN[name])["trajectory_detector"][
        "enabled"
    ]
]

TASKS = {
    task_name(spec): spec
    for spec in [
        *([CANON["landscape"]["task"]] if "landscape" in CANON else []),
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


def settings(references):
    """Config values a notebook or builder is given (ghostlearn.registry.resolve)."""
    return {name: resolve(ref, config, RNN) for name, ref in references.items()}


def notebook_inputs(figure):
    """A figure notebook's named inputs: its tables and the per-experiment tables it draws."""
    fig = FIGURES[figure]
    inputs = {
        name: f"results/tables/{path}" for name, path in fig.notebook_tables.items()
    }
    for experiment in fig.experiments:
        inputs.update(
            {
                f"{kind}_{experiment}": run_table(experiment, kind)
                for kind in fig.run_tables
            }
        )
    return inputs


def notebook_args(figure):
    """papermill arguments: every named input (-p), the output root, and the figure's settings (-y)."""
    args = [
        f"-p {name} {shlex.quote(str(path))}"
        for name, path in notebook_inputs(figure).items()
    ]
    args.append("-p figures_dir results/figures")
    values = settings(FIGURES[figure].settings)
    if values:
        # PyYAML round-trips its own dump (a JSON 1e-08 would read back as a string)
        args += ["-y", shlex.quote(yaml.safe_dump(values, default_flow_style=True))]
    return " ".join(args)


def builder_sources(figure):
    """{source key: [experiment, ...]} of a figure-table builder (ghostlearn.registry.Figure.sources)."""
    return {
        key: source_experiments(source, RNN)
        for key, source in FIGURES[figure].sources.items()
    }


def builder_specs(figure):
    return {
        name: RNN[name] for names in builder_sources(figure).values() for name in names
    }


def builder_inputs(figure):
    """Named inputs of a figure-table rule: per source experiment its per-network table and history
    (``<key>__<experiment>__networks`` / ``__history``), and for the sources the registry names in
    ``builder_checkpoints`` its job checkpoints and task file, for those in ``builder_points`` its
    checkpoint analysis' points table."""
    inputs = {}
    for key, names in builder_sources(figure).items():
        for name in names:
            inputs[f"{key}__{name}__networks"] = run_table(name, "networks")
            inputs[f"{key}__{name}__history"] = run_table(name, "history")
            if key in FIGURES[figure].builder_checkpoints:
                inputs[f"{key}__{name}__checkpoints"] = rnn_job_files(
                    name, "checkpoints.pt"
                )
                inputs[f"{key}__{name}__task"] = task_file(RNN[name]["task"])
            if key in FIGURES[figure].builder_points:
                inputs[f"{key}__{name}__points"] = run_table(name, "points")
    return inputs


#: Report category of the scorecard; categories are listed alphabetically, so it comes first.
SCORECARD_CATEGORY = "0. Reproduction scorecard"


def figure_outputs(figure):
    """A figure rule's outputs (ghostlearn.registry.panel_files), PNGs marked for the report with the
    figure's caption (workflow/report/<Figure.caption_file>, templated from the config).
    """
    caption = FIGURES[figure].caption_file
    return [
        (
            smk_io.report(
                path,
                caption=f"../report/{caption}",
                category=FIGURES[figure].title,
                labels={"panel": Path(path).stem},
            )
            if path.endswith(".png")
            else path
        )
        for path in panel_files(figure)
    ]


def landmark_tables():
    """The landmark table of every enabled figure: what the scorecard reads."""
    return [f"results/tables/{figure}_landmarks.csv" for figure in ENABLED]


def all_targets():
    """Every enabled figure, its landmark table and the scorecard, plus the summary table of every
    gradient-descent and RNN experiment and the ghost table of every analysed one."""
    targets = [f for figure in ENABLED for f in panel_files(figure)]
    targets += landmark_tables()
    targets.append("results/scorecard.csv")
    targets += [f"results/tables/gd_{name}_loss_vs_lr.csv" for name in CANON["gd"]]
    targets += [run_table(name, "networks") for name in RNN]
    targets += [run_table(name, "ghosts") for name in ANALYSED]
    if DETECTED:
        targets.append("results/tables/detector_agreement.csv")
    return targets
