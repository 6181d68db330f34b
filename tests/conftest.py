"""Hypothesis profiles: `--hypothesis-profile fuzz` runs tests/test_fuzz.py at 10,000
cases (docs/input-envelope.md); the default keeps the suite fast."""

from hypothesis import settings

settings.register_profile("fuzz", max_examples=10_000, deadline=None, database=None)
