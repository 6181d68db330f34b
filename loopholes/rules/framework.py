"""Rules as predicates.

A `Policy` is data: readings (named interpretations of open text), rules (each with its
clause, what it measures, comparator, threshold and the tier it triggers) and metadata.
`Policy.evaluate(lifecycle, reading)` gives a `Verdict` with a trace of every rule.
Combinators build the common rule shapes; a plain function works for anything else.

Numbers stay exact where they can: thresholds are held as given (write `10**25`, not
`1e25`, whose float is 10^25 + 905,969,664) and measures are compared without a float
conversion, so an integer count of 10^25 + 10^8 operations is above 10^25 and exactly
10^23 is not above 10^23. Python compares int, float and Fraction exactly.

Who is obliged: a rule either judges only the deployed artifact (`duty="artifact"`) or,
where the instrument attaches its duties to a developer or provider, every model in the
lifecycle that is deployed or whose weights are handed to another party
(`duty="developer"`); a lifecycle then escapes only if no party in it incurs the duty.
A reading can override the policy's choice with the option `duty`.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import numbers
import traceback
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Mapping

from .. import accounting
from ..accounting import Counting
from ..capability import Capability, Coefficients, TableReads, effective_compute
from ..errors import PolicyError, ReadingError
from ..lifecycle import COMPOSITE_KINDS, ON_BASE_KINDS, Lifecycle, rooted  # noqa: F401 (rooted: part of the rule API)
from .providers import provider_compute
from ..spec import RELEASED_MAX, RELEASED_MIN


@dataclass(frozen=True)
class CentralVerdict:
    """`Policy.central_verdict`: whether the lifecycle is covered, and the (rule index,
    judged model index) pairs that read a number depending on the coefficient table."""

    covered: bool
    moving: tuple[tuple[int, int], ...]
    judged: tuple[Lifecycle, ...] = ()
    """The judged models' lifecycles (`Policy._contexts`), reused under every table."""
    reading: Reading | None = None

    def under(self, drawn: "Policy") -> bool:
        """Coverage under `drawn` (the same policy with another coefficient table): the
        pairs that read nothing depending on the table give what they gave, so only the
        others are judged."""
        if not self.moving:
            return self.covered
        contexts: dict[int, Context] = {}
        for r, c in self.moving:
            ctx = contexts.get(c)
            if ctx is None:
                ctx = contexts[c] = Context(self.judged[c], self.reading, drawn)  # type: ignore[arg-type]
            if drawn.rules[r].triggers(ctx):
                return True
        return False


COMPARATORS: dict[str, Callable[[float, float], bool]] = {">": lambda a, b: a > b, ">=": lambda a, b: a >= b}
STATUSES = ("in force", "enacted", "revoked", "vetoed", "proposal", "draft", "superseded")
"""`enacted`: law, not yet in force; `draft`: a drafter's text under discussion;
`superseded`: replaced by another instrument
(name it in `Policy.superseded_by`); `revoked` and `superseded` need `in_force_until`."""
DUTIES = ("artifact", "developer")


@dataclass(frozen=True)
class Reading:
    """A named interpretation of text the instrument leaves open. Every test and search
    runs under every reading; a finding that escapes under some readings only is the
    text's ambiguity, not the rule's."""

    id: str
    question: str
    """The open question this reading answers, e.g. "Does a third party's fine-tune count?"."""
    answer: str
    """This reading's answer, in words."""
    options: Mapping[str, Any] = field(default_factory=dict)
    """What the answer changes in the measures: `scope` (which sum counts: single-run,
    model, model-and-data, lineage, developer, provider), `count_integer` (bool),
    `estimate` (reported, executed, dense), `unknown_networking` (bool), `duty`
    (artifact, developer), and whatever a rule's own functions read with `ctx.option`."""


@dataclass(frozen=True)
class Parameter:
    """A dated, cited number a rule uses (openfisca-style), so drafts can change it by name.
    `value` is the one in effect on the policy's reference date; `history` keeps every
    dated value (oldest first), so an amended threshold keeps its past."""

    value: Any
    clause: str
    note: str = ""
    history: tuple[tuple[dt.date, Any], ...] = ()

    def at(self, day: dt.date) -> Any:
        """The value in effect on `day`: the latest dated value from on or before it (the
        earliest one for a day before any), or `value` when the parameter has no history."""
        if not self.history:
            return self.value
        chosen = self.history[0][1]
        for since, value in self.history:
            if since <= day:
                chosen = value
        return chosen


class Context:
    """What a rule's functions see: `lifecycle` (the model judged, with its history),
    `reading` (read its options with `option(name, default)`), `policy` (its
    `parameter(name)` values), `capability()` (effective compute of the artifact per
    domain and band, in effective FLOP), and `memo(key, fn)` to compute something once
    per evaluation."""

    __slots__ = ("lifecycle", "reading", "policy", "_memo", "_read_table")

    def __init__(self, lifecycle: Lifecycle, reading: Reading, policy: "Policy"):
        self.lifecycle, self.reading, self.policy = lifecycle, reading, policy
        self._memo: dict[str, Any] = {}
        self._read_table: set[str] | None = None

    def option(self, name: str, default: Any = None) -> Any:
        return self.reading.options.get(name, default)

    def parameter(self, name: str) -> Any:
        return self.policy.parameters[name].value

    def memo(self, key: str, compute: Callable[[], Any]) -> Any:
        if key not in self._memo:
            before = TableReads.count
            self._memo[key] = compute()
            if TableReads.count != before:  # a value that read the table stays one when reused
                self._read_table = (self._read_table or set()) | {key}
        elif self._read_table is not None and key in self._read_table:
            TableReads.count += 1
        return self._memo[key]

    def capability(self) -> Capability:
        TableReads.count += 1  # a memo hit computes nothing, but reads capability all the same
        return self.memo("capability", lambda: effective_compute(
            self.lifecycle, self.policy.reference_date, self.policy.coefficients))


