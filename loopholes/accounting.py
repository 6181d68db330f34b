"""How much compute a step, a developer or a lineage used.

Conventions follow Epoch AI and the instruments: one multiply-add = 2 operations; 6·N·D
for dense transformers (active parameters for MoE); accelerators x hours x peak x
utilization for hardware estimates. Every sum can leave out integer operations (the EU
AI Act defines floating-point operations only, Art. 3(67)) and can use either the
operations executed or the developer's own estimate (they differ when a hardware
estimate uses another precision's peak, essay Appendix A "theoretical vs measured").

Sums are exact when every counted figure is an integer (a spec may give `flop` as an
integer), so a threshold test at the line does not depend on float rounding.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from typing import Iterable

from .lifecycle import TRAINING_KINDS, Lifecycle, Step


@dataclass(frozen=True, slots=True)
class Counting:
    """Which operations a sum counts."""

    integer: bool = True
    """Count integer operations (EO 14110 and SB 53 say "integer or floating-point")."""
    estimate: str = "reported"
    """"reported": the developer's own estimate; "executed": the operations actually run;
    "dense": the larger of the two, with a zero-skipping sparse training run counted at
    the size it would have run at dense (the draft accounting that closes the estimation
    and sparsity loopholes, Hooker 2024 Appendix A)."""


ESTIMATES = ("reported", "executed", "dense")
ALL_OPERATIONS = Counting()


def counted(step: Step, counting: Counting = ALL_OPERATIONS) -> float:
    if not counting.integer and step.integer:
        return 0
    estimate = counting.estimate
    if estimate == "reported":
        return step.reported_flop
    if estimate == "executed":
        return step.flop
    if estimate == "dense":
        largest = max(step.flop, step.reported_flop)
        return largest / (1 - step.sparsity) if step.sparsity > 0 and step.kind != "prune" else largest
    raise ValueError(f"unknown estimate '{estimate}'; valid: {', '.join(ESTIMATES)}")


def total(steps: Iterable[Step], counting: Counting = ALL_OPERATIONS) -> float:
    """The sum: exact (an int) when every term is an int, else correctly rounded. One
    plain loop: the search sums a lineage on nearly every probe."""
    values, exact = [], True
    for step in steps:
        value = counted(step, counting)
        if type(value) is not int:
            exact = False
        values.append(value)
    return sum(values) if exact else math.fsum(values)


def lineage_compute(lc: Lifecycle, counting: Counting = ALL_OPERATIONS, artifact: str | None = None) -> float:
    """Everything upstream of the artifact: base models, teachers, synthetic-data generation."""
    return total(lc.lineage(artifact), counting)


def model_compute(lc: Lifecycle, counting: Counting = ALL_OPERATIONS, artifact: str | None = None) -> float:
    """The artifact's own model: its runs, its bases and members, not teachers or generators."""
    return total(lc.model_tree(artifact), counting)


def single_run_compute(lc: Lifecycle, counting: Counting = ALL_OPERATIONS, artifact: str | None = None) -> float:
    """The largest single training run that produced the artifact's model (or a member)."""
    runs = [counted(step, counting) for step in lc.model_tree(artifact) if step.kind in TRAINING_KINDS]
    return max(runs, default=0.0)


def developer_compute(lc: Lifecycle, developer: str, counting: Counting = ALL_OPERATIONS,
                      steps: Iterable[Step] | None = None) -> float:
    """What one developer spent within `steps` (default: the artifact's lineage)."""
    pool = lc.lineage() if steps is None else steps
    return total((step for step in pool if step.developer == developer), counting)


def by_developer(lc: Lifecycle, counting: Counting = ALL_OPERATIONS) -> dict[str, float]:
    sums: dict[str, float] = defaultdict(float)
    for step in lc.lineage():
        sums[step.developer] += counted(step, counting)
    return dict(sorted(sums.items()))


def by_kind(lc: Lifecycle, counting: Counting = ALL_OPERATIONS) -> dict[str, float]:
    """Per stage type (pretrain, finetune, synthetic_data, ...), over the artifact's lineage."""
    sums: dict[str, float] = defaultdict(float)
    for step in lc.lineage():
        sums[step.kind] += counted(step, counting)
    return dict(sorted(sums.items()))


def by_precision_class(lc: Lifecycle) -> dict[str, float]:
    """Executed operations split into floating point and integer, over the lineage."""
    sums = {"floating_point": 0.0, "integer": 0.0}
    for step in lc.lineage():
        sums["integer" if step.integer else "floating_point"] += step.flop
    return sums


def domain_share(steps: Iterable[Step], domain: str) -> float:
    """Share of training data in `domain` over the training runs among `steps`: weighted
    by tokens where every run gives them, otherwise by compute (proportional to tokens
    for a fixed model size)."""
    runs, use_tokens = [], True
    for step in steps:  # plain loops: the dynamic rules call this on every probe
        if step.kind in TRAINING_KINDS:
            runs.append(step)
            use_tokens = use_tokens and bool(step.tokens)
    if not runs:
        return 0.0
    weights = [(step.tokens if use_tokens else step.flop) or 0.0 for step in runs]
    whole = math.fsum(weights)
    if whole <= 0:
        return max(step.share(domain) for step in runs)
    return math.fsum([w * step.share(domain) for w, step in zip(weights, runs)]) / whole


def colocated_capacity(steps: Iterable[Step], min_networking_gbps: float | None = None,
                       unknown_networking: bool = True) -> float:
    """The largest theoretical rate (ops/s) of one co-located site used by any of `steps`.
    With `min_networking_gbps`, only sites networked above it count; a site whose
    networking is not given counts only if `unknown_networking` (a reading decides)."""
    best = 0.0
    for step in steps:
        for i, (ops, colocated) in enumerate(step.sites):
            if not colocated or ops <= best:
                continue
            if min_networking_gbps is not None:
                gbps = step.site_networking[i] if i < len(step.site_networking) else None
                if (gbps is None and not unknown_networking) or (gbps is not None and not gbps > min_networking_gbps):
                    continue
            best = ops
    return best
