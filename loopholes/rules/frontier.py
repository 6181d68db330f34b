"""High-impact capability: does a model match the most advanced models of its day? (AI
Act Art. 51(1)(a), Art. 3(64)), as a rule any rule file can use (`kind: capability`).

The artifact's effective compute is compared with that of the k-th most capable real
general-purpose model released by its release date (Epoch data), each judged with the
same coefficient table, so drawn coefficients move both sides together. Real models are
judged as GPAI *models* with the standard training practices of their own date, and the
artifact without the inference-time affordances added at deployment (`the_model`).

Parameters read (a rule file using it must define them): `frontier_rank`,
`capability_band`, `frontier_class`, `rules_apply_from`; reading options `frontier_rank`
(overrides the parameter) and `capability_limb` (false: the limb is not applied).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import OrderedDict
from typing import Any

from ..capability import BANDS, TableReads, effective_compute
from ..lifecycle import Lifecycle
from ..population import MEMBER_OPTION, kth_largest_series, load_population, value_on

PARAMETERS = ("frontier_rank", "capability_band", "frontier_class", "rules_apply_from")

_SERIES: "OrderedDict[tuple, tuple[object, list[int], list[float], dict[str, float]]]" = OrderedDict()
_TABLES: "OrderedDict[tuple, tuple[object, list[tuple], dict[str, tuple]]]" = OrderedDict()
_CENTRAL: "OrderedDict[tuple, tuple[object, list[tuple], dict[str, float]]]" = OrderedDict()
"""Per coefficient table, the frontier candidates' central capability, computed in bulk
for many tables at once (`prepare_draws`)."""
_MAX_TABLES = 1024
"""Coefficient tables whose frontier is kept (least recently used dropped first): a
search's sensitivity pass draws 300 tables and every reading reads each of them."""
FRONTIER_CANDIDATES = 200
"""Real models considered for the frontier: the largest training runs of the class."""


@functools.lru_cache(maxsize=4096)
def _yardstick(record, flop: float) -> Lifecycle:
    """A real model as a GPAI *model*: its pre-training with the standard training practices
    of its own release date (instruction tuning; curated data once standard:
    strategies.plan.STANDARD_PRACTICE), exactly as the search's honest target and the
    adversary get them, so the artifact and the models it is compared with are judged
    alike. Inference-time affordances are left out on both sides (`the_model`)."""
    from ..strategies.plan import build, honest_plan

    return the_model(build(honest_plan("general", record.published, flop, "standard"), name=record.model))


def _model_step(index: dict, step_id: str) -> str:
    """The step whose model a deployment of `step_id` is: inference boosts set aside."""
    while index[step_id].kind == "inference_boost" and index[step_id].inputs:
        step_id = index[step_id].inputs[0]
    return step_id


def the_model(lc: Lifecycle) -> Lifecycle:
    """The GPAI model inside a deployed artifact: Art. 51(1)(a) classifies *models* (Art.
    3(63)); chain-of-thought prompting, sampling, tools and retrieval added at deployment
    make an AI system around it, so inference-boost steps on top of the model are set aside
    when its capabilities are compared with the most advanced models."""
    top = _model_step(lc.index, lc.deploy)
    if top == lc.deploy:
        return lc
    model = Lifecycle.trusted(lc.name, lc.released, top, lc.steps, lc.reach)
    # the same steps: share what is memoised by step (as lifecycle.rooted does), so the
    # capability walked for the model serves the artifact's verdict and the other way round
    model.__dict__["index"] = lc.index
    model.__dict__["_memo"] = lc._memo
    return model


def _series(ctx: Any) -> tuple[list[int], list[float], dict[str, float]]:
    """The k-th largest capability by release day, and each real model's own capability."""
    TableReads.count += 1  # real models' capability under the rule's table: draws move it
    policy = ctx.policy
    rank = int(ctx.option("frontier_rank", ctx.parameter("frontier_rank")))
    band, cls = ctx.parameter("capability_band"), ctx.parameter("frontier_class")
    key = (id(policy.coefficients), policy.reference_date, rank, band, cls)
    hit = _SERIES.get(key)
    if hit is not None and hit[0] is policy.coefficients:
        _SERIES.move_to_end(key)
        return hit[1], hit[2], hit[3]
    b = BANDS.index(band)
    central = _CENTRAL.get((id(policy.coefficients), policy.reference_date, cls)) if band == "central" else None
    if central is not None and central[0] is policy.coefficients:  # computed in bulk (`prepare_draws`)
        points, own = central[1], central[2]
    else:
        points, bands = _candidates(policy, cls)
        points = [(day, value[b]) for day, value in points]
        own = {model: values[b] for model, values in bands.items()}
    days, values = kth_largest_series(points, rank)
    _remember(_SERIES, key, (policy.coefficients, days, values, own))
    return days, values, own


def _candidates(policy, cls: str) -> tuple[list[tuple], dict[str, tuple]]:
    """(release day, capability bands) of every frontier candidate, and each one's bands by
    model, under the policy's coefficient table: computed once per table, whatever the
    reading's rank or band."""
    key = (id(policy.coefficients), policy.reference_date, cls)
    hit = _TABLES.get(key)
    if hit is not None and hit[0] is policy.coefficients:
        _TABLES.move_to_end(key)
        return hit[1], hit[2]
    points, bands = [], {}
    for record in _candidate_records(cls):
        value = effective_compute(_yardstick(record, record.flop()), policy.reference_date, policy.coefficients)["general"]
        bands[record.model] = value
        points.append((record.published, value))
    _remember(_TABLES, key, (policy.coefficients, points, bands))
    return points, bands


