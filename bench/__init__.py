"""Benchmarks of blogsite: scripts run from the repository root, e.g. ``.venv/bin/python bench/writes.py``."""
