"""The search (docs/design.md §7): compose gaming strategies into lifecycles, place each counted
quantity just under the line that binds, and keep what escapes the rule while keeping
the capability the rule exists to catch.

How a finding is made, per target domain and reading:

1. A composition of strategies (singles, then pairs and triples for strategies that have
   no finding yet) edits the honest `Plan`; each strategy offers a few parameter variants.
2. Knobs (teacher, core run, modifier compute) are placed in turn just under the line
   that binds (the verdict is taken to be monotone in each; where a "primarily" share
   test under a lineage sum makes it switch twice, the placement is one of the
   crossings), then backed off 1 % and rounded down.
   A placement first tries where the same plan crossed under another reading and where
   the knob crossed lately, then predicts the crossing from the clause traces; a guess
   is accepted only when values 0.01 % either side of it straddle the line (where the
   two would round to different placements, the grid point between them is probed in
   place of one of them, so the same two probes also settle the rounding).
   A knob that stays uncovered up to its search bound is recorded: the finding's
   leakage is then bounded by the search (`bounded_by`), not measured.
3. Leakage is a size (docs/design.md §12): the artifact's central effective compute over that
   of the honest target, an honest model trained exactly at the line with the same
   coefficients. The artifact must be uncovered with leakage >= 1.
4. Attribution is counterfactual: a strategy is credited only if no composition without
   it (every subset of the others, knobs re-placed, variants re-searched, memoised)
   reaches the same leakage within SAME_LEAKAGE. Otherwise the simpler composition is
   the finding, found on its own.
5. Steps are dropped while the leakage holds (never a synthetic-data step a student
   depends on); the lifecycle is re-checked through `loopholes check`'s path.
6. Isomorphic lifecycles are kept once (networkx Weisfeiler-Lehman hash); every kept
   finding gets its probabilities over joint coefficient draws (loopholes.sensitivity).

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
from dataclasses import dataclass, field, fields, replace
from typing import Any, Callable, Iterable, Mapping, Sequence

from . import accounting
from .capability import BANDS, Capability, Coefficients, effective_compute, load_coefficients
from .errors import SpecError, UsageError
from .collector import relaxing
from .guard import watched
from .lifecycle import COMPOSITE_KINDS, ON_BASE_KINDS, Lifecycle
from .loading import parse_lifecycle
from .rules.framework import Policy, Reading, Verdict
from .rules.registry import load_policy
from .sanity import check_covers_honest_model
from .strategies import Setting, Strategy, get_strategy, registry
from .sensitivity import DRAWS, Analyser, Sensitivity
from .strategies.plan import Plan, build, honest_plan, next_grid, round_down

DATA_HORIZON = dt.date(2026, 7, 15)
"""Last publication date in the vendored Epoch data: no release is placed later."""
DEFAULT_MAX_EVALS = 400_000
"""A search's evaluation budget unless told otherwise (searches usually end well before it)."""
FULL_COVERAGE = dt.date(2025, 12, 31)
"""Last date the Epoch all-models snapshot covers (data README §5.4); population-based
rules are not judged past it, since their lines would rest on a partial year."""
BACKOFF = 0.99
"""Knobs are placed 1 % under the largest uncovered value, then rounded down."""
MAX_VARIANTS = 8
MATERIAL_FACTOR = 2.0
"""Default leakage from which an evasion is *material* (docs/findings.md explains the choice):
below 2x, the gain is within what ordinary recipe differences between honest developers
produce at equal compute, so nobody could tell the evasion from an honest run at the line."""
SECANT_ROUNDS = 8
"""Predicted crossings tried per knob before bisection takes over."""
STRADDLE = 1e-4
"""A predicted or remembered crossing is accepted when the values this far (relative)
either side of it straddle the line: narrow enough that the 3-digit placement under it is
usually settled without a further probe (`_Engine._under`)."""
RECALL = 3
"""Latest crossings per reading and knob that a placement tries before predicting one."""
SAME_LEAKAGE = 0.025
"""Relative leakage difference that counts as "the same": every knob is placed 1 % under its
crossing and rounded down to 3 significant figures, so a second knob placed after the
first can fill up to about 2 % of slack under the line without any real gain."""


