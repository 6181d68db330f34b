"""Over-inclusion: the other error of a compute line (issue 15 item 2; docs/findings.md).

A rule over-includes when it covers a model that is far less capable than what it exists
to catch. The size is the mirror of leakage: the honest target's central effective compute
over the covered artifact's, `over_inclusion = target / capability`, taken in the domain
where the artifact comes closest to one of the rule's own targets (a bio model covered at
a bio line is not "over-included" because its general capability is small).

What may produce it is restricted to what the rule *counts*, never to wasted training:

- every training run is an honest run: compute-optimal, the reference date's recipe and
  release date, the target's practices profile (`strategies.plan.honest_plan`); a teacher
  is an honest deployed model (its own instruction tune and standard practices), so no
  bare-teacher ceiling; no throttling, no off-optimal shapes, no sparsity;
- each mechanism is an accounting choice the papers name (MECHANISMS): parts summed as
  one, upstream compute charged to a student, other parties' fine-tunes summed, integer
  operations counted like floating point, a share test that counts a half-general run
  whole at the bio line; knobs stay inside the bounds of the strategy each one cites. A
  developer's own over-estimate (a BF16 run costed at the FP8 peak) is not one: the rule
  counts what the developer reports, and over-reporting is an error the developer can
  avoid, not a burden the text imposes;
- a lifecycle whose capability is below an honest run of its own largest run's compute
  (same data, same precision) is rejected as wasteful (`wasteful`), whatever produced it.

How a finding is made, per target domain and reading: the compute of the core run is
placed just *above* the smallest value the rule covers (1 % over the crossing, rounded up
to three significant figures), a mechanism is credited only if no composition without it
comes within SAME_LEAKAGE of the figure, a figure whose knob sits at its range end carries
`bounded_by` (a lower bound), every finding is re-verified as covered through
`loopholes.check`, and its probability comes from joint coefficient draws
(`p_over`: covered *and* over-inclusion at least the material factor). Same seed, same
output.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import math
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

from .capability import Capability, Coefficients, effective_compute, load_coefficients
from .capability_columns import each_table
from .collector import relaxing
from .errors import UsageError
from .lifecycle import TRAINING_KINDS, Lifecycle, make_step
from .loading import parse_lifecycle
from .rules.framework import Policy, Reading
from .rules.registry import load_policy
from .search import MATERIAL_FACTOR, SAME_LEAKAGE, Target, honest_target, largest_run_by
from .sensitivity import joint_draws, one_at_a_time
from .strategies import has_rule_kind
from .strategies.plan import (HONEST_FINETUNE_SHARE, TEACHER_OWNER, Plan, build, next_grid, round_down,
                              standard)

OVERSHOOT = 1.01
"""A knob is placed 1 % above the crossing, then rounded up: the mirror of the search's
1 % back-off, so the figure never rests on a value exactly at the line."""
FLOOR = 1e-4
"""Smallest core run the search builds, as a share of the line (the leakage search's own
lower end). A figure stopped there is a lower bound: the rule's count has no floor."""
FLOOR_TEXT = "core run at the smallest"
STRADDLE = 1e-4
DEFAULT_MAX_EVALS = 20_000
DEFAULT_DRAWS = 100
"""Joint coefficient draws per finding (the leakage search uses 300; over-inclusion figures
rest on few coefficients, and 100 keeps a rule's pass under about two seconds)."""
DEFAULT_DEPTH = 2
"""Compositions of up to two mechanisms: sizes of independent mechanisms multiply, so a
third adds only its own factor, which its own finding already shows."""


# -- mechanisms -----------------------------------------------------------------------

@dataclass(frozen=True)
class Mechanism:
    """An accounting choice that can make a rule cover a weaker model than its target."""

    id: str
    counts: str
    """What the rule counts, in words (for reports)."""
    strategy: str
    """The gaming strategy whose citation and bounds it shares (loopholes.strategies)."""
    cites: str
    bounds: Mapping[str, str]
    group: str
    variants: Callable[[Policy, str], list[dict]]
    apply: Callable[[Plan, Mapping[str, Any]], None]
    applies: Callable[[Policy, str], bool] = lambda policy, domain: True


def _members(plan: Plan, params: Mapping[str, Any]) -> None:
    plan.members, plan.system = params["members"], params["system"]


def _experts(plan: Plan, params: Mapping[str, Any]) -> None:
    plan.core, plan.experts = "moe", params["experts"]


def _distill(plan: Plan, params: Mapping[str, Any]) -> None:
    plan.core = "distill"


def _modifiers(plan: Plan, params: Mapping[str, Any]) -> None:
    plan.modifiers = params["modifiers"]


