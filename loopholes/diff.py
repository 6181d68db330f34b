"""Where two rules disagree (`loopholes diff A B`, issue 15 item 1).

Candidates come from three places: the lifecycles each rule's own search finds escaping
it (what the gaming strategies build), lifecycles Hypothesis generates from
`loopholes.testing` and shrinks to the smallest one that tells the rules apart (a
minimal distinguishing input, as CrossHair's behaviour diff gives), and the real models
of the population (the backtest). Every counterexample is re-judged through the public
`loopholes.check` path on its spec before it is reported.

A relation (A implies B: everything A covers, B covers; equivalent; disjoint) is a claim
about what was searched, not a proof: it "holds" when no counterexample was found among
the candidates, and the result says how many were tried.
"""

from __future__ import annotations

import os
import random
from dataclasses import dataclass, field
from typing import Any

from .rules.framework import Policy
from .rules.registry import load_policy, shipped

GENERATED = 400
"""Lifecycles Hypothesis tries per question (A and not B, B and not A, both)."""


@dataclass(frozen=True)
class Example:
    """One lifecycle the two rules judge differently (or alike, for `both`)."""

    source: str
    """"search A", "search B", "generated" or "population"."""
    lifecycle: Any
    clauses: tuple[str, ...]
    """The clauses of the rule that covers it, which make the difference."""

    def to_json(self) -> dict[str, Any]:
        return {"source": self.source, "clauses": list(self.clauses), "lifecycle": self.lifecycle.to_spec()}


@dataclass
class Diff:
    a: Policy
    b: Policy
    reading_a: str
    reading_b: str
    a_not_b: list[Example] = field(default_factory=list)
    b_not_a: list[Example] = field(default_factory=list)
    both: Example | None = None
    population: dict[str, Any] = field(default_factory=dict)
    tried: dict[str, int] = field(default_factory=dict)

    @property
    def relations(self) -> dict[str, Any]:
        """Each relation with whether it held over the candidates and, if not, a
        counterexample: a lifecycle, else a real model covered by one rule only."""
        def relation(examples: list[Example], models: list[str]) -> dict[str, Any]:
            counter = examples[0].to_json() if examples else {"source": "population", "model": models[0]} if models else None
            return {"holds": counter is None, "counterexample": counter}

        a_b = relation(self.a_not_b, self.population.get("a_only", []))
        b_a = relation(self.b_not_a, self.population.get("b_only", []))
        both = [self.both] if self.both is not None else []
        return {"a_implies_b": a_b, "b_implies_a": b_a,
                "equivalent": a_b if not a_b["holds"] else b_a,
                "disjoint": relation(both, self.population.get("both", []))}

    def by_clause(self, examples: list[Example]) -> dict[str, int]:
        """How many counterexamples each covering clause accounts for."""
        counts: dict[str, int] = {}
        for example in examples:
            for clause in example.clauses:
                counts[clause] = counts.get(clause, 0) + 1
        return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))

    def to_json(self) -> dict[str, Any]:
        return {"a": self.a.id, "b": self.b.id, "reading_a": self.reading_a, "reading_b": self.reading_b,
                "a_not_b": [e.to_json() for e in self.a_not_b], "b_not_a": [e.to_json() for e in self.b_not_a],
                "a_not_b_by_clause": self.by_clause(self.a_not_b), "b_not_a_by_clause": self.by_clause(self.b_not_a),
                "relations": self.relations, "population": self.population, "tried": self.tried}


def diff(a: Any, b: Any, *, reading_a: str | None = None, reading_b: str | None = None, seed: int = 0,
         max_evals: int = 20_000, generated: int = GENERATED, executor: Any = None) -> Diff:
    """Where `a` and `b` disagree, under one reading of each (default: each rule's first).
    With an `executor` (loopholes.executor), the two rules' searches run on its workers;
    the result is the same whichever ran them."""
    pa, pb = load_policy(a), load_policy(b)
    ra, rb = pa.reading(reading_a), pb.reading(reading_b)
    out = Diff(pa, pb, ra.id, rb.id)
    seen: set[str] = set()

    def judge(lc: Any, source: str) -> None:
        key = repr(lc.to_spec())
        if key in seen:
            return
        seen.add(key)
        in_a, in_b = _covered(pa, lc, ra.id), _covered(pb, lc, rb.id)
        if in_a and not in_b:
            out.a_not_b.append(Example(source, lc, _triggered(pa, lc, ra.id)))
        elif in_b and not in_a:
            out.b_not_a.append(Example(source, lc, _triggered(pb, lc, rb.id)))
        elif in_a and in_b and out.both is None:
            out.both = Example(source, lc, _triggered(pa, lc, ra.id) + _triggered(pb, lc, rb.id))

    from .loading import parse_lifecycle

    refs = (a, b)
    if executor is not None and all(isinstance(ref, (str, os.PathLike)) for ref in refs):
        found = executor.map(finding_specs, [(shipped(ref), seed, max_evals) for ref in refs], label="searches")
    else:  # a loaded Policy does not pickle: search here
        found = [finding_specs((policy, seed, max_evals)) for policy in (pa, pb)]
    for key, policy, specs in (("search_a", pa, found[0]), ("search_b", pb, found[1])):
        for spec in specs:
            judge(parse_lifecycle(spec, f"<finding of {policy.id}>"), f"search of {policy.id}")
        out.tried[key] = len(specs)
    for question in ("a_not_b", "b_not_a", "both"):
        lc = _generated(pa, ra.id, pb, rb.id, question, seed, generated)
        if lc is not None:
            judge(lc, "generated")
    out.tried["generated"] = 3 * generated
    out.population, out.tried["population"] = _population(pa, ra.id, pb, rb.id)
    out.a_not_b.sort(key=_smallest)
    out.b_not_a.sort(key=_smallest)
    return out


