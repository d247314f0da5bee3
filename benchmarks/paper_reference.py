"""Collect a finished (or partial) run of config/config.yaml as the reference outcome under reference/paper/.

Copies results/scorecard.csv and every results/tables/*_landmarks.csv, and writes wall_times.csv: per RNN
experiment, its training jobs' wall and CPU seconds summed from the rules' benchmark files
(results/benchmarks/train/rnn_<experiment>_job<k>.tsv), the machine and the date.  A user compares their
own run against these files (reference/paper/README.md says what each failed or unmeasured claim means).

Run from the directory that holds results/:  `python benchmarks/paper_reference.py [--results results]
[--out reference/paper]`.
"""

from __future__ import annotations

import argparse
import datetime
import re
import shutil
from pathlib import Path

import pandas as pd
import torch
from paper_cost import cpu_machine


def wall_times(results: Path) -> pd.DataFrame:
    rows = []
    for path in sorted((results / "benchmarks" / "train").glob("rnn_*_job*.tsv")):
        match = re.fullmatch(r"rnn_(.+)_job(\d+)\.tsv", path.name)
        table = pd.read_csv(path, sep="\t")
        rows.append(
            {
                "experiment": match.group(1),
                "job": int(match.group(2)),
                "wall_s": table["s"].iloc[-1],
                "cpu_s": table["cpu_time"].iloc[-1],
            }
        )
    if not rows:
        return pd.DataFrame(columns=["experiment", "jobs", "wall_s", "cpu_s"])
    frame = pd.DataFrame(rows)
    return (
        frame.groupby("experiment")
        .agg(jobs=("job", "count"), wall_s=("wall_s", "sum"), cpu_s=("cpu_s", "sum"))
        .reset_index()
        .round(1)
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", default="results")
    parser.add_argument("--out", default="reference/paper")
    args = parser.parse_args()
    results, out = Path(args.results), Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    copied = []
    for path in [results / "scorecard.csv", *sorted((results / "tables").glob("*_landmarks.csv"))]:
        if path.exists():
            shutil.copyfile(path, out / path.name)
            copied.append(path.name)
    times = wall_times(results)
    times["machine"] = f"{cpu_machine()}, torch {torch.__version__}"
    times["date"] = datetime.date.today().isoformat()
    times.to_csv(out / "wall_times.csv", index=False)
    print(f"{out}: {', '.join(copied)}, wall_times.csv ({len(times)} experiments)")


if __name__ == "__main__":
    main()
