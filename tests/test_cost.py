"""Cost of training compute, and rules that test it (docs/design.md §3 cost_usd, §6 cost threshold)."""

import datetime as dt

import pytest

from loopholes.cost import step_cost, usd_per_flop
from loopholes.lifecycle import Lifecycle, make_step
from loopholes.rules.framework import Policy, Reading, cost_threshold

MID_2023 = dt.date(2023, 6, 30)


def test_price_per_flop_comes_from_epochs_cost_estimates():
    """Epoch's 2023-USD cost estimates put mid-2023 compute near 1.75e-18 USD per FLOP."""
    assert usd_per_flop(MID_2023) == pytest.approx(1.75e-18, rel=0.05)


def test_compute_gets_cheaper_over_time():
    prices = [usd_per_flop(dt.date(year, 6, 30)) for year in (2016, 2020, 2023, 2025)]
    assert prices == sorted(prices, reverse=True)


def test_a_given_cost_wins_over_the_estimate():
    assert step_cost(make_step("m", "pretrain", "A", flop=1e26, cost_usd=5e7), MID_2023) == 5e7
    assert step_cost(make_step("m", "pretrain", "A", flop=1e26), MID_2023) == pytest.approx(1e26 * usd_per_flop(MID_2023))


def policy():
    """A cost-only rule in the shape of SB 1047's $100 m test (vetoed; policy-reference §4)."""
    return Policy(id="cost-only", title="t", jurisdiction="test", source="test", status="proposal", dates={},
                  reference_date=MID_2023, readings=(Reading("only", "q", "a", {"scope": "lineage"}),),
                  rules=(cost_threshold("cost", "SB 1047 §22602(e)(1)(A)(i) (vetoed)", 1e8, tier="covered"),),
                  tiers=("covered",), covered_tiers=frozenset({"covered"}), target_lines={"general": 1e26})


@pytest.mark.parametrize("flop, cost, covered", [(1e26, None, True), (5e25, None, False), (1e26, 9e7, False),
                                                 (1e24, 2e8, True)])
def test_cost_threshold(flop, cost, covered):
    lc = Lifecycle("x", MID_2023, "m", (make_step("m", "pretrain", "A", flop=flop, cost_usd=cost),))
    verdict = policy().evaluate(lc)
    assert verdict.covered is covered
    assert verdict.clauses[0].unit == "USD"
