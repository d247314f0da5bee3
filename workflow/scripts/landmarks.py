"""Adapter: the landmark table of one figure (the builder named in the figure registry,
ghostlearn.registry), held to the landmark contract and written with its provenance."""

import sys

sys.stderr = open(snakemake.log[0], "w")

from ghostlearn.io import job_provenance, read_table, write_table
from ghostlearn.registry import FIGURES, function
from ghostlearn.tables.landmarks import conform

meta = job_provenance(snakemake)
figure = FIGURES[snakemake.wildcards.figure]
tables = {name: read_table(path, allow_empty=True) for name, path in snakemake.input.items()}
table = conform(function(figure.landmarks)(**tables, **snakemake.params.settings), figure.name)
write_table(table, snakemake.output[0], **meta)
print(table.to_string(index=False), file=sys.stderr)
