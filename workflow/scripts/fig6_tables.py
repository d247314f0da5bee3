"""Adapter: Fig. 6 tables: loss vs learning rate and its cliff per epoch (6A), fraction learned per rank
K and learning rate (6B), and the landmark table."""

import sys

sys.stderr = open(snakemake.log[0], "w")

import pandas as pd

from ghostlearn.io import read_table, write_table
from ghostlearn.tables import sweeps

HISTORY = ["network", "epoch", "loss", "grad_norm"]
NETWORKS = ["network", "lr", "seed", "first_loss", "final_loss", "diverged"]
settings = snakemake.params.figures
rows, summaries, cliffs = [], [], []
for key, name in (("rank_one", "fig6a_rank_one"), ("full", "fig6a_full")):
    networks = read_table(snakemake.input[f"{key}_networks"], NETWORKS)
    history = pd.concat([read_table(p, HISTORY) for p in snakemake.input[f"{key}_histories"]])
    summary = sweeps.loss_vs_lr(networks, history, snakemake.params.report_epochs[name])
    cliff = sweeps.cliff_per_epoch(summary, settings["cliff_fraction"])
    summaries.append(summary.assign(experiment=name))
    cliffs.append(cliff.assign(experiment=name))
    rule = f"first lr right of the valley floor with mean loss >= {settings['cliff_fraction']} x first loss"
    rows += [(name, f"cliff_lr_epoch_{r.epoch}", r.cliff_lr, rule) for r in cliff.itertuples()]
write_table(pd.concat(summaries, ignore_index=True), snakemake.output.loss_vs_lr)
write_table(pd.concat(cliffs, ignore_index=True), snakemake.output.cliff)

ranks = snakemake.params.ranks
tables = dict(zip(ranks, (read_table(p, NETWORKS) for p in snakemake.input.fig6b_networks), strict=True))
fractions = sweeps.fraction_learned(tables, settings["learned_ratio"])
write_table(fractions, snakemake.output.learned)
rule = f"fraction of seeds with final / first loss < {settings['learned_ratio']:g}"
rows += [
    (f"fig6b_K{r.K}", f"fraction_learned_K{r.K}_lr{r.lr:.2e}", r.fraction_learned, rule)
    for r in fractions.itertuples()
]
order = sweeps.rank_order_of_failure(fractions)
rows += [
    (f"fig6b_K{r.K}", f"failure_lr_K{r.K}", r.failure_lr, "lowest lr above which fewer than half learn")
    for r in order.itertuples()
]
curves = []
for K in ranks:
    parts = [
        read_table(path, HISTORY)
        for path, rank in zip(snakemake.input.fig6b_histories, snakemake.params.history_ranks, strict=True)
        if rank == K
    ]
    history = sweeps.with_networks(pd.concat(parts), tables[K], columns=("lr", "seed", "first_loss"))
    curves.append(history.assign(K=K, normalised_loss=history["loss"] / history["first_loss"]))
write_table(pd.concat(curves, ignore_index=True), snakemake.output.curves)
landmarks = sweeps.landmark_table("fig6", rows)
write_table(landmarks, snakemake.output.landmarks)
print(landmarks.to_string(), file=sys.stderr)
