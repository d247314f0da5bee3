"""Adapter: the epochs Figure 3 draws (panel b flow curves; inset and panel d in the unstable phase)."""

import sys

sys.stderr = open(snakemake.log[0], "w")

from ghostlearn.io import job_provenance, read_table, write_table
from ghostlearn.registry import FIG3_AUTHORS_EPOCHS
from ghostlearn.tables.runs import epoch_choices

meta = job_provenance(snakemake)

columns = ["network", "epoch", "loss"]
table = epoch_choices(
    read_table(snakemake.input.small, columns),
    snakemake.params.small,
    read_table(snakemake.input.large, columns),
    snakemake.params.large,
    preferred=FIG3_AUTHORS_EPOCHS,
    drop_fraction=snakemake.params.drop_fraction,
)
write_table(table, snakemake.output[0], **meta)
print(table.to_string(index=False), file=sys.stderr)
