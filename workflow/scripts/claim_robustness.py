"""Adapter: this run's scorecard and each robustness variant's -> results/tables/claim_robustness.csv."""

import sys

sys.stderr = open(snakemake.log[0], "w")

from ghostlearn.io import job_provenance, read_table, write_table
from ghostlearn.tables.scorecard import claim_robustness

cards = {"reference": read_table(snakemake.input.reference)}
cards.update(zip(snakemake.params.variants, map(read_table, snakemake.input.variants), strict=True))
table = claim_robustness(cards)
write_table(table, snakemake.output[0], **job_provenance(snakemake))
changed = table[table["changed"]]
print(f"{len(changed)} of {len(table)} claims change status across {list(cards)}", file=sys.stderr)
for _, row in changed.iterrows():
    print(f"  {row['id']}: " + ", ".join(f"{n} {row[f'status_{n}']}" for n in cards), file=sys.stderr)
