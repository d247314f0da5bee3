"""Adapter: loss vs learning rate at the report epochs (mean ± SEM over the starts, and every start's
loss), and the learning-rate cliff per epoch."""

import sys

sys.stderr = open(snakemake.log[0], "w")

from ghostlearn.io import job_provenance, read_table, write_table
from ghostlearn.oned.tables import cliff_table, loss_per_start, loss_vs_lr

meta = job_provenance(snakemake)

runs = read_table(
    snakemake.input.runs, ["run", "lr_index", "lr", "lr_over_critical", "start", "first_zone_epoch"]
)
history = read_table(snakemake.input.history, ["run", "epoch", "loss"])
summary = loss_vs_lr(runs, history, snakemake.params.report_epochs)
write_table(summary, snakemake.output.summary, **meta)
write_table(loss_per_start(runs, history, snakemake.params.report_epochs), snakemake.output.starts, **meta)
write_table(cliff_table(summary), snakemake.output.cliff, **meta)
