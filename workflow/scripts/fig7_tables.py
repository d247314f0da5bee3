"""Adapter: Fig. 7 tables: per-network time averages and the stuck flag, stuck fraction per learning
rate, the case histories, the saturation run around its automatically found escape event, landmarks."""

import sys

sys.stderr = open(snakemake.log[0], "w")

import pandas as pd

from ghostlearn.io import read_table, write_table
from ghostlearn.rnn.engine import TaskData, load_checkpoint
from ghostlearn.rnn.training import family_from_config
from ghostlearn.tables import sweeps

HISTORY = ["network", "epoch", "loss", "grad_norm", "weight_norm", "accuracy"]
NETWORKS = [
    "network",
    "lr",
    "seed",
    "final_loss",
    "final_accuracy",
    "diverged",
    "mean_loss",
    "mean_grad_norm",
]
settings = snakemake.params.figures
rows, flagged_all, stuck_all, cases = [], [], [], []
for key, name in (("dcdt", "fig7_dcdt"), ("dmts", "fig7_dmts")):
    networks = read_table(snakemake.input[f"{key}_networks"], NETWORKS)
    history = pd.concat([read_table(p, HISTORY) for p in snakemake.input[f"{key}_histories"]])
    flagged = sweeps.stuck_networks(
        networks, history, settings["stuck_grad_tol"], settings["stuck_min_loss"], settings["stuck_window"]
    )
    stuck = sweeps.stuck_fraction(flagged)
    flagged_all.append(flagged.assign(experiment=name))
    stuck_all.append(stuck.assign(experiment=name))
    rule = (
        f"mean grad norm over the last {settings['stuck_window']} epochs < {settings['stuck_grad_tol']:g} "
        f"and final loss > {settings['stuck_min_loss']:g}"
    )
    rows += [(name, f"stuck_fraction_lr{r.lr:.2e}", r.stuck_fraction, rule) for r in stuck.itertuples()]
    at = stuck[stuck["lr"] == sweeps.nearest_lr(stuck["lr"], settings["stuck_lr"])].iloc[0]
    detail = f"median final value of the stuck networks at lr {at.lr:.4g} ({at.stuck_fraction:.2f} stuck)"
    rows += [
        (name, "stuck_loss", at.stuck_median_loss, detail),
        (name, "stuck_accuracy", at.stuck_median_accuracy, detail),
    ]
    ids = sweeps.case_networks(networks, settings["cases"].get(name, []))
    for case, network in enumerate(ids, start=1):
        cases.append(history[history["network"] == network].assign(experiment=name, case=case))
write_table(pd.concat(flagged_all, ignore_index=True), snakemake.output.networks)
write_table(pd.concat(stuck_all, ignore_index=True), snakemake.output.stuck)
case_table = pd.concat(cases, ignore_index=True).merge(
    pd.concat(flagged_all)[["experiment", "network", "lr", "seed"]], on=["experiment", "network"]
)
write_table(case_table, snakemake.output.cases)

saturation = pd.concat([read_table(p, HISTORY) for p in snakemake.input.saturation_histories])
write_table(saturation, snakemake.output.saturation)
search = settings["saturation_search"]
spike, ratio = sweeps.saturation_epoch(saturation, search)
at_spike = saturation[saturation["epoch"] == spike].iloc[0]
spikes = sweeps.gradient_spikes(saturation[saturation["epoch"] > 10])  # skip the first descent
rule = f"epoch of the largest grad-norm spike (grad norm / rolling median) in epochs {search}"
rows += [
    ("fig7_saturation", "saturation_epoch", spike, rule),
    ("fig7_saturation", "saturation_spike_ratio", ratio, "grad norm / rolling median at saturation_epoch"),
    (
        "fig7_saturation",
        "largest_spike_epoch",
        int(spikes.idxmax()),
        "largest spike of the run after epoch 10",
    ),
    ("fig7_saturation", "largest_spike_ratio", float(spikes.max()), "grad norm / rolling median there"),
    ("fig7_saturation", "saturation_grad_norm", at_spike.grad_norm, "grad norm at saturation_epoch"),
    ("fig7_saturation", "saturation_loss", at_spike.loss, "loss at saturation_epoch"),
]
(checkpoint,) = [load_checkpoint(p) for p in snakemake.input.saturation_checkpoints]
missing = [k for k in (spike - 1, spike) if k not in checkpoint]
if missing:
    raise ValueError(f"checkpoints {missing} not kept: widen fig7_saturation.checkpoint_epochs to {search}")
task = TaskData.from_table(read_table(snakemake.input.saturation_task, ["trial", "step", "input", "target"]))
family = family_from_config(snakemake.params.saturation)
rates, outputs = sweeps.saturation_states(family, {k: checkpoint[k] for k in (spike - 1, spike)}, task)
write_table(rates, snakemake.output.rates)
write_table(outputs, snakemake.output.outputs)
landmarks = sweeps.landmark_table("fig7", rows)
write_table(landmarks, snakemake.output.landmarks)
print(landmarks.to_string(), file=sys.stderr)
