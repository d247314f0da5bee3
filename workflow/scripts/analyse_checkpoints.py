"""Adapter: fixed points, slow points and ghosts of every network at every checkpoint of one job."""

import sys

sys.stderr = open(snakemake.log[0], "w")

import torch

from ghostlearn.dynamics.checkpoints import analyse_job, epochs_until_drop
from ghostlearn.io import job_provenance, read_table, write_table
from ghostlearn.rnn.engine import TaskData, load_checkpoint
from ghostlearn.rnn.training import family_from_config

meta = job_provenance(snakemake)

torch.set_num_threads(snakemake.threads)
exp = snakemake.params.experiment
table = read_table(snakemake.input.task, ["trial", "step", "input", "target"])
checkpoints = load_checkpoint(snakemake.input.checkpoints)
analysis = snakemake.params.analysis
selected = None
if analysis["until_drop"]:
    epochs = sorted(k for k in checkpoints if isinstance(k, int))
    history = read_table(snakemake.input.history, ["network", "epoch", "loss"])
    selected = epochs_until_drop(history, epochs, analysis["drop_fraction"])
points, trajectories, fields = analyse_job(
    family_from_config(exp),
    checkpoints,
    TaskData.from_table(table),
    analysis,
    log=sys.stderr,
    selected=selected,
)
if len(trajectories) and "cls" in table:
    classes = table.drop_duplicates("trial").set_index("trial")["cls"]
    trajectories["cls"] = classes.loc[trajectories["trial"]].to_numpy()
write_table(points, snakemake.output.points, **meta)
write_table(trajectories, snakemake.output.trajectories, **meta)
write_table(fields, snakemake.output.fields, **meta)
