"""Operational tools: the synthetic data generator and the benchmarks."""