Measure = Callable[[Context], float]
Condition = Callable[[Context], "tuple[bool, str]"]


class Note:
    """A condition that always holds and only explains: `Note(fn)` with `fn(ctx)` giving
    the text a trace shows (where a computed line came from, who the provider is). The
    verdict never depends on it, so the search's probes, which read coverage and the
    numbers but no text, skip it (`Rule.triggers`, `Policy.evaluate_rules(notes=False)`)."""

    def __init__(self, explain: Callable[[Context], str]):
        self.explain = explain
        functools.update_wrapper(self, explain)  # errors name the drafter's function, not this wrapper

    def __call__(self, ctx: Context) -> "tuple[bool, str]":
        text = self.explain(ctx)
        if not isinstance(text, str):  # `_held` turns this into a PolicyError naming the function
            raise TypeError(f"a Note's function must return its text (a str), not {text!r:.80}; "
                            "a test that can fail is a condition returning (holds, note)")
        return True, text

    def __eq__(self, other: object) -> bool:  # two Notes of one function are one rule (copies, pickles)
        return type(other) is Note and other.explain == self.explain

    def __hash__(self) -> int:
        return hash(self.explain)

    def __repr__(self) -> str:
        return f"Note({getattr(self.explain, '__qualname__', self.explain)!s})"


@dataclass(frozen=True)
class Rule:
    """One test of a rule: `measure(ctx)` compared with `threshold` by `comparator`
    (`>` or `>=`), and `condition(ctx)` if given; when both hold it triggers `tier`.
    The combinators below (compute_threshold, domain_threshold, ...) build the common
    shapes; docs/rule-api.md lists them with recipes."""

    id: str
    clause: str
    """Where the rule stands, e.g. "EO 14110 §4.2(b)(i)"."""
    measures: str
    """What is measured, in words ("training operations, single run")."""
    threshold: float
    """The line, in `unit` (write 10**25, not 1e25: the value is compared exactly)."""
    comparator: str
    """">" (strictly above) or ">=" (at or above), as the clause reads."""
    tier: str
    """The tier this rule triggers (one of the policy's `tiers`)."""
    measure: Measure
    """A function of the Context giving a non-negative number in `unit`."""
    condition: Condition | None = None
    """An extra test that must also hold (e.g. the share test of "primarily")."""
    unit: str = "operations"
    """What the measure counts: operations, FLOP, USD, operations per second, ..."""
    line: Callable[[Context], float] | None = None
    """For dynamic rules: the threshold computed per lifecycle (e.g. a percentile of the
    models released in the trailing year); `threshold` then holds the nominal value."""

    def __post_init__(self) -> None:
        if not isinstance(self.comparator, str) or self.comparator not in COMPARATORS:
            raise PolicyError(f"rule '{self.id}': comparator '{self.comparator}' is not one of > or >=")
        if not is_finite_amount(self.threshold):
            raise PolicyError(f"rule '{self.id}': threshold must be a finite non-negative number")

    def measured(self, ctx: Context) -> float:
        """The measure's value, checked (`_measured`) but unconverted (an int stays exact)."""
        return _measured(self, ctx, self.measure)

    def threshold_for(self, ctx: Context) -> float:
        """The line this lifecycle faces: fixed, or computed by `line` (dynamic rules)."""
        return _measured(self, ctx, self.line) if self.line is not None else self.threshold

    def triggers(self, ctx: Context) -> bool:
        """Whether the rule fires, without building its trace (the search's hot path)."""
        if not COMPARATORS[self.comparator](self.measured(ctx), self.threshold_for(ctx)):
            return False
        return self.condition is None or type(self.condition) is Note or _held(self, ctx)[0]

    def evaluate(self, ctx: Context, notes: bool = True) -> "ClauseResult":
        """The clause's result with its trace; `notes=False` leaves out the text of a
        `Note` (it cannot change the result), as the search's probes do."""
        measured = self.measured(ctx)
        threshold = self.threshold_for(ctx)
        passes_line = COMPARATORS[self.comparator](measured, threshold)
        note = ""
        condition_holds = True
        if self.condition is not None and (notes or type(self.condition) is not Note):
            condition_holds, note = _held(self, ctx)
        return ClauseResult(self.id, self.clause, self.measures, measured, threshold, self.comparator,
                            passes_line and condition_holds, self.tier, note, self.unit,
                            ctx.lifecycle.deploy, ctx.lifecycle.artifact.developer)


def plain(value: Any) -> Any:
    """A number as JSON can hold it: an int stays exact, anything else (Fraction) is a float."""
    return value if type(value) in (int, float) else float(value)


