"""Structure-aware fuzzing helpers: mutation strategies, time bounds and oracles (see docs/fuzzing.md)."""
