"""Adapter: a config task entry -> its tidy task table."""

import sys

sys.stderr = open(snakemake.log[0], "w")

from ghostlearn.io import job_provenance, write_table
from ghostlearn.tasks import make_task

meta = job_provenance(snakemake)

spec = dict(snakemake.params.spec)
table = make_task(spec)
for key in ("T", "dt"):
    if key in spec:
        table[key] = spec[key]
write_table(table, snakemake.output[0], **meta)
print(f"{spec['kind']}: {len(table)} rows", file=sys.stderr)