@dataclass(frozen=True)
class Target:
    """What the adversary wants: the capability of an honest dense model trained at the
    rule's line with the reference date's recipe (plus the standard instruction tune)."""

    domain: str
    honest_flop: float
    bands: tuple[float, float, float]
    lifecycle: Lifecycle
    profile: str = "standard"
    """Which practices the honest model has (strategies.plan.TARGET_PROFILES)."""

    @property
    def effective_flop(self) -> float:
        return self.bands[1]

    def to_json(self) -> dict:
        return {"domain": self.domain, "effective_flop": self.effective_flop, "honest_training_flop": self.honest_flop,
                "bands": dict(zip(BANDS, self.bands)), "profile": self.profile}


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
    """docs/design.md §12: P(material) >= 0.9 over joint coefficient draws (set by the sensitivity pass)."""
    margins: dict
    cost: dict
    bounded_by: tuple[str, ...] = ()
    """Search bounds the leakage hit (largest teacher that existed, knob range, latest
    release date): the figure is then a lower bound, not a measurement."""
    material_factor: float = MATERIAL_FACTOR
    sensitivity: Sensitivity | None = None
    simpler_under: tuple[str, ...] = ()
    """Readings under which the artifact is uncovered too, but a composition without one of
    its strategies does as well there: it is not credited under them (`evades_under` lists
    only readings where it is uncovered AND needs every strategy it names)."""
    adds: Mapping[str, float] = field(default_factory=dict)
    """Per strategy, the counterfactual factor: this leakage over the best any composition
    without that strategy reached (knobs re-placed). Every credited strategy adds more than
    SAME_LEAKAGE; infinite when nothing without it escaped at all."""

    @property
    def ambiguity(self) -> bool:
        """A loophole only under some readings: the text, not the rule, is the problem."""
        return bool(self.covered_under)

    @property
    def leakage(self) -> float:
        """Central effective compute over the honest target's (docs/design.md §12): 1 = exactly what
        the rule exists to catch; 3 = about an honest model of three times the line."""
        return self.capability.get(self.domain) / self.target.effective_flop

    @property
    def material(self) -> bool:
        return self.leakage >= self.material_factor

    @property
    def bounded(self) -> bool:
        return bool(self.bounded_by)

    @property
    def p_evades(self) -> float | None:
        return self.sensitivity.p_evades if self.sensitivity else None

    @property
    def p_material(self) -> float | None:
        return self.sensitivity.p_material if self.sensitivity else None

    def to_json(self) -> dict:
        sens = self.sensitivity.to_json() if self.sensitivity else {}
        return {"id": self.id, "strategies": list(self.strategies), "domain": self.domain, "reading": self.reading,
                "lifecycle": self.lifecycle.to_spec(), "verdict": self.verdict.to_json(),
                "capability": self.capability.to_json(), "robust": self.robust, "margins": self.margins,
                "cost": self.cost, "evades_under": list(self.evades_under), "covered_under": list(self.covered_under),
                "ambiguity": self.ambiguity, "parameters": _jsonable(self.parameters),
                "leakage": self.leakage, "material": self.material, "material_factor": self.material_factor,
                "bounded_by": list(self.bounded_by), "p_evades": sens.get("p_evades"),
                "p_material": sens.get("p_material"), "hinge": sens.get("hinge"),
                "assumptions": sens.get("assumptions", []), "draws": sens.get("draws"),
                "adds": {k: (v if math.isfinite(v) else None) for k, v in self.adds.items()},
                "simpler_under": list(self.simpler_under)}


@dataclass(frozen=True)
class Baseline:
    """The honest plan with no strategy, its core run placed just under the line."""

    leakage: float
    bounded_by: tuple[str, ...]
    lifecycle: dict | None

    def to_json(self) -> dict:
        return {"leakage": self.leakage, "bounded_by": list(self.bounded_by), "escapes": self.leakage >= 1.0}


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
    material_factor: float = MATERIAL_FACTOR
    baseline: dict[str, dict[str, "Baseline"]] = field(default_factory=dict)
    """Per domain and reading: what an honest run placed just under the line reaches with no
    strategy at all."""

    def unreached(self, domain: str) -> "Baseline | None":
        """The baseline under the reading where it leaks most, if it escapes at all (leakage
        >= 1): then the rule does not reach the target even without gaming."""
        runs = [b for b in self.baseline.get(domain, {}).values() if b.leakage >= 1.0]
        return max(runs, key=lambda b: b.leakage, default=None)

    def evading(self, strategy: str) -> list[Finding]:
        return [f for f in self.findings if strategy in f.strategies]

    def worst(self, domain: str) -> Finding | None:
        """The leakiest finding in a domain: measured figures before bounded ones of the same
        size, so a bound never hides a measurement."""
        findings = [f for f in self.findings if f.domain == domain]
        return max(findings, key=lambda f: (f.leakage, not f.bounded), default=None)

    def leakage(self) -> dict[str, float]:
        """Per domain: the largest leakage of an uncovered artifact (docs/design.md §8, §12), with or
        without a strategy; 0 where nothing leaked. `leakage_detail` says what reached it and
        whether the figure is bounded by the search."""
        return {domain: detail["leakage"] for domain, detail in self.leakage_detail().items()}

    def leakage_detail(self) -> dict[str, dict]:
        out = {}
        for domain in self.targets:
            no_gaming = max((b.leakage for b in self.baseline.get(domain, {}).values()), default=0.0)
            worst, bare = self.worst(domain), self.unreached(domain)
            measured = [f.leakage for f in self.findings if f.domain == domain and not f.bounded]
            if bare is not None and (worst is None or bare.leakage >= worst.leakage):
                out[domain] = {"leakage": bare.leakage, "finding": None, "strategies": [], "lifecycle": bare.lifecycle,
                               "reading": max(self.baseline[domain], key=lambda r: self.baseline[domain][r].leakage),
                               "bounded_by": list(bare.bounded_by), "p_material": None, "material":
                               bare.leakage >= self.material_factor, "evades_under": [
                                   r for r, b in self.baseline[domain].items() if b.leakage >= 1.0],
                               "no_strategy_needed": True, "measured_max": max(measured, default=0.0),
                               "no_gaming": no_gaming}
                continue
            out[domain] = {"leakage": worst.leakage if worst else 0.0, "finding": worst.id if worst else None,
                           "lifecycle": worst.lifecycle.to_spec() if worst else None,
                           "reading": worst.reading if worst else None,
                           "strategies": list(worst.strategies) if worst else [],
                           "bounded_by": list(worst.bounded_by) if worst else [],
                           "p_material": worst.p_material if worst else None,
                           "material": worst.material if worst else False,
                           "evades_under": list(worst.evades_under) if worst else [],
                           "no_strategy_needed": False, "measured_max": max(measured, default=0.0),
                           "no_gaming": no_gaming}
        return out

    def to_json(self, *, timing: bool = True) -> dict:
        stats = {"evaluated": self.evaluated, "seconds": round(self.seconds, 3) if timing else None, "seed": self.seed,
                 "budget_exhausted": self.exhausted, "rejected_on_recheck": self.rejected}
        return {"policy": self.policy.id, "readings": [r.id for r in self.policy.readings],
                "target": next(iter(self.targets.values())).to_json(),  # docs/design.md §9: the first domain's
                "targets": [t.to_json() for t in self.targets.values()],  # every domain searched
                "strategies": list(self.strategies), "material_factor": self.material_factor,
                "evaded": {s: [f.id for f in self.evading(s)] for s in self.strategies},
                "findings": [f.to_json() for f in self.findings], "leakage": self.leakage(),
                "baseline": {d: {r: b.to_json() for r, b in per.items()} for d, per in self.baseline.items()},
                "leakage_detail": self.leakage_detail(), "stats": stats}


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


