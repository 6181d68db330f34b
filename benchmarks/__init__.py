"""The speed benchmark of loopholes (issue 14, "An honest benchmark"); run `python benchmarks/bench.py`."""