def _integer(plan: Plan, params: Mapping[str, Any]) -> None:
    plan.precision = "int8"


def _share(plan: Plan, params: Mapping[str, Any]) -> None:
    plan.data = {"bio": params["bio_share"], "general": round(1 - params["bio_share"], 6)}


def _share_variants(policy: Policy, domain: str) -> list[dict]:
    line = float(getattr(policy.parameters.get("primarily_share"), "value", 0.5))
    return [{"bio_share": round(min(line + 0.01, 1.0), 4)}]


MECHANISMS: dict[str, Mechanism] = {m.id: m for m in (
    Mechanism("summed-members", "the compute of every member of a cascade or ensemble, summed as one model's "
              "(the encoding's reading of 'model', J: no enacted text says how a system of models is counted)",
              "cascade", "Hooker 2024 §3.1.3-3.1.4; primer §2.3",
              {"members": "2 to 15 (the cascade strategy's bound: 15-way voting is the largest measured, Li et al. "
                          "2024)", "system": "cascade (router) or ensemble (majority vote)"},
              "system", lambda p, d: [{"members": 15, "system": "cascade"}, {"members": 15, "system": "ensemble"}],
              _members),
    Mechanism("summed-experts", "the compute of separately trained experts, summed as one mixture's (the "
              "encoding's reading of 'model', J)",
              "moe-assembly", "Hooker 2024 §3.1.3; primer §2.3",
              {"experts": "2 to 8 (Mixtral 8x7B has 8)"}, "core", lambda p, d: [{"experts": 8}], _experts),
    Mechanism("upstream-compute", "a teacher's training and the generation of its synthetic data, charged to "
              "the student", "distillation", "Hooker 2024 §3.1.1; primer §2.1",
              {"teacher": "an honest deployed model at most the largest training run that existed by the reference "
                          "date (Epoch AI data)",
               "generation": "2 x N_teacher x D_student (Kaplan et al. 2020 forward-pass count)"},
              "core", lambda p, d: [{}], _distill),
    Mechanism("summed-finetunes", "other parties' fine-tunes, summed with the model they start from",
              "decentralized-finetune", "Hooker 2024 §3.1.2; primer §2.3",
              {"modifiers": "1 to 3 parties (J)", "modifier_flop": "each a tenth of the base run, honest recipe"},
              "post", lambda p, d: [{"modifiers": 3}], _modifiers),
    Mechanism("integer-full-weight", "integer (INT8) operations counted like floating-point ones",
              "integer-precision", "Hooker 2024 Appendix A; AI Act Art. 3(67)",
              {"precision": "int8, capability per operation training_8bit (0.75 / 0.95 / 1.0)"},
              "precision", lambda p, d: [{}], _integer),
    Mechanism("share-test", "all the compute of a run with just over the 'primarily' share of biological data, "
              "at the bio line", "bio-dilution", "Hooker 2024 §3.1.5; EO 14110 §4.2(b)(i)",
              {"bio_share": "one point above the rule's own share test (primarily_share)"},
              "data", _share_variants, _share,
              lambda policy, domain: domain == "bio" and has_rule_kind(policy, "(bio data)")),
)}

MODIFIER_SHARE = 0.1
"""Each other party's fine-tune, as a share of the base run (summed-finetunes)."""


# -- results --------------------------------------------------------------------------

@dataclass
class OverInclusionFinding:
    id: str
    policy: str
    domain: str
    """The target domain the model is trained for (its plan's); over-inclusion is measured there."""
    mechanisms: tuple[str, ...]
    parameters: Mapping[str, Mapping[str, Any]]
    reading: str
    covered_under: tuple[str, ...]
    lifecycle: Lifecycle
    clauses: tuple[dict, ...]
    """The clauses that cover it under `reading` (measured, threshold, clause)."""
    capability: Capability
    target: Target
    over_inclusion: float
    """Central target effective compute over the artifact's, in `domain`."""
    by_domain: Mapping[str, float]
    bounded_by: tuple[str, ...] = ()
    """Search bounds a knob stopped at: the figure is then a lower bound."""
    no_floor: bool = False
    """The core run sits at the smallest the search builds and is still covered: the rule's
    count has no floor there, and the figure grows without limit as the run shrinks."""
    adds: Mapping[str, float] = field(default_factory=dict)
    material_factor: float = MATERIAL_FACTOR
    p_over: float | None = None
    draws: int | None = None
    hinge: dict | None = None
    summary: str = ""

    @property
    def strategies(self) -> tuple[str, ...]:
        return tuple(MECHANISMS[m].strategy for m in self.mechanisms)

    @property
    def material(self) -> bool:
        return self.over_inclusion >= self.material_factor

    @property
    def bounded(self) -> bool:
        return bool(self.bounded_by)

    def to_json(self) -> dict:
        return {"id": self.id, "policy": self.policy, "domain": self.domain, "mechanisms": list(self.mechanisms),
                "strategies": list(self.strategies), "counts": [MECHANISMS[m].counts for m in self.mechanisms],
                "parameters": {k: dict(v) for k, v in self.parameters.items()}, "reading": self.reading,
                "covered_under": list(self.covered_under), "lifecycle": self.lifecycle.to_spec(),
                "clauses": [dict(c) for c in self.clauses], "capability": self.capability.to_json(),
                "target": self.target.to_json(), "over_inclusion": self.over_inclusion,
                "by_domain": dict(self.by_domain), "material": self.material,
                "material_factor": self.material_factor, "bounded_by": list(self.bounded_by),
                "bounded": self.bounded, "no_floor": self.no_floor,
                "adds": {k: (v if math.isfinite(v) else None) for k, v in self.adds.items()},
                "p_over": self.p_over, "draws": self.draws, "hinge": self.hinge, "summary": self.summary}