def is_finite_amount(value: Any) -> bool:
    """A finite, non-negative real number (int, float or Fraction; not bool)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return False
    try:
        return math.isfinite(value) and value >= 0
    except OverflowError:  # an int too large for a float is finite but absurd as a line
        return False


def _measured(rule: Rule, ctx: Context, function: Callable[[Context], float]) -> float:
    """What a rule's measure (or dynamic line) gives, as a non-negative number. A drafter's
    function that raises, or returns NaN, a negative number or no number at all, is a
    PolicyError naming the rule, its clause and where it failed: never a traceback, and
    never a silent "not covered". +infinity stays allowed: a share of zero compute (EU
    modifier ratio) is unbounded, and JSON outputs write it as null."""
    try:
        value = function(ctx)
    except PolicyError:  # another rule's measure, already named
        raise
    except Exception as error:  # a drafter's code may fail in any way; say where
        raise _raised(rule, ctx, function, error) from None
    kind = type(value)
    if (kind is float or kind is int) and value >= 0:  # the common case (NaN fails `>= 0`), checked cheaply
        return value
    exact = isinstance(value, numbers.Rational) and not isinstance(value, bool)  # int or Fraction: no NaN possible
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or (not exact and math.isnan(value)) or value < 0:
        name = getattr(function, "__qualname__", repr(function))
        raise PolicyError(f"policy '{ctx.policy.id}', rule '{rule.id}' ({rule.clause}): {name}() returned {value!r:.80}; "
                          "a measure must be a non-negative number (infinity only for a share of nothing)")
    return value  # unconverted: an exact integer stays exact at the line (issue 11)


def _held(rule: Rule, ctx: Context) -> "tuple[bool, str]":
    """A rule's extra condition, checked like its measure: one that raises, or returns
    anything but (holds, note), is a PolicyError naming the rule and where it failed."""
    try:
        result = rule.condition(ctx)  # type: ignore[misc]
    except PolicyError:
        raise
    except Exception as error:
        raise _raised(rule, ctx, rule.condition, error) from None  # type: ignore[arg-type]
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        name = getattr(rule.condition, "__qualname__", repr(rule.condition))
        raise PolicyError(f"policy '{ctx.policy.id}', rule '{rule.id}' ({rule.clause}): {name}() returned "
                          f"{result!r:.80}; a condition must return (holds, note), such as (True, 'bio share 60% > 50%')")
    return result


def _raised(rule: Rule, ctx: Context, function: Callable, error: Exception) -> PolicyError:
    """The drafter's function that raised, the line it raised at, and the error, in one line."""
    frames = traceback.extract_tb(error.__traceback__)
    where = f" at {frames[-1].filename}:{frames[-1].lineno}" if frames else ""
    name = getattr(function, "__qualname__", repr(function))
    detail = str(error).splitlines()[0][:200] if str(error) else ""
    return PolicyError(f"policy '{ctx.policy.id}', rule '{rule.id}' ({rule.clause}): {name}(){where} raised "
                       f"{type(error).__name__}" + (f": {detail}" if detail else ""))


@dataclass(frozen=True)
class ClauseResult:
    rule: str
    clause: str
    measures: str
    measured: float
    threshold: float
    comparator: str
    triggered: bool
    tier: str
    note: str = ""
    unit: str = "operations"
    artifact: str = ""
    """The model this result judges (the deployed one, or a model handed to another party)."""
    party: str = ""
    """The developer of that model: who incurs the duty if it triggers."""

    @property
    def margin(self) -> float:
        """measured / threshold: how far under (<1) or over (>1) the line the value sits."""
        return self.measured / self.threshold if self.threshold else math.inf

    def to_json(self) -> dict[str, Any]:
        return {"clause": self.clause, "rule": self.rule, "measures": self.measures, "measured": plain(self.measured),
                "threshold": plain(self.threshold), "comparator": self.comparator, "triggered": self.triggered,
                "tier": self.tier, "unit": self.unit, "note": self.note, "artifact": self.artifact,
                "party": self.party}


@dataclass(frozen=True)
class Verdict:
    policy: str
    reading: str
    artifact: str
    covered: bool
    tier: str | None
    clauses: tuple[ClauseResult, ...]
    capability: Capability
    total_flop: float
    lifecycle: Lifecycle
    obligated: tuple["Obligation", ...] = ()
    """Every model judged (developer-level duties) and whether its developer is obliged."""

    def to_json(self) -> dict[str, Any]:
        """The stable `check --json` fields (policy, reading, artifact, covered, tier, clauses, capability,
        compute), plus `obligated`: every model judged under a developer-level duty."""
        return {"policy": self.policy, "reading": self.reading, "artifact": self.artifact, "covered": self.covered,
                "tier": self.tier, "clauses": [c.to_json() for c in self.clauses],
                "capability": self.capability.to_json(),
                "compute": {"total_flop": self.total_flop,
                            "by_developer": accounting.by_developer(self.lifecycle),
                            "by_kind": accounting.by_kind(self.lifecycle),
                            "by_precision": accounting.by_precision_class(self.lifecycle)},
                "obligated": [o.to_json() for o in self.obligated]}


@dataclass(frozen=True)
class Obligation:
    """One model judged under a developer-level duty and what it incurs."""

    artifact: str
    party: str
    covered: bool
    tier: str | None
    handed_to: tuple[str, ...]
    """Other developers that build on this model (empty: the deployed artifact)."""

    def to_json(self) -> dict[str, Any]:
        return {"artifact": self.artifact, "party": self.party, "covered": self.covered, "tier": self.tier,
                "handed_to": list(self.handed_to)}


@dataclass(frozen=True)
class KnownLoophole:
    """A loophole the bundled rule is known to have: its pytest case runs as strict xfail."""

    strategy: str
    reason: str
    readings: tuple[str, ...] = ()
    """Readings under which it is known; empty = every reading."""


