"""Finished training jobs carried from one results directory to another.

A paper-scale run spread over machines or sessions whose ``results/`` does not survive (reference/paper/
README.md) keeps each finished RNN experiment's training jobs: their three output files, the task table
they were trained on, their log and benchmark file and their entry of the stored job plan
(``results/runs/rnn/job_plan.json``).  Restored into a fresh ``results/``, Snakemake finds the jobs'
outputs present and newer than their task table and does not train them again.  It has no record of the
parameters they were trained with, so only the experiments whose plan fingerprint (their config entry and
network count, ``ghostlearn.rnn.cost.plan_fingerprint``) equals the current config's are restored; a changed
one is left out and trains anew.  The jobs keep the code they were trained by (their files' provenance).
Nothing here imports torch.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

#: The outputs of one training job (workflow/rules/train.smk, rule train_rnn).
JOB_FILES = ("history.parquet", "networks.parquet", "checkpoints.pt")
PLAN = Path("runs/rnn/job_plan.json")


def _job_paths(name: str, job: int) -> dict[str, Path]:
    """Paths, relative to a results directory, of one job's outputs, log and benchmark file."""
    paths = {f: Path("runs/rnn") / name / f"job{job}" / f for f in JOB_FILES}
    paths["log"] = Path("logs/train") / f"rnn_{name}_job{job}.log"
    paths["benchmark"] = Path("benchmarks/train") / f"rnn_{name}_job{job}.tsv"
    return paths


def save_runs(results: str | Path, dest: str | Path, tasks: dict[str, str]) -> list[str]:
    """Copy the finished training jobs of each experiment in ``tasks`` (name -> its task table, relative
    to ``results``) from ``results`` to ``dest/<name>/``, with the experiment's job-plan entry.  Raises
    ValueError naming the experiment when it has no stored plan or a job has not finished."""
    results, dest = Path(results), Path(dest)
    plan_file = results / PLAN
    plan = json.loads(plan_file.read_text()) if plan_file.exists() else {}
    for name, task in tasks.items():
        if name not in plan:
            raise ValueError(f"{name}: no stored job plan in {plan_file} (train it first)")
        jobs = range(len(plan[name]["sizes"]))
        required = [results / _job_paths(name, k)[f] for k in jobs for f in JOB_FILES] + [results / task]
        missing = [p for p in required if not p.exists()]
        if missing:
            raise ValueError(f"{name}: training has not finished ({missing[0]} is missing)")
    for name, task in tasks.items():
        target = dest / name
        if target.exists():
            shutil.rmtree(target)
        for k in range(len(plan[name]["sizes"])):
            for path in _job_paths(name, k).values():
                if (results / path).exists():
                    (target / path).parent.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(results / path, target / path)
        (target / task).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(results / task, target / task)
        entry = {"plan": plan[name], "task": str(task)}
        (target / "carried.json").write_text(json.dumps(entry, indent=1, sort_keys=True))
    return sorted(tasks)


def restore_runs(
    source: str | Path, results: str | Path, fingerprints: dict[str, str]
) -> tuple[list[str], list[str]]:
    """Copy every experiment saved under ``source`` by :func:`save_runs` whose plan fingerprint is the one
    ``fingerprints`` gives for it (the current config's) into ``results``: its task table (unless one is
    there), then its jobs' files, which are so dated after the task table and after the workflow's scripts
    (Snakemake's modification-time and code triggers compare them: restore after a checkout or pull, not
    before), and its job-plan entry, merged into the stored plan.  Returns (restored, left out) names."""
    source, results = Path(source), Path(results)
    names, stale = [], []
    plan_file = results / PLAN
    plan = json.loads(plan_file.read_text()) if plan_file.exists() else {}
    for carried in sorted(source.glob("*/carried.json")):
        folder, entry = carried.parent, json.loads(carried.read_text())
        if entry["plan"].get("fingerprint") != fingerprints.get(folder.name):
            stale.append(folder.name)
            continue
        task = results / entry["task"]
        if not task.exists():
            task.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(folder / entry["task"], task)
        for path in folder.rglob("*"):
            relative = path.relative_to(folder)
            if path.is_dir() or relative.name == "carried.json" or relative == Path(entry["task"]):
                continue
            (results / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, results / relative)  # dated now: after its task table and the scripts
        plan[folder.name] = entry["plan"]
        names.append(folder.name)
    if names:
        plan_file.parent.mkdir(parents=True, exist_ok=True)
        plan_file.write_text(json.dumps(plan, indent=1, sort_keys=True))
    return names, stale