@dataclass
class OverInclusionResult:
    policy: Policy
    targets: dict[str, Target]
    findings: list[OverInclusionFinding]
    mechanisms: tuple[str, ...]
    tried: dict[str, str]
    """Per mechanism: 'material' or 'marginal' (the state of the finding that speaks for it,
    `representative`), 'none' (tried, nothing credited) or 'n/a'."""
    evaluated: int
    seconds: float
    seed: int
    exhausted: bool
    material_factor: float = MATERIAL_FACTOR
    rejected: int = 0
    """Candidates that failed re-verification through `loopholes.check` (a bug if non-zero)."""
    baseline: dict[str, dict[str, float]] = field(default_factory=dict)
    """Per domain and reading: the over-inclusion of an honest run placed just above the
    smallest compute the rule covers, with no mechanism (about 0.99 where the rule's line
    is its target; more where a reading draws a lower line than the target)."""
    wasteful: int = 0
    """Candidates rejected because a run in them was less capable than an honest run of its compute."""
    representative: dict[str, str] = field(default_factory=dict)
    """Per mechanism with a finding, the one that speaks for it (`tried` is its state)."""

    def worst(self, domain: str) -> OverInclusionFinding | None:
        """The largest over-inclusion in a domain. A count with no floor comes first (its figure
        only says where the search stopped), and among those the simplest; otherwise the
        largest figure, measured before bounded at the same size."""
        return max((f for f in self.findings if f.domain == domain), key=_worst_key, default=None)

    def worst_material(self) -> OverInclusionFinding | None:
        return max((f for f in self.findings if f.material), key=_worst_key, default=None)

    def to_json(self, *, timing: bool = True) -> dict:
        return {"policy": self.policy.id, "readings": [r.id for r in self.policy.readings],
                "targets": [t.to_json() for t in self.targets.values()], "material_factor": self.material_factor,
                "mechanisms": {m: {"state": self.tried[m], "finding": self.representative.get(m), "counts": MECHANISMS[m].counts,
                                   "strategy": MECHANISMS[m].strategy, "cites": MECHANISMS[m].cites,
                                   "bounds": dict(MECHANISMS[m].bounds)} for m in self.mechanisms},
                "worst": {d: (w.id if (w := self.worst(d)) else None) for d in self.targets},
                "baseline": self.baseline,
                "findings": [f.to_json() for f in self.findings],
                "stats": {"evaluated": self.evaluated, "seconds": round(self.seconds, 3) if timing else None,
                          "seed": self.seed, "budget_exhausted": self.exhausted,
                          "rejected_on_recheck": self.rejected, "rejected_as_wasteful": self.wasteful}}


def _worst_key(f: OverInclusionFinding) -> tuple:
    return (f.no_floor, -len(f.mechanisms) if f.no_floor else 0, f.over_inclusion, not f.bounded, _order(f))


def _order(f: OverInclusionFinding) -> tuple:
    """Among equals, the simplest and then a fixed order (determinism)."""
    return (-len(f.mechanisms), tuple(-ord(c) for c in f.id))


# -- the search -----------------------------------------------------------------------