def honest_target(policy: Policy, domain: str, training_flop: float | None = None, profile: str = "standard") -> Target:
    """The capability of an honest dense model at the rule's line for `domain` (or at
    `training_flop`), with the reference date's recipe and the practices of `profile`
    ("standard": what was standard by then; "bare": the instruction tune only)."""
    if training_flop is None:
        if domain not in policy.target_lines:
            raise UsageError(f"policy '{policy.id}' draws no line for domain '{domain}'; its domains: "
                             f"{', '.join(policy.target_lines)} (or give --target-flop)")
        training_flop = policy.target_lines[domain]
    lc = build(honest_plan(domain, policy.reference_date, training_flop, profile), name=f"honest-{domain}")
    cap = effective_compute(lc, policy.reference_date, policy.coefficients)
    return Target(domain, training_flop, cap[domain], lc, profile)


@watched  # a rule stuck on one lifecycle stops the search with its name (issue 12)
@relaxing  # fewer garbage collections while it runs (loopholes.collector)
def search(policy: "str | Policy", *, strategies: Sequence[str] | None = None, domain: str | None = None,
           target_flop: float | None = None, seed: int = 0, max_evals: int = DEFAULT_MAX_EVALS, max_seconds: float | None = None,
           depth: int = 3, coefficients: "str | Coefficients | None" = None,
           progress: Callable[[int, int], None] | None = None, material: float = MATERIAL_FACTOR,
           draws: int = DRAWS, target_profile: str = "standard", placements: "Placements | None" = None) -> SearchResult:
    """Find lifecycles that escape `policy` while keeping the target capability. Searches of
    one rule object against other targets may share `placements` (fewer evaluations; the
    same findings unless the budget runs out or a verdict is not monotone in a knob:
    `Placements`)."""
    chosen = load_policy(policy)
    if coefficients is not None:
        chosen = chosen.with_coefficients(coefficients if isinstance(coefficients, Coefficients) else load_coefficients(coefficients))
    if max_evals < 1:
        raise UsageError("--max-evals must be at least 1")
    if depth < 1 or depth > 4:
        raise UsageError("depth must be between 1 and 4")
    if target_flop is not None and not (math.isfinite(target_flop) and target_flop > 0):
        raise UsageError("--target-flop must be a positive finite number of FLOP")
    if not (math.isfinite(material) and material >= 1):
        raise UsageError("--material must be a finite factor of at least 1")
    if not 1 <= draws <= 100_000:
        raise UsageError("--draws must be between 1 and 100000")
    pool = [get_strategy(s) for s in (strategies or list(registry()))]
    domains = [domain] if domain else list(chosen.target_lines)
    targets = {d: honest_target(chosen, d, target_flop, target_profile) for d in domains}
    check_covers_honest_model(chosen, domains)  # a rule that covers nothing must not look robust
    budget = _Budget(max_evals, max_seconds)
    engine = _Engine(chosen, targets, pool, random.Random(seed), budget, depth, seed, placements)
    findings, rejected = engine.run(progress)
    analyser = Analyser(chosen, material, seed, draws)
    for finding in findings:
        finding.material_factor = material
        finding.sensitivity = analyser.analyse(finding.lifecycle, finding.target, finding.domain,
                                               chosen.reading(finding.reading))
        finding.robust = finding.sensitivity.p_material >= ROBUST_P
    baseline = {domain: {reading: Baseline(best.leakage if best.plan else 0.0, best.bounds,
                                           best.lifecycle.to_spec() if best.lifecycle else None)
                         for reading, best in per_reading.items()}
                for domain, per_reading in engine.baseline.items()}
    return SearchResult(chosen, targets, _ranked(findings), tuple(s.id for s in pool), budget.used,
                        time.perf_counter() - budget.start, seed, budget.exhausted, rejected, engine.first_found,
                        material, baseline)


ROBUST_P = 0.9
"""A finding is *robust* when it is material in at least this share of joint draws."""


@dataclass
class _Best:
    """The leakiest placed plan of one composition (memoised for attribution)."""

    leakage: float
    plan: Plan | None = None
    params: dict | None = None
    lifecycle: Lifecycle | None = None
    bounds: tuple[str, ...] = ()


