"""Adapter: loss landscape of the 1-D model over an r grid (closed form and simulation)."""

import sys

sys.stderr = open(snakemake.log[0], "w")

from ghostlearn.io import job_provenance, read_table, write_table
from ghostlearn.oned.tables import landscape_table

meta = job_provenance(snakemake)

spec = snakemake.params.landscape
task = read_table(snakemake.input.task, ["target", "T", "dt"])
table = landscape_table(
    task,
    spec["confidences"],
    spec["r_range"],
    spec["r_points"],
    snakemake.params.threshold,
    snakemake.params.clip,
)
write_table(table, snakemake.output[0], **meta)
