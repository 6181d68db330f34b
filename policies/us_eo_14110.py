"""US EO 14110 §4.2(b) (revoked 2025), the historic baseline: bundled id `us-eo-14110`.

Re-exported here so that `pytest policies` runs its loophole suite; the rule itself lives
in loopholes/rules/bundled/us_eo_14110.yaml (a rule file). Its known loopholes run as strict xfail."""

from loopholes.rules.registry import load_policy

POLICY = load_policy("us-eo-14110")