@relaxing  # fewer garbage collections while it runs (loopholes.collector)
def over_inclusion(policy: "str | Policy", *, seed: int = 0, max_evals: int = DEFAULT_MAX_EVALS,
                   draws: int = DEFAULT_DRAWS, material: float = MATERIAL_FACTOR,
                   mechanisms: Sequence[str] | None = None, depth: int = DEFAULT_DEPTH,
                   target_profile: str = "standard") -> OverInclusionResult:
    """Lifecycles `policy` covers whose capability is far below its own targets, made only of
    honest runs (module docstring). Same seed, same output (only `seconds` is wall-clock)."""
    chosen = load_policy(policy)
    if max_evals < 1:
        raise UsageError("max_evals must be at least 1")
    if not (math.isfinite(material) and material >= 1):
        raise UsageError("material must be a finite factor of at least 1")
    if not 1 <= draws <= 100_000:
        raise UsageError("draws must be between 1 and 100000")
    if not 1 <= depth <= 3:
        raise UsageError("depth must be between 1 and 3")
    names = list(mechanisms) if mechanisms is not None else list(MECHANISMS)
    unknown = [m for m in names if m not in MECHANISMS]
    if unknown:
        raise UsageError(f"unknown mechanism '{unknown[0]}'; valid: {', '.join(MECHANISMS)}")
    engine = _Engine(chosen, [MECHANISMS[m] for m in names], max_evals, depth, target_profile)
    findings = engine.run()
    sens = _Sensitivity(chosen, engine.targets, material, seed, draws)
    for f in findings:
        f.material_factor = material
        f.p_over, f.hinge = sens.analyse(f)
        f.draws = draws
    findings.sort(key=lambda f: (-f.over_inclusion, f.bounded, f.mechanisms, f.id))
    tried, representative = {}, {}
    for m in names:
        rep = _representative(findings, m)
        if rep is not None:
            tried[m], representative[m] = ("material" if rep.material else "marginal"), rep.id
        elif not any(MECHANISMS[m].applies(chosen, d) for d in engine.targets):
            tried[m] = "n/a"
        else:
            tried[m] = "none"
    baseline = {d: {r.id: engine._best((), d, r).over for r in chosen.readings} for d in engine.targets}
    return OverInclusionResult(chosen, engine.targets, findings, tuple(names), tried, engine.used,
                               time.perf_counter() - engine.start, seed, engine.exhausted, material,
                               engine.rejected, baseline, engine.wasteful, representative)


def _representative(findings: Sequence["OverInclusionFinding"], mechanism: str) -> "OverInclusionFinding | None":
    """The finding that speaks for a mechanism: among those where it adds most (within
    SAME_LEAKAGE), the simplest, so a composition carried by another mechanism does not
    lend it its figure (as the leakage matrix does)."""
    using = [f for f in findings if mechanism in f.mechanisms]
    if not using:
        return None
    most = max(f.adds[mechanism] for f in using)
    near = [f for f in using if f.adds[mechanism] >= most * (1 - SAME_LEAKAGE)]
    return min(near, key=lambda f: (len(f.mechanisms), -f.over_inclusion, f.id))


@dataclass
class _Best:
    over: float
    plan: Plan | None = None
    params: dict | None = None
    lifecycle: Lifecycle | None = None
    bounds: tuple[str, ...] = ()
    domain: str | None = None


