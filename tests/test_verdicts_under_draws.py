"""Issue 14: a verdict under a drawn coefficient table judges again only the rules whose
verdict read capability (`Policy.central_verdict`, `CentralVerdict.under`). That must
give, for every rule, reading, lifecycle and table, what judging the whole rule under
that table gives -- with and without the EU limb's numbers computed in bulk first."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from loopholes import load_policy
from loopholes.capability import Coefficients, load_coefficients
from loopholes.rules import frontier
from loopholes.rules.framework import Context
from loopholes.rules.registry import policy_ids
from loopholes.sensitivity import joint_draws
from loopholes.testing import lifecycles

POLICIES = {pid: load_policy(pid) for pid in policy_ids()}
TABLE = load_coefficients()
DRAWS = joint_draws(TABLE, 12, seed=11)
COLUMNS = Coefficients.columns(list(DRAWS), "12 draws")


@pytest.mark.parametrize("pid", sorted(POLICIES))
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lc=lifecycles(max_steps=6), data=st.data())
def test_rejudging_the_rules_that_read_capability_is_judging_the_whole_rule(pid, lc, data):
    policy = POLICIES[pid]
    reading = data.draw(st.sampled_from(policy.readings))
    central = policy.central_verdict(lc, reading)
    assert central.covered == policy.is_covered(lc, reading)
    if data.draw(st.booleans()):
        frontier.prepare_draws(policy, lc, DRAWS, COLUMNS)
    for table in data.draw(st.lists(st.sampled_from(DRAWS), min_size=1, max_size=3, unique_by=id)):
        drawn = policy.with_coefficients(table)
        assert central.under(drawn) == drawn.is_covered(lc, reading)


def test_a_value_memoised_from_capability_counts_as_reading_it_when_reused():
    """A rule that reuses a memoised value computed from capability by an earlier rule of
    the same model must be judged again under another table, though it never asked for
    capability itself."""
    policy = POLICIES["eu-ai-act"]
    ctx = Context(None, policy.readings[0], policy)  # type: ignore[arg-type]
    ctx.memo("plain", lambda: 1.0)

    def from_capability() -> float:
        Context.reads_of_capability += 1
        return 2.0

    ctx.memo("read", from_capability)
    before = Context.reads_of_capability
    ctx.memo("plain", lambda: 0.0)
    assert Context.reads_of_capability == before
    ctx.memo("read", lambda: 0.0)
    assert Context.reads_of_capability == before + 1
