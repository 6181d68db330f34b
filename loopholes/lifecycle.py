"""The lifecycle graph the engine works on.

A `Lifecycle` is an immutable DAG of `Step`s in topological order, with the compute of
every step already resolved. It is built either from a validated spec file (the check
path) or directly by the search (the hot path, which skips pydantic); both go through
`Lifecycle.__init__`, so both get the same cross-step checks. `to_spec()` turns it back
into a spec that `loopholes check` accepts as is.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from .errors import SpecError
from .hardware import peak_ops_per_second
from .spec import INTEGER_PRECISIONS, KINDS, LifecycleSpec, StepSpec

TRAINING_KINDS = frozenset({"pretrain", "continued_pretrain", "finetune", "rl", "distill"})
"""Steps that are training runs of the model they produce."""
ON_BASE_KINDS = frozenset({"continued_pretrain", "finetune", "rl", "quantize", "prune", "inference_boost"})
"""Steps that transform exactly one base model."""
COMPOSITE_KINDS = frozenset({"merge", "moe_assemble", "ensemble", "cascade"})
"""Steps that combine two or more member models."""


@dataclass(frozen=True, slots=True)
class Hardware:
    chip: str
    count: int
    hours: float
    utilization: float
    peak_precision: str | None = None


@dataclass(frozen=True, slots=True)
class Step:
    """One step with its compute resolved. `flop` is the operations executed;
    `reported_flop` what the developer's own estimate says (they differ only for a
    hardware estimate made at another precision's peak)."""

    id: str
    kind: str
    """pretrain, continued_pretrain, finetune, rl, distill, synthetic_data, quantize, prune,
    merge, moe_assemble, ensemble, cascade or inference_boost (loopholes.spec.KINDS)."""
    developer: str
    """Who ran the step: the party a developer-level duty falls on."""
    inputs: tuple[str, ...] = ()
    """Ids of the steps it builds on (base, teachers, members, synthetic data)."""
    flop: float = 0.0
    """Operations executed (an int when the spec gave an exact count)."""
    reported_flop: float = 0.0
    """Operations the developer's own estimate reports."""
    precision: str = "bf16"
    """Number format (loopholes.spec.PRECISIONS); `integer` is true for int8 and int4."""
    params: float | None = None
    """Parameters of the model it produces."""
    tokens: float | None = None
    """Training tokens."""
    active_params: float | None = None
    """Parameters active per token (mixture of experts)."""
    hardware: Hardware | None = None
    """Accelerators x hours x utilization, when compute was estimated from the hardware."""
    flop_given: bool = True
    """Whether the spec gave the operations directly (not from 6·N·D or hardware)."""
    data: tuple[tuple[str, float], ...] = (("general", 1.0),)
    """Share of training tokens per data domain (what a spec leaves unassigned is general)."""
    boost_method: str | None = None
    """Inference-time method (loopholes.spec.BOOST_METHODS: cot, best_of_n, self_consistency, tool_use, ...)."""
    boost_samples: int = 1
    """Samples drawn per answer (sampling methods)."""
    sites: tuple[tuple[float, bool], ...] = ()
    """Training sites: (capacity in operations per second, co-located or not)."""
    site_networking: tuple[float | None, ...] = ()
    """Networking (Gbit/s) of each site, aligned with `sites`; missing or None = unknown."""
    cost_usd: float | None = None
    """Cost of the step's compute in US dollars, when the spec gives it."""
    open_weights: bool = False
    """Whether its weights are published."""
    curated_data: bool = False
    """Trained on filtered, deduplicated data (coefficient data_quality_gain)."""
    sparsity: float = 0.0
    """Share of zero weights whose operations the kernels skip (0 to 1)."""
    disclosed: bool = True
    """Whether the developer discloses its compute (the EU modifier fallback reads it)."""

    @property
    def integer(self) -> bool:
        """Integer arithmetic (int8/int4): the precision class some instruments do not count."""
        return self.precision in INTEGER_PRECISIONS

    def share(self, domain: str) -> float:
        for name, value in self.data:
            if name == domain:
                return value
        return 0.0


