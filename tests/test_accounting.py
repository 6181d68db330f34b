"""Compute accounting (docs/design.md §4): how a step's compute is resolved and the sums a rule
may need (one step, one developer, a lineage with teachers and synthetic data, a stage
type, the largest single run, floating point vs integer)."""

from __future__ import annotations

import datetime as dt
import math

import pytest
from hypothesis import given, settings

from loopholes import accounting
from loopholes.accounting import Counting
from loopholes.lifecycle import Hardware, Lifecycle, make_step
from loopholes.testing import lifecycles

FLOAT_ONLY = Counting(integer=False)
EXECUTED = Counting(estimate="executed")


def lifecycle(*steps, deploy: str | None = None) -> Lifecycle:
    return Lifecycle(name="t", released=dt.date(2025, 1, 1), deploy=deploy or steps[-1].id, steps=steps)


@pytest.fixture(scope="module")
def distilled() -> Lifecycle:
    """Teacher T pretrains and generates synthetic data; student S distills (in int8) and
    fine-tunes; Z trains an unrelated model that is not upstream of the artifact."""
    return lifecycle(
        make_step("teacher", "pretrain", "T", flop=1e25),
        make_step("synth", "synthetic_data", "T", ["teacher"], flop=1e23),
        make_step("student", "distill", "S", ["teacher", "synth"], flop=2e23, precision="int8"),
        make_step("chat", "finetune", "S", ["student"], flop=1e21),
        make_step("unrelated", "pretrain", "Z", flop=5e24),
        deploy="chat",
    )


# -- one step ---------------------------------------------------------------------------

def test_six_n_d_for_a_dense_model():
    """A dense transformer costs 6 x parameters x tokens (Llama 3.1 405B: 3.79e25)."""
    step = make_step("m", "pretrain", "A", params=405e9, tokens=15.6e12)
    assert step.flop == pytest.approx(6 * 405e9 * 15.6e12)
    assert step.flop == step.reported_flop


def test_six_n_d_uses_active_parameters_for_moe():
    """A mixture of experts counts its active parameters, not the total."""
    step = make_step("m", "pretrain", "A", params=671e9, active_params=37e9, tokens=14.8e12)
    assert step.flop == pytest.approx(6 * 37e9 * 14.8e12)


def test_zero_skipping_sparsity_removes_the_skipped_share():
    """With half the weights held at zero by kernels that skip them, half the operations run."""
    dense = make_step("m", "pretrain", "A", params=1e10, tokens=1e12)
    sparse = make_step("m", "pretrain", "A", params=1e10, tokens=1e12, sparsity=0.5)
    assert sparse.flop == pytest.approx(dense.flop / 2)


def test_hardware_estimate_uses_the_steps_precision_peak():
    """An int8 run on A100s executes at the A100 int8 peak (624e12), twice its bf16 peak."""
    hw = Hardware(chip="A100", count=1000, hours=100.0, utilization=0.5)
    int8 = make_step("m", "pretrain", "A", hardware=hw, precision="int8")
    bf16 = make_step("m", "pretrain", "A", hardware=hw)
    assert int8.flop == pytest.approx(1000 * 100 * 3600 * 624e12 * 0.5)
    assert int8.flop == pytest.approx(2 * bf16.flop)


def test_counting_can_drop_integer_operations_and_choose_the_estimate():
    """Integer steps count zero when integers are excluded; fp8 is floating point and stays."""
    hw = Hardware(chip="H100", count=10, hours=10.0, utilization=0.5, peak_precision="bf16")
    fp8 = make_step("a", "pretrain", "A", hardware=hw, precision="fp8")
    int4 = make_step("b", "pretrain", "A", flop=1e24, precision="int4")
    assert accounting.counted(int4) == 1e24 and accounting.counted(int4, FLOAT_ONLY) == 0.0
    assert accounting.counted(fp8, FLOAT_ONLY) == fp8.reported_flop
    assert accounting.counted(fp8, EXECUTED) == fp8.flop > accounting.counted(fp8)


# -- sums over a lifecycle -------------------------------------------------------------

def test_lineage_counts_teachers_and_synthetic_data_but_not_unrelated_steps(distilled):
    """The artifact's lineage: teacher, its synthetic data, the student and its fine-tune."""
    assert accounting.lineage_compute(distilled) == pytest.approx(1e25 + 1e23 + 2e23 + 1e21)
    assert accounting.lineage_compute(distilled, FLOAT_ONLY) == pytest.approx(1e25 + 1e23 + 1e21)


