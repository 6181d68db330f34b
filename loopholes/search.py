"""The search (DESIGN §7): compose gaming strategies into lifecycles, place each counted
quantity just under the line that binds, and keep what escapes the rule while keeping
the capability the rule exists to catch.

How a finding is made, per target domain and reading:

1. A composition of strategies (singles, then pairs and triples for strategies that have
   no finding yet) edits the honest `Plan`; each strategy offers a few parameter variants.
2. Knobs (teacher, core run, modifier compute) are placed in turn by bisection on the
   verdict, which is monotone in each of them, then backed off 1 % and rounded down.
3. The artifact must be uncovered and reach the target (central band); every strategy
   must be needed (drop it and the artifact is covered or falls below the target); no
   step may be droppable; the lifecycle is re-checked through `loopholes check`'s path.
4. Isomorphic lifecycles are kept once (networkx Weisfeiler-Lehman hash).

Same seed, same output: every choice is ordered, and randomness comes from one seeded RNG.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import math
import random
import time
import warnings
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Iterable, Mapping, Sequence

from . import accounting
from .capability import BANDS, Capability, Coefficients, effective_compute, load_coefficients
from .errors import SpecError, UsageError
from .lifecycle import COMPOSITE_KINDS, ON_BASE_KINDS, Lifecycle
from .loading import parse_lifecycle
from .policy import Policy, Reading, Verdict
from .registry import load_policy
from .strategies import Setting, Strategy, get_strategy, registry
from .strategies.plan import Plan, build, round_down

DATA_HORIZON = dt.date(2026, 7, 15)
"""Last publication date in the vendored Epoch data: no release is placed later."""
FULL_COVERAGE = dt.date(2025, 12, 31)
"""Last date the Epoch all-models snapshot covers (data README §5.4); population-based
rules are not judged past it, since their lines would rest on a partial year."""
BACKOFF = 0.99
"""Knobs are placed 1 % under the largest uncovered value, then rounded down."""
MAX_VARIANTS = 8


@dataclass(frozen=True)
class Target:
    """What the adversary wants: the capability of an honest dense model trained at the
    rule's line with the reference date's recipe (plus the standard instruction tune)."""

    domain: str
    honest_flop: float
    bands: tuple[float, float, float]
    lifecycle: Lifecycle

    @property
    def effective_flop(self) -> float:
        return self.bands[1]

    def to_json(self) -> dict:
        return {"domain": self.domain, "effective_flop": self.effective_flop, "honest_training_flop": self.honest_flop,
                "bands": dict(zip(BANDS, self.bands))}


@dataclass
class Finding:
    id: str
    policy: str
    domain: str
    strategies: tuple[str, ...]
    parameters: Mapping[str, Mapping[str, Any]]
    reading: str
    lifecycle: Lifecycle
    verdict: Verdict
    capability: Capability
    target: Target
    evades_under: tuple[str, ...]
    covered_under: tuple[str, ...]
    robust: bool
    margins: dict
    cost: dict

    @property
    def ambiguity(self) -> bool:
        """A loophole only under some readings: the text, not the rule, is the problem."""
        return bool(self.covered_under)

    @property
    def leakage(self) -> float:
        return self.capability.get(self.domain) / self.target.honest_flop

    def to_json(self) -> dict:
        return {"id": self.id, "strategies": list(self.strategies), "domain": self.domain, "reading": self.reading,
                "lifecycle": self.lifecycle.to_spec(), "verdict": self.verdict.to_json(),
                "capability": self.capability.to_json(), "robust": self.robust, "margins": self.margins,
                "cost": self.cost, "evades_under": list(self.evades_under), "covered_under": list(self.covered_under),
                "ambiguity": self.ambiguity, "parameters": _jsonable(self.parameters)}


@dataclass
class SearchResult:
    policy: Policy
    targets: dict[str, Target]
    findings: list[Finding]
    strategies: tuple[str, ...]
    evaluated: int
    seconds: float
    seed: int
    exhausted: bool
    """True when the evaluation or time budget ended the search early."""
    rejected: int = 0
    """Candidates that failed re-verification through the check path (a bug if non-zero)."""
    first_found: dict[str, int] = field(default_factory=dict)
    """Per strategy, the evaluations spent when a lifecycle using it first evaded (benchmarks)."""

    def evading(self, strategy: str) -> list[Finding]:
        return [f for f in self.findings if strategy in f.strategies]

    def leakage(self) -> dict[str, float]:
        """Per domain: the largest effective compute an uncovered artifact reached, divided by
        the rule's nominal line there (DESIGN §8 capability leakage); 0 where nothing leaked."""
        return {domain: max((f.leakage for f in self.findings if f.domain == domain), default=0.0)
                for domain in self.targets}

    def to_json(self, *, timing: bool = True) -> dict:
        stats = {"evaluated": self.evaluated, "seconds": round(self.seconds, 3) if timing else None, "seed": self.seed,
                 "budget_exhausted": self.exhausted, "rejected_on_recheck": self.rejected}
        return {"policy": self.policy.id, "readings": [r.id for r in self.policy.readings],
                "target": next(iter(self.targets.values())).to_json(),  # DESIGN §9: the first domain's
                "targets": [t.to_json() for t in self.targets.values()],  # every domain the rule draws a line in
                "strategies": list(self.strategies),
                "evaded": {s: [f.id for f in self.evading(s)] for s in self.strategies},
                "findings": [f.to_json() for f in self.findings], "leakage": self.leakage(), "stats": stats}