@dataclass(frozen=True)
class Policy:
    """A rule as data: metadata, readings, rules, tiers and the lines the search targets.
    Build one in Python, or write a rule file (loopholes.rules.rulefile) that builds it;
    `evaluate(lifecycle, reading)` gives the Verdict, clause by clause."""

    id: str
    title: str
    jurisdiction: str
    source: str
    status: str
    dates: Mapping[str, str]
    reference_date: dt.date
    """The date the rule's line was drawn: targets use that date's recipe."""
    readings: tuple[Reading, ...]
    rules: tuple[Rule, ...]
    tiers: tuple[str, ...]
    """All tiers, lowest first."""
    covered_tiers: frozenset[str]
    """Tiers that mean heightened scrutiny: a verdict is `covered` when one of them triggers."""
    target_lines: Mapping[str, float]
    """Per capability domain, the compute line the rule draws there (default search target)."""
    parameters: Mapping[str, Parameter] = field(default_factory=dict)
    known_loopholes: tuple[KnownLoophole, ...] = ()
    ambiguities: tuple[str, ...] = ()
    coefficients: Coefficients | None = None
    population_based: bool = False
    """True when verdicts depend on the real-model population (dynamic rules)."""
    duty: str = "artifact"
    """Who is obliged: "artifact" judges the deployed model only; "developer" judges every
    model deployed or handed to another party (a reading's `duty` option overrides)."""
    in_force_until: dt.date | None = None
    """Last day the rule applied (revoked or superseded); the search releases nothing later."""
    superseded_by: str | None = None
    """The instrument that replaced this one (status "superseded")."""

    def __post_init__(self) -> None:
        # A dataclass does not check types: without this, reference_date="2026-01-01" or
        # rules=(rule) (no trailing comma) fails deep inside a search with a raw TypeError.
        problem = _field_problem(self)
        if problem:
            raise PolicyError(f"policy '{self.id}': {problem}" if isinstance(self.id, str) else f"policy: {problem}")
        if self.status not in STATUSES:
            raise PolicyError(f"policy '{self.id}': status '{self.status}' is not one of {', '.join(STATUSES)}")
        if self.status in ("revoked", "superseded") and self.in_force_until is None:
            raise PolicyError(f"policy '{self.id}': status '{self.status}' needs in_force_until (the last day it applied)")
        if self.status == "superseded" and not self.superseded_by:
            raise PolicyError(f"policy '{self.id}': status 'superseded' needs superseded_by (the instrument that replaced it)")
        if self.duty not in DUTIES:
            raise PolicyError(f"policy '{self.id}': duty '{self.duty}' is not one of {', '.join(DUTIES)}")
        if not self.readings:
            raise PolicyError(f"policy '{self.id}' needs at least one reading")
        if not self.rules:
            raise PolicyError(f"policy '{self.id}' needs at least one rule")
        for rule in self.rules:
            if rule.tier not in self.tiers:
                raise PolicyError(f"policy '{self.id}': rule '{rule.id}' triggers unknown tier '{rule.tier}'")
        if not self.covered_tiers <= set(self.tiers):
            raise PolicyError(f"policy '{self.id}': covered tiers must be among its tiers")

    def reading(self, reading_id: str | None = None) -> Reading:
        if reading_id is None:
            return self.readings[0]
        for reading in self.readings:
            if reading.id == reading_id:
                return reading
        raise ReadingError(f"policy '{self.id}' has no reading '{reading_id}'; "
                           f"valid readings: {', '.join(r.id for r in self.readings)}")

    def evaluate(self, lifecycle: Lifecycle, reading: str | Reading | None = None) -> Verdict:
        chosen = reading if isinstance(reading, Reading) else self.reading(reading)
        contexts = self._contexts(lifecycle, chosen)
        per_model = [tuple(rule.evaluate(ctx) for rule in self.rules) for ctx in contexts]
        obligations = tuple(self._obligation(ctx, results, lifecycle) for ctx, results in zip(contexts, per_model))
        tier = self._top_tier({o.tier for o in obligations if o.tier is not None})
        covered = any(o.covered for o in obligations)
        return Verdict(self.id, chosen.id, lifecycle.deploy, covered, tier, binding(per_model),
                       contexts[0].capability(), accounting.lineage_compute(lifecycle, Counting(estimate="executed")),
                       lifecycle, obligations if len(contexts) > 1 else ())

    def evaluate_rules(self, lifecycle: Lifecycle, reading: Reading, notes: bool = True) -> tuple[ClauseResult, ...]:
        """The trace without capability: what the search reads to place its knobs. Under a
        developer-level duty each rule shows its binding model (the one nearest to, or
        furthest past, the line), so the trace stays linear in the search's knobs. The
        search, which reads no text, passes `notes=False` (see `Note`)."""
        contexts = self._contexts(lifecycle, reading)
        return binding([tuple(rule.evaluate(ctx, notes) for rule in self.rules) for ctx in contexts])

    def is_covered(self, lifecycle: Lifecycle, reading: Reading) -> bool:
        """Fast path for the search: coverage only, no trace. Rule by rule across the judged
        models, so an expensive rule listed last (a capability limb) runs only when the
        cheaper ones cover no model."""
        contexts = self._contexts(lifecycle, reading)
        return any(rule.triggers(ctx) for rule in self.rules if rule.tier in self.covered_tiers for ctx in contexts)

    def central_verdict(self, lifecycle: Lifecycle, reading: Reading) -> "CentralVerdict":
        """Coverage under this policy's table, split for judging it again under other
        coefficient tables: only the (rule, judged model) pairs whose verdict read a number
        that depends on the table (`capability.TableReads`: an effective compute, the EU
        frontier) can change with it. A covering pair that read none covers under every
        table, so nothing is left to re-judge. Pairs are judged in `is_covered`'s order,
        but past a covering pair that read the table, to find one that read none."""
        contexts = self._contexts(lifecycle, reading)
        covered, moving = False, []
        for r, rule in enumerate(self.rules):
            if rule.tier not in self.covered_tiers:
                continue
            for c, ctx in enumerate(contexts):
                before = TableReads.count
                fired = rule.triggers(ctx)
                if TableReads.count != before:
                    moving.append((r, c))
                    covered = covered or fired
                elif fired:
                    return CentralVerdict(True, ())
        return CentralVerdict(covered, tuple(moving), tuple(ctx.lifecycle for ctx in contexts), reading)

    def duty_of(self, reading: Reading) -> str:
        duty = reading.options.get("duty", self.duty)
        if duty != "developer" and duty != "artifact":
            raise PolicyError(f"policy '{self.id}': reading '{reading.id}' sets duty '{duty}'; valid: {', '.join(DUTIES)}")
        return duty

    def _contexts(self, lifecycle: Lifecycle, reading: Reading) -> list[Context]:
        """The deployed artifact first, then (developer-level duty) every model handed on."""
        contexts = [Context(lifecycle, reading, self)]
        if self.duty_of(reading) == "developer":
            for step_id in handed_over(lifecycle):
                contexts.append(Context(rooted(lifecycle, step_id), reading, self))
        return contexts

    def _top_tier(self, triggered: set[str]) -> str | None:
        return next((t for t in reversed(self.tiers) if t in triggered), None)

    def _obligation(self, ctx: Context, results: tuple[ClauseResult, ...], whole: Lifecycle) -> Obligation:
        triggered = {r.tier for r in results if r.triggered}
        model, party = ctx.lifecycle.deploy, ctx.lifecycle.artifact.developer
        takers = tuple(sorted({s.developer for s in whole.steps if model in s.inputs and s.developer != party}))
        return Obligation(model, party, bool(triggered & self.covered_tiers), self._top_tier(triggered), takers)

    def with_coefficients(self, coefficients: Coefficients | None) -> "Policy":
        return self if coefficients is None else replace(self, coefficients=coefficients)

    def replace(self, **changes: Any) -> "Policy":
        """A copy with some fields changed: the way a draft tightens a bundled rule."""
        return replace(self, **changes)

    def describe(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "jurisdiction": self.jurisdiction, "source": self.source,
                "status": self.status, "dates": dict(self.dates), "reference_date": self.reference_date.isoformat(),
                "readings": [{"id": r.id, "question": r.question, "answer": r.answer} for r in self.readings],
                "rules": [{"id": r.id, "clause": r.clause, "measures": r.measures, "comparator": r.comparator,
                           "threshold": plain(r.threshold), "tier": r.tier} for r in self.rules],
                "tiers": list(self.tiers), "covered_tiers": sorted(self.covered_tiers),
                "target_lines": dict(self.target_lines), "duty": self.duty,
                "in_force_until": self.in_force_until.isoformat() if self.in_force_until else None,
                "superseded_by": self.superseded_by}