class _Engine:
    def __init__(self, policy: Policy, pool: list[Mechanism], max_evals: int, depth: int, profile: str):
        self.policy, self.pool, self.max_evals, self.depth, self.profile = policy, pool, max_evals, depth, profile
        self.targets = {d: honest_target(policy, d, None, profile) for d in policy.target_lines}
        self.used, self.start = 0, time.perf_counter()
        self.memo: dict[tuple, _Best] = {}
        self.crossings: dict[tuple, float | None] = {}
        self.capabilities: dict[int, Capability] = {}
        self.rejected = self.wasteful = 0

    @property
    def exhausted(self) -> bool:
        return self.used >= self.max_evals

    # outer loop
    def run(self) -> list[OverInclusionFinding]:
        found: dict[tuple, OverInclusionFinding] = {}
        for domain in self.targets:
            usable = [m for m in self.pool if m.applies(self.policy, domain)]
            for reading in self.policy.readings:
                for size in range(1, self.depth + 1):
                    for combo in itertools.combinations(usable, size):
                        if self.exhausted:
                            return list(found.values())
                        if len({m.group for m in combo}) < size:
                            continue
                        finding = self._try(combo, domain, reading)
                        if finding is None:
                            continue
                        key = (finding.domain, _spec_key(finding.lifecycle))
                        if key not in found or finding.over_inclusion > found[key].over_inclusion:
                            found[key] = finding
        return list(found.values())

    def _try(self, combo, domain: str, reading: Reading) -> OverInclusionFinding | None:
        best = self._best(combo, domain, reading)
        if best.plan is None or best.over < 1.0:
            return None
        adds = {}
        for m in combo:
            rest = [x for x in combo if x is not m]
            without = max((self._best(sub, domain, reading).over for n in range(len(rest) + 1)
                           for sub in itertools.combinations(rest, n)), default=0.0)
            if without >= best.over * (1 - SAME_LEAKAGE):
                return None  # a composition without it over-includes as much: not needed
            adds[m.id] = best.over / without if without > 0 else math.inf
        return self._verified(combo, best, reading, adds)

    def _best(self, combo, domain: str, reading: Reading) -> _Best:
        """The largest over-inclusion of a composition over its variants (memoised); the
        fewest steps among equals."""
        key = (domain, reading.id, tuple(m.id for m in combo))
        if key in self.memo:
            return self.memo[key]
        best = _Best(0.0)
        options = [m.variants(self.policy, domain) or [{}] for m in combo]
        for choice in itertools.product(*options):
            params = {m.id: dict(p) for m, p in zip(combo, choice)}
            placed = self._placed(combo, params, domain, reading)
            if placed is None:
                continue
            plan, lc, bounds = placed
            cap = self._capability(lc)
            over = _over(cap, self.targets, domain)
            if self._wasteful(plan, lc, cap, domain):
                self.wasteful += 1
                continue
            if best.plan is None or over > best.over * (1 + 1e-12) or \
                    (over >= best.over * (1 - 1e-12) and len(lc.steps) < len(best.lifecycle.steps)):
                best = _Best(over, plan, params, lc, bounds, domain)
        self.memo[key] = best
        return best

    # plans and lifecycles
    def _plan(self, combo, params, domain: str) -> Plan:
        plan = Plan(domain=domain, released=self.policy.reference_date, profile=self.profile)
        for m in combo:
            m.apply(plan, params[m.id])
        if plan.core == "distill":
            plan.teacher_flop = largest_run_by(plan.released, plan.teacher_domain or domain)
        return plan

    def _set(self, plan: Plan, value: float) -> Lifecycle:
        plan.core_flop = value
        if plan.modifiers:
            plan.modifier_flop = round_down(value * MODIFIER_SHARE)
        self.used += 1
        return honest_lifecycle(plan)

    def _placed(self, combo, params, domain: str, reading: Reading):
        plan = self._plan(combo, params, domain)
        if plan.core == "distill" and plan.teacher_flop <= 0:
            return None
        line = self.policy.target_lines.get(domain, max(self.policy.target_lines.values()))
        low = line * FLOOR
        ceiling = max(2 * max(self.policy.target_lines.values()), largest_run_by(plan.released, "general"))
        value = self._smallest_covered(plan, low, ceiling, reading)
        if value is None:
            return None
        bounds = []
        if value <= low:
            bounds.append(f"{FLOOR_TEXT} the search builds ({_g(low)} FLOP, {FLOOR:g} of the line): "
                          f"the count has no floor, so smaller runs are covered too")
        if plan.core == "distill":
            bounds.append(f"teacher at the largest {plan.teacher_domain or domain} training run that existed by "
                          f"{plan.released.isoformat()} ({_g(plan.teacher_flop)} FLOP): a larger one would charge "
                          f"more compute to a smaller student")
        for m in combo:  # structural bounds: the figure grows with each of them
            if m.id == "summed-members":
                bounds.append("15 members, the cascade strategy's upper bound (more members, more over-inclusion)")
            if m.id == "summed-experts":
                bounds.append("8 experts, the moe-assembly strategy's upper bound")
            if m.id == "summed-finetunes":
                bounds.append("3 other parties, the decentralized-finetune strategy's upper bound")
        return plan, self._set(plan, value), tuple(bounds)

    def _covered(self, plan: Plan, value: float, reading: Reading) -> bool:
        return self.policy.is_covered(self._set(plan, value), reading)

    def _smallest_covered(self, plan: Plan, low: float, high: float, reading: Reading) -> float | None:
        """round_up(c x OVERSHOOT) for the crossing c (uncovered below, covered above), or
        `low` when covered already there; None when never covered up to `high`."""
        key = (reading.id, _plan_key(plan), low, high)
        if key in self.crossings:
            crossing = self.crossings[key]
        else:
            crossing = self.crossings[key] = self._crossing(plan, low, high, reading)
        if crossing is None:
            return None
        if crossing <= low:
            if not self._covered(plan, low, reading):
                return None
            return low
        value = _round_up(crossing * OVERSHOOT)
        for _ in range(8):
            if self._covered(plan, value, reading):
                return value
            value = next_grid(value)
        return None

    def _crossing(self, plan: Plan, low: float, high: float, reading: Reading) -> float | None:
        tiers = self.policy.covered_tiers

        def trace(v):
            lc = self._set(plan, v)
            clauses = self.policy.evaluate_rules(lc, reading, notes=False)  # numbers only, no text
            return any(c.triggered and c.tier in tiers for c in clauses), clauses

        covered_low, at_low = trace(low)
        if covered_low:
            return low
        covered_high, at_high = trace(high)
        if not covered_high:
            return None
        # other readings' crossings of the same plan first, then a linear prediction per clause
        guesses = [c for (r, k, lo, hi), c in self.crossings.items()
                   if k == _plan_key(plan) and lo == low and hi == high and c is not None and low < c < high]
        for a, b in zip(at_low, at_high):
            if b.triggered and a.tier in tiers and a.threshold == b.threshold and b.measured > a.measured:
                g = low + (float(a.threshold) - float(a.measured)) * (high - low) / (float(b.measured) - float(a.measured))
                if low < g < high:
                    guesses.append(g)
        lo, hi = low, high
        for g in sorted(set(guesses), key=lambda x: (guesses.index(x), x))[:4]:
            below, above = g * (1 - STRADDLE), g * (1 + STRADDLE)
            if not lo < below < above < hi:
                continue
            if self.policy.is_covered(self._set(plan, below), reading):
                hi = below
                continue
            lo = below
            if self.policy.is_covered(self._set(plan, above), reading):
                return g
            lo = above
        a, b = math.log(lo), math.log(hi)
        while b - a > STRADDLE:
            mid = (a + b) / 2
            if self._covered(plan, math.exp(mid), reading):
                b = mid
            else:
                a = mid
        return math.exp(b)

    def _capability(self, lc: Lifecycle) -> Capability:
        self.used += 1
        return effective_compute(lc, self.policy.reference_date, self.policy.coefficients)

    def _wasteful(self, plan: Plan, lc: Lifecycle, cap: Capability, domain: str) -> bool:
        return wasteful(lc, self.policy, domain, self.profile, cap)

    # verification and packaging
    def _verified(self, combo, best: _Best, reading: Reading, adds: dict) -> OverInclusionFinding | None:
        from . import check

        plan, lc = best.plan, best.lifecycle
        mechanisms = tuple(m.id for m in combo)
        name = f"{self.policy.id}-over-{best.domain}-{'+'.join(mechanisms)}"
        spec = Lifecycle(name=name, released=lc.released, deploy=lc.deploy, steps=lc.steps, reach=lc.reach).to_spec()
        replayed = parse_lifecycle(spec, source=f"over-inclusion finding {name}")
        verdict = check(self.policy, replayed, reading.id)
        over = _over(verdict.capability, self.targets, best.domain)
        if not verdict.covered or not math.isclose(over, best.over, rel_tol=1e-9):
            self.rejected += 1
            return None
        covered_under = tuple(r.id for r in self.policy.readings if check(self.policy, replayed, r.id).covered)
        tiers = self.policy.covered_tiers
        clauses = tuple({"rule": c.rule, "clause": c.clause, "measures": c.measures, "measured": float(c.measured),
                         "threshold": float(c.threshold), "comparator": c.comparator, "artifact": c.artifact,
                         "party": c.party} for c in verdict.clauses if c.triggered and c.tier in tiers)
        by_domain = {d: _ratio(self.targets[d].bands[1], verdict.capability[d][1]) for d in self.targets}
        fid = f"{best.domain}/{'+'.join(mechanisms)}/{_digest(spec)}"
        finding = OverInclusionFinding(fid, self.policy.id, best.domain, mechanisms, best.params, reading.id,
                                       covered_under, replayed, clauses, verdict.capability,
                                       self.targets[best.domain], over, by_domain, best.bounds,
                                       any(b.startswith(FLOOR_TEXT) for b in best.bounds), adds)
        finding.summary = describe(finding, plan)
        return finding


