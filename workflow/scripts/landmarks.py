"""Adapter: the landmark table of one figure (plateau, drop, ghosts, final loss and accuracy per experiment)."""

import sys

sys.stderr = open(snakemake.log[0], "w")

import pandas as pd

from ghostlearn.io import job_provenance, read_table, write_table
from ghostlearn.tables.runs import landmark_table

meta = job_provenance(snakemake)

ghost_files = iter(snakemake.input.ghosts)
tables = []
for name, path in zip(snakemake.params.experiments, snakemake.input.histories, strict=True):
    history = read_table(path, ["network", "epoch", "loss"])
    ghosts = (
        read_table(next(ghost_files), ["network", "first_ghost_epoch"])
        if name in snakemake.params.analysed
        else None
    )
    tables.append(
        landmark_table(snakemake.wildcards.figure, name, history, ghosts, snakemake.params.drop_fraction)
    )
table = pd.concat(tables, ignore_index=True)
write_table(table, snakemake.output[0], **meta)
print(table.to_string(index=False), file=sys.stderr)