# -- field types of a Policy --------------------------------------------------------------

def _given(value: Any) -> str:
    """What a drafter wrote, in a few words: the type and the start of its repr (a rule or
    a reading by its id)."""
    if isinstance(value, (Rule, Reading)):
        return f"got {type(value).__name__} {value.id!r:.60}"
    return f"got {type(value).__name__} {value!r:.60}"


def _text(value: Any) -> bool:
    return isinstance(value, str) and bool(value)


def _date(value: Any) -> bool:
    return isinstance(value, dt.date) and not isinstance(value, dt.datetime)


def _line(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, numbers.Real) and is_finite_amount(value) and value > 0


def _items(kind: type) -> Callable[[Any], "tuple[str, Any] | None"]:
    """A tuple (or list) of `kind`: None when it is one, else (where, what is wrong there)."""
    def check(value: Any) -> "tuple[str, Any] | None":
        if not isinstance(value, (tuple, list)):
            return "", value
        for i, item in enumerate(value):
            if not isinstance(item, kind):
                return f"[{i}]", item
        return None

    return check


def _entries(key: Callable[[Any], bool], value_ok: Callable[[Any], bool]) -> Callable[[Any], "tuple[str, Any] | None"]:
    """A mapping whose keys pass `key` and values pass `value_ok`, checked the same way."""
    def check(value: Any) -> "tuple[str, Any] | None":
        if not isinstance(value, Mapping):
            return "", value
        for k, v in value.items():
            if not key(k):
                return "<key>", k
            if not value_ok(v):
                return f"[{k!r:.40}]", v
        return None

    return check


def _simple(ok: Callable[[Any], bool]) -> Callable[[Any], "tuple[str, Any] | None"]:
    return lambda value: None if ok(value) else ("", value)