# -- helpers --------------------------------------------------------------------------

def _ratio(target: float, artifact: float) -> float:
    return target / artifact if artifact > 0 else math.inf


def _over(cap: Capability, targets: Mapping[str, Target], domain: str) -> float:
    """Over-inclusion in `domain`, the one the model is trained for: the target's central
    effective compute over the artifact's. (Other domains are not read: a general model's
    bio capability comes only from the judged transfer term, and a bio line is not drawn
    for general models.)"""
    return _ratio(targets[domain].bands[1], cap[domain][1])


def _round_up(value: float) -> float:
    """Three significant figures, rounded up (so a value over a line stays over it)."""
    down = round_down(value)
    return down if down >= value * (1 - 1e-12) else next_grid(down)


def _g(value: float) -> str:
    from .render import fmt

    return fmt(value)


def _plan_key(plan: Plan) -> tuple:
    out = []
    for f in dataclasses.fields(Plan):
        if f.name in ("core_flop", "modifier_flop", "external"):
            continue
        value = getattr(plan, f.name)
        out.append(tuple(sorted(value.items())) if isinstance(value, dict) else value)
    return tuple(out)


def _spec_key(lc: Lifecycle) -> str:
    spec = lc.to_spec()
    spec.pop("name", None)
    return json.dumps(spec, sort_keys=True, default=str)