class _Engine:
    def __init__(self, policy: Policy, targets: dict[str, Target], pool: list[Strategy], rng: random.Random,
                 budget: _Budget, depth: int, seed: int = 0, placements: "Placements | None" = None):
        self.policy, self.targets, self.pool, self.rng, self.budget, self.depth = policy, targets, pool, rng, budget, depth
        self.seed = seed
        self.placements = placements or Placements()
        self.found: dict[tuple[str, str], Finding] = {}
        self.latest = _latest_date(policy)
        self.rejected = 0
        self.first_found: dict[str, int] = {}
        self.done: set[tuple[str, str, tuple[str, ...]]] = set()
        """(domain, reading, strategies) that already have a finding evading under that reading."""
        self.memo: dict[tuple, _Best] = {}
        self.memo_params: dict[tuple, float] = {}
        self.model_hint: dict[str, int] = {}
        self.crossings: dict[tuple[str, str], list[float]] = {}
        """Per (reading, knob), the latest crossings found: tried first by the next placement."""
        self.plan_crossings: dict[tuple, float] = {}
        """Per plan (every field but the knob being placed) and knob, where it last crossed,
        under whichever reading: readings that agree on this plan cross at the same value."""
        self.leakiest: dict[tuple[str, str], tuple[float, tuple[str, ...]]] = {}
        """Per (domain, reading), the leakiest finding's strategies: compositions that extend
        it by one strategy are always tried, so leakage is maximised, not just found."""
        self.capabilities: dict[tuple, tuple[Capability, tuple]] = {}
        """`_capability`'s results, by release date, artifact and step identities."""
        self.baseline: dict[str, dict[str, _Best]] = {}
        """Per domain and reading, the honest plan with its core run placed under the line:
        what escapes with no gaming at all (leakage >= 1 means the rule never reaches the
        target, e.g. a rule with no clause for the domain)."""

    # the outer loop ----------------------------------------------------------------
    def run(self, progress) -> tuple[list[Finding], int]:
        """Breadth first: single strategies for every domain and reading, then pairs, then
        triples, so a simple finding is never waiting behind compositions elsewhere. The
        no-gaming baseline of a (domain, reading) is placed just before its singles, not all
        up front: a finding under the first reading need not wait on the other readings'."""
        found = self.found
        jobs = [(size, domain, reading) for size in range(1, self.depth + 1)
                for domain in self.targets for reading in self.policy.readings]
        for done, (size, domain, reading) in enumerate(jobs):
            if reading.id not in self.baseline.get(domain, {}):
                self.baseline.setdefault(domain, {})[reading.id] = self._best((), domain, reading)
            self._search_one(domain, reading, size, found)
            if progress:
                progress(done + 1, len(jobs))
        return list(found.values()), self.rejected

    def _search_one(self, domain: str, reading: Reading, size: int, found: dict) -> None:
        setting = self._setting(domain, reading)
        usable = [s for s in self.pool if s.applies(self.policy, domain)]
        covered_strategies = {s for (d, r, combo) in self.done if d == domain and r == reading.id for s in combo}
        leakiest = self.leakiest.get((domain, reading.id), (0.0, ()))[1]
        combos = itertools.combinations(usable, size)
        if size == 1:  # cheapest first (fewest variants to place), so a first finding never waits on costly ones
            combos = sorted(combos, key=lambda combo: len(list(combo[0].variants(setting))))
        for combo in combos:
            if self.budget.exhausted:
                return
            ids = tuple(s.id for s in combo)
            if size > 1 and (domain, reading.id, ids) in self.done:
                continue  # an earlier reading's finding already evades under this one (singles are
                # searched under every reading: a reading can let the same strategy leak further)
            extends_leakiest = len(leakiest) == size - 1 and set(leakiest) < set(ids)
            if size > 1 and all(s in covered_strategies for s in ids) and not extends_leakiest:
                continue  # budget: compositions of strategies that already evade, except to grow the leakiest
            if len({s.group for s in combo}) < size:
                continue
            finding = self._try_combo(combo, setting, domain, reading)
            if finding is None:
                continue
            key = (domain, _graph_key(finding.lifecycle))
            if key not in found or finding.leakage > found[key].leakage:
                found[key] = finding
            covered_strategies.update(finding.strategies)
            self.done.update((domain, r, finding.strategies) for r in finding.evades_under)
            for r in finding.evades_under:
                if finding.leakage > self.leakiest.get((domain, r), (0.0, ()))[0]:
                    self.leakiest[(domain, r)] = (finding.leakage, finding.strategies)

    def _setting(self, domain: str, reading: Reading) -> Setting:
        return Setting(self.policy, reading, domain, self.policy.reference_date, self.latest, self.rng)

    # one composition ------------------------------------------------------------
    def _try_combo(self, combo: tuple[Strategy, ...], setting: Setting, domain: str, reading: Reading) -> Finding | None:
        best = self._best(combo, domain, reading)
        if best.plan is None or best.leakage < 1.0:
            return None
        adds = {}
        for strategy in combo:
            factor = self._adds(strategy, combo, best.leakage, domain, reading, best.params)
            if factor is None:
                return None
            adds[strategy.id] = factor
        for strategy in combo:
            self.first_found.setdefault(strategy.id, self.budget.used)
        lc = self._minimised(best.lifecycle, domain, reading, best.leakage)
        return self._verified_finding(combo, best, lc, domain, reading, adds)

    def _best(self, combo: Sequence[Strategy], domain: str, reading: Reading) -> _Best:
        """The leakiest uncovered plan over the composition's variants (memoised)."""
        key = (domain, reading.id, tuple(s.id for s in combo))
        if key in self.memo:
            return self.memo[key]
        best = _Best(0.0)
        setting = self._setting(domain, reading)
        target = self.targets[domain]
        tried: set[str] = set()

        def consider(params) -> bool:
            """Place and score one variant set; True when it becomes the best."""
            nonlocal best
            tried.add(_params_key(params))
            placed = self._placed_plan(combo, params, domain, reading)
            if placed is None:
                return False
            plan, bounds = placed
            lc = build(plan)
            leakage = self._capability(lc)[domain][1] / target.bands[1]
            if best.plan is None or leakage > best.leakage * (1 + 1e-12) or \
                    (leakage >= best.leakage * (1 - 1e-12) and len(lc.steps) < len(best.lifecycle.steps)):
                best = _Best(leakage, plan, params, lc, bounds)
                return True
            return False

        options = [list(s.variants(setting)) or [{}] for s in combo]
        sampled = self._variant_sets(combo, setting, options)
        for params in sampled:
            if self.budget.exhausted:
                break
            consider(params)
        if best.params is not None and len(sampled) < math.prod(map(len, options)):
            self._climb(combo, options, consider, tried, lambda: best.params)
        if not self.budget.exhausted:
            self.memo[key] = best
        return best

    def _climb(self, combo, options, consider, tried: set[str], current) -> None:
        """When a composition's variants were sampled, not all tried: from the best sampled
        set, change one strategy's variant at a time and keep any that leaks more, until no
        single change does. The sample alone can miss a variant that matters only with
        another's (a release month with the most peers' compute for the class a data mix
        picks: the race in benchmarks/ drew one the sample missed)."""
        improved = True
        while improved and not self.budget.exhausted:
            improved = False
            for strategy, choices in zip(combo, options):
                for choice in choices:
                    if self.budget.exhausted:
                        return
                    params = {**current(), strategy.id: choice}
                    if _params_key(params) in tried:
                        continue
                    improved = consider(params) or improved

    def _adds(self, strategy: Strategy, combo, leakage: float, domain: str, reading: Reading,
              params: Mapping[str, Any] | None = None) -> float | None:
        """docs/design.md §12 counterfactual attribution: `leakage` over the best without `strategy` under `reading` (None when that is
        within SAME_LEAKAGE): every subset of the rest searched afresh, the same subset with
        the finding's own parameters for what remains (knobs re-placed), and every finding
        already made from such a subset that evades under this reading."""
        rest = [s for s in combo if s is not strategy]
        names = {s.id for s in rest}
        rivals = [f.leakage for f in self.found.values()
                  if f.domain == domain and reading.id in f.evades_under and set(f.strategies) <= names]
        for size in range(len(rest) + 1):
            for subset in itertools.combinations(rest, size):
                alternative = self._best(subset, domain, reading)
                if alternative.plan is not None:
                    rivals.append(alternative.leakage)
                if params is not None and subset:
                    rivals.append(self._leakage_with(subset, {s.id: params[s.id] for s in subset}, domain, reading))
        without = max(rivals, default=0.0)
        if without >= leakage * (1 - SAME_LEAKAGE):
            return None
        return leakage / without if without > 0 else math.inf

    def _leakage_with(self, combo, params, domain: str, reading: Reading) -> float:
        """Leakage of one composition with given parameters, knobs placed (0 if it cannot
        be placed uncovered); memoised."""
        key = (domain, reading.id, tuple(s.id for s in combo), repr(sorted(params.items())))
        if key not in self.memo_params:
            placed = self._placed_plan(combo, params, domain, reading)
            value = 0.0
            if placed is not None:
                value = self._capability(build(placed[0]))[domain][1] / self.targets[domain].bands[1]
            self.memo_params[key] = value
        return self.memo_params[key]

    def _variant_sets(self, combo, setting, options) -> list[dict[str, Mapping[str, Any]]]:
        """Every variant of a single strategy; for compositions with many, a sample drawn
        from the search seed and the composition alone, so every reading and counterfactual
        starts from the same variants. The climb from the sample (`_climb`) then depends on
        the reading; attribution stays sound because `_adds` climbs each subset under the
        same reading and also scores it with the finding's own variants (`_leakage_with`)."""
        product = list(itertools.product(*options))
        if len(combo) > 1 and len(product) > MAX_VARIANTS:
            rng = random.Random(f"{self.seed}:{setting.domain}:{'+'.join(s.id for s in combo)}")
            keep = [product[0]] + rng.sample(product[1:], MAX_VARIANTS - 1)
            product = sorted(keep, key=product.index)
        return [{s.id: p for s, p in zip(combo, choice)} for choice in product]

    def _plan(self, combo, params, domain) -> Plan:
        plan = Plan(domain=domain, released=self.policy.reference_date, profile=self.targets[domain].profile)
        for strategy in combo:
            strategy.apply(plan, params[strategy.id])
        plan.released = min(plan.released, self.latest)
        return plan

    # knob placement -------------------------------------------------------------
    def _placed_plan(self, combo, params, domain, reading) -> tuple[Plan, tuple[str, ...]] | None:
        """The plan with every knob at the largest value that leaves it uncovered, and the
        search bounds that stopped a knob before the rule did."""
        plan = self._plan(combo, params, domain)
        line = self.policy.target_lines.get(domain, max(self.policy.target_lines.values()))
        frontier = largest_run_by(plan.released, "general")
        ceiling = max(2 * max(self.policy.target_lines.values()), frontier)
        ceiling_text = (f"the search ceiling of {ceiling:.3g} FLOP (the larger of twice the rule's highest line and the "
                        f"largest training run that existed by {plan.released.isoformat()})")
        knobs = []
        if plan.core == "distill":
            teacher_domain = plan.teacher_domain or domain
            teacher_cap = largest_run_by(plan.released, teacher_domain)
            if teacher_cap <= 0:
                return None
            knobs.append(("teacher_flop", line * 1e-3, teacher_cap,
                          f"teacher at the largest {teacher_domain} training run that existed by "
                          f"{plan.released.isoformat()} ({teacher_cap:.3g} FLOP)"))
        knobs.append(("core_flop", line * 1e-4, ceiling, f"core run at {ceiling_text}"))
        if plan.modifiers:
            knobs.append(("modifier_flop", line * 1e-6, ceiling, f"modifier compute at {ceiling_text}"))
        for name, low, _, _ in knobs:
            setattr(plan, name, low)
        bounds = []
        for name, low, high, text in knobs:
            value = self._largest_uncovered(plan, name, low, high, reading)
            if value is None:
                return None
            if value >= round_down(high):
                bounds.append(text)
            setattr(plan, name, value)
        if plan.released >= self.latest > self.policy.reference_date and self.latest in (DATA_HORIZON, FULL_COVERAGE):
            # a search limit (the data ends); a rule's own end date is not: past it nothing is owed
            bounds.append(f"release on {self.latest.isoformat()}, the latest date the search allows "
                          f"({_latest_reason(self.policy, self.latest)})")
        return plan, tuple(bounds)

    def _largest_uncovered(self, plan: Plan, name: str, low: float, high: float, reading: Reading) -> float | None:
        """The placement (see `_place`), memoised in `Placements`, which the searches of
        one rule object may share."""
        plan_key = _plan_key(plan, name)
        key = (reading.id, plan_key, name, low, high)
        cache = self.placements.for_policy(self.policy)
        if key not in cache:
            cache[key] = self._place(plan, name, low, high, reading, (plan_key, name))
        return cache[key]

    def _place(self, plan: Plan, name: str, low: float, high: float, reading: Reading,
               shape: tuple) -> float | None:
        """The largest knob value in [low, high] that leaves the artifact uncovered (the
        verdict is monotone in every knob), backed off 1 % and rounded down.

        Most measures are linear (or log-linear) in a knob, so the traces at the two ends
        of the bracket predict where the first covering clause triggers; a prediction is
        accepted when the values 0.01 % either side of it straddle the line, otherwise it
        shrinks the bracket and the next prediction uses the new ends (a safeguarded
        secant). Bisection in log space finishes what the predictions cannot.

        Before predicting, the latest crossings of this knob under this reading are tried
        the same way (two probes each): variants that change nothing a clause measures
        (a boost's sample count, another reading of a clause that does not bind here)
        cross where the previous shape did. The acceptance test is the same, so a
        remembered crossing is never taken on trust."""
        bracket = _Bracket(low, high)
        recent = self.crossings.setdefault((reading.id, name), [])
        same_plan = self.plan_crossings.get(shape)  # this very plan under another reading
        for guess in ([same_plan] if same_plan else []) + recent[::-1]:  # then the latest, newest first
            if self._straddles(plan, name, guess, bracket, reading):
                return self._crossed(recent, guess, shape, plan, name, reading, bracket)
        if bracket.at_low is None:
            covered, bracket.at_low = self._probe(plan, name, bracket.lo, reading)
            if covered:
                return None
        if bracket.at_high is None:
            covered, bracket.at_high = self._probe(plan, name, bracket.hi, reading)
            if not covered:
                return round_down(high)
        first = self.model_hint.get(name, 0)  # the crossing model that worked last for this knob
        for attempt in range(SECANT_ROUNDS):
            model = (first + attempt) % 3
            guesses = _crossings(bracket.at_low, bracket.at_high, bracket.lo, bracket.hi, self.policy.covered_tiers,
                                 model)
            if guesses and self._straddles(plan, name, guesses[0], bracket, reading):
                self.model_hint[name] = model
                return self._crossed(recent, guesses[0], shape, plan, name, reading, bracket)
        lo, hi = math.log(bracket.lo), math.log(bracket.hi)
        while hi - lo > 1e-4:
            mid = (lo + hi) / 2
            if self._covered(plan, name, math.exp(mid), reading):
                hi = mid
            else:
                lo = mid
        self._remember(recent, math.exp((lo + hi) / 2), shape)
        return self._under(math.exp(lo), math.exp(hi), plan, name, reading)

    def _straddles(self, plan: Plan, name: str, guess: float, bracket: "_Bracket", reading: Reading) -> bool:
        """Probe STRADDLE either side of a guessed crossing inside the bracket: True when the
        two values straddle the line (the bracket is then exactly around the crossing); else
        the bracket narrows to what the probes showed, each end with its trace. The probe
        above the guess asks for coverage only: it narrows no end (a failed straddle keeps
        the traced value under it), and when the guess holds it is covered, where
        `is_covered` stops at the first clause that triggers instead of tracing them all.

        Where the two values would round (`_under`) to different grid values, the grid
        point between them decides the placement, so it is probed first: uncovered, it
        takes the place of the value under the guess; covered, the value under the guess
        is probed and the value above it is not. A crossing at a round number (a line the
        measure meets exactly) is then settled with two probes instead of three, and the
        placement is the same."""
        below, above = guess * (1 - STRADDLE), guess * (1 + STRADDLE)
        if not (bracket.lo < below and above < bracket.hi):
            return False
        grid = _deciding_point(below, above)
        if grid is not None:
            covered, trace = self._probe(plan, name, grid, reading)
            if covered:  # the crossing is at or under the grid point: the value under the guess decides
                bracket.hi, bracket.at_high = grid, trace
                covered, trace = self._probe(plan, name, below, reading)
                if covered:
                    bracket.hi, bracket.at_high = below, trace
                    return False
                bracket.lo, bracket.at_low = below, trace
                return True
            below = grid
        else:
            covered, trace = self._probe(plan, name, below, reading)
            if covered:
                bracket.hi, bracket.at_high = below, trace
                return False
        bracket.lo, bracket.at_low = below, trace
        if self._covered(plan, name, above, reading):
            bracket.hi, bracket.at_high = above, None
            return True
        return False  # the crossing is above the guess: the bracket keeps the traced value under it

    def _crossed(self, recent: list[float], crossing: float, shape: tuple, plan: Plan, name: str,
                 reading: Reading, bracket: "_Bracket") -> float:
        """A guess straddled the line: remember it and place the knob under the crossing,
        which lies in the bracket the straddle left."""
        self._remember(recent, crossing, shape)
        return self._under(bracket.lo, bracket.hi, plan, name, reading)

    def _remember(self, recent: list[float], crossing: float, shape: tuple) -> None:
        """Remember where the knob crossed: shapes that differ only in what no clause
        measures cross at the same value, so the next placement tries it first with two
        probes."""
        if crossing in recent:
            recent.remove(crossing)
        recent.append(crossing)
        del recent[:-RECALL]
        self.plan_crossings[shape] = crossing

    def _under(self, below: float, above: float, plan: Plan, name: str, reading: Reading) -> float:
        """round_down(c x BACKOFF) for the crossing c, known to lie in (below, above]: a
        function of c alone, whichever bracket found it, so a placement does not depend
        on the search's history. Where the bracket's ends round to different values, the
        3-digit grid point between them decides (one probe, rarely two)."""
        for _ in range(4):
            point = _deciding_point(below, above)
            if point is None:
                break
            if self._covered(plan, name, point, reading):
                above = point
            else:
                below = point
        return round_down(below * BACKOFF)

    def _probe(self, plan: Plan, name: str, value: float, reading: Reading):
        """(covered, clause trace) at a knob value: one evaluation."""
        clauses = self._clauses(plan, name, value, reading)
        return any(c.triggered and c.tier in self.policy.covered_tiers for c in clauses), clauses

    def _clauses(self, plan: Plan, name: str, value: float, reading: Reading):
        setattr(plan, name, value)
        self.budget.spend()
        return self.policy.evaluate_rules(build(plan), reading, notes=False)

    def _covered(self, plan: Plan, name: str, value: float, reading: Reading) -> bool:
        setattr(plan, name, value)
        self.budget.spend()
        return self.policy.is_covered(build(plan), reading)

    def _capability(self, lc: Lifecycle) -> Capability:
        """Effective compute of a lifecycle the search built. A placed plan is often built
        again (another reading, a counterfactual, minimisation), and strategies.plan.build
        then returns the very same steps, so results are kept by step identity (the value
        holds the steps, so no id is reused while it is kept)."""
        self.budget.spend()
        key = (lc.released, lc.deploy, *map(id, lc.steps))
        hit = self.capabilities.get(key)
        if hit is None:
            if len(self.capabilities) >= 1 << 14:
                self.capabilities.clear()
            hit = self.capabilities[key] = (effective_compute(lc, self.policy.reference_date, self.policy.coefficients),
                                            lc.steps)
        return hit[0]

    def _leakage_if_uncovered(self, lc: Lifecycle, domain: str, reading: Reading) -> float:
        """The artifact's leakage, or 0 when the rule covers it."""
        self.budget.spend()
        if self.policy.is_covered(lc, reading):
            return 0.0
        return self._capability(lc)[domain][1] / self.targets[domain].bands[1]

    # minimality ---------------------------------------------------------------------
    def _minimised(self, lc: Lifecycle, domain: str, reading: Reading, leakage: float) -> Lifecycle:
        """Drop steps one at a time while the artifact stays uncovered and keeps its leakage
        (docs/design.md §7: no step can be dropped from a finding)."""
        changed = True
        while changed:
            changed = False
            for smaller in _one_step_smaller(lc):
                if self._leakage_if_uncovered(smaller, domain, reading) >= leakage * (1 - SAME_LEAKAGE):
                    lc, changed = smaller, True
                    break
        return lc

    # verification and packaging ----------------------------------------------------
    def _verified_finding(self, combo, best: _Best, lc, domain, reading, adds: dict[str, float]) -> Finding | None:
        """Re-check through the public path: spec dict -> pydantic -> Lifecycle -> verdict."""
        plan, params = best.plan, best.params
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
        evades, covered, simpler = [], [], []
        leakage = cap[domain][1] / target.bands[1]
        for other in self.policy.readings:
            if self.policy.evaluate(replayed, other).covered:
                covered.append(other.id)
            elif other is reading or all(self._adds(s, combo, leakage, domain, other, params) is not None
                                         for s in combo):
                evades.append(other.id)
            else:  # uncovered there, but a simpler composition does as well under that reading
                simpler.append(other.id)
        external = {s.id for s in replayed.steps if s.id in plan.external}
        cost_flop = math.fsum(s.flop for s in replayed.lineage() if s.id not in external)
        honest_cost = accounting.lineage_compute(target.lifecycle, accounting.Counting(estimate="executed"))
        margins = {
            "under": {c.rule: {"measured": c.measured, "threshold": c.threshold, "ratio": c.margin, "clause": c.clause}
                      for c in verdict.clauses if c.tier in self.policy.covered_tiers},
            "over_target": {band: cap[domain][i] / target.bands[i] for i, band in enumerate(BANDS)},
            "placed_leakage": best.leakage,  # before steps were dropped; minimality is judged against it
        }
        finding_id = f"{domain}/{'+'.join(strategies)}/{_graph_key(replayed)[:6]}"
        return Finding(finding_id, self.policy.id, domain, strategies, params, reading.id, replayed, verdict, cap,
                       target, tuple(evades), tuple(covered), False, margins,
                       {"flop": cost_flop, "ratio_to_honest": cost_flop / honest_cost}, best.bounds, adds=adds,
                       simpler_under=tuple(simpler))