_FIELDS: tuple[tuple[str, Callable[[Any], "tuple[str, Any] | None"], str, str], ...] = (
    # field, check, what the whole field must be, what one item of it must be
    ("id", _simple(_text), "a non-empty string", ""),
    ("title", _simple(_text), "a non-empty string", ""),
    ("jurisdiction", _simple(_text), "a non-empty string", ""),
    ("source", _simple(_text), "a non-empty string", ""),
    ("status", _simple(lambda v: isinstance(v, str)), "a string", ""),
    ("dates", _entries(lambda k: isinstance(k, str), lambda v: isinstance(v, str)),
     "a mapping of names to date strings, such as {'adopted': '2024-03-13'}", "a date string"),
    ("reference_date", _simple(_date), "a date such as datetime.date(2026, 1, 1)", ""),
    ("readings", _items(Reading), "a tuple of Reading", "a Reading"),
    ("rules", _items(Rule), "a tuple of Rule", "a Rule"),
    ("tiers", _items(str), "a tuple of tier names", "a tier name (a string)"),
    ("covered_tiers", lambda v: None if isinstance(v, (set, frozenset)) else ("", v),
     "a frozenset of tier names, such as frozenset({'systemic-risk'})", ""),
    ("target_lines", _entries(_text, _line),
     "a mapping of capability domains to compute lines, such as {'general': 10**25}",
     "a positive finite number of FLOP"),
    ("parameters", _entries(_text, lambda v: isinstance(v, Parameter)),
     "a mapping of names to Parameter(value, clause)", "a Parameter(value, clause)"),
    ("known_loopholes", _items(KnownLoophole), "a tuple of KnownLoophole", "a KnownLoophole"),
    ("ambiguities", _items(str), "a tuple of strings", "a string"),
    ("coefficients", _simple(lambda v: v is None or isinstance(v, Coefficients)), "None or loaded Coefficients", ""),
    ("population_based", _simple(lambda v: isinstance(v, bool)), "True or False", ""),
    ("duty", _simple(lambda v: isinstance(v, str)), "a string", ""),
    ("in_force_until", _simple(lambda v: v is None or _date(v)), "None or a date such as datetime.date(2026, 1, 1)", ""),
    ("superseded_by", _simple(lambda v: v is None or isinstance(v, str)), "None or a string", ""),
)
_RULE_TEXT = ("id", "clause", "measures", "tier", "unit")


def _field_problem(policy: "Policy") -> str | None:
    """The first field of `policy` (or of one of its readings or rules) with a wrong type,
    in words: the field, what it must be, and what was given. None when all are right.
    One pass of isinstance checks: a few microseconds per Policy, `replace` included."""
    for name, check, whole, item in _FIELDS:
        value = getattr(policy, name)
        wrong = check(value)
        if wrong is None:
            continue
        where, bad = wrong
        if not where:
            one = whole.startswith("a tuple") and type(bad).__name__ in item  # (x) where (x,) was meant
            return f"{name} must be {whole}, {_given(bad)}" + (" (a tuple of one needs a trailing comma: (x,))"
                                                               if one else "")
        if where == "<key>":
            return f"{name} must be {whole}; the key {bad!r:.40} is not a non-empty string"
        return f"{name}{where} must be {item}, {_given(bad)}"
    if not RELEASED_MIN <= policy.reference_date <= RELEASED_MAX:
        return f"reference_date {policy.reference_date} is outside {RELEASED_MIN} to {RELEASED_MAX}"
    for reading in policy.readings:
        if not _text(reading.id) or not isinstance(reading.options, Mapping):
            return f"reading {reading.id!r:.40}: id must be a non-empty string and options a mapping, {_given(reading.options)}"
    for rule in policy.rules:
        for name in _RULE_TEXT:
            if not isinstance(getattr(rule, name), str):
                return f"rule {rule.id!r:.40}: {name} must be a string, {_given(getattr(rule, name))}"
        if not callable(rule.measure):
            return f"rule {rule.id!r}: measure must be a function of the context, {_given(rule.measure)}"
        for name in ("condition", "line"):
            if getattr(rule, name) is not None and not callable(getattr(rule, name)):
                return f"rule {rule.id!r}: {name} must be a function or None, {_given(getattr(rule, name))}"
    for known in policy.known_loopholes:
        if not isinstance(known.readings, (tuple, list)) or not all(isinstance(r, str) for r in known.readings):
            return (f"known loophole {known.strategy!r:.40}: readings must be a tuple of reading ids, "
                    f"{_given(known.readings)} (a tuple of one needs a trailing comma: ('x',))")
    return None


# -- developer-level duties -------------------------------------------------------------

def handed_over(lc: Lifecycle) -> tuple[str, ...]:
    """Models in the artifact's lineage whose weights another developer builds on (as the
    base of its fine-tune, boost, quantization or pruning, or as a member it combines).
    A teacher that only generates data or labels is not handed over: its weights stay
    with its developer, whose own duties for it do not depend on this lifecycle."""
    key = ("handed", lc.deploy)
    memo = lc._memo
    if key not in memo:
        ids: list[str] = []
        index = lc.index
        for step in lc.lineage():
            if step.inputs and (step.kind in ON_BASE_KINDS or step.kind in COMPOSITE_KINDS):
                for source in step.inputs:
                    model = index[source]
                    if model.developer != step.developer and model.kind != "synthetic_data" and source not in ids:
                        ids.append(source)
        memo[key] = tuple(ids)  # type: ignore[assignment]
    return memo[key]  # type: ignore[return-value]


def binding(per_model: list[tuple[ClauseResult, ...]]) -> tuple[ClauseResult, ...]:
    """Per rule, the result that binds across the judged models: a triggered one first
    (the deployed artifact's if it triggers), else the one with the largest margin."""
    if len(per_model) == 1:
        return per_model[0]
    return tuple(max(results, key=lambda r: (r.triggered, r.margin)) for results in zip(*per_model))


# -- measures shared by several instruments ------------------------------------------

def counting(ctx: Context) -> Counting:
    """Which operations this reading counts (integer ops, reported or executed); one
    Counting per distinct pair, since every probe of a search asks for it several times."""
    options = ctx.reading.options
    key = (options.get("count_integer", True), options.get("estimate", "reported"))
    try:
        hit = _COUNTINGS.get(key)
    except TypeError:  # an unhashable option value: made afresh
        return Counting(integer=key[0], estimate=key[1])
    if hit is None:
        hit = _COUNTINGS[key] = Counting(integer=key[0], estimate=key[1])
    return hit


_COUNTINGS: dict[tuple, Counting] = {}


SCOPES = ("single-run", "model", "model-and-data", "lineage", "developer", "provider")
"""The sums a compute rule can count (see `training_compute`)."""


