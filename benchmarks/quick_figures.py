"""Wall time of the quick config, per group of figures, from a clean results/ (the issues' runtime targets).

For each group (Figures 3-5, Figures 6-8C with the T-scaling panel), copies the workflow to a fresh
directory, runs `snakemake --cores N --configfile config/quick.yaml` on the group's panel files and
landmark tables only, and reports the wall time of that run together with the sums of the rules'
benchmark files (`s`: wall seconds per job, `cpu_time`) and the largest jobs.  One group at a time, so a
group's time is what it costs on its own on N cores.

Run: `python benchmarks/quick_figures.py [--cores 2] [--groups figs3_5 figs6_8c] [--keep DIR]`; writes
benchmarks/quick_figures.csv (one row per group) and quick_figures_jobs.csv (every job).
Measure on an otherwise idle machine: another process on the same cores inflates every number.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from ghostlearn.registry import panel_files

ROOT = Path(__file__).resolve().parents[1]
#: group -> (figures, target wall minutes on 2 cores: issue 5 for Figures 3-5, issue 6 for 6-8C)
GROUPS = {
    "figs3_5": (("fig3", "fig4", "fig5"), 8.0),
    "figs6_8c": (("fig6", "fig7", "fig8b", "fig8c", "rnn_scaling"), 7.0),
}
COPIED = ("Snakefile", "workflow", "config", "notebooks", "environment.yml")


def targets(figures) -> list[str]:
    files = [f for figure in figures for f in panel_files(figure)]
    return files + [f"results/tables/{figure}_landmarks.csv" for figure in figures]


def benchmark_table(workdir: Path) -> pd.DataFrame:
    rows = []
    for path in sorted((workdir / "results" / "benchmarks").rglob("*.tsv")):
        first = pd.read_csv(path, sep="\t").iloc[0]
        rows.append(
            {
                "job": str(path.relative_to(workdir / "results" / "benchmarks")),
                "s": first["s"],
                "cpu_time": first["cpu_time"],
                "max_rss_mb": first["max_rss"],
            }
        )
    return pd.DataFrame(rows, columns=["job", "s", "cpu_time", "max_rss_mb"])


def run_group(name: str, cores: int, keep: Path | None) -> tuple[dict, pd.DataFrame]:
    figures, target_min = GROUPS[name]
    with tempfile.TemporaryDirectory(prefix=f"quick_{name}_") as tmp:
        workdir = Path(tmp) if keep is None else keep / name
        if workdir.exists():
            shutil.rmtree(workdir)
        workdir.mkdir(parents=True, exist_ok=True)
        for item in COPIED:
            source = ROOT / item
            (shutil.copytree if source.is_dir() else shutil.copy2)(source, workdir / item)
        snakemake = Path(sys.executable).with_name("snakemake")
        # targets first: --configfile and --quiet take every argument after them
        cmd = [str(snakemake), *targets(figures), "--cores", str(cores), "--configfile", "config/quick.yaml"]
        start = time.perf_counter()
        result = subprocess.run(cmd, cwd=workdir, capture_output=True, text=True, env=os.environ.copy())
        wall = time.perf_counter() - start
        if result.returncode != 0:
            raise SystemExit(f"{name}: snakemake failed\n{result.stderr[-4000:]}")
        jobs = benchmark_table(workdir)
    summary = {
        "group": name,
        "figures": " ".join(figures),
        "cores": cores,
        "wall_min": round(wall / 60, 2),
        "target_min": target_min,
        "met": wall / 60 <= target_min,
        "jobs": len(jobs),
        "sum_job_s": round(jobs["s"].sum(), 1),
        "sum_cpu_s": round(jobs["cpu_time"].sum(), 1),
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores",
    }
    return summary, jobs.assign(group=name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--groups", nargs="+", choices=sorted(GROUPS), default=list(GROUPS))
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "quick_figures.csv"))
    parser.add_argument("--keep", type=Path, help="run in KEEP/<group> and keep it (tables, figures, logs)")
    args = parser.parse_args()
    summaries, jobs = [], []
    for name in args.groups:
        summary, table = run_group(name, args.cores, args.keep)
        summaries.append(summary)
        jobs.append(table)
        print(pd.Series(summary).to_string(), flush=True)
        print(table.sort_values("cpu_time", ascending=False).head(8).to_string(index=False), flush=True)
    pd.DataFrame(summaries).to_csv(args.out, index=False)
    pd.concat(jobs).to_csv(Path(args.out).with_name(Path(args.out).stem + "_jobs.csv"), index=False)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
