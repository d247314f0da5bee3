"""Adapter: Fig. 8C tables: mean ± SEM accuracy per normalisation level c against the global epoch (the
shared first phase once), and the accuracy before and after the switch per c."""

import sys

sys.stderr = open(snakemake.log[0], "w")

import pandas as pd

from ghostlearn.io import read_table, write_table
from ghostlearn.tables import sweeps

HISTORY = ["network", "epoch", "loss", "grad_norm", "accuracy"]
phase1 = pd.concat([read_table(p, HISTORY) for p in snakemake.input.phase1_histories], ignore_index=True)
networks = read_table(
    snakemake.input.continuation_networks, ["network", "seed", "start_epoch", "output_l1_norm"]
)
continuation = pd.concat(
    [read_table(p, HISTORY) for p in snakemake.input.continuation_histories], ignore_index=True
)
curves = sweeps.phase_curves(phase1, continuation, networks, "output_l1_norm")
write_table(curves, snakemake.output.curves)
switch = snakemake.params.switch_epoch
rows = []
rule = "mean accuracy over seeds; ||w_out||_1 normalised to c after the switch (inf: never)"
for r in sweeps.before_after(curves, switch, "output_l1_norm").itertuples():
    rows += [
        (
            "fig8c",
            f"accuracy_before_c{r.output_l1_norm:g}",
            r.accuracy_before,
            f"epoch {r.epoch_before}; {rule}",
        ),
        (
            "fig8c",
            f"accuracy_after_c{r.output_l1_norm:g}",
            r.accuracy_after,
            f"epoch {r.epoch_after}; {rule}",
        ),
    ]
landmarks = sweeps.landmark_table("fig8c", rows)
write_table(landmarks, snakemake.output.landmarks)
print(landmarks.to_string(), file=sys.stderr)
