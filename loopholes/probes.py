"""Real models and probe models as lifecycles, shared by the backtest and the dynamic rules.

A population record becomes a one-step lifecycle so a rule judges it through the same
path as `loopholes check`; a probe is a plain new model of a reference class, and
`coverage_line` finds the least compute at which a rule covers it (the rule's line).
These sit below both policies and the backtest in the data flow, so neither imports
the other.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Mapping

from .lifecycle import Lifecycle, make_step
from .rules.framework import Policy, Reading
from .population import MEMBER_OPTION, ModelRecord  # noqa: F401 (MEMBER_OPTION: re-exported)

"""Reading option set on a backtest's evaluations: the ModelRecord the artifact *is*.

A population-based rule ranks an artifact against the population and adds the artifact
to the ranking (it "joins the population at its release date"). A population member is
already there; a rule that sees this option must not count it a second time."""

GENERAL_DATA = {"general": 1.0}
BIO_DATA = {"bio": 1.0}

PROBE_DATA: Mapping[str, Mapping[str, float]] = {
    "language": GENERAL_DATA,
    "biology": BIO_DATA,
    "vision": {"vision": 1.0},
    "speech": {"speech": 1.0},
    "other": {"other": 1.0},
}
"""Training data of the probe model that traces a rule's line for each reference class
(the mapping back is `policies.dynamic_percentile.DATA_CLASSES`)."""

COMPUTE_UNITS = frozenset({"operations", "FLOP"})
"""Units of clauses whose threshold is a training-compute line."""
_LOW_EXP, _HIGH_EXP, _TOLERANCE = 10.0, 30.0, 0.005  # probe range 1e10..1e30 FLOP, to 0.005 decades


def record_lifecycle(record: ModelRecord, flop: float) -> Lifecycle:
    """A real model as a one-step lifecycle: one pretrain run of `flop`, on biological
    sequences if Epoch's task says so (EO 14110's "primarily"), else general data."""
    step = make_step("train", "pretrain", record.organization or "(unknown developer)", flop=flop,
                     params=record.parameters, data=BIO_DATA if record.biological_sequence else GENERAL_DATA,
                     open_weights=bool(record.open_weights))
    return Lifecycle(record.model, record.published, "train", (step,), source="epoch")


def member_reading(reading: Reading, record: ModelRecord) -> Reading:
    """`reading` with MEMBER_OPTION set, so population-based rules do not count `record` twice."""
    return Reading(reading.id, reading.question, reading.answer, {**reading.options, MEMBER_OPTION: record})


def probe(cls: str, released: dt.date, flop: float) -> Lifecycle:
    """A plain new model of reference class `cls`: the yardstick for drawing a rule's line."""
    step = make_step("train", "pretrain", "probe", flop=flop, data=PROBE_DATA[cls])
    return Lifecycle(f"probe-{cls}", released, "train", (step,))


def coverage_line(policy: Policy, reading: Reading, cls: str, released: dt.date,
                  hint: float | None = None) -> float | None:
    """The smallest training compute at which a plain model of class `cls` released on
    `released` is covered, by bisection over log10 FLOP to 0.005 decades (assumes
    coverage grows with compute, as it does for every bundled rule): exact where a
    compute clause draws the line. 0.0 if any compute is covered (a class too small to
    rank), None if 1e30 FLOP is not. `hint`, a nearby answer, narrows the first bracket."""
    def covered(exponent: float) -> bool:
        return policy.is_covered(probe(cls, released, 10.0 ** exponent), reading)

    low, high = _LOW_EXP, _HIGH_EXP
    if hint and _LOW_EXP < math.log10(hint) < _HIGH_EXP:
        near = math.log10(hint)
        if covered(near):
            low, high = (near - 0.1, near) if not covered(near - 0.1) else (low, near - 0.1)
        else:
            low, high = (near, near + 0.1) if covered(near + 0.1) else (near + 0.1, high)
    if high == _HIGH_EXP and not covered(_HIGH_EXP):
        return None
    if low == _LOW_EXP and covered(_LOW_EXP):
        return 0.0
    while high - low > _TOLERANCE:
        mid = (low + high) / 2
        low, high = (low, mid) if covered(mid) else (mid, high)
    return _snap(policy, reading, probe(cls, released, 10.0 ** high), 10.0 ** low)


def _snap(policy: Policy, reading: Reading, covered_probe: Lifecycle, below: float) -> float:
    """The exact line when a triggered compute clause drew it inside the final bracket
    (a fixed threshold, a percentile line); else the bracket's top (an index line)."""
    top = covered_probe.artifact.flop
    for clause in policy.evaluate(covered_probe, reading).clauses:
        if (clause.triggered and clause.tier in policy.covered_tiers and clause.unit in COMPUTE_UNITS
                and below <= clause.threshold <= top):
            return clause.threshold
    return top