def model_and_data_steps(lc: Lifecycle) -> list:
    """The artifact's model (its runs, bases and members) plus the synthetic-data
    generation that feeds those steps: all "training-related" compute in the sense of
    Korea's draft MSIT Notice, which counts data pre-processing. A teacher's own training
    is another model's compute and stays out."""
    steps = list(lc.model_tree())
    seen = {s.id for s in steps}
    for step in lc.model_tree():
        steps.extend(d for d in lc.data_inputs(step) if d.id not in seen)
        seen.update(d.id for d in lc.data_inputs(step))
    return steps


def training_compute(scope: str | None = None) -> Measure:
    """Training compute in a scope (`SCOPES`): "single-run" (the largest run), "model"
    (the artifact's runs, bases and members), "model-and-data" (that plus the synthetic
    data generated for it), "lineage" (everything upstream, teachers included), or
    "developer" (the deploying developer's own steps in the artifact's model), or
    "provider" (the EU guidelines' count for the model's provider, `loopholes.rules.providers`). Without
    `scope`, the reading's `scope` option decides, so one rule serves several readings."""

    def measure(ctx: Context) -> float:
        chosen = scope or ctx.option("scope", "lineage")
        lc, how = ctx.lifecycle, counting(ctx)
        if chosen == "single-run":
            return accounting.single_run_compute(lc, how)
        if chosen == "model":
            return accounting.model_compute(lc, how)
        if chosen == "lineage":
            return accounting.lineage_compute(lc, how)
        if chosen == "developer":
            return accounting.developer_compute(lc, lc.artifact.developer, how, lc.model_tree())
        if chosen == "model-and-data":
            return accounting.total(model_and_data_steps(lc), how)
        if chosen == "provider":
            return provider_compute(ctx)
        raise PolicyError(f"unknown compute scope '{chosen}'; valid: {', '.join(SCOPES)}")

    return measure


def scope_steps(ctx: Context):
    """The steps the reading's scope looks at, for tests that must match the measure (a
    cost, a reference class; `share_passes` also reads the model's runs under single-run)."""
    chosen = ctx.option("scope", "lineage")
    if chosen == "lineage":
        return ctx.lifecycle.lineage()
    if chosen == "single-run":
        return _largest_run(ctx)
    if chosen == "model-and-data":
        return model_and_data_steps(ctx.lifecycle)
    return ctx.lifecycle.model_tree()


def _largest_run(ctx: Context) -> list:
    """The model's largest counted training run (the single-run scope), as a list."""
    runs = [s for s in ctx.lifecycle.model_tree() if s.kind in accounting.TRAINING_KINDS]
    return [max(runs, key=lambda s: accounting.counted(s, counting(ctx)))] if runs else []


# -- conditions: extra tests a rule needs (each gives holds and a note) ----------------

def share_passes(domain: str, above: float, comparator: str = ">", scope: str | None = None) -> Condition:
    """The training data's share of `domain` passes `above` (the share test of
    "primarily"), over the steps the measure's scope looks at (`scope`, else the
    reading's). Under a single-run scope the text leaves open whose data decides: the
    counted run's alone lets a run mostly of the domain hide behind an equally large run
    of other data, the model's runs together let the counted run itself be mostly of the
    domain behind smaller runs of other data. The test passes when either does."""
    compare = COMPARATORS[comparator]

    def condition(ctx: Context) -> tuple[bool, str]:
        chosen = scope or ctx.option("scope", "lineage")
        if chosen == "single-run":
            model = accounting.domain_share(ctx.lifecycle.model_tree(), domain)
            largest = accounting.domain_share(_largest_run(ctx), domain)
            holds = compare(model, above) or compare(largest, above)
            return holds, (f"{domain} share {model:.1%} over the model's runs, {largest:.1%} in its largest run: "
                           f"{'one passes' if holds else 'neither passes'} {comparator} {float(above):.0%}")
        share = accounting.domain_share(scope_steps(ctx) if scope is None else _steps_in(ctx, scope), domain)
        holds = compare(share, above)
        return holds, (f"{domain} share {share:.1%} {'passes' if holds else 'does not pass'} {comparator} "
                       f"{float(above):.0%}")

    return condition


def rule_triggers(rule: Rule) -> Condition:
    """Another rule triggers on the same model."""

    def condition(ctx: Context) -> tuple[bool, str]:
        met = rule.evaluate(ctx).triggered
        return met, f"requires {rule.id}: {'met' if met else 'not met'}"

    return condition


def distilled_from(rule: Rule) -> Condition:
    """The artifact's model was distilled from a teacher that `rule` covers, the teacher
    judged as a model of its own (RAISE 2025's "knowledge distillation" of a frontier
    model). A teacher reached through a synthetic-data step counts: it generated the data."""

    def condition(ctx: Context) -> tuple[bool, str]:
        lc = ctx.lifecycle
        teachers: list[str] = []
        for step in lc.model_tree():
            if step.kind == "distill":
                for source in step.inputs:
                    feeder = lc.index[source]
                    teachers.extend(feeder.inputs if feeder.kind == "synthetic_data" else (source,))
        met = [t for t in dict.fromkeys(teachers)
               if rule.evaluate(Context(rooted(lc, t), ctx.reading, ctx.policy)).triggered]
        if met:
            return True, f"distilled from {', '.join(met)}, which meets {rule.id}"
        return False, f"not distilled from a model that meets {rule.id}"

    return condition


def parameter_holds(name: str) -> Condition:
    """A true/false parameter is true: a judgement the search cannot make (e.g. Korea's
    "state-of-the-art technology"), met or not by the drafter's choice."""

    def condition(ctx: Context) -> tuple[bool, str]:
        met = bool(ctx.parameter(name))
        return met, f"{name}: {'met' if met else 'not met'} (parameter)"

    return condition