def _candidate_records(cls: str) -> list:
    """The real models that can be on the frontier of class `cls`. The frontier is read
    only from the day the GPAI rules apply (judged_on), when the largest runs hold every
    top-k spot: the FRONTIER_CANDIDATES largest by training compute are enough, which
    keeps this cheap under many coefficient tables."""
    candidates = [r for r in load_population().known() if r.published is not None and r.reference_class == cls]
    return sorted(candidates, key=lambda r: (-r.flop(), r.model))[:FRONTIER_CANDIDATES]


def prepare_draws(policy: Any, lc: Lifecycle, tables: list, columns: Any) -> None:
    """Before `lc` is judged under each of many coefficient tables (a sensitivity pass):
    the central capability of every frontier candidate and of every model in `lc` (the
    artifact's, and the ones a developer-level duty or the provider walk judges) under
    every table, from one pass per lifecycle with the tables as columns
    (`Coefficients.columns`, bit for bit what each table gives on its own). Each verdict
    is still made by the rule, table by table; it reads these numbers instead of walking
    201 lifecycles per table. Does nothing where no rule reads the frontier in the
    central band; where the tables disagree on a composition's strongest member in `lc`,
    only the candidates' numbers are prepared."""
    from ..capability import MixedColumns
    from ..capability_columns import effective_compute_columns, general_by_step

    if not tables or not any(rule.measure is capability_of for rule in policy.rules):
        return
    band, cls = policy.parameters.get("capability_band"), policy.parameters.get("frontier_class")
    if band is None or cls is None or band.value != "central":
        return  # the limb reads another band (or cannot run): judged table by table
    reference, cls = policy.reference_date, cls.value
    done = _CENTRAL.get((id(tables[0]), reference, cls))
    if done is None or done[0] is not tables[0]:  # the candidates under these tables, once
        records = _candidate_records(cls)
        rows = [effective_compute_columns(_yardstick(r, r.flop()), reference, columns)["general"] for r in records]
        for i, table in enumerate(tables):
            points = [(record.published, row[i]) for record, row in zip(records, rows)]
            own = {record.model: row[i] for record, row in zip(records, rows)}
            _remember(_CENTRAL, (id(table), reference, cls), (table, points, own))
    try:
        by_step = general_by_step(lc, reference, columns)
    except MixedColumns:
        return
    tables, positions = _positions(tables)
    memo, index = lc._memo, lc.index  # shared by every view of lc (lifecycle.rooted, the_model)
    for step_id in by_step:  # each view deploying a step reads its model's value (`the_model`)
        memo[("frontier-central", step_id, reference, lc.released)] = (tables, positions,  # type: ignore[index]
                                                                         by_step[_model_step(index, step_id)])


_POSITIONS: dict[int, tuple[tuple, dict[int, int]]] = {}


def _positions(tables: list) -> tuple[tuple, dict[int, int]]:
    """The tables as a tuple, and each one's column by its id (built once per set)."""
    hit = _POSITIONS.get(id(tables))
    if hit is None or hit[0] is not tables:
        if len(_POSITIONS) >= 16:
            _POSITIONS.clear()
        hit = _POSITIONS[id(tables)] = (tables, (tuple(tables), {id(t): i for i, t in enumerate(tables)}))
    return hit[1]


def _remember(cache: OrderedDict, key: tuple, value: tuple) -> None:
    cache[key] = value
    cache.move_to_end(key)
    while len(cache) > _MAX_TABLES:
        cache.popitem(last=False)


def capability_of(ctx: Any) -> float:
    """The artifact's general capability (effective compute) in the chosen band; a real
    model being backtested keeps the value it has in the yardstick series."""
    if not ctx.option("capability_limb", True):
        return 0.0
    record = ctx.option(MEMBER_OPTION)
    if record is not None and record.published == ctx.lifecycle.released:
        known = _series(ctx)[2].get(record.model)
        if known is not None:
            return known
    TableReads.count += 1  # the verdict reads capability: coefficient draws can move it
    if ctx.parameter("capability_band") == "central":
        lc = ctx.lifecycle
        known = lc._memo.get(("frontier-central", lc.deploy, ctx.policy.reference_date, lc.released))
        if known is not None:  # its model's, computed in bulk (`prepare_draws`)
            tables, positions, values = known
            i = positions.get(id(ctx.policy.coefficients))
            if i is not None and tables[i] is ctx.policy.coefficients:
                return values[i]
    model = ctx.memo("gpai-model-capability", lambda: effective_compute(
        the_model(ctx.lifecycle), ctx.policy.reference_date, ctx.policy.coefficients))
    return model.get("general", ctx.parameter("capability_band"))


def judged_on(ctx: Any) -> dt.date:
    """The day whose frontier the artifact is compared with: its release, or the day the
    GPAI rules began to apply for a model released earlier (such models must comply by
    2 Aug 2027, Art. 111(3), so they are judged against the frontier the rules met)."""
    return max(ctx.lifecycle.released, ctx.parameter("rules_apply_from"))


def frontier_line(ctx: Any) -> float:
    days, values, _ = _series(ctx)
    return value_on(days, values, judged_on(ctx))


def capability_note(ctx: Any) -> tuple[bool, str]:
    if not ctx.option("capability_limb", True):
        return False, "capability limb not applied under this reading (compute presumption only)"
    rank = int(ctx.option("frontier_rank", ctx.parameter("frontier_rank")))
    return True, (f"vs the {'most' if rank == 1 else f'{rank}th most'} capable general-purpose model released by "
                  f"{judged_on(ctx).isoformat()} ({ctx.parameter('capability_band')} effective compute)")