def _digest(spec: dict) -> str:
    import hashlib

    body = {k: v for k, v in spec.items() if k != "name"}
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()[:6]


def honest_lifecycle(plan: Plan, name: str = "over-inclusion") -> Lifecycle:
    """`build(plan)`, with every run honest: a distillation teacher becomes an honest deployed
    model (curated data where standard, its own instruction tune, the standard deployment
    practices; the synthetic data come from that model), and other parties' fine-tunes use
    the core run's recipe (curated data where standard). A bare teacher would cap the
    student far below an honest run of its compute (the artefact this module excludes)."""
    lc = build(plan, name)
    steps = list(lc.steps)
    index = {s.id: i for i, s in enumerate(steps)}
    curated = plan.curated_data or standard("curated_data", plan.domain, plan.released, plan.profile)
    if curated:
        for j in range(plan.modifiers):
            i = index.get(f"tune-{j + 1}")
            if i is not None:
                steps[i] = dataclasses.replace(steps[i], curated_data=True)
    if "teacher" in index:
        old = steps[index["teacher"]]
        domain = plan.teacher_domain or plan.domain
        chain = [make_step("teacher", "pretrain", TEACHER_OWNER, flop=plan.teacher_flop, data=old.data,
                           curated_data=standard("curated_data", domain, plan.released, plan.profile))]
        chain.append(make_step("teacher-instruct", "finetune", TEACHER_OWNER, ("teacher",),
                               flop=round_down(plan.teacher_flop * HONEST_FINETUNE_SHARE)))
        for method in ("cot", "tool_use"):
            if standard(method, domain, plan.released, plan.profile):
                chain.append(make_step(f"teacher-{method.replace('_', '-')}", "inference_boost", TEACHER_OWNER,
                                       (chain[-1].id,), flop=0.0, boost=(method, 1)))
        served = chain[-1].id
        rest = [dataclasses.replace(s, inputs=(served,)) if s.id == "teacher-data" else s
                for s in steps if s.id != "teacher"]
        steps = chain + rest
    return Lifecycle.trusted(name, lc.released, lc.deploy, tuple(steps), lc.reach)


def _largest_run(lc: Lifecycle) -> Any:
    """The largest pre-training (or distillation) run in the artifact's model."""
    runs = [s for s in lc.model_tree() if s.kind in ("pretrain", "distill", "continued_pretrain")]
    return max(runs, key=lambda s: s.flop, default=None)


HONEST_STEPS = frozenset({"instruct", "teacher-instruct"})
"""Steps of the honest recipe itself (its instruction tune), left out of `chain_flop`: the
comparator plan has its own."""


def chain_flop(lc: Lifecycle, step_id: str | None = None) -> float:
    """Executed compute of one model along its own history: a run plus every later run on
    it (fine-tunes, continued pre-training), the strongest member's where a composition
    combines several (members are parts served together, not one model trained longer)."""
    step = lc.index[step_id or lc.deploy]
    own = step.flop if step.kind in TRAINING_KINDS and step.id not in HONEST_STEPS else 0.0
    bases = lc.model_inputs(step)
    if step.kind in ("pretrain", "distill") or not bases:
        return own
    return own + max(chain_flop(lc, b.id) for b in bases)


def wasteful(lc: Lifecycle, policy: Policy, domain: str, profile: str = "standard",
             cap: Capability | None = None) -> bool:
    """Whether the artifact is less capable, in `domain`, than an honest plan of its own
    model's compute (`chain_flop`: its run and later runs on it; a composition's strongest
    member) with the same data and precision as its largest run: then some run in it wasted
    compute (a capped student, an off-optimal shape), and a rule covering it says nothing
    about what the rule counts."""
    run = _largest_run(lc)
    if run is None:
        return False
    cap = cap or effective_compute(lc, policy.reference_date, policy.coefficients)
    data = dict(run.data) if run.data != (("general", 1.0),) and run.data != ((domain, 1.0),) else None
    honest = Plan(domain=domain, released=lc.released, profile=profile, data=data, precision=run.precision,
                  core_flop=chain_flop(lc))
    reference = effective_compute(build(honest, "honest-comparator"), policy.reference_date, policy.coefficients)
    return cap[domain][1] < reference[domain][1] * (1 - 1e-9)


