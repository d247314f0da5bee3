"""Recurrent networks: model families, their hand-written training kernels, the batched training engine,
the job runner and the measured cost model that sizes jobs."""
