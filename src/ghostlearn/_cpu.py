"""One vector width for ATen's CPU kernels, whatever the CPU (docs/engine.md, "Float path across CPUs").

ATen's vectorised elementwise loops run over two SIMD vectors at a time (16 floats with AVX2, 32 with
AVX-512) and finish a run with scalar code that rounds differently.  On an AVX-512 CPU the last network of
a job then rounds differently from the same network in a job of another size, and results differ from
those of AVX2 machines at the float32 rounding level (measured on an AMD EPYC with AVX-512: the grouping-
invariance tests failed at 2e-7 relative; all pass with the AVX2 kernels).  So ATen is pinned to its AVX2
kernels on CPUs that have AVX-512, through its documented ``ATEN_CPU_CAPABILITY`` variable, which torch
reads once, when it first dispatches a kernel: this must run before torch is imported.  A value the user
set is kept.  MKL's own kernels are not affected.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

VARIABLE = "ATEN_CPU_CAPABILITY"
PINNED = "avx2"


def cpu_flags(cpuinfo: str | None = None) -> set[str]:
    """The CPU's feature flags from /proc/cpuinfo (empty where there is none, e.g. macOS)."""
    if cpuinfo is None:
        path = Path("/proc/cpuinfo")
        try:
            cpuinfo = path.read_text()
        except OSError:
            return set()
    for line in cpuinfo.splitlines():
        if line.startswith("flags"):
            return set(line.partition(":")[2].split())
    return set()


def pinned_capability(flags: set[str], environ: dict) -> str | None:
    """The value to set, or None: AVX2 on a CPU with AVX-512 and AVX2, unless the variable is set."""
    if VARIABLE in environ or not {"avx512f", "avx2"} <= flags:
        return None
    return PINNED


def pin_cpu_capability() -> None:
    value = pinned_capability(cpu_flags(), os.environ)
    if value is None:
        return
    os.environ[VARIABLE] = value
    if "torch" in sys.modules:  # too late for this process; its children still inherit the setting
        print(
            f"ghostlearn: torch was imported before ghostlearn; {VARIABLE}={value} applies to child "
            "processes only (import ghostlearn first for AVX2-identical float paths)",
            file=sys.stderr,
        )