def describe(f: OverInclusionFinding, plan: Plan) -> str:
    """One honest sentence: what is covered, what is counted, and how capable it is."""
    lc = f.lifecycle
    run = _largest_run(lc)
    each = _g(run.flop) if run else "?"
    parts = []
    if plan.core == "distill":
        gen = next((s for s in lc.steps if s.kind == "synthetic_data"), None)
        parts.append(f"a student of {each} FLOP trained on data generated by a {_g(plan.teacher_flop)} FLOP teacher"
                     + (f" ({_g(gen.flop)} FLOP of generation)" if gen else ""))
    elif plan.core == "moe":
        parts.append(f"a mixture of {plan.experts} separately trained experts of {each} FLOP each")
    else:
        parts.append(f"a model of {each} FLOP")
    if plan.members > 1:
        parts[0] = f"a {plan.system} of {plan.members} " + parts[0].replace("a model of", "models of") \
            .replace("a student of", "students of").replace("a mixture of", "mixtures of") + ", served together"
    if plan.modifiers:
        parts.append(f"fine-tuned further by {plan.modifiers} other parties ({_g(plan.modifier_flop)} FLOP each)")
    if plan.precision == "int8":
        parts.append("trained in INT8, whose operations it counts like floating-point ones")
    if plan.data and "bio" in plan.data:
        parts.append(f"with {plan.data['bio']:.0%} biological data")
    clause = f.clauses[0] if f.clauses else None
    counted = ""
    if clause:
        measured, line_ = _g(clause["measured"]), _g(clause["threshold"])
        if measured == line_:  # three digits hide the margin over the line: show enough to see it
            measured, line_ = f"{clause['measured']:.6g}", f"{clause['threshold']:.6g}"
        counted = f", counted as {measured} against the {line_} line ({clause['clause']})"
    line = f.target.honest_flop
    floor = ("; the count has no floor here (this is the smallest run the search builds; smaller ones are covered "
             "too)" if f.no_floor else "")
    return (f"covers {', '.join(parts)}{counted}: as capable as an honest {f.domain} model trained with "
            f"1/{_g(f.over_inclusion)} of the target's {_g(line)} operations{floor}")


class _Sensitivity:
    """P(covered and over-inclusion >= material) over joint coefficient draws, target and
    finding on the same draw; the coefficient whose one-at-a-time swing moves the figure most."""

    def __init__(self, policy: Policy, targets: Mapping[str, Target], material: float, seed: int, draws: int):
        table = policy.coefficients or load_coefficients()
        self.policy, self.targets, self.material = policy, targets, material
        self.table = table
        self.draws = joint_draws(table, draws, seed)
        self.swings = one_at_a_time(table)
        swing_tables = [t for _, lo, hi in self.swings for t in (lo, hi)] or [table]
        self.sets = {"draws": (list(self.draws), Coefficients.columns(list(self.draws), "draws")),
                     "swings": (swing_tables, Coefficients.columns(swing_tables, "swings"))}
        self.target_columns = {which: {d: self._columns(t.lifecycle, which, d) for d, t in targets.items()}
                               for which in self.sets}
        self.policies: dict[int, Policy] = {}

    def _columns(self, lc: Lifecycle, which: str, domain: str) -> list[float]:
        tables, columns = self.sets[which]
        return each_table(lc, self.policy.reference_date, tables, columns, domain)

    def _overs(self, lc: Lifecycle, which: str, domain: str) -> list[float]:
        """`_over` under each table of a column set."""
        return [_ratio(t, c) for t, c in zip(self.target_columns[which][domain], self._columns(lc, which, domain))]

    def analyse(self, f: OverInclusionFinding) -> tuple[float, dict | None]:
        reading = self.policy.reading(f.reading)
        central = self.policy.central_verdict(f.lifecycle, reading)
        hits = 0
        for table, over in zip(self.draws, self._overs(f.lifecycle, "draws", f.domain)):
            if over < self.material:  # adds nothing whatever the verdict
                continue
            key = id(table)
            if key not in self.policies:
                self.policies[key] = self.policy.with_coefficients(table)
            hits += central.under(self.policies[key])
        hinge, widest = None, math.log(1.01)
        ends = self._overs(f.lifecycle, "swings", f.domain) if self.swings else []
        for i, (name, _, _) in enumerate(self.swings):
            low, high = ends[2 * i], ends[2 * i + 1]
            if not (low > 0 and high > 0 and math.isfinite(low) and math.isfinite(high)):
                continue
            swing = abs(math.log(high / low))
            if swing > widest:
                c = self.table[name]
                widest, hinge = swing, {"coefficient": name, "status": c.status, "over_inclusion_at_low": low,
                                        "over_inclusion_at_high": high}
        return hits / len(self.draws), hinge
