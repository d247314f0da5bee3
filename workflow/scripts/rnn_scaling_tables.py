"""Adapter: beyond the paper, the rank-one critical learning rate (Fig. 6A's cliff) against T and its
power-law fit beside the 1-D theory's exponents."""

import sys

sys.stderr = open(snakemake.log[0], "w")

import pandas as pd

from ghostlearn.io import read_table, write_table
from ghostlearn.tables import sweeps

HISTORY = ["network", "epoch", "loss"]
NETWORKS = ["network", "lr", "seed", "first_loss", "final_loss"]
fraction = snakemake.params.figures["cliff_fraction"]
networks = [read_table(p, NETWORKS) for p in snakemake.input.networks]
summaries = {}
for T, epochs, table in zip(snakemake.params.T, snakemake.params.epochs, networks, strict=True):
    prefix = f"tscaling_T{T}/"
    history = pd.concat([read_table(p, HISTORY) for p in snakemake.input.histories if prefix in p])
    summaries[T] = sweeps.loss_vs_lr(table, history, [epochs])
write_table(
    pd.concat([s.assign(T=T) for T, s in summaries.items()], ignore_index=True), snakemake.output.loss_vs_lr
)
critical = sweeps.critical_lr_vs_T(summaries, fraction)
write_table(critical, snakemake.output.critical)
fit = sweeps.power_law_fit(critical)
write_table(fit, snakemake.output.fit)
rule = f"cliff at the last epoch (first lr right of the floor with mean loss >= {fraction} x first loss)"
rows = [(f"tscaling_T{r.T}", f"critical_lr_T{r.T}", r.cliff_lr, rule) for r in critical.itertuples()]
row = fit.iloc[0]
rows += [
    ("rnn_scaling", "critical_lr_exponent", row.slope, f"log-log fit of the cliff vs T over {row.points} T"),
    ("rnn_scaling", "theory_exponent_error", row.theory_exponent_error, "1-D theory, dE/dr convention"),
    (
        "rnn_scaling",
        "theory_exponent_normalised_loss",
        row.theory_exponent_normalised_loss,
        "1-D theory, loss normalised by T (as the RNN loss)",
    ),
]
landmarks = sweeps.landmark_table("rnn_scaling", rows)
write_table(landmarks, snakemake.output.landmarks)
print(landmarks.to_string(), file=sys.stderr)
