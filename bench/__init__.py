"""Benchmarks: each prints ratios against a reference measured in the same run (absolute times are noise)."""
