"""Benchmarks: speed claims measured against a reference in the same run."""
