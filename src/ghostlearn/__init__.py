"""ghostlearn: the ghost mechanism of abrupt learning (Dinc et al., arXiv 2501.02378), reproduced."""

__version__ = "0.1.0"
