import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

import ghostlearn  # noqa: F401  (first: pins ATen's CPU kernels before torch loads, ghostlearn._cpu)

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
WORKFLOW_FILES = ("Snakefile", "workflow", "config", "notebooks", "environment.yml")


def snakemake_cmd(*args: str) -> list[str]:
    """The snakemake of the running interpreter's environment."""
    return [str(BIN / "snakemake"), *args]


def run(cmd: list[str], cwd: Path, timeout: int = 900) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout)


def copy_workflow(dest: Path) -> Path:
    """Copy the workflow's own files (not results/) into ``dest`` (made if missing)."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in WORKFLOW_FILES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, dest / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, dest / name)
    return dest


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """A copy of the workflow in a temporary directory."""
    return copy_workflow(tmp_path)


@dataclass
class NormalForm:
    """dx/dt = x² + r, dy/dt = −y: the saddle-node normal form embedded in 2-D."""

    r: float

    def __call__(self, k):
        return np.stack([k[:, 0] ** 2 + self.r, -k[:, 1]], axis=1)

    def jacobian(self, k):
        J = np.zeros((len(k), 2, 2))
        J[:, 0, 0] = 2 * k[:, 0]
        J[:, 1, 1] = -1
        return J

    def hessians(self, k):
        H = np.zeros((len(k), 2, 2, 2))
        H[:, 0, 0, 0] = 2
        return H