# -- the engine ------------------------------------------------------------------------

class _Budget:
    def __init__(self, max_evals: int, max_seconds: float | None):
        self.max_evals, self.max_seconds = max_evals, max_seconds
        self.used = 0
        self.start = time.perf_counter()

    def spend(self, n: int = 1) -> None:
        self.used += n

    @property
    def exhausted(self) -> bool:
        if self.used >= self.max_evals:
            return True
        return self.max_seconds is not None and time.perf_counter() - self.start > self.max_seconds


def honest_target(policy: Policy, domain: str, training_flop: float | None = None) -> Target:
    """The capability of an honest dense model at the rule's line for `domain` (or at
    `training_flop`), trained with the reference date's recipe and instruction-tuned."""
    if training_flop is None:
        if domain not in policy.target_lines:
            raise UsageError(f"policy '{policy.id}' draws no line for domain '{domain}'; its domains: "
                             f"{', '.join(policy.target_lines)} (or give --target-flop)")
        training_flop = policy.target_lines[domain]
    plan = Plan(domain=domain, released=policy.reference_date, core_flop=training_flop)
    lc = build(plan, name=f"honest-{domain}")
    cap = effective_compute(lc, policy.reference_date, policy.coefficients)
    return Target(domain, training_flop, cap[domain], lc)


def search(policy: "str | Policy", *, strategies: Sequence[str] | None = None, domain: str | None = None,
           target_flop: float | None = None, seed: int = 0, max_evals: int = 400_000, max_seconds: float | None = None,
           depth: int = 3, coefficients: "str | Coefficients | None" = None,
           progress: Callable[[int, int], None] | None = None) -> SearchResult:
    """Find lifecycles that escape `policy` while keeping the target capability."""
    chosen = load_policy(policy)
    if coefficients is not None:
        chosen = chosen.with_coefficients(coefficients if isinstance(coefficients, Coefficients) else load_coefficients(coefficients))
    if max_evals < 1:
        raise UsageError("--max-evals must be at least 1")
    if depth < 1 or depth > 4:
        raise UsageError("depth must be between 1 and 4")
    if target_flop is not None and not (math.isfinite(target_flop) and target_flop > 0):
        raise UsageError("--target-flop must be a positive finite number of FLOP")
    pool = [get_strategy(s) for s in (strategies or list(registry()))]
    domains = [domain] if domain else list(chosen.target_lines)
    targets = {d: honest_target(chosen, d, target_flop) for d in domains}
    budget = _Budget(max_evals, max_seconds)
    engine = _Engine(chosen, targets, pool, random.Random(seed), budget, depth)
    findings, rejected = engine.run(progress)
    return SearchResult(chosen, targets, findings, tuple(s.id for s in pool), budget.used,
                        time.perf_counter() - budget.start, seed, budget.exhausted, rejected, engine.first_found)


