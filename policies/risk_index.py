"""The papers' risk index (a percentile on several measures): bundled id `risk-index`.

Re-exported here so that `pytest policies` runs its loophole suite; the rule itself lives
in loopholes/policies/risk_index.py. Its known loopholes run as strict xfail."""

from loopholes.policies.risk_index import POLICY  # noqa: F401
