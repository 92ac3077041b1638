"""Benchmarks of watch, each run side by side with its baselines (``python -m bench.NAME``)."""
