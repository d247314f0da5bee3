"""Adapter: per experiment and kind, how often the grid + Newton and the trajectory-based detectors find
the same points (results/tables/detector_agreement.csv)."""

import sys

sys.stderr = open(snakemake.log[0], "w")

import pandas as pd

from ghostlearn.dynamics.checkpoints import agreement_summary
from ghostlearn.io import job_provenance, read_table, write_table

meta = job_provenance(snakemake)
tables = {}
for experiment, path in zip(snakemake.params.experiments, snakemake.input.agreements, strict=True):
    tables.setdefault(experiment, []).append(read_table(path))
summary = agreement_summary({name: pd.concat(parts, ignore_index=True) for name, parts in tables.items()})
write_table(summary, snakemake.output[0], **meta)
print(summary.to_string(index=False), file=sys.stderr)
