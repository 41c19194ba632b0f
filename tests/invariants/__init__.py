"""Simulator invariants checked from a run's exported files (see tests/test_invariants.py)."""
