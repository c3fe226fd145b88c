"""Load and scale benchmarks for ceu: `make bench` (python -m bench)."""