class _Engine:
    def __init__(self, policy: Policy, targets: dict[str, Target], pool: list[Strategy], rng: random.Random,
                 budget: _Budget, depth: int):
        self.policy, self.targets, self.pool, self.rng, self.budget, self.depth = policy, targets, pool, rng, budget, depth
        self.latest = _latest_date(policy)
        self.rejected = 0
        self.first_found: dict[str, int] = {}
        self.done: set[tuple[str, str, tuple[str, ...]]] = set()
        """(domain, reading, strategies) that already have a finding evading under that reading."""

    # the outer loop ----------------------------------------------------------------
    def run(self, progress) -> tuple[list[Finding], int]:
        """Breadth first: single strategies for every domain and reading, then pairs, then
        triples, so a simple finding is never waiting behind compositions elsewhere."""
        found: dict[tuple[str, str], Finding] = {}
        jobs = [(size, domain, reading) for size in range(1, self.depth + 1)
                for domain in self.targets for reading in self.policy.readings]
        for done, (size, domain, reading) in enumerate(jobs):
            self._search_one(domain, reading, size, found)
            if progress:
                progress(done + 1, len(jobs))
        return _ranked(found.values()), self.rejected

    def _search_one(self, domain: str, reading: Reading, size: int, found: dict) -> None:
        setting = Setting(self.policy, reading, domain, self.policy.reference_date, self.latest, self.rng)
        usable = [s for s in self.pool if s.applies(self.policy, domain)]
        covered_strategies = {s for (d, r, combo) in self.done if d == domain and r == reading.id for s in combo}
        for combo in itertools.combinations(usable, size):
            if self.budget.exhausted:
                return
            ids = tuple(s.id for s in combo)
            if (domain, reading.id, ids) in self.done:
                continue  # an earlier reading's finding already evades under this one
            if size > 1 and all(s in covered_strategies for s in ids):
                continue
            if len({s.group for s in combo}) < size:
                continue
            finding = self._try_combo(combo, setting, domain, reading)
            if finding is None:
                continue
            key = (domain, _graph_key(finding.lifecycle))
            if key not in found:
                found[key] = finding
            covered_strategies.update(finding.strategies)
            self.done.update((domain, r, finding.strategies) for r in finding.evades_under)

    # one composition ------------------------------------------------------------
    def _try_combo(self, combo: tuple[Strategy, ...], setting: Setting, domain: str, reading: Reading) -> Finding | None:
        best: tuple | None = None
        for params in self._variant_sets(combo, setting):
            if self.budget.exhausted:
                break
            plan = self._placed_plan(combo, params, domain, reading)
            if plan is None:
                continue
            lc = build(plan)
            cap = self._capability(lc)
            target = self.targets[domain]
            if cap[domain][1] < target.bands[1]:
                continue
            if not all(self._needed(s, combo, params, plan, domain, reading) for s in combo):
                continue
            for strategy in combo:
                self.first_found.setdefault(strategy.id, self.budget.used)
            # robust first, then the simplest lifecycle, then the widest margin at the low end
            score = (cap[domain][0] >= target.bands[0], -len(lc.steps), cap[domain][0] / target.bands[0])
            if best is None or score > best[0]:
                best = (score, plan, params, lc)
        if best is None:
            return None
        _, plan, params, lc = best
        lc = self._minimised(lc, domain, reading)
        return self._verified_finding(combo, params, plan, lc, domain, reading)

    def _variant_sets(self, combo, setting) -> list[dict[str, Mapping[str, Any]]]:
        options = [list(s.variants(setting)) or [{}] for s in combo]
        product = list(itertools.product(*options))
        if len(product) > MAX_VARIANTS:
            keep = [product[0]] + self.rng.sample(product[1:], MAX_VARIANTS - 1)
            product = sorted(keep, key=product.index)
        return [{s.id: p for s, p in zip(combo, choice)} for choice in product]

    def _plan(self, combo, params, domain) -> Plan:
        plan = Plan(domain=domain, released=self.policy.reference_date)
        for strategy in combo:
            strategy.apply(plan, params[strategy.id])
        plan.released = min(plan.released, self.latest)
        return plan

    # knob placement -------------------------------------------------------------
    def _placed_plan(self, combo, params, domain, reading) -> Plan | None:
        plan = self._plan(combo, params, domain)
        line = self.policy.target_lines.get(domain, max(self.policy.target_lines.values()))
        ceiling = max(2 * max(self.policy.target_lines.values()), _frontier(plan.released, "general"))
        knobs = []
        if plan.core == "distill":
            teacher_cap = _frontier(plan.released, plan.teacher_domain or domain)
            if teacher_cap <= 0:
                return None
            knobs.append(("teacher_flop", line * 1e-3, teacher_cap))
        knobs.append(("core_flop", line * 1e-4, ceiling))
        if plan.modifiers:
            knobs.append(("modifier_flop", line * 1e-6, ceiling))
        for name, low, _ in knobs:
            setattr(plan, name, low)
        for name, low, high in knobs:
            value = self._largest_uncovered(plan, name, low, high, reading)
            if value is None:
                return None
            setattr(plan, name, value)
        return plan

    def _largest_uncovered(self, plan: Plan, name: str, low: float, high: float, reading: Reading) -> float | None:
        """The largest knob value in [low, high] that leaves the artifact uncovered (the
        verdict is monotone in every knob), backed off 1 % and rounded down.

        Most measures are linear in a knob, so the two end points' traces predict where
        each clause triggers; the first prediction that checks out is used, and bisection
        is the fallback when none does (non-linear rules, provider changes)."""
        at_low = self._trace(plan, name, low, reading)
        if at_low is None:
            return None
        at_high = self._trace(plan, name, high, reading)
        if at_high is not None:
            return round_down(high)
        at_high = self._clauses(plan, name, high, reading)
        for guess in _crossings(at_low, at_high, low, high):
            below, above = guess * (1 - 1e-3), guess * (1 + 1e-3)
            if low < below and above < high and self._trace(plan, name, below, reading) is not None \
                    and self._trace(plan, name, above, reading) is None:
                return round_down(below * BACKOFF)
        lo, hi = math.log(low), math.log(high)
        while hi - lo > 1e-4:
            mid = (lo + hi) / 2
            if self._covered(plan, name, math.exp(mid), reading):
                hi = mid
            else:
                lo = mid
        return round_down(math.exp(lo) * BACKOFF)

    def _trace(self, plan: Plan, name: str, value: float, reading: Reading):
        """The clause trace at a knob value if the artifact is uncovered there, else None."""
        clauses = self._clauses(plan, name, value, reading)
        covered = any(c.triggered and c.tier in self.policy.covered_tiers for c in clauses)
        return None if covered else clauses

    def _clauses(self, plan: Plan, name: str, value: float, reading: Reading):
        setattr(plan, name, value)
        self.budget.spend()
        return self.policy.evaluate_rules(build(plan), reading)

    def _covered(self, plan: Plan, name: str, value: float, reading: Reading) -> bool:
        setattr(plan, name, value)
        self.budget.spend()
        return self.policy.is_covered(build(plan), reading)

    def _capability(self, lc: Lifecycle) -> Capability:
        self.budget.spend()
        return effective_compute(lc, self.policy.reference_date, self.policy.coefficients)

    def _evades(self, lc: Lifecycle, domain: str, reading: Reading) -> bool:
        self.budget.spend()
        if self.policy.is_covered(lc, reading):
            return False
        return self._capability(lc)[domain][1] >= self.targets[domain].bands[1]

    # attribution and minimality ----------------------------------------------------
    def _needed(self, strategy, combo, params, placed: Plan, domain, reading) -> bool:
        """Drop `strategy` (apply the others to a fresh plan, same knobs): is the artifact
        then covered or below the target?"""
        rest = tuple(s for s in combo if s is not strategy)
        plan = self._plan(rest, params, domain)
        if strategy.undo is not None:
            strategy.undo(plan, params[strategy.id])
        plan.core_flop, plan.teacher_flop, plan.modifier_flop = placed.core_flop, placed.teacher_flop, placed.modifier_flop
        return not self._evades(build(plan), domain, reading)

    def _minimised(self, lc: Lifecycle, domain: str, reading: Reading) -> Lifecycle:
        """Drop steps one at a time while the artifact still evades (DESIGN §7: no step
        can be dropped from a finding)."""
        changed = True
        while changed:
            changed = False
            for smaller in _one_step_smaller(lc):
                if self._evades(smaller, domain, reading):
                    lc, changed = smaller, True
                    break
        return lc

    # verification and packaging ----------------------------------------------------
    def _verified_finding(self, combo, params, plan, lc, domain, reading) -> Finding | None:
        """Re-check through the public path: spec dict -> pydantic -> Lifecycle -> verdict."""
        strategies = tuple(s.id for s in combo)
        name = f"{self.policy.id}-{domain}-{'+'.join(strategies)}"
        spec = Lifecycle(name=name, released=lc.released, deploy=lc.deploy, steps=lc.steps, reach=lc.reach).to_spec()
        replayed = parse_lifecycle(spec, source=f"finding {name}")
        verdict = self.policy.evaluate(replayed, reading)
        target = self.targets[domain]
        cap = verdict.capability
        if verdict.covered or cap[domain][1] < target.bands[1]:
            self.rejected += 1
            return None
        evades, covered = [], []
        for other in self.policy.readings:
            (covered if self.policy.evaluate(replayed, other).covered else evades).append(other.id)
        external = {s.id for s in replayed.steps if s.id in plan.external}
        cost_flop = math.fsum(s.flop for s in replayed.lineage() if s.id not in external)
        honest_cost = accounting.lineage_compute(target.lifecycle, accounting.Counting(estimate="executed"))
        margins = {
            "under": {c.rule: {"measured": c.measured, "threshold": c.threshold, "ratio": c.margin, "clause": c.clause}
                      for c in verdict.clauses if c.tier in self.policy.covered_tiers},
            "over_target": {band: cap[domain][i] / target.bands[i] for i, band in enumerate(BANDS)},
        }
        finding_id = f"{domain}/{'+'.join(strategies)}/{_graph_key(replayed)[:6]}"
        return Finding(finding_id, self.policy.id, domain, strategies, params, reading.id, replayed, verdict, cap,
                       target, tuple(evades), tuple(covered), cap[domain][0] >= target.bands[0], margins,
                       {"flop": cost_flop, "ratio_to_honest": cost_flop / honest_cost})


