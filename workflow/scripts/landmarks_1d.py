"""Adapter: the landmark table of one 1-D figure (long format: figure, experiment, landmark, value, detail)."""

import sys

sys.stderr = open(snakemake.log[0], "w")

from ghostlearn.io import job_provenance, read_table, write_table
from ghostlearn.oned.tables import FIGURE_LANDMARKS

meta = job_provenance(snakemake)

tables = {name: read_table(path) for name, path in snakemake.input.items()}
landmarks = FIGURE_LANDMARKS[snakemake.wildcards.figure](**tables)
write_table(landmarks, snakemake.output[0], **meta)
print(landmarks.to_string(), file=sys.stderr)
