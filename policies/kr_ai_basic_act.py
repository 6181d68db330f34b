"""Korea AI Basic Act Art. 32 with its Enforcement Decree: bundled id `kr-ai-basic-act`.

Re-exported here so that `pytest policies` runs its loophole suite; the rule itself lives
in loopholes/rules/bundled/kr_ai_basic_act.yaml (a rule file). Its known loopholes run as strict xfail."""

from loopholes.rules.registry import load_policy

POLICY = load_policy("kr-ai-basic-act")
