"""The papers' dynamic rule (top percentile of recent models): bundled id `dynamic-percentile`.

Re-exported here so that `pytest policies` runs its loophole suite; the rule itself lives
in loopholes/rules/bundled/dynamic_percentile.py. Its known loopholes run as strict xfail."""

from loopholes.rules.bundled.dynamic_percentile import POLICY  # noqa: F401
