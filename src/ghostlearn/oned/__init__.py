"""The one-dimensional canonical model dx/dt = x² + r (docs/methods.md §1a) and its tables: vector field,
loss landscape, gradient-descent runs on r, critical learning rate, and the 1-D figures' landmarks."""
