"""California SB 53 (2025), frontier model definition: bundled id `ca-sb53`.

Re-exported here so that `pytest policies` runs its loophole suite; the rule itself lives
in loopholes/rules/bundled/ca_sb53.yaml (a rule file). Its known loopholes run as strict xfail."""

from loopholes.rules.registry import load_policy

POLICY = load_policy("ca-sb53")
