"""The workflow on a real single-node SLURM cluster (tests/slurm/slurm-up.sh), through profiles/slurm.

Needs root and apt (Debian's slurm-wlm and munge are installed on first use); skipped elsewhere. The
daemons are stopped by their pid files at the end, pass or fail.
"""

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from conftest import ROOT, copy_workflow, run, snakemake_cmd

from ghostlearn.registry import FIGURES

pytestmark = pytest.mark.slurm
SLURM = ROOT / "tests" / "slurm"
#: the Snakefile's localrules: everything else must go through sbatch
LOCAL_RULES = {"all", "make_task", "vector_field", "gd_trajectories", "rnn_summary", "critical_lr"} | {
    "landmarks",
    "scorecard",
    *FIGURES,  # every generated figure rule is local
}
#: What the cluster run builds: every kind of cluster job (1-D training, landscape, RNN training, the
#: analysis and aggregate groups) without every figure of the test config, to keep the test short.
SLURM_TARGETS = (
    "results/figures/fig2.pdf",
    "results/tables/rnn_rank_one_sweep_networks.csv",
    "results/tables/rnn_fig5_dcdt_ghost_vs_drop.csv",
)


def merge(base: dict, overlay: dict) -> dict:
    out = dict(base)
    for key, value in overlay.items():
        both_dicts = isinstance(value, dict) and isinstance(base.get(key), dict)
        out[key] = merge(base[key], value) if both_dicts else value
    return out


def test_profile_overlay_keeps_the_profile_and_sets_the_test_cluster():
    profile = yaml.safe_load((ROOT / "profiles/slurm/config.yaml").read_text())
    merged = merge(profile, yaml.safe_load((SLURM / "overlay.yaml").read_text()))
    assert merged["executor"] == "slurm"
    assert merged["set-resources"]["train_rnn"] == {"slurm_partition": "gpu", "gpu": 1, "cpus_per_gpu": 1}
    assert merged["default-resources"]["slurm_account"] == "test"
    assert merged["groups"] == profile["groups"]
    assert merged["group-components"] == {"analysis": 2, "aggregate": 2}


def _dry_run(*args) -> tuple[str, list[tuple[str, dict, dict]]]:
    """A forced dry run's output and its jobs as (rule, wildcards, resources)."""
    result = run(snakemake_cmd("-n", "--forceall", *args), ROOT, timeout=300)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    jobs, rule, wildcards = [], None, {}

    def pairs(text):
        return {k.strip(): v.strip() for k, v in (item.split("=", 1) for item in text.split(", "))}

    for line in output.splitlines():
        header = re.match(r"^\s*(?:local)?rule (\w+):", line)
        if header:
            rule, wildcards = header.group(1), {}
        elif rule and line.strip().startswith("wildcards:"):
            wildcards = pairs(line.split("wildcards:", 1)[1])
        elif rule and line.strip().startswith("resources:"):
            jobs.append((rule, wildcards, pairs(line.split("resources:", 1)[1])))
            rule = None
    return output, jobs


@pytest.fixture(scope="module")
def test_config_jobs():
    """The test config's jobs under the SLURM profile (one dry run shared by the tests below)."""
    return _dry_run("--profile", "profiles/slurm", "--configfile", "config/test.yaml")[1]


def test_resources_resolved_under_the_slurm_profile(test_config_jobs):
    by_rule: dict = {}
    for rule, _, resources in test_config_jobs:
        by_rule.setdefault(rule, []).append(resources)
    assert {"train_rnn", "train_gd", "analyse_checkpoints", "rnn_points"} <= set(by_rule)
    for resources in by_rule["train_rnn"]:
        assert resources["slurm_partition"] == "gpu" and resources["gpu"] == "1"
        assert resources["cpus_per_gpu"] == "1" and int(resources["mem_mb"]) >= 1024
        assert int(resources["runtime"]) >= 10
    for rule in ("train_gd", "landscape", "analyse_checkpoints"):
        for resources in by_rule[rule]:
            assert resources["slurm_partition"] == "cpu" and "gpu" not in resources
            assert resources["slurm_account"] == "your_account"


