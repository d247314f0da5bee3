"""Adapter: Figure 1 tables, the vector field dx/dt = x^2 + r and its fixed points."""

import sys

sys.stderr = open(snakemake.log[0], "w")

from ghostlearn.io import job_provenance, write_table
from ghostlearn.oned.tables import fixed_point_table, vector_field_table

meta = job_provenance(snakemake)

spec = snakemake.params.spec
write_table(
    vector_field_table(spec["r_values"], spec["x_range"], spec["points"]), snakemake.output.field, **meta
)
write_table(fixed_point_table(spec["r_values"]), snakemake.output.fixed_points, **meta)