def make_step(
    id: str, kind: str, developer: str, inputs: Iterable[str] = (), *, flop: float | None = None,
    params: float | None = None, tokens: float | None = None, active_params: float | None = None,
    hardware: Hardware | None = None, precision: str = "bf16", data: Mapping[str, float] | None = None,
    boost: tuple[str, int] | None = None, sites: Iterable[tuple[float, bool]] = (),
    cost_usd: float | None = None, open_weights: bool = False, curated_data: bool = False,
    sparsity: float = 0.0, disclosed: bool = True, site_networking: Iterable[float | None] = (),
) -> Step:
    """Build a step and resolve its compute : a given figure, 6·N·D with active
    parameters for MoE and only non-zero weights when kernels skip zeros, or accelerators
    x hours x peak x utilization."""
    if hardware is not None:
        try:
            seconds = float(hardware.count) * hardware.hours * 3600.0 * hardware.utilization
        except OverflowError:
            raise SpecError("the accelerator count is too large to be real", field="hardware.count") from None
        executed = seconds * peak_ops_per_second(hardware.chip, precision)
        estimate_precision = hardware.peak_precision or precision
        reported = executed if estimate_precision == precision else \
            seconds * peak_ops_per_second(hardware.chip, estimate_precision, "hardware.peak_precision")
        given = False
    elif params is not None and tokens is not None:
        executed = reported = 6.0 * (active_params or params) * (1.0 - sparsity) * tokens
        given = False
    else:
        # an integer count stays exact, so a line of 10**25 is compared without rounding
        executed = reported = flop if isinstance(flop, int) and not isinstance(flop, bool) else float(flop or 0.0)
        given = True
    if not executed <= MAX_OPERATIONS:
        raise SpecError(f"the step's compute comes to {executed:.3g} operations; more than {MAX_OPERATIONS:.0e} "
                        f"is far beyond any training run (check the units)", field=_form_field(hardware, params))
    return Step(
        id=id, kind=kind, developer=developer, inputs=tuple(inputs), flop=executed, reported_flop=reported,
        precision=precision, params=params, tokens=tokens, active_params=active_params, hardware=hardware,
        flop_given=given, data=_normalise_shares(data), boost_method=boost[0] if boost else None,
        boost_samples=boost[1] if boost else 1, sites=tuple(sites), cost_usd=cost_usd,
        site_networking=tuple(site_networking),
        open_weights=open_weights, curated_data=curated_data, sparsity=sparsity, disclosed=disclosed,
    )


MAX_OPERATIONS = 1e40
"""Ceiling on one step's compute: 10^13 times the largest run in the Epoch data (5e26),
so sums of steps stay finite and obviously wrong units are caught."""


def _form_field(hardware, params) -> str:
    return "hardware" if hardware is not None else "params" if params is not None else "flop"


def _normalise_shares(data: Mapping[str, float] | tuple | None) -> tuple[tuple[str, float], ...]:
    """Shares as a sorted tuple; what the spec leaves unassigned counts as `general`."""
    if not data:
        return (("general", 1.0),)
    if isinstance(data, tuple):  # already normalised
        return data
    shares = dict(data)
    rest = 1.0 - sum(shares.values())
    if rest > 1e-12:
        shares["general"] = shares.get("general", 0.0) + rest
    return tuple(sorted(shares.items()))


class _lazy:
    """functools.cached_property without its lock (Python 3.11 takes one on every first
    access, and the search makes hundreds of thousands of lifecycles): the value goes into
    the instance's __dict__, which later lookups find first. Computing it twice in a race
    would give the same value."""

    def __init__(self, function):
        self.function, self.name = function, function.__name__
        self.__doc__ = function.__doc__

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        value = instance.__dict__[self.name] = self.function(instance)
        return value