def finding_specs(task: tuple) -> list[dict]:
    """The lifecycles a rule's search finds escaping it, as specs: (rule, seed, budget).
    Module level and plain data out, so an executor's worker can run it."""
    from .search import search

    ref, seed, max_evals = task
    return [finding.lifecycle.to_spec() for finding in search(ref, seed=seed, max_evals=max_evals).findings]


def _covered(policy: Policy, lc: Any, reading: str) -> bool:
    """Coverage through the public check path, on the lifecycle's spec (what a reader replays)."""
    from . import check
    from .loading import parse_lifecycle

    return check(policy, parse_lifecycle(lc.to_spec(), source=lc.name), reading).covered


def _triggered(policy: Policy, lc: Any, reading: str) -> tuple[str, ...]:
    verdict = policy.evaluate(lc, reading)
    return tuple(dict.fromkeys(f"{c.clause} ({c.rule})" for c in verdict.clauses
                               if c.triggered and c.tier in policy.covered_tiers))


def _smallest(example: Example) -> tuple:
    """Fewest steps first, then the least compute: the minimal distinguishing lifecycle leads."""
    return (len(example.lifecycle.steps), sum(s.flop for s in example.lifecycle.steps), example.source)


def _generated(pa: Policy, ra: str, pb: Policy, rb: str, question: str, seed: int, tries: int) -> Any:
    """The smallest generated lifecycle answering `question`, shrunk by Hypothesis; None
    when none was found in `tries`."""
    from hypothesis import HealthCheck, find, settings
    from hypothesis import strategies as st
    from hypothesis.errors import NoSuchExample, Unsatisfiable

    from .testing import lifecycles, near_threshold_lifecycles

    lines = sorted({line for p in (pa, pb) for line in p.target_lines.values()})
    strategy = st.one_of(built_lifecycles(lines, sorted({pa.reference_date, pb.reference_date})),
                         lifecycles(max_steps=4), *(near_threshold_lifecycles(line, max_steps=3) for line in lines))
    wanted = {"a_not_b": (True, False), "b_not_a": (False, True), "both": (True, True)}[question]

    def answers(lc: Any) -> bool:
        return (pa.is_covered(lc, pa.reading(ra)), pb.is_covered(lc, pb.reading(rb))) == wanted

    try:
        return find(strategy, answers, random=random.Random(f"{seed}-{question}"),
                    settings=settings(max_examples=tries, database=None, deadline=None,
                                      suppress_health_check=list(HealthCheck)))
    except (NoSuchExample, Unsatisfiable):
        return None


FACTORS = (1.0, 0.5, 0.99, 1.01, 2.0, 0.1, 10.0, 0.3, 3.0)
"""Multiples of a rule's line a built lifecycle's knobs take (simplest first: Hypothesis
shrinks toward the start of each list)."""


def built_lifecycles(lines: list[float], dates: list) -> Any:
    """Lifecycles as the gaming strategies build them (strategies.plan), with every knob
    near one of the rules' lines, whether or not they keep capability: what tells two
    rules apart need not be an evasion (a distilled student of a frontier teacher, a run
    whose cost falls under a dollar test)."""
    from hypothesis import strategies as st

    from .strategies.plan import Plan, build

    near = st.tuples(st.sampled_from(lines), st.sampled_from(FACTORS)).map(lambda pair: pair[0] * pair[1])

    def plan(draw: Any) -> Any:
        core = draw(st.sampled_from(("pretrain", "distill", "moe", "split")))
        data = draw(st.sampled_from((None, {"bio": 0.49, "general": 0.51}, {"bio": 0.51, "general": 0.49})))
        members = draw(st.integers(1, 3))
        return Plan(domain="bio" if data and data["bio"] > 0.5 else "general", released=draw(st.sampled_from(dates)),
                    core_flop=draw(near), teacher_flop=draw(near) * 10, modifier_flop=draw(near), data=data,
                    precision=draw(st.sampled_from(("bf16", "int8", "fp8"))), core=core,
                    members=members, system=draw(st.sampled_from(("ensemble", "cascade"))) if members > 1 else None,
                    modifiers=draw(st.integers(0, 2)), form=draw(st.sampled_from(("flop", "hardware"))),
                    peak_precision="bf16" if draw(st.booleans()) else None)

    return st.composite(lambda draw: build(plan(draw), name="built"))()


def _population(pa: Policy, ra: str, pb: Policy, rb: str) -> tuple[dict[str, Any], int]:
    """Real models (Epoch data) one rule covers and the other does not, and how many were judged."""
    from .backtest import backtest

    covered_a = {p.model for p in backtest(pa, ra).covered_models}
    result_b = backtest(pb, rb)
    covered_b = {p.model for p in result_b.covered_models}
    return ({"a_only": sorted(covered_a - covered_b), "b_only": sorted(covered_b - covered_a),
             "both": sorted(covered_a & covered_b)}, len(result_b.points))
