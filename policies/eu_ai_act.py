"""EU AI Act Art. 51-52 with the Commission's 2025 GPAI guidelines: bundled id `eu-ai-act`.

Re-exported here so that `pytest policies` runs its loophole suite; the rule itself lives
in loopholes/rules/bundled/eu_ai_act.yaml (a rule file). Its known loopholes run as strict xfail."""

from loopholes.rules.registry import load_policy

POLICY = load_policy("eu-ai-act")
