"""Benchmarks, and what they share (``common``)."""
