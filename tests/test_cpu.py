"""ATen's CPU kernels pinned to AVX2 on AVX-512 CPUs (ghostlearn._cpu), so float paths match AVX2 machines."""

import os
import subprocess
import sys

import pytest

from ghostlearn._cpu import PINNED, VARIABLE, cpu_flags, pinned_capability

AVX512 = "processor : 0\nflags\t\t: fpu sse2 avx avx2 avx512f avx512bw\n"
AVX2 = "processor : 0\nflags\t\t: fpu sse2 avx avx2 fma\n"


def test_avx2_is_pinned_only_on_avx512_cpus_and_a_users_value_is_kept():
    assert pinned_capability(cpu_flags(AVX512), {}) == PINNED
    assert pinned_capability(cpu_flags(AVX2), {}) is None
    assert pinned_capability(cpu_flags(""), {}) is None  # no flags line (not Linux)
    assert pinned_capability(cpu_flags(AVX512), {VARIABLE: "avx512"}) is None


@pytest.mark.skipif("avx512f" not in cpu_flags(), reason="the pin applies to AVX-512 CPUs only")
def test_importing_ghostlearn_first_gives_torch_the_avx2_kernels():
    code = "import ghostlearn, torch; print(torch.backends.cpu.get_cpu_capability())"
    env = {k: v for k, v in os.environ.items() if k != VARIABLE}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "AVX2"