# -- helpers -------------------------------------------------------------------------

def _one_step_smaller(lc: Lifecycle) -> Iterable[Lifecycle]:
    """Every lifecycle with one step bypassed (a one-input step's consumers take its input)
    or one member of a 3+ member composition removed, in step order."""
    for step in lc.steps:
        if step.kind in ON_BASE_KINDS or step.kind == "synthetic_data":
            source = step.inputs[0]
            steps = [s if step.id not in s.inputs else _rewired(s, step.id, source) for s in lc.steps if s.id != step.id]
            deploy = source if lc.deploy == step.id else lc.deploy
            yield from _valid(lc, steps, deploy)
        consumers = [s for s in lc.steps if step.id in s.inputs and s.kind in COMPOSITE_KINDS]
        if consumers and all(len(c.inputs) > 2 for c in consumers):
            keep = [s if step.id not in s.inputs else _without(s, step.id) for s in lc.steps if s.id != step.id]
            yield from _valid(lc, _prune_unused(keep, lc.deploy), lc.deploy)


def _valid(lc, steps, deploy):
    try:
        yield Lifecycle(name=lc.name, released=lc.released, deploy=deploy, steps=tuple(steps), reach=lc.reach)
    except SpecError:  # a bypass that breaks an input role is simply not a candidate
        return


