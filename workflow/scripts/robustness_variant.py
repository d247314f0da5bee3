"""Adapter: one robustness variant of the config, run as a workflow of its own in its own directory.

The variant's directory links the workflow's files (workflow/, notebooks/, config/) and holds the variant's
config, its own results/ and .snakemake/; snakemake is run there for the variant's scorecard.  A rerun
resumes it: finished jobs are kept and incomplete ones redone (--rerun-incomplete; --nolock, since this
job is the only one writing there).
"""

import os
import subprocess
import sys
from pathlib import Path

import yaml

log = open(snakemake.log[0], "w")
sys.stderr = log

root = Path(snakemake.params.snakefile).parent
directory = Path(snakemake.params.directory)
directory.mkdir(parents=True, exist_ok=True)
for name in ("workflow", "notebooks", "config", "environment.yml"):
    link = directory / name
    if not link.is_symlink():
        link.symlink_to(root / name)
config_file = directory / "variant.yaml"
config_file.write_text(yaml.safe_dump(snakemake.params.config, sort_keys=False))

command = [
    sys.executable, "-m", "snakemake",
    "--snakefile", str(root / "Snakefile"),
    "--directory", str(directory),
    "--cores", str(snakemake.threads),
    "--nolock", "--rerun-incomplete",
    "results/scorecard.csv",
    "--configfile", str(config_file),
]  # fmt: skip
print(f"variant {snakemake.wildcards.variant}: {' '.join(command)}", file=log, flush=True)
done = subprocess.run(command, stdout=log, stderr=subprocess.STDOUT, env=os.environ.copy())
if done.returncode:
    raise SystemExit(f"the workflow of variant {snakemake.wildcards.variant} failed; see {snakemake.log[0]}")
