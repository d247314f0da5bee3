"""Adapter: a figure's own tables from its experiments' tables (the builder named in the figure
registry, ghostlearn.registry), each written with its provenance."""

import sys

sys.stderr = open(snakemake.log[0], "w")

from ghostlearn.io import job_provenance, read_table, write_table
from ghostlearn.registry import FIGURES, function, is_prefix_source
from ghostlearn.tables.runs import ExperimentTables

meta = job_provenance(snakemake)
figure = FIGURES[snakemake.params.figure]
specs = snakemake.params.specs


def tables(key, name):
    prefix = f"{key}__{name}__"
    return ExperimentTables(
        name=name,
        spec=specs[name],
        networks=read_table(snakemake.input[prefix + "networks"]),
        history=read_table(snakemake.input[prefix + "history"]),
        checkpoints=tuple(snakemake.input.get(prefix + "checkpoints", ())),
        task=snakemake.input.get(prefix + "task"),
        points=read_table(snakemake.input[prefix + "points"], allow_empty=True)
        if prefix + "points" in snakemake.input.keys()
        else None,
    )


runs = {
    key: [tables(key, name) for name in names]
    if is_prefix_source(figure.sources[key])
    else tables(key, names[0])
    for key, names in snakemake.params.sources.items()
}
outputs = function(figure.builder)(**runs, **snakemake.params.settings)
for name, table in outputs.items():
    write_table(table, snakemake.output[name], **meta)
    print(f"{name}: {len(table)} rows -> {snakemake.output[name]}", file=sys.stderr)
