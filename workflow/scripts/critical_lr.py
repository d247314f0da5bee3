"""Adapter: theory check, smallest failing learning rate per T against eta_c, and the power-law fit."""

import sys

sys.stderr = open(snakemake.log[0], "w")

from ghostlearn.io import job_provenance, read_table, write_table
from ghostlearn.oned.tables import critical_lr_table, power_law_table

meta = job_provenance(snakemake)

runs = [read_table(path, ["T", "lr", "first_zone_epoch"]) for path in snakemake.input.runs]
table = critical_lr_table(runs)
write_table(table, snakemake.output.table, **meta)
fit = power_law_table(table)
write_table(fit, snakemake.output.fit, **meta)
print(fit.to_string(), file=sys.stderr)
