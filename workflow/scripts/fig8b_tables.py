"""Adapter: Fig. 8B tables: selection of the runs that learned then fell back, their accuracy and gradient
around the confidence change (per c), the learnable-confidence run on one epoch axis, and landmarks."""

import sys

sys.stderr = open(snakemake.log[0], "w")

import numpy as np
import pandas as pd

from ghostlearn.io import read_table, write_table
from ghostlearn.tables import sweeps

HISTORY = ["network", "epoch", "loss", "grad_norm", "accuracy"]
NETWORKS = ["network", "lr", "seed", "start_epoch"]


def load(key, columns=NETWORKS):
    networks = read_table(snakemake.input[f"{key}_networks"], columns)
    history = pd.concat(
        [read_table(p, HISTORY) for p in snakemake.input[f"{key}_histories"]], ignore_index=True
    )
    return networks, history


switch = snakemake.params.switch_epoch
window = snakemake.params.figures["ablation_window"]
_, phase1 = load("ablation_phase1")
networks, continuation = load("ablation", [*NETWORKS, "parent", "c"])
selection = sweeps.ablation_selection(phase1, switch, window)
write_table(selection, snakemake.output.selection)
curves = sweeps.ablation_curves(phase1, continuation, networks, selection)
write_table(curves, snakemake.output.curves)
n_selected = int(selection["selected"].sum())
rule = f"mean over the {n_selected} selected runs (learned, then max accuracy <= 0.5 over the last {window} epochs)"
rows = [("fig8b_ablation", "selected_runs", n_selected, f"of {len(selection)} first-phase runs")]
if n_selected:
    for r in sweeps.before_after(curves, switch).itertuples():
        rows += [
            (
                "fig8b_ablation",
                f"accuracy_before_c{r.c:.3g}",
                r.accuracy_before,
                f"epoch {r.epoch_before}; {rule}",
            ),
            (
                "fig8b_ablation",
                f"accuracy_after_c{r.c:.3g}",
                r.accuracy_after,
                f"epoch {r.epoch_after}; {rule}",
            ),
        ]

phases = [load("learnable_phase1"), load("learnable")]
learnable = sweeps.concatenated_history([(history, networks) for networks, history in phases])
write_table(learnable, snakemake.output.learnable)
for phase, label in ((1, "before_reset"), (2, "after_reset")):
    rows_phase = learnable[learnable["phase"] == phase]
    last = rows_phase.loc[rows_phase["epoch"].idxmax()]
    rows += [
        (
            "fig8b_learnable",
            f"loss_{label}",
            last.loss,
            f"loss at epoch {int(last.epoch)} (end of phase {phase})",
        ),
        ("fig8b_learnable", f"grad_norm_{label}", last.grad_norm, f"grad norm at epoch {int(last.epoch)}"),
    ]
after = learnable[learnable["phase"] == 2]
rows.append(
    (
        "fig8b_learnable",
        "min_loss_after_reset",
        float(np.nanmin(after["loss"])),
        "lowest loss after c is reset to 1",
    )
)
landmarks = sweeps.landmark_table("fig8b", rows)
write_table(landmarks, snakemake.output.landmarks)
print(landmarks.to_string(), file=sys.stderr)