def test_model_compute_leaves_out_teachers_and_generators(distilled):
    """The artifact's own model is the student and its fine-tune only."""
    assert accounting.model_compute(distilled) == pytest.approx(2e23 + 1e21)
    assert [s.id for s in distilled.model_tree()] == ["student", "chat"]


def test_single_run_is_the_largest_run_of_the_model_itself(distilled):
    """The 1e25 teacher is larger, but it is another model: the largest own run is 2e23."""
    assert accounting.single_run_compute(distilled) == 2e23
    assert accounting.single_run_compute(distilled, FLOAT_ONLY) == 1e21


def test_per_developer_sums(distilled):
    """Each developer's share of the lineage; a developer outside it has spent nothing on it."""
    assert accounting.by_developer(distilled) == pytest.approx({"S": 2e23 + 1e21, "T": 1e25 + 1e23})
    assert accounting.developer_compute(distilled, "S") == pytest.approx(2e23 + 1e21)
    assert accounting.developer_compute(distilled, "Z") == 0.0
    assert accounting.developer_compute(distilled, "T", steps=distilled.model_tree()) == 0.0


def test_per_stage_sums(distilled):
    """Per stage type over the lineage."""
    assert accounting.by_kind(distilled) == {"distill": 2e23, "finetune": 1e21, "pretrain": 1e25,
                                             "synthetic_data": 1e23}


def test_precision_class_split(distilled):
    """Executed operations split into floating point and integer."""
    assert accounting.by_precision_class(distilled) == pytest.approx(
        {"floating_point": 1e25 + 1e23 + 1e21, "integer": 2e23})


def test_a_composite_counts_its_members():
    """An ensemble's model holds its members' runs; its single run is the largest member's."""
    lc = lifecycle(make_step("m1", "pretrain", "A", flop=1e24), make_step("m2", "pretrain", "B", flop=2e24),
                   make_step("vote", "ensemble", "C", ["m1", "m2"], flop=0.0))
    assert accounting.model_compute(lc) == pytest.approx(3e24)
    assert accounting.single_run_compute(lc) == 2e24
    assert accounting.by_developer(lc) == {"A": 1e24, "B": 2e24, "C": 0.0}


def test_sums_for_another_artifact_in_the_same_lifecycle(distilled):
    """Every sum can be asked for any step, not only the deployed one."""
    assert accounting.lineage_compute(distilled, artifact="unrelated") == 5e24
    assert accounting.model_compute(distilled, artifact="synth") == 1e23


def test_domain_share_is_token_weighted_when_tokens_are_known():
    """Equal tokens give equal weight, however different the runs' compute."""
    bio = make_step("a", "pretrain", "A", params=1e9, tokens=1e12, data={"bio": 1.0})
    text = make_step("b", "continued_pretrain", "A", ["a"], params=1e11, tokens=1e12)
    assert accounting.domain_share([bio, text], "bio") == pytest.approx(0.5)


def test_domain_share_falls_back_to_compute_weights():
    """When a run gives no token count, the runs are weighted by their compute."""
    bio = make_step("a", "pretrain", "A", flop=1e23, data={"bio": 1.0})
    text = make_step("b", "continued_pretrain", "A", ["a"], flop=3e23)
    assert accounting.domain_share([bio, text], "bio") == pytest.approx(0.25)
    assert accounting.domain_share([], "bio") == 0.0


def test_colocated_capacity_is_the_largest_colocated_site():
    """Only co-located sites count as one cluster; the largest one is reported."""
    step = make_step("a", "pretrain", "A", flop=1e24, sites=[(3e20, False), (8e19, True), (5e19, True)])
    assert accounting.colocated_capacity([step]) == 8e19


@settings(max_examples=150, deadline=None)
@given(lifecycles())
def test_the_sums_agree_with_each_other(lc):
    """Per-developer, per-stage and per-precision sums add up to the lineage total; the
    model is within the lineage and the single run within the model; float-only <= all."""
    lineage = accounting.lineage_compute(lc)
    assert math.fsum(accounting.by_developer(lc).values()) == pytest.approx(lineage)
    assert math.fsum(accounting.by_kind(lc).values()) == pytest.approx(lineage)
    assert math.fsum(accounting.by_precision_class(lc).values()) == pytest.approx(accounting.lineage_compute(lc, EXECUTED))
    assert accounting.single_run_compute(lc) <= accounting.model_compute(lc) * (1 + 1e-12) <= lineage * (1 + 1e-9)
    assert accounting.lineage_compute(lc, FLOAT_ONLY) <= lineage