# -- helpers -------------------------------------------------------------------------

def _latest_reason(policy: Policy, latest: dt.date) -> str:
    if latest == FULL_COVERAGE and policy.population_based:
        return "the last fully covered year of the Epoch AI data"
    return "the data horizon of the Epoch AI snapshot"


def _one_step_smaller(lc: Lifecycle) -> Iterable[Lifecycle]:
    """Every lifecycle with one step bypassed (a one-input step's consumers take its input)
    or one member of a 3+ member composition removed, in step order. A synthetic-data step
    that a distillation step reads is never bypassed: the student depends on its compute."""
    for step in lc.steps:
        feeds_student = any(step.id in s.inputs and s.kind == "distill" for s in lc.steps)
        if step.kind in ON_BASE_KINDS or (step.kind == "synthetic_data" and not feeds_student):
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


_PLAN_FIELDS = tuple(f.name for f in fields(Plan) if f.name != "external")


@dataclass
class _Bracket:
    """Where a knob's crossing lies: uncovered at `lo`, covered at `hi`, with the clause
    traces there once probed (the secant predicts from them)."""

    lo: float
    hi: float
    at_low: Any = None
    at_high: Any = None


class Placements:
    """Knob placements of one rule object, shareable between its searches (`search(...,
    placements=)`): where the verdict is monotone in the knob, a placement depends on the
    rule, the reading, the plan, the knob and its range only, never on what was placed
    before, so the searches of a `compare` that measure one rule against several targets
    reuse each other's and are charged only the evaluations they spend.

    Two limits, both deterministic (same command, same output): a shared search spends
    fewer evaluations, so under a budget that runs out it may get further than the same
    search alone; and where a verdict is not monotone in a knob (a "primarily" share
    test under a lineage sum can switch twice as a distilled student grows), several
    crossings exist, the search's remembered crossings may pick another one than a
    fresh search would, and a shared placement may then differ from a search's own."""

    def __init__(self) -> None:
        self.policy: Policy | None = None
        self.values: dict[tuple, float | None] = {}

    def for_policy(self, policy: Policy) -> dict[tuple, float | None]:
        if self.policy is not policy:  # another rule object: nothing carries over
            self.policy, self.values = policy, {}
        return self.values