@dataclass(frozen=True, eq=False)
class Lifecycle:
    """An immutable lifecycle DAG, steps in topological order."""

    name: str
    released: dt.date
    deploy: str
    steps: tuple[Step, ...]
    revenue_usd: Mapping[str, float] = field(default_factory=dict)
    reach: tuple[int, int] | None = None
    source: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "steps", _checked_topological(self.steps, self.deploy, self.source))

    # -- structure -------------------------------------------------------------
    @_lazy
    def index(self) -> dict[str, Step]:
        return {step.id: step for step in self.steps}

    @property
    def artifact(self) -> Step:
        return self.index[self.deploy]

    def step(self, step_id: str) -> Step:
        return self.index[step_id]

    def model_inputs(self, step: Step) -> tuple[Step, ...]:
        """Inputs that are models (base, teacher, members): everything but synthetic data."""
        index, out = self.index, []
        for i in step.inputs:  # a plain loop: the search calls this about a million times per rule
            model = index[i]
            if model.kind != "synthetic_data":
                out.append(model)
        return tuple(out)

    def data_inputs(self, step: Step) -> tuple[Step, ...]:
        index, out = self.index, []
        for i in step.inputs:
            data = index[i]
            if data.kind == "synthetic_data":
                out.append(data)
        return tuple(out)

    @_lazy
    def _memo(self) -> dict[tuple[str, str], tuple[Step, ...]]:
        return {}

    def lineage(self, step_id: str | None = None) -> tuple[Step, ...]:
        """The step and everything upstream of it (base models, teachers, data), in order."""
        key = ("lineage", step_id or self.deploy)
        if key not in self._memo:
            self._memo[key] = self._lineage(key[1])
        return self._memo[key]

    def _lineage(self, step_id: str) -> tuple[Step, ...]:
        seen: set[str] = set()
        stack = [step_id]
        while stack:
            current = stack.pop()
            if current not in seen:
                seen.add(current)
                stack.extend(self.index[current].inputs)
        return tuple(step for step in self.steps if step.id in seen)

    def model_tree(self, step_id: str | None = None) -> tuple[Step, ...]:
        """Steps that *are* the artifact's model: its own run, its bases, and the members it
        combines, but not teachers or data generators (distinct models it learned from)."""
        key = ("tree", step_id or self.deploy)
        if key not in self._memo:
            self._memo[key] = self._model_tree(key[1])
        return self._memo[key]

    def _model_tree(self, step_id: str) -> tuple[Step, ...]:
        index = self.index
        seen: set[str] = set()
        stack = [step_id]
        while stack:
            current = index[stack.pop()]
            if current.id in seen:
                continue
            seen.add(current.id)
            if current.kind in ON_BASE_KINDS or current.kind in COMPOSITE_KINDS:
                for i in current.inputs:  # its model inputs (plain loops: run on every probe)
                    if index[i].kind != "synthetic_data":
                        stack.append(i)
        return tuple([step for step in self.steps if step.id in seen])

    @classmethod
    def trusted(cls, name: str, released: dt.date, deploy: str, steps: tuple[Step, ...],
                reach: tuple[int, int] | None = None) -> "Lifecycle":
        """Build without the cross-step checks, for code that already emits steps in a valid
        topological order (the search's plans). Findings are re-checked through `from_spec`."""
        lc = object.__new__(cls)
        # straight into the instance dict: frozen only forbids setattr, and this runs on every probe
        lc.__dict__.update(name=name, released=released, deploy=deploy, steps=steps, revenue_usd={}, reach=reach,
                           source="")
        return lc

    # -- conversions -------------------------------------------------------------
    def to_graph(self):
        """A networkx DiGraph (edges input -> step) with every step's fields as node data."""
        import networkx as nx  # kept off the check path: importing networkx costs ~0.2 s

        graph = nx.DiGraph(name=self.name, deploy=self.deploy)
        for step in self.steps:
            graph.add_node(step.id, kind=step.kind, developer=step.developer, flop=step.flop,
                           precision=step.precision, data=dict(step.data), deploy=step.id == self.deploy)
            for source in step.inputs:
                graph.add_edge(source, step.id)
        return graph

    def to_spec(self) -> dict[str, Any]:
        """A plain spec dict (the format of `loopholes schema`) that round-trips through `loopholes check`."""
        spec: dict[str, Any] = {"name": self.name, "released": self.released.isoformat(), "deploy": self.deploy,
                                "steps": [_step_to_spec(step) for step in self.steps]}
        if self.revenue_usd:
            spec["developers"] = {name: {"revenue_usd": value} for name, value in sorted(self.revenue_usd.items())}
        if self.reach is not None:
            spec["reach"] = {"business_users": self.reach[0], "end_users": self.reach[1]}
        return spec

    @classmethod
    def from_spec(cls, spec: LifecycleSpec, source: str = "") -> "Lifecycle":
        steps = []
        for raw in spec.steps:
            try:
                steps.append(_step_from_spec(raw))
            except SpecError as error:
                raise SpecError(str(error).split(": ", 1)[-1], source=source, step=raw.id,
                                field=error.field) from None
        return cls(
            name=spec.name, released=spec.released, deploy=spec.deploy, steps=tuple(steps),
            revenue_usd={name: d.revenue_usd for name, d in spec.developers.items() if d.revenue_usd is not None},
            reach=(spec.reach.business_users, spec.reach.end_users) if spec.reach else None, source=source,
        )