def _rewired(step, old, new):
    return replace(step, inputs=tuple(new if i == old else i for i in step.inputs))


def _without(step, member):
    return replace(step, inputs=tuple(i for i in step.inputs if i != member))


def _prune_unused(steps, deploy):
    needed, stack = set(), [deploy]
    index = {s.id: s for s in steps}
    while stack:
        current = stack.pop()
        if current not in needed:
            needed.add(current)
            stack.extend(index[current].inputs)
    return [s for s in steps if s.id in needed]


def _crossings(at_low, at_high, low: float, high: float) -> list[float]:
    """Knob values where each covering clause would reach its line, assuming its measure
    is linear in the knob between the two end points; ascending."""
    guesses = []
    for a, b in zip(at_low, at_high):
        slope = (b.measured - a.measured) / (high - low)
        if slope > 0 and a.threshold == b.threshold:
            guess = low + (a.threshold - a.measured) / slope
            if low < guess < high:
                guesses.append(guess)
    return sorted(set(guesses))


def _graph_key(lc: Lifecycle) -> str:
    """Isomorphism-invariant hash of the networkx graph: structure plus each step's kind,
    developer role, precision, data mix, recipe and compute (3 significant figures)."""
    import networkx as nx

    graph = lc.to_graph()
    roles: dict[str, str] = {}
    for step in lc.steps:
        role = roles.setdefault(step.developer, f"d{len(roles)}")
        graph.nodes[step.id]["label"] = "|".join([
            step.kind, role, step.precision, f"{step.reported_flop:.3g}", f"{step.flop:.3g}", repr(step.data),
            repr(step.boost_method), str(step.boost_samples), str(step.curated_data), f"{step.sparsity:.3g}",
            str(len(step.sites)), lc.released.isoformat() if lc.deploy == step.id else ""])
    with warnings.catch_warnings():  # networkx >= 3.5 warns that directed hashes changed once
        warnings.simplefilter("ignore", UserWarning)
        return nx.weisfeiler_lehman_graph_hash(graph, node_attr="label", iterations=3)


def _ranked(findings: Iterable[Finding]) -> list[Finding]:
    """Best first: robust findings, then the widest margin over the target at the low end."""
    return sorted(findings, key=lambda f: (not f.robust, -f.margins["over_target"]["low"], f.strategies, f.id))


@functools.lru_cache(maxsize=None)
def _frontier(when: dt.date, domain: str) -> float:
    """Largest known training compute of a real model released by `when` in `domain`
    (biological-sequence models for 'bio'): bounds how capable a teacher can be."""
    from .population import load_population

    population = load_population()
    if domain == "bio":
        return max((r.flop() for r in population.known() if r.biological_sequence and r.published and r.published <= when),
                   default=0.0)
    return population.largest_flop_by(when)


def _latest_date(policy: Policy) -> dt.date:
    """No release after the rule was revoked, after the data horizon, or — for rules that
    rank real models — after the last fully covered year."""
    latest = FULL_COVERAGE if policy.population_based else DATA_HORIZON
    if policy.in_force_until is not None:
        latest = min(latest, policy.in_force_until)
    return max(latest, policy.reference_date)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value
