"""Adapter: the trajectory-based ghost detector on every rank-2 network at every checkpoint of one job,
and its agreement with the grid + Newton points of the same checkpoints."""

import sys

sys.stderr = open(snakemake.log[0], "w")

from ghostlearn.dynamics.checkpoints import detector_comparison
from ghostlearn.io import job_provenance, read_table, write_table
from ghostlearn.rnn.engine import load_checkpoint
from ghostlearn.rnn.training import family_from_config

meta = job_provenance(snakemake)
points, agreement = detector_comparison(
    family_from_config(snakemake.params.experiment),
    load_checkpoint(snakemake.input.checkpoints),
    read_table(snakemake.input.points, ["network", "epoch", "kind", "kappa_1", "kappa_2"]),
    snakemake.params.analysis,
    log=sys.stderr,
)
write_table(points, snakemake.output.points, **meta)
write_table(agreement, snakemake.output.agreement, **meta)
print(agreement.groupby("kind")[["n_grid", "n_trajectory", "matched_grid"]].sum(), file=sys.stderr)
