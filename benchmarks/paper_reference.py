"""Collect a finished (or partial) run of config/config.yaml as the reference outcome under reference/paper/.

Copies results/scorecard.csv and every results/tables/*_landmarks.csv, and writes wall_times.csv: per RNN
experiment, its training jobs' wall and CPU seconds summed from the rules' benchmark files
(results/benchmarks/train/rnn_<experiment>_job<k>.tsv), the machine and the date.  A user compares their
own run against these files (reference/paper/README.md says what each failed or unmeasured claim means).

Run from the directory that holds results/:  `python benchmarks/paper_reference.py [--results results]
[--out reference/paper] [--merge]`.  With ``--merge`` (a paper run spread over sessions, each with a
results directory of its own) the files already under ``--out`` are kept for the figures and experiments
this results directory lacks, and the scorecard is judged again over the union of the landmark tables
(claims of figures without a landmark table are "not measured").

Training carried between sessions (an experiment too long for one session's ``results/``, or a figure
whose experiments run in several): ``--keep-runs EXP [EXP ...]`` copies what those experiments have
trained (finished jobs, the resume state of unfinished ones), their task tables and job-plan entries to
``--out``/runs/ (ghostlearn.carry), while they train or after the run is stopped; ``--restore-runs``
copies whatever is there into ``--results`` before a run, which then trains only the rest and resumes the
unfinished jobs: `python benchmarks/paper_reference.py --restore-runs && snakemake --cores 2 fig6`.
"""

from __future__ import annotations

import ghostlearn  # noqa: F401  (first: ATen's CPU kernels pinned before torch loads)

# isort: split
import argparse
import datetime
import re
import shutil
from pathlib import Path

import pandas as pd
import torch
from paper_cost import ROOT, cpu_machine

from ghostlearn.carry import restore_runs, save_runs
from ghostlearn.config import load_config, rnn_experiments, rnn_networks
from ghostlearn.rnn.cost import plan_fingerprint
from ghostlearn.tables.scorecard import evaluate_claims, load_claims, read_landmarks, summary
from ghostlearn.tasks import task_name


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
    parser.add_argument("--merge", action="store_true", help="keep what --out holds; judge the union again")
    parser.add_argument("--config", default=str(ROOT / "config" / "config.yaml"))
    parser.add_argument(
        "--keep-runs", nargs="+", metavar="EXP", help="also keep what these experiments have trained"
    )
    parser.add_argument("--restore-runs", action="store_true", help="only copy the kept jobs into --results")
    args = parser.parse_args()
    results, out = Path(args.results), Path(args.out)
    config = load_config(args.config)
    experiments = rnn_experiments(config["rnn"])
    if args.restore_runs:
        fingerprints = {
            name: plan_fingerprint(exp, len(rnn_networks(exp, experiments)))
            for name, exp in experiments.items()
        }
        restored, stale = restore_runs(out / "runs", results, fingerprints)
        print(f"{results}: training of {len(restored) or 'no'} experiments restored from {out / 'runs'}")
        for name, progress in restored.items():
            print(f"  {name}: {progress}")
        if stale:
            print(f"  left out (their config entry has changed, so they train anew): {', '.join(stale)}")
        return
    if args.keep_runs:
        unknown = [name for name in args.keep_runs if name not in experiments]
        if unknown:
            raise SystemExit(f"--keep-runs: {', '.join(unknown)} not an RNN experiment of {args.config}")
        tasks = {name: f"tasks/{task_name(experiments[name]['task'])}.parquet" for name in args.keep_runs}
        try:
            kept = save_runs(results, out / "runs", tasks)
        except ValueError as error:
            raise SystemExit(str(error)) from None
        print(f"{out / 'runs'}: kept the training of {len(kept)} experiments")
        for name, progress in kept.items():
            print(f"  {name}: {progress}")
    out.mkdir(parents=True, exist_ok=True)
    copied = []
    sources = sorted((results / "tables").glob("*_landmarks.csv"))
    if not args.merge:
        sources.insert(0, results / "scorecard.csv")
    for path in sources:
        if path.exists():
            shutil.copyfile(path, out / path.name)
            copied.append(path.name)
    times = wall_times(results)
    times["machine"] = f"{cpu_machine()}, torch {torch.__version__}"
    times["date"] = datetime.date.today().isoformat()
    if args.merge and (out / "wall_times.csv").exists():
        kept = pd.read_csv(out / "wall_times.csv")
        times = pd.concat([kept[~kept["experiment"].isin(times["experiment"])], times], ignore_index=True)
        times = times.sort_values("experiment").reset_index(drop=True)
    times.to_csv(out / "wall_times.csv", index=False)
    if args.merge:
        tables = sorted(out.glob("*_landmarks.csv"))
        config["figures"] = [f for f in config["figures"] if (out / f"{f}_landmarks.csv").exists()]
        scorecard = evaluate_claims(
            load_claims(ROOT / "workflow" / "claims.yaml"), read_landmarks(tables), config
        )
        scorecard.to_csv(out / "scorecard.csv", index=False)
        print(summary(scorecard))
    print(f"{out}: {', '.join(copied)}, wall_times.csv ({len(times)} experiments)")


if __name__ == "__main__":
    main()