def _step_from_spec(raw: StepSpec) -> Step:
    hardware = Hardware(**raw.hardware.model_dump()) if raw.hardware else None
    return make_step(
        raw.id, raw.kind, raw.developer, raw.inputs, flop=raw.flop, params=raw.params, tokens=raw.tokens,
        active_params=raw.active_params, hardware=hardware, precision=raw.precision, data=raw.data,
        boost=(raw.boost.method, raw.boost.samples) if raw.boost else None,
        sites=[(s.ops_per_second, s.colocated) for s in raw.sites], cost_usd=raw.cost_usd,
        site_networking=[s.networking_gbps for s in raw.sites],
        open_weights=raw.open_weights, curated_data=raw.curated_data, sparsity=raw.sparsity, disclosed=raw.disclosed,
    )


def _step_to_spec(step: Step) -> dict[str, Any]:
    out: dict[str, Any] = {"id": step.id, "kind": step.kind, "developer": step.developer}
    if step.inputs:
        out["inputs"] = list(step.inputs)
    if step.hardware is not None:
        hw = step.hardware
        out["hardware"] = {"chip": hw.chip, "count": hw.count, "hours": hw.hours, "utilization": hw.utilization}
        if hw.peak_precision:
            out["hardware"]["peak_precision"] = hw.peak_precision
    elif not step.flop_given:
        out["params"], out["tokens"] = step.params, step.tokens
        if step.active_params is not None:
            out["active_params"] = step.active_params
    else:
        out["flop"] = step.flop
    if step.precision != "bf16":
        out["precision"] = step.precision
    if step.data != (("general", 1.0),):
        out["data"] = dict(step.data)
    if step.boost_method:
        out["boost"] = {"method": step.boost_method, "samples": step.boost_samples}
    if step.sites:
        out["sites"] = [{"ops_per_second": ops, "colocated": colocated} for ops, colocated in step.sites]
        for site, gbps in zip(out["sites"], step.site_networking):
            if gbps is not None:
                site["networking_gbps"] = gbps
    for name, default in (("cost_usd", None), ("open_weights", False), ("curated_data", False),
                          ("sparsity", 0.0), ("disclosed", True)):
        value = getattr(step, name)
        if value != default:
            out[name] = value
    return out


_MODEL_INPUTS = {  # kind -> (minimum, maximum) number of model inputs; None = no limit
    "pretrain": (0, 0), "continued_pretrain": (1, 1), "finetune": (1, 1), "rl": (1, 1), "quantize": (1, 1),
    "prune": (1, 1), "inference_boost": (1, 1), "synthetic_data": (1, 1), "distill": (0, None),
    "merge": (2, None), "moe_assemble": (2, None), "ensemble": (2, None), "cascade": (2, None),
}
_ROLE = {
    "continued_pretrain": "its base model", "finetune": "its base model", "rl": "its base model",
    "quantize": "the model it quantizes", "prune": "the model it prunes", "inference_boost": "the model it boosts",
    "synthetic_data": "the generator model", "merge": "at least two member models", "moe_assemble": "at least two expert models",
    "ensemble": "at least two member models", "cascade": "at least two member models",
}