def test_paper_config_lists_gpu_training_and_grouped_analysis_jobs():
    output, jobs = _dry_run("--profile", "profiles/slurm")
    from ghostlearn.config import load_config, rnn_experiments

    experiments = rnn_experiments(load_config(ROOT / "config" / "config.yaml")["rnn"])
    # the cost estimate printed at start names the planned jobs (experiments may be split on a cluster)
    count = int(re.search(r"^estimated RNN training .* in (\d+) jobs", output, flags=re.M).group(1))
    assert count >= len(experiments) >= 30  # every RNN experiment of Figures 3-8C and the T scaling
    assert re.search(rf"^train_rnn\s+{count}$", output, flags=re.M)
    assert "Group job analysis" in output and "Group job aggregate" in output
    gpu = [r for rule, _, r in jobs if rule == "train_rnn"]
    assert len(gpu) == count and all(r["gpu"] == "1" and r["slurm_partition"] == "gpu" for r in gpu)


def test_training_requests_grow_with_the_job_size(tmp_path, test_config_jobs):
    config = yaml.safe_load((ROOT / "config/test.yaml").read_text())
    sweep = config["rnn"]["experiments"]["rank_one_sweep"]
    sweep["networks_per_job"] = 4  # one job of 4 networks instead of two of 2
    sweep["epochs"] = 300_000
    path = tmp_path / "big.yaml"
    path.write_text(yaml.safe_dump(config))
    target = "results/tables/rnn_rank_one_sweep_networks.csv"  # only the sweep's jobs
    big = _dry_run(target, "--profile", "profiles/slurm", "--configfile", str(path))[1]

    def request(jobs):
        runtimes = [
            int(r["runtime"])
            for rule, w, r in jobs
            if rule == "train_rnn" and w.get("experiment") == "rank_one_sweep"
        ]
        assert runtimes
        return max(runtimes)

    assert request(big) > request(test_config_jobs)


@pytest.fixture(scope="module")
def cluster():
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        pytest.skip("the SLURM integration test needs root and apt-get (as in CI)")
    try:
        up = subprocess.run(["bash", str(SLURM / "slurm-up.sh")], capture_output=True, text=True, timeout=600)
        assert up.returncode == 0, up.stdout + up.stderr
        yield
    finally:
        subprocess.run(["bash", str(SLURM / "slurm-down.sh")], timeout=120)


def test_workflow_runs_through_sbatch(cluster, tmp_path):
    workdir = copy_workflow(tmp_path)
    profile = workdir / "profile"
    profile.mkdir()
    merged = merge(
        yaml.safe_load((ROOT / "profiles/slurm/config.yaml").read_text()),
        yaml.safe_load((SLURM / "overlay.yaml").read_text()),
    )
    (profile / "config.yaml").write_text(yaml.safe_dump(merged))
    cmd = ["timeout", "-s", "KILL", "1200"] + snakemake_cmd(
        *SLURM_TARGETS, "--profile", str(profile), "--configfile", "config/test.yaml", "--verbose"
    )
    result = run(cmd, workdir, timeout=1300)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-5000:]

    calls = [line for line in output.splitlines() if line.startswith("sbatch call:")]
    # every non-local rule went through sbatch (alone or in a group submission), each with a SLURM job id
    job_ids = re.findall(r"SLURM jobid (\d+)", output)
    assert calls and len(set(job_ids)) == len(calls)
    logs = {p.stem for p in (workdir / ".snakemake" / "slurm_logs").rglob("*.log")}
    assert set(job_ids) <= logs
    for rule in ("train_gd", "train_rnn", "landscape"):
        assert any(f"rule_{rule}" in line for line in calls), f"{rule} was not submitted"
    for group in ("analysis", "aggregate"):
        assert any(f"group_{group}" in line for line in calls), f"group {group} was not submitted"
    local = re.findall(r"^localrule (\w+):", output, flags=re.M)
    assert set(local) <= LOCAL_RULES, set(local) - LOCAL_RULES
    # training jobs: GPU partition, one GPU, their computed memory and runtime
    training = [line for line in calls if "rule_train_rnn" in line]
    assert training
    for line in training:
        assert " -p gpu " in line and "--gpus=1" in line
        mem = int(re.search(r"--mem (\d+)", line).group(1))
        minutes = int(re.search(r" -t (\d+)", line).group(1))
        assert mem >= 1024 and minutes >= 10
    for line in calls:
        if "rule_train_rnn" not in line:
            assert " -p debug " in line and "--gpus" not in line
    # figures and tables appeared
    for path in SLURM_TARGETS:
        assert (workdir / path).exists(), path
    assert Path(workdir / "results/tables/rnn_fig5_dcdt_points.csv").stat().st_size > 0
