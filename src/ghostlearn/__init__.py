"""ghostlearn: the ghost mechanism of abrupt learning (Dinc et al., arXiv 2501.02378), reproduced."""

from ghostlearn._cpu import pin_cpu_capability

pin_cpu_capability()  # before torch is imported anywhere below ghostlearn (see ghostlearn._cpu)

__version__ = "0.1.0"