def all_of(conditions: "list[Condition]") -> Condition:
    """Every condition holds (notes joined)."""

    def condition(ctx: Context) -> tuple[bool, str]:
        results = [test(ctx) for test in conditions]
        return all(met for met, _ in results), "; ".join(note for _, note in results)

    return condition


def any_of(conditions: "list[Condition]") -> Condition:
    """At least one condition holds."""

    def condition(ctx: Context) -> tuple[bool, str]:
        results = [test(ctx) for test in conditions]
        return any(met for met, _ in results), "any of: " + "; ".join(note for _, note in results)

    return condition


# -- combinators ----------------------------------------------------------------------

def compute_threshold(id: str, clause: str, threshold: float, *, tier: str, comparator: str = ">",
                      scope: str | None = None, measures: str = "training operations") -> Rule:
    """Covered when training compute in `scope` passes `threshold`."""
    return Rule(id, clause, measures, threshold, comparator, tier, training_compute(scope))


def domain_threshold(id: str, clause: str, threshold: float, *, domain: str, share_above: float, tier: str,
                     comparator: str = ">", share_comparator: str = ">", scope: str | None = None,
                     measures: str = "training operations") -> Rule:
    """Covered when compute passes `threshold` AND the training data is "primarily" in
    `domain`: its share passes `share_above` (a named parameter, since "primarily" is
    left undefined by e.g. EO 14110)."""

    return Rule(id, clause, f"{measures} ({domain} data)", threshold, comparator, tier, training_compute(scope),
                share_passes(domain, share_above, share_comparator, scope))


def cost_threshold(id: str, clause: str, threshold_usd: float, *, tier: str, comparator: str = ">",
                   scope: str | None = None, measures: str = "cost of the training compute") -> Rule:
    """Covered when the cost of the training in `scope` passes `threshold_usd`: the spec's
    `cost_usd` where given, else compute at Epoch's median price of the period
    (loopholes.cost; 2023 US dollars)."""

    def measure(ctx: Context) -> float:
        from ..cost import lineage_cost

        return lineage_cost(ctx.lifecycle, scope_steps(ctx) if scope is None else _steps_in(ctx, scope))

    return Rule(id, clause, measures, threshold_usd, comparator, tier, measure, unit="USD")


def _steps_in(ctx: Context, scope: str):
    lc = ctx.lifecycle
    if scope == "lineage":
        return lc.lineage()
    if scope == "model":
        return lc.model_tree()
    if scope == "developer":
        return [s for s in lc.model_tree() if s.developer == lc.artifact.developer]
    if scope == "single-run":
        return _largest_run(ctx)  # by counted operations, as training_compute("single-run") measures it
    if scope == "model-and-data":
        return model_and_data_steps(lc)
    if scope == "provider":  # the steps of the provider's model, as scope_steps reads it for a share test
        return lc.model_tree()
    raise PolicyError(f"unknown scope '{scope}'; valid: {', '.join(SCOPES)}")


def cluster_rate(id: str, clause: str, threshold: float, *, tier: str, comparator: str = ">=",
                 networking_above_gbps: float | None = None) -> Rule:
    """Covered when one co-located site used for training reaches `threshold` ops/s. With
    `networking_above_gbps`, only a site networked above that rate counts; whether a site
    of unknown networking counts is the reading's option `unknown_networking` (default
    True, and a rule that relies on it must say so in its readings)."""

    def measure(ctx: Context) -> float:
        return accounting.colocated_capacity((s for s in ctx.lifecycle.lineage() if s.kind in accounting.TRAINING_KINDS),
                                             networking_above_gbps, ctx.option("unknown_networking", True))

    what = "largest co-located cluster capacity"
    if networking_above_gbps is not None:
        what += f" (networked over {networking_above_gbps:g} Gbit/s)"
    return Rule(id, clause, what, threshold, comparator, tier, measure, unit="operations per second")


def revenue_threshold(id: str, clause: str, threshold: float, *, tier: str, requires: Rule, comparator: str = ">") -> Rule:
    """A developer tier: the deploying developer's revenue passes `threshold` and the
    artifact passes `requires` (e.g. SB 53's large frontier developer)."""

    def measure(ctx: Context) -> float:
        return ctx.lifecycle.revenue_usd.get(ctx.lifecycle.artifact.developer, 0.0)

    inner = rule_triggers(requires)

    def condition(ctx: Context) -> tuple[bool, str]:
        known = ctx.lifecycle.artifact.developer in ctx.lifecycle.revenue_usd
        holds, note = inner(ctx)
        return holds, ("" if known else "revenue not given; tier not assessed. ") + note

    return Rule(id, clause, "developer annual gross revenue", threshold, comparator, tier, measure, condition, unit="USD")


__all__ = [
    "COMPARATORS",
    "ClauseResult",
    "Condition",
    "Context",
    "DUTIES",
    "KnownLoophole",
    "Measure",
    "Note",
    "Obligation",
    "Parameter",
    "Policy",
    "Reading",
    "Rule",
    "SCOPES",
    "STATUSES",
    "Verdict",
    "all_of",
    "any_of",
    "binding",
    "cluster_rate",
    "compute_threshold",
    "cost_threshold",
    "distilled_from",
    "counting",
    "domain_threshold",
    "handed_over",
    "is_finite_amount",
    "model_and_data_steps",
    "parameter_holds",
    "plain",
    "revenue_threshold",
    "rooted",
    "rule_triggers",
    "scope_steps",
    "share_passes",
    "training_compute",
]