def _plan_key(plan: Plan, knob: str) -> tuple:
    """The plan's state without the knob being placed, hashable (a plain loop: every
    placement computes one)."""
    key = []
    for name in _PLAN_FIELDS:
        if name != knob:
            value = getattr(plan, name)
            key.append(tuple(sorted(value.items())) if isinstance(value, dict) else value)
    return tuple(key)


def _deciding_point(below: float, above: float) -> float | None:
    """The knob value between `below` and `above` whose coverage decides `_Engine._under`'s
    placement when the two round (after the backoff) to different grid values; None when
    they round alike."""
    low = round_down(below * BACKOFF)
    if low == round_down(above * BACKOFF):
        return None
    point = next_grid(low) / BACKOFF
    return point if below < point < above else None


def _crossings(at_low, at_high, low: float, high: float, tiers, model: int = 0) -> list[float]:
    """Knob values where each covering clause would reach its line, ascending, assuming its
    measure is, between the two end points, linear in the knob (model 0), a power of it
    (model 1: log-log) or linear in its logarithm (model 2: e.g. an index of log measures)."""
    guesses = []
    ulow, uhigh = math.log(low), math.log(high)
    for a, b in zip(at_low, at_high):
        if not b.triggered or a.tier not in tiers or a.threshold != b.threshold or not b.measured > a.measured:
            continue  # only a clause that covers the high end can be the one that binds
        line, ma, mb = a.threshold, a.measured, b.measured
        if model == 0:
            guesses.append(low + (line - ma) * (high - low) / (mb - ma))
            continue
        if model == 1 and not (ma > 0 and line > 0):
            continue
        share = (math.log(line / ma) / math.log(mb / ma)) if model == 1 else (line - ma) / (mb - ma)
        if 0 < share < 1:
            guesses.append(math.exp(ulow + share * (uhigh - ulow)))
    return sorted(g for g in guesses if math.isfinite(g) and low < g < high)


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
    """Best first: robust (probably material) findings, then the most probably material,
    then measured before bounded, then the largest leakage."""
    return sorted(findings, key=lambda f: (not f.robust, -(f.p_material or 0.0), f.bounded, -f.leakage,
                                           f.strategies, f.id))


@functools.lru_cache(maxsize=None)
def largest_run_by(when: dt.date, domain: str) -> float:
    """Largest known training compute of a real model released by `when` in `domain`
    (biological-sequence models for 'bio'): bounds how capable a teacher can be."""
    from .population import load_population

    population = load_population()
    if domain == "bio":
        return max((r.flop() for r in population.known() if r.biological_sequence and r.published and r.published <= when),
                   default=0.0)
    return population.largest_flop_by(when)


def release_horizon(policy: Policy) -> dt.date:
    """The latest release date the search tries for `policy`: what it finds (and what an
    amendment closes) holds for releases up to this day, not after."""
    return _latest_date(policy)


def _params_key(params: Mapping[str, Any]) -> str:
    """A variant set as a stable, hashable key (values are small dicts and tuples)."""
    return repr(sorted(params.items()))


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
