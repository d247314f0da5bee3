"""Adapter: the claims registry against every landmark table of the run -> scorecard CSV and HTML view."""

import sys

sys.stderr = open(snakemake.log[0], "w")

from ghostlearn.io import atomic_path, job_provenance, write_table
from ghostlearn.tables.scorecard import evaluate_claims, load_claims, read_landmarks, scorecard_html, summary

meta = job_provenance(snakemake)

rows = read_landmarks(snakemake.input.landmarks)
scorecard = evaluate_claims(load_claims(snakemake.input.claims), rows, snakemake.params.config)
write_table(scorecard, snakemake.output.table, **meta)
with atomic_path(snakemake.output.html) as tmp, open(tmp, "w", encoding="utf-8") as handle:
    handle.write(scorecard_html(scorecard))
print(summary(scorecard), file=sys.stderr)
