"""New York RAISE Act as enacted (L.2026 c.96): bundled id `ny-raise`.

Re-exported here so that `pytest policies` runs its loophole suite; the rule itself lives
in loopholes/rules/bundled/ny_raise.yaml (a rule file). Its known loopholes run as strict xfail."""

from loopholes.rules.registry import load_policy

POLICY = load_policy("ny-raise")
