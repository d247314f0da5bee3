"""Adapter: the per-epoch history of every network of an RNN experiment, as one table."""

import sys

sys.stderr = open(snakemake.log[0], "w")

import pandas as pd

from ghostlearn.io import job_provenance, read_table, write_table

meta = job_provenance(snakemake)

table = pd.concat(
    [read_table(path, ["network", "epoch", "loss"]) for path in snakemake.input.histories], ignore_index=True
)
write_table(table.sort_values(["network", "epoch"], ignore_index=True), snakemake.output[0], **meta)
print(f"{table['network'].nunique()} networks, {len(table)} rows", file=sys.stderr)
