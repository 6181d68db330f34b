"""The papers' risk index (a percentile on several measures): bundled id `risk-index`.

Re-exported here so that `pytest policies` runs its loophole suite; the rule itself lives
in loopholes/rules/bundled/risk_index.py. Its known loopholes run as strict xfail."""

from loopholes.rules.bundled.risk_index import POLICY  # noqa: F401