def _topological(steps: tuple[Step, ...]) -> list[Step]:
    """Kahn's algorithm; among ready steps, file order wins, so the order is deterministic.
    Steps on or behind a cycle are left out."""
    import heapq

    position = {step.id: i for i, step in enumerate(steps)}
    waiting = {step.id: len(set(step.inputs)) for step in steps}
    consumers: dict[str, list[str]] = {step.id: [] for step in steps}
    for step in steps:
        for ref in set(step.inputs):
            consumers[ref].append(step.id)
    ready = [position[s.id] for s in steps if waiting[s.id] == 0]
    heapq.heapify(ready)
    order = []
    while ready:
        step = steps[heapq.heappop(ready)]
        order.append(step)
        for consumer in consumers[step.id]:
            waiting[consumer] -= 1
            if waiting[consumer] == 0:
                heapq.heappush(ready, position[consumer])
    return order


def _checked_topological(steps: tuple[Step, ...], deploy: str, source: str) -> tuple[Step, ...]:
    """Check ids, references, input roles and acyclicity; return steps in topological order
    (stable: among ready steps, file order wins, so output is deterministic)."""
    if not steps:
        raise SpecError("a lifecycle needs at least one step", source=source, field="steps")
    by_id: dict[str, Step] = {}
    for step in steps:
        if step.kind not in KINDS:
            raise SpecError(f"unknown kind '{step.kind}'; valid kinds: {', '.join(KINDS)}", source=source, step=step.id, field="kind")
        if step.id in by_id:
            raise SpecError("duplicate step id; every id must be unique", source=source, step=step.id, field="id")
        by_id[step.id] = step
    for step in steps:
        for ref in step.inputs:
            if ref == step.id:
                raise SpecError("a step cannot be its own input", source=source, step=step.id, field="inputs")
            if ref not in by_id:
                raise SpecError(f"input '{ref}' names no step; known ids: {', '.join(by_id)}", source=source, step=step.id, field="inputs")
    if deploy not in by_id:
        raise SpecError(f"deploy '{deploy}' names no step; known ids: {', '.join(by_id)}", source=source, field="deploy")
    order = _topological(steps)
    if len(order) < len(steps):
        placed = {s.id for s in order}
        stuck = [s for s in steps if s.id not in placed]
        raise SpecError(f"the steps {', '.join(s.id for s in stuck)} form a cycle (or depend on one); a lifecycle must be acyclic",
                        source=source, step=stuck[0].id, field="inputs")
    for step in order:
        models = [by_id[i] for i in step.inputs if by_id[i].kind != "synthetic_data"]
        low, high = _MODEL_INPUTS[step.kind]
        if len(models) < low or (high is not None and len(models) > high):
            wanted = _ROLE.get(step.kind, "no model inputs (only synthetic_data steps)")
            article = "an" if step.kind[0] in "aeiou" else "a"
            raise SpecError(f"{article} {step.kind} step takes {wanted} in inputs; it has {len(models)} model input(s)",
                            source=source, step=step.id, field="inputs")
        if step.kind == "distill" and not step.inputs:
            raise SpecError("a distill step needs a teacher: a model or a synthetic_data step in inputs",
                            source=source, step=step.id, field="inputs")
    return tuple(order)


def rooted(lc: Lifecycle, step_id: str) -> Lifecycle:
    """The lifecycle up to `step_id`, with it as the artifact (same date and revenue):
    its lineage is already a valid DAG in topological order."""
    out = Lifecycle.trusted(lc.name, lc.released, step_id, lc.lineage(step_id), lc.reach)
    object.__setattr__(out, "revenue_usd", lc.revenue_usd)
    # Lineages and model trees are keyed by step id and the same in both: share the
    # parent's index and memo instead of recomputing them per judged model.
    out.__dict__["index"] = lc.index
    out.__dict__["_memo"] = lc._memo
    return out
