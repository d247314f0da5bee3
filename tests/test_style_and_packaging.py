"""Lint, format and packaging checks: snakemake --lint, snakefmt, ruff, environment.yml vs pyproject."""

import re

import pytest
import tomllib
import yaml
from conftest import BIN, ROOT, run, snakemake_cmd

CONDA_NAMES = {"torch": "pytorch"}


def test_snakemake_lint_is_clean():
    result = run(snakemake_cmd("--lint", "--configfile", "config/test.yaml"), ROOT, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Congratulations" in result.stdout + result.stderr


def test_snakefmt_is_clean():
    result = run([str(BIN / "snakefmt"), "--check", "."], ROOT, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("command", [["check", "."], ["format", "--check", "."]])
def test_ruff_is_clean(command):
    result = run([str(BIN / "ruff"), *command], ROOT, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def _requirement(text: str) -> tuple[str, str]:
    name, bound = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*(.*)$", text).groups()
    return name.lower(), bound.replace(" ", "")


def test_environment_yml_agrees_with_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = dict(_requirement(r) for r in project["dependencies"] + project["optional-dependencies"]["test"])
    wanted = {CONDA_NAMES.get(name, name): bound for name, bound in wanted.items()}
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = dict(_requirement(d) for d in env["dependencies"] if isinstance(d, str))
    conda.pop("pip")
    python = conda.pop("python")
    assert python == project["requires-python"]
    assert conda == wanted
