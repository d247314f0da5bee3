"""Tidy tables read off runs: landmark rules and the landmark contract, tables of single RNN runs
(Figures 3-5), of the many-network sweeps (Figures 6-8C, T scaling), and the scorecard that judges
landmarks against the claims registry."""
