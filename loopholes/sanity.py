"""Before a search: does the rule cover anything at all? A rule that covers nothing lets
every lifecycle "escape" and needs no strategy, so its search would find nothing and
read as perfectly robust."""

from __future__ import annotations

from typing import Iterable

from .errors import PolicyError
from .rules.framework import Policy

MARGIN = 10.0
"""The honest model is trained with this many times the rule's line: clearly above it,
whatever the comparator and the small instruction tune."""


def check_covers_honest_model(policy: Policy, domains: Iterable[str]) -> None:
    """Raise PolicyError unless, for each domain, an honest dense model trained with 10x
    the rule's line there is covered under at least one reading."""
    from .render import fmt
    from .strategies.plan import build, honest_plan

    for domain in domains:
        line = policy.target_lines.get(domain)
        if line is None:
            continue
        honest = build(honest_plan(domain, policy.reference_date, line * MARGIN), name=f"honest-{domain}")
        if not any(policy.is_covered(honest, reading) for reading in policy.readings):
            raise PolicyError(
                f"policy '{policy.id}': this rule does not cover an honest model at its own line: every lifecycle "
                f"escapes (an honest dense {domain} model trained with {fmt(line * MARGIN)} operations, "
                f"{MARGIN:g}x the {fmt(line)} line, is not covered under any reading); check the rules' measures, "
                "thresholds and covered_tiers")
