"""Benchmarks comparing mltrail with peer trackers on identical, seeded data."""
