"""Adapter: the claims registry against every landmark table of the run -> scorecard CSV and HTML view."""

import sys

sys.stderr = open(snakemake.log[0], "w")

import pandas as pd

from ghostlearn.io import atomic_path, job_provenance, read_table, write_table
from ghostlearn.scorecard import LANDMARK_COLUMNS, evaluate_claims, load_claims, scorecard_html, summary

meta = job_provenance(snakemake)

landmarks = [read_table(path, LANDMARK_COLUMNS) for path in snakemake.input.landmarks]
rows = pd.concat(landmarks, ignore_index=True) if landmarks else None
scorecard = evaluate_claims(load_claims(snakemake.input.claims), rows, snakemake.params.config)
write_table(scorecard, snakemake.output.table, **meta)
with atomic_path(snakemake.output.html) as tmp, open(tmp, "w") as handle:
    handle.write(scorecard_html(scorecard))
print(summary(scorecard), file=sys.stderr)
