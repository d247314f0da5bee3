"""Training jobs carried from one results directory to another.

A paper-scale run spread over machines or sessions whose ``results/`` does not survive (reference/paper/
README.md) keeps each RNN experiment's training as far as it got: every finished job's three output files,
log and benchmark file; every unfinished job's resume state (``runs/rnn/<experiment>/job<k>/state``: its
checkpoints and the history parts up to the newest one, docs/engine.md); the task table the jobs train on;
and the experiment's entry of the stored job plan (``results/runs/rnn/job_plan.json``), so that a later
run keeps the same split whatever its ``--cores``.  Restored into a fresh ``results/``, Snakemake finds a
finished job's outputs present and newer than their task table and does not train it again, and an
unfinished job resumes from its newest checkpoint, ending with the same bits as a run that was never
stopped (on CPU).  Snakemake has no record of the parameters the files were trained with, so only the
experiments whose plan fingerprint (their config entry and network count,
``ghostlearn.rnn.cost.plan_fingerprint``) equals the current config's are restored; a changed one is left
out and trains anew.  The jobs keep the code they were trained by (their files' provenance).
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


def _finished(results: Path, name: str, job: int) -> bool:
    """Whether ``results`` has all three outputs of the job."""
    return all((results / _job_paths(name, job)[f]).exists() for f in JOB_FILES)


def _state(name: str, job: int) -> Path:
    """A job's resume state, relative to a results directory (the rule's ``state`` parameter)."""
    return Path("runs/rnn") / name / f"job{job}" / "state"


def _epoch(path: Path) -> int:
    return int(path.stem.split("_")[1])


def resume_epoch(state: Path) -> int:
    """The epoch of the newest checkpoint in a job's resume state (0 when it has none)."""
    return max((_epoch(p) for p in state.glob("checkpoints/epoch_*.pt")), default=0)


def _copy_state(source: Path, dest: Path) -> int:
    """Copy a resume state's checkpoints and the history parts up to the newest one; returns its epoch.
    Safe while the job still trains: checkpoints land by rename, and one pruned under us is skipped."""
    if dest.exists():
        shutil.rmtree(dest)
    for path in sorted(source.glob("checkpoints/epoch_*.pt")) + sorted(source.glob("history/part_*.parquet")):
        (dest / path.relative_to(source)).parent.mkdir(parents=True, exist_ok=True)
        try:
            shutil.copyfile(path, dest / path.relative_to(source))
        except FileNotFoundError:
            continue
    epoch = resume_epoch(dest)
    if epoch == 0 and resume_epoch(source) > 0:  # every checkpoint we listed was pruned under us: again
        return _copy_state(source, dest)
    for part in dest.glob("history/part_*.parquet"):
        if _epoch(part) > epoch:  # written after the newest checkpoint we hold: a resume drops it anyway
            part.unlink()
    return epoch


def save_runs(results: str | Path, dest: str | Path, tasks: dict[str, str]) -> dict[str, str]:
    """Copy what each experiment in ``tasks`` (name -> its task table, relative to ``results``) has
    trained, from ``results`` to ``dest/<name>/`` with its job-plan entry: the finished jobs and the
    resume state of each unfinished one that has reached a checkpoint.  Returns name -> a line saying how
    far it got.  Raises ValueError naming the experiment when it has no stored plan or task table, or
    nothing to keep."""
    results, dest = Path(results), Path(dest)
    plan_file = results / PLAN
    plan = json.loads(plan_file.read_text()) if plan_file.exists() else {}
    found = {}
    for name, task in tasks.items():
        if name not in plan:
            raise ValueError(f"{name}: no stored job plan in {plan_file} (train it first)")
        if not (results / task).exists():
            raise ValueError(f"{name}: its task table {results / task} is missing")
        jobs = range(len(plan[name]["sizes"]))
        finished = [k for k in jobs if _finished(results, name, k)]
        resume = {k: resume_epoch(results / _state(name, k)) for k in jobs if k not in finished}
        resume = {k: e for k, e in resume.items() if e > 0}
        if not finished and not resume:
            raise ValueError(f"{name}: no training job has finished or reached a checkpoint in {results}")
        found[name] = finished, resume
    report = {}
    for name, (finished, resume) in found.items():
        target = dest / name
        if target.exists():
            shutil.rmtree(target)
        for k in finished:
            for path in _job_paths(name, k).values():
                if (results / path).exists():
                    (target / path).parent.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(results / path, target / path)
        resume = {k: _copy_state(results / _state(name, k), target / _state(name, k)) for k in resume}
        (target / tasks[name]).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(results / tasks[name], target / tasks[name])
        entry = {"plan": plan[name], "task": str(tasks[name]), "finished": finished, "resume": resume}
        (target / "carried.json").write_text(json.dumps(entry, indent=1, sort_keys=True))
        report[name] = describe(entry)
    return report


def describe(entry: dict) -> str:
    """How far a kept experiment got, from its ``carried.json`` entry."""
    jobs = len(entry["plan"]["sizes"])
    finished = entry.get("finished", range(jobs))
    line = f"{len(finished)} of {jobs} jobs finished"
    for k, epoch in sorted((int(k), e) for k, e in entry.get("resume", {}).items()):
        line += f", job {k} resumes at epoch {epoch:,}"
    return line


def restore_runs(
    source: str | Path, results: str | Path, fingerprints: dict[str, str]
) -> tuple[dict[str, str], list[str]]:
    """Copy every experiment saved under ``source`` by :func:`save_runs` whose plan fingerprint is the one
    ``fingerprints`` gives for it (the current config's) into ``results``: its task table (unless one is
    there), then its finished jobs' files, which are so dated after the task table and after the
    workflow's scripts (Snakemake's modification-time and code triggers compare them: restore after a
    checkout or pull, not before), then the resume state of each unfinished job (unless ``results`` has
    that job finished or further along), and its job-plan entry, merged into the stored plan.  Returns
    (name -> how far it got, names left out)."""
    source, results = Path(source), Path(results)
    restored, stale = {}, []
    plan_file = results / PLAN
    plan = json.loads(plan_file.read_text()) if plan_file.exists() else {}
    for carried in sorted(source.glob("*/carried.json")):
        folder, entry = carried.parent, json.loads(carried.read_text())
        name = folder.name
        if entry["plan"].get("fingerprint") != fingerprints.get(name):
            stale.append(name)
            continue
        task = results / entry["task"]
        if not task.exists():
            task.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(folder / entry["task"], task)
        for k in entry.get("finished", range(len(entry["plan"]["sizes"]))):  # older entries: all finished
            for path in _job_paths(name, k).values():
                if (folder / path).exists():
                    (results / path).parent.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(folder / path, results / path)  # dated now: after its task table
        for k in map(int, entry.get("resume", {})):
            state = results / _state(name, k)
            if not _finished(results, name, k) and resume_epoch(state) < resume_epoch(
                folder / _state(name, k)
            ):
                _copy_state(folder / _state(name, k), state)
        plan[name] = entry["plan"]
        restored[name] = describe(entry)
    if restored:
        plan_file.parent.mkdir(parents=True, exist_ok=True)
        plan_file.write_text(json.dumps(plan, indent=1, sort_keys=True))
    return restored, stale
