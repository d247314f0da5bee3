"""Fixed points, slow points and ghosts of trained networks: flow maps, Newton refinement, and the
analysis of training checkpoints."""
