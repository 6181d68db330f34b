"""Rules as data: a policy written as a YAML or TOML file instead of a Python module.

A rule file holds the same things as a `Policy` (metadata, cited parameters with dated
values, readings, tiers, rules, known loopholes) and builds its rules from the
framework's combinators (`loopholes.rules.framework`): a compute line over a chosen sum, a domain
line with a share test, a cost line, a cluster rate, a revenue tier, with extra
conditions composed by `all` / `any`. Loading one parses text and validates it with
pydantic; it runs no code. What the format cannot say (a percentile of real models, a
provider walk) stays a Python module: see docs/rule-api.md.

Numbers are exact: `10^26`, `1e26` and `1.0e+26` all mean the integer 10^26 (a float
1e26 is 10^26 + 4,764,729,344), so a threshold compares as the clause reads.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from dataclasses import replace
from fractions import Fraction
from pathlib import Path
from typing import Annotated, Any, Literal, Union

from pydantic import (BaseModel, ConfigDict, Field, StrictFloat, StrictInt, StrictStr, ValidationError, field_validator,
                      model_validator)

from ..accounting import ESTIMATES
from ..errors import PolicyError, one_line
from .framework import (COMPARATORS, DUTIES, SCOPES, STATUSES, KnownLoophole, Parameter, Policy, Reading, Rule, all_of,
                     any_of, cluster_rate, compute_threshold, cost_threshold, distilled_from, domain_threshold, parameter_holds,
                     revenue_threshold, rule_triggers, share_passes, training_compute)

SUFFIXES = (".yaml", ".yml", ".toml")
"""File suffixes read as rule files (everything else that names a file is a Python module)."""

Comparator = Literal[">", ">="]
Scope = Literal["single-run", "model", "model-and-data", "lineage", "developer", "provider"]
assert set(Scope.__args__) == set(SCOPES) and set(Comparator.__args__) == set(COMPARATORS)  # type: ignore[attr-defined]

Number = Union[StrictInt, StrictFloat, StrictStr]
"""A number as a drafter writes it: 100, 0.5, 1e26, "10^26", "5 x 10^25", "1/3" (not true/false)."""
Amount = Union[StrictInt, StrictFloat, StrictStr]
"""A number, or the name of a parameter that holds it."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# -- parts of a rule file ------------------------------------------------------------------

class ParameterSpec(_Strict):
    """A cited value: `value`, or dated `values` (each in effect from its date)."""

    clause: str = Field(min_length=1, description="Where the value stands, e.g. \"AI Act Art. 51(2)\".")
    value: Any = Field(None, description="The value (number, true/false, text, or a date).")
    values: dict[dt.date, Any] | None = Field(
        None, description="Dated values, each in effect from its date (OpenFisca style); the one in effect on "
                          "the rule's reference_date is used.")
    note: str = ""

    @model_validator(mode="after")
    def _one_form(self) -> "ParameterSpec":
        if (self.value is None) == (self.values is None):
            raise ValueError("give either value or values (dated), not both and not neither")
        if self.values is not None and not self.values:
            raise ValueError("values needs at least one dated value")
        return self


class ReadingOptions(_Strict):
    """What a reading changes (docs/rule-api.md, "Readings"); unset options keep their defaults."""

    scope: Scope | None = Field(None, description="The sum a rule without its own scope counts (default lineage).")
    count_integer: bool | None = Field(None, description="Whether integer (INT8/INT4) operations count (default true).")
    estimate: Literal[ESTIMATES] | None = Field(  # type: ignore[valid-type]
        None, description="reported (the developer's estimate, default), executed (the operations run), or dense "
                          "(the larger of the two, a sparse run at its dense size).")
    unknown_networking: bool | None = Field(None, description="Whether a site of unknown networking passes a "
                                                              "cluster rule's networking test (default true).")
    duty: Literal[DUTIES] | None = Field(None, description="Overrides the file's duty.")  # type: ignore[valid-type]
    capability_limb: bool | None = Field(None, description="Whether a capability rule (and the provider walk's "
                                                           "designation test) applies (default true).")
    frontier_rank: int | None = Field(None, ge=1, description="Overrides the frontier_rank parameter of a "
                                                              "capability rule.")
    new_provider_counts_base: bool | None = Field(None, description="Provider walk: whether a modifier that "
                                                                    "becomes the provider counts the base's compute "
                                                                    "(default true).")
    pooled: bool | None = Field(None, description="Percentile rule: rank against every recent model, not only the "
                                                  "artifact's reference class (default false).")
    include_imputed: bool | None = Field(None, description="Percentile rule: Epoch's benchmark-imputed compute "
                                                           "estimates join the population (default false).")


class ReadingSpec(_Strict):
    id: str = Field(min_length=1)
    question: str = Field(min_length=1, description="The open question of the text this reading answers.")
    answer: str = Field(min_length=1)
    options: ReadingOptions = Field(default_factory=ReadingOptions)


class KnownLoopholeSpec(_Strict):
    strategy: str = Field(min_length=1)
    reason: str = Field(min_length=1, description="Why the text leaks there, with the section that says so.")
    readings: list[str] = Field(default_factory=list, description="Readings it is known under (empty: all).")


class ShareTest(_Strict):
    domain: str = Field(min_length=1)
    above: Amount = Field(description="The share (0-1) the domain's data must pass, or a parameter's name.")
    comparator: Comparator = ">"


class Condition(_Strict):
    """One extra test a rule needs: exactly one of `share`, `parameter`, `rule` or
    `distilled_from`."""

    share: ShareTest | None = Field(None, description="The training data's share of a domain passes a value.")
    parameter: str | None = Field(None, description="A true/false parameter that must be true (a judgement "
                                                    "the search cannot make, e.g. 'state of the art').")
    rule: str | None = Field(None, description="Another rule of this file that must trigger.")
    distilled_from: str | None = Field(None, description="The model was distilled from a teacher that this rule "
                                                         "of the file covers.")

    @model_validator(mode="after")
    def _exactly_one(self) -> "Condition":
        given = [name for name in ("share", "parameter", "rule", "distilled_from") if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError("a condition names exactly one of share, parameter, rule or distilled_from "
                             f"(got {', '.join(given) or 'none'})")
        return self


class _RuleBase(_Strict):
    id: str = Field(min_length=1)
    clause: str = Field(min_length=1, description="Where the rule stands, e.g. \"EO 14110 §4.2(b)(i)\".")
    tier: str = Field(min_length=1, description="The tier it triggers (one of the file's tiers).")
    threshold: Amount = Field(description="The line: a number or a parameter's name.")
    comparator: Comparator = ">"
    measures: str | None = Field(None, description="What is measured, in words (a default is given per kind).")
    unit: str | None = Field(None, description="The unit of the measure, for reports (a default is given per kind).")
    all: list[Condition] = Field(default_factory=list, description="Conditions that must all hold as well.")
    any: list[Condition] = Field(default_factory=list, description="Conditions of which at least one must hold.")


class ComputeRule(_RuleBase):
    """Training compute in a scope passes the line."""

    kind: Literal["compute"]
    scope: Scope | None = Field(None, description="Which sum counts; none: each reading's `scope` option decides.")


class DomainRule(_RuleBase):
    """Training compute passes the line and the data is 'primarily' of a domain."""

    kind: Literal["domain"]
    scope: Scope | None = None
    domain: str = Field(min_length=1)
    share_above: Amount = Field(description="The share (0-1) of the domain's data, or a parameter's name.")
    share_comparator: Comparator = ">"


class CostRule(_RuleBase):
    """The cost (USD) of the training in a scope passes the line."""

    kind: Literal["cost"]
    scope: Scope | None = None


class ClusterRateRule(_RuleBase):
    """One co-located training site reaches the line in operations per second."""

    kind: Literal["cluster-rate"]
    comparator: Comparator = ">="
    networking_above_gbps: Amount | None = Field(None, description="Count only sites networked above this (Gbit/s).")


class RevenueRule(_RuleBase):
    """The deploying developer's annual revenue passes the line, and another rule triggers."""

    kind: Literal["revenue"]
    requires: str = Field(min_length=1, description="The rule of this file the artifact must also trigger.")


class ModifierShareRule(_RuleBase):
    """A downstream modifier's compute over the original model's passes the line (the EU
    guidelines' one-third test, `loopholes.rules.providers`)."""

    kind: Literal["modifier-share"]


class CapabilityRule(_RuleBase):
    """The artifact's capability (effective compute) matches the k-th most capable real
    model released by then (`loopholes.rules.frontier`): the line is computed, not given."""

    kind: Literal["capability"]
    threshold: Amount = Field(0.0, description="Not used: the line is the frontier model's capability.")
    comparator: Comparator = ">="


class PercentileRule(_RuleBase):
    """Training compute in a scope reaches the top-p % line of recent real models of the
    artifact's reference class (`loopholes.rules.percentile`): the line is computed per
    lifecycle, so `threshold` is only the nominal value reports show."""

    kind: Literal["percentile"]
    scope: Scope | None = None
    threshold: Amount = Field(0.0, description="Nominal line for reports; the line itself is computed.")
    comparator: Comparator = ">="


RuleSpec = Annotated[Union[ComputeRule, DomainRule, CostRule, ClusterRateRule, RevenueRule, ModifierShareRule,
                           CapabilityRule, PercentileRule], Field(discriminator="kind")]
KINDS = ("compute", "domain", "cost", "cluster-rate", "revenue", "modifier-share", "capability", "percentile")


class RuleFile(_Strict):
    """A rule written as data (`loopholes schema --rule` prints this schema)."""

    id: str = Field(min_length=1, pattern=r"^[a-z0-9][a-z0-9.-]*$", description="Stable id, e.g. my-draft.")
    title: str = Field(min_length=1)
    jurisdiction: str = Field(min_length=1)
    source: str = Field(min_length=1, description="The primary source's URL.")
    status: Literal[STATUSES]  # type: ignore[valid-type]
    dates: dict[str, str] = Field(default_factory=dict, description="Named dates, e.g. signed: 2026-03-27.")
    reference_date: dt.date = Field(description="The day the rule's line was drawn: targets use that day's recipe.")
    in_force_until: dt.date | None = None
    superseded_by: str | None = None
    duty: Literal[DUTIES] = "artifact"  # type: ignore[valid-type]
    parameters: dict[str, ParameterSpec] = Field(default_factory=dict)
    readings: list[ReadingSpec] = Field(min_length=1)
    tiers: list[str] = Field(min_length=1, description="All tiers, lowest first.")
    covered_tiers: list[str] = Field(min_length=1, description="Tiers that mean heightened scrutiny.")
    target_lines: dict[str, Number] = Field(min_length=1, description="Per capability domain (general, bio), the "
                                                                      "compute line the rule draws there.")
    rules: list[RuleSpec] = Field(min_length=1)
    ambiguities: list[str] = Field(default_factory=list)
    known_loopholes: list[KnownLoopholeSpec] = Field(default_factory=list)

    @field_validator("dates", mode="before")
    @classmethod
    def _dates_as_text(cls, value: Any) -> Any:
        """TOML and YAML read 2026-03-27 as a date; a named date is kept as written."""
        if isinstance(value, dict):
            return {k: v.isoformat() if isinstance(v, dt.date) else v for k, v in value.items()}
        return value


# -- exact numbers ---------------------------------------------------------------------------

_POWER = re.compile(r"^\s*(?:([0-9.]+(?:[eE][-+]?[0-9]+)?)\s*(?:x|\*|×)\s*)?10\s*(?:\^|\*\*)\s*([-+]?[0-9]+)\s*$")
_RATIO = re.compile(r"^\s*([0-9]+)\s*/\s*([0-9]+)\s*$")


def exact(value: Any, where: str) -> int | float | Fraction:
    """A drafter's number as an exact value: an integer when it is whole (10^26, 1e26),
    a Fraction for a written ratio ("1/3"), else the float as written (0.5)."""
    if isinstance(value, bool):
        raise PolicyError(f"{where}: expected a number, got {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise PolicyError(f"{where}: expected a finite number, got {value!r}")
        decimal = Fraction(repr(value))  # the number as written, not the float's binary value
        return int(decimal) if decimal.denominator == 1 else value
    if isinstance(value, str):
        text = value.strip()
        power, ratio = _POWER.match(text), _RATIO.match(text)
        try:
            if power:
                mantissa = Fraction(power.group(1)) if power.group(1) else Fraction(1)
                number = mantissa * Fraction(10) ** int(power.group(2))
            elif ratio:
                number = Fraction(int(ratio.group(1)), int(ratio.group(2)))
                return number if number.denominator != 1 else int(number)
            else:
                number = Fraction(text)
        except (ValueError, ZeroDivisionError):
            number = None
        if number is None:
            raise PolicyError(f"{where}: '{one_line(text, 60)}' is not a number (write e.g. 1e26, 10^26, "
                              "5 x 10^25, 0.5 or 1/3)")
        return int(number) if number.denominator == 1 else float(number)
    raise PolicyError(f"{where}: expected a number, got {type(value).__name__}")


# -- building the policy -------------------------------------------------------------------

def build_policy(spec: RuleFile, source: str) -> Policy:
    """The `Policy` a validated rule file describes; cross-references (tiers, parameters,
    rules named by `requires` and conditions) are checked here, each with its rule named."""
    parameters = {name: _parameter(name, p, spec.reference_date, source) for name, p in spec.parameters.items()}
    if any(r.kind == "percentile" for r in spec.rules):
        parameters = {**_class_parameters(), **parameters}

    def amount(value: Any, where: str) -> Any:
        if isinstance(value, str) and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", value):
            if value not in parameters:
                raise PolicyError(f"{source}: {where} names parameter '{value}', which the file does not define"
                                  + _hint(value, parameters) + f" (parameters: {', '.join(parameters) or 'none'})")
            return parameters[value].value
        return exact(value, f"{source}: {where}")

    tiers = tuple(spec.tiers)
    unknown_tiers = [t for t in spec.covered_tiers if t not in tiers]
    if unknown_tiers:
        raise PolicyError(f"{source}: covered_tiers names '{unknown_tiers[0]}', which is not one of the file's tiers "
                          f"({', '.join(tiers)})" + _hint(unknown_tiers[0], tiers))
    _check_domains(spec, source)
    _check_strategies(spec, source)
    _check_options(spec, source)
    for rule in spec.rules:
        if rule.tier not in tiers:
            raise PolicyError(f"{source}: rule '{rule.id}': tier '{rule.tier}' is not one of the file's tiers "
                              f"({', '.join(tiers)})")
    ids = [rule.id for rule in spec.rules]
    if len(set(ids)) != len(ids):
        twice = next(i for i in ids if ids.count(i) > 1)
        raise PolicyError(f"{source}: two rules have the id '{twice}'; give each rule its own id")
    _check_named_parameters(spec, parameters, source)
    built: dict[str, Rule] = {}
    for rule in spec.rules:  # in file order: a rule may require only one defined above it
        built[rule.id] = _rule(rule, amount, built, source)
    readings = tuple(Reading(r.id, r.question, r.answer, r.options.model_dump(exclude_none=True)) for r in spec.readings)
    reading_ids = {r.id for r in readings}
    for known in spec.known_loopholes:
        unknown = [r for r in known.readings if r not in reading_ids]
        if unknown:
            raise PolicyError(f"{source}: known loophole '{known.strategy}' names reading '{unknown[0]}', which the "
                              f"file does not define (readings: {', '.join(sorted(reading_ids))})")
    return Policy(
        id=spec.id, title=spec.title, jurisdiction=spec.jurisdiction, source=spec.source, status=spec.status,
        dates=dict(spec.dates), reference_date=spec.reference_date, readings=readings, rules=tuple(built.values()),
        tiers=tiers, covered_tiers=frozenset(spec.covered_tiers),
        target_lines={d: float(exact(v, f"{source}: target_lines.{d}")) for d, v in spec.target_lines.items()},
        parameters=parameters,
        known_loopholes=tuple(KnownLoophole(k.strategy, k.reason, tuple(k.readings)) for k in spec.known_loopholes),
        ambiguities=tuple(spec.ambiguities), duty=spec.duty, in_force_until=spec.in_force_until,
        superseded_by=spec.superseded_by, population_based=any(r.kind == "percentile" for r in spec.rules))


def _check_domains(spec: RuleFile, source: str) -> None:
    """Domains name the capability model's domains (a misspelt 'biology' would silently
    measure a share of nothing, or a target nobody computes)."""
    from ..capability import DOMAINS

    named = [(f"target_lines.{d}", d) for d in spec.target_lines]
    named += [(f"rule '{r.id}': domain", r.domain) for r in spec.rules if r.kind == "domain"]
    named += [(f"rule '{r.id}': share.domain", c.share.domain) for r in spec.rules for c in r.all + r.any
              if c.share is not None]
    for where, domain in named:
        if domain not in DOMAINS:
            raise PolicyError(f"{source}: {where}: unknown domain '{domain}'" + _hint(domain, DOMAINS)
                              + f" (domains: {', '.join(DOMAINS)})")


_OPTION_READERS = {"pooled": ("percentile",), "include_imputed": ("percentile",),
                   "frontier_rank": ("capability",), "capability_limb": ("capability", "modifier-share"),
                   "new_provider_counts_base": ("provider",), "unknown_networking": ("cluster-rate",)}
"""Reading options only some kinds read (a scope of `provider` counts as the kind `provider`)."""


def reader_kinds(rules: list[tuple[str, str | None]], reading_scopes: list[str | None]) -> set[str]:
    """The kinds that can read reading options, from (kind, scope) of each rule and each
    reading's scope option (a scope of `provider` counts as the kind `provider`)."""
    return {kind for kind, _ in rules} | ({"provider"} if "provider" in [s for _, s in rules] + reading_scopes else set())


def unread_options(options: list[str], kinds: set[str]) -> list[str]:
    """The options among `options` that no rule of these kinds reads."""
    return [o for o, readers in _OPTION_READERS.items() if o in options and not kinds & set(readers)]


def _check_options(spec: RuleFile, source: str) -> None:
    """An option no rule of the file reads would change nothing: say so rather than let a
    reading look different from another while judging the same."""
    kinds = reader_kinds([(r.kind, getattr(r, "scope", None)) for r in spec.rules],
                         [r.options.scope for r in spec.readings])
    for reading in spec.readings:
        given = [name for name, value in reading.options if value is not None]
        for option in unread_options(given, kinds):
            raise PolicyError(f"{source}: reading '{reading.id}': option '{option}' is read only by a "
                              f"{' or '.join(_OPTION_READERS[option])} rule, and this file has none")


def _check_strategies(spec: RuleFile, source: str) -> None:
    """A known loophole names a gaming strategy (`loopholes list` shows them)."""
    from ..strategies import registry

    known = list(registry())
    for item in spec.known_loopholes:
        if item.strategy not in known:
            raise PolicyError(f"{source}: known loophole '{item.strategy}' is not a strategy"
                              + _hint(item.strategy, known) + f" (strategies: {', '.join(known)})")


def _share(value: Any, where: str) -> Any:
    """A share is a fraction from 0 to 1 (50 % is 0.5)."""
    if not 0 <= value <= 1:
        raise PolicyError(f"{where} {value} is a share from 0 to 1; for {value} % write {value / 100:g}"
                          if 1 < value <= 100 else f"{where} {value} is a share from 0 to 1")
    return value


def _class_parameters() -> dict[str, Parameter]:
    """The reference classes a percentile rule ranks in, unless the file gives its own."""
    from ..population import REFERENCE_CLASSES
    from .percentile import DATA_CLASSES

    return {"population_classes": Parameter(REFERENCE_CLASSES, "Epoch AI domains grouped into reference classes "
                                            "(loopholes.population.REFERENCE_CLASSES)"),
            "artifact_classes": Parameter(DATA_CLASSES, "training-data domains grouped into reference classes "
                                          "(loopholes.rules.percentile.DATA_CLASSES)")}


def _check_named_parameters(spec: RuleFile, parameters: dict, source: str) -> None:
    """The provider walk and the capability rule read their parameters by name."""
    from . import frontier, providers

    walks = any(getattr(r, "scope", None) == "provider" or r.kind == "modifier-share" for r in spec.rules) or \
        any(r.options.scope == "provider" for r in spec.readings)
    needed = (providers.PARAMETERS + frontier.PARAMETERS) if walks else ()
    if any(r.kind == "capability" for r in spec.rules):
        needed += frontier.PARAMETERS
    if any(r.kind == "percentile" for r in spec.rules):
        from . import percentile

        needed += percentile.PARAMETERS
    missing = [name for name in dict.fromkeys(needed) if name not in parameters]
    if missing:
        raise PolicyError(f"{source}: the provider walk, the capability and the percentile rules read parameters "
                          f"{', '.join(dict.fromkeys(needed))}; missing: {', '.join(missing)} (docs/rule-api.md)")


def _parameter(name: str, spec: ParameterSpec, reference: dt.date, source: str) -> Parameter:
    def value_of(value: Any, where: str) -> Any:
        if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
            try:
                return dt.date.fromisoformat(value.strip())
            except ValueError:
                raise PolicyError(f"{where}: '{value}' is not a date (write an existing day as YYYY-MM-DD)") from None
        if isinstance(value, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
            return value  # a grouping (e.g. data domain -> reference class)
        if isinstance(value, (bool, dt.date)) or (isinstance(value, str) and not re.match(r"^\s*[-+0-9.]", value)):
            return value  # a switch, a date or a word (e.g. a band name), kept as written
        return exact(value, where)

    if spec.values is None:
        return Parameter(value_of(spec.value, f"{source}: parameter '{name}'"), spec.clause, spec.note)
    history = tuple(sorted((day, value_of(v, f"{source}: parameter '{name}' from {day}")) for day, v in spec.values.items()))
    parameter = Parameter(None, spec.clause, spec.note, history)
    return Parameter(parameter.at(reference), spec.clause, spec.note, history)


def _rule(spec: Any, amount, built: dict[str, Rule], source: str) -> Rule:
    where = f"rule '{spec.id}'"
    threshold = amount(spec.threshold, f"{where}: threshold")
    common = {"tier": spec.tier, "comparator": spec.comparator}
    if spec.measures:
        common["measures"] = spec.measures
    if spec.kind == "capability" and threshold != 0:
        raise PolicyError(f"{source}: {where}: a capability rule computes its line (the frontier model's "
                          "capability); leave threshold out")
    if spec.kind == "compute":
        rule = compute_threshold(spec.id, spec.clause, threshold, scope=spec.scope, **common)
    elif spec.kind == "domain":
        rule = domain_threshold(spec.id, spec.clause, threshold, domain=spec.domain, scope=spec.scope,
                                share_above=_share(amount(spec.share_above, f"{where}: share_above"),
                                                   f"{source}: {where}: share_above"),
                                share_comparator=spec.share_comparator, **common)
    elif spec.kind == "cost":
        rule = cost_threshold(spec.id, spec.clause, threshold, scope=spec.scope, **common)
    elif spec.kind == "cluster-rate":
        common.pop("measures", None)
        gbps = None if spec.networking_above_gbps is None else amount(spec.networking_above_gbps,
                                                                       f"{where}: networking_above_gbps")
        rule = cluster_rate(spec.id, spec.clause, threshold, networking_above_gbps=gbps, **common)
    elif spec.kind == "revenue":
        common.pop("measures", None)
        rule = revenue_threshold(spec.id, spec.clause, threshold, requires=_required(spec.requires, built, where, source),
                                 **common)
    elif spec.kind == "modifier-share":
        from .providers import modifier_note, modifier_ratio

        rule = Rule(spec.id, spec.clause, spec.measures or "deployer's modification compute / original model's compute",
                    threshold, spec.comparator, spec.tier, modifier_ratio, modifier_note, unit="share of original compute")
    elif spec.kind == "percentile":
        from .percentile import percentile_line, percentile_note

        rule = Rule(spec.id, spec.clause, spec.measures or "training compute vs the top-p % line of the artifact's "
                    "reference class", threshold, spec.comparator, spec.tier, training_compute(spec.scope),
                    percentile_note, unit="operations", line=percentile_line)
    else:  # capability
        from .frontier import capability_note, capability_of, frontier_line

        rule = Rule(spec.id, spec.clause, spec.measures or "effective compute (capability) vs the most advanced "
                    "general-purpose models released by then", 0.0, spec.comparator, spec.tier, capability_of,
                    capability_note, unit="effective FLOP", line=frontier_line)
    if getattr(spec, "scope", None) == "provider":  # say who the walk found to be the provider
        from .providers import provider_note

        rule = replace(rule, condition=all_of([rule.condition, provider_note]) if rule.condition else provider_note)
    if spec.unit:
        rule = replace(rule, unit=spec.unit)
    if not spec.all and not spec.any:
        return rule
    tests = [rule.condition] if rule.condition is not None else []
    tests += [_condition(c, amount, built, where, source) for c in spec.all]
    if spec.any:
        tests.append(any_of([_condition(c, amount, built, where, source) for c in spec.any]))
    return replace(rule, condition=all_of(tests))


def _required(rule_id: str, built: dict[str, Rule], where: str, source: str) -> Rule:
    if rule_id not in built:
        raise PolicyError(f"{source}: {where} requires rule '{rule_id}', which is not defined above it"
                          + _hint(rule_id, built))
    return built[rule_id]


def _condition(spec: Condition, amount, built: dict[str, Rule], where: str, source: str):
    """A condition of the file as the framework's condition (`loopholes.rules.framework`)."""
    if spec.share is not None:
        above = _share(amount(spec.share.above, f"{where}: share.above"), f"{source}: {where}: share.above")
        return share_passes(spec.share.domain, above, spec.share.comparator)
    if spec.parameter is not None:
        if not isinstance(amount(spec.parameter, f"{where}: condition parameter"), bool):
            raise PolicyError(f"{source}: {where}: condition parameter '{spec.parameter}' must be true or false "
                              "(a judgement the search cannot make); a number belongs in a threshold")
        return parameter_holds(spec.parameter)
    if spec.distilled_from is not None:
        return distilled_from(_required(spec.distilled_from, built, where, source))
    return rule_triggers(_required(spec.rule, built, where, source))  # type: ignore[arg-type]


def _hint(name: str, known) -> str:
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""


# -- reading a file ----------------------------------------------------------------------------

def is_rule_file(path: "str | Path") -> bool:
    return Path(path).suffix.lower() in SUFFIXES


_RULES_KEY = re.compile(r"^(?:rules\s*[:=]|\[\[rules\]\])", re.M)


def reads_as_rule_file(path: "str | Path") -> bool:
    """Whether a YAML/TOML file found in a folder holds a rule (a top-level `rules` key)
    rather than a lifecycle spec; read as text, so a broken rule file still counts and
    its loading reports what is wrong."""
    try:
        return bool(_RULES_KEY.search(Path(path).read_text(encoding="utf-8-sig", errors="replace")))
    except OSError:
        return False


def load_rule_file(path: "str | Path") -> Policy:
    """The policy a YAML or TOML rule file describes; every problem is one PolicyError line
    naming the file, the rule and the key."""
    path = Path(path)
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8-sig")  # a byte-order mark some editors write is not content
    except FileNotFoundError:
        raise PolicyError(f"{source}: no such rule file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise PolicyError(f"{source}: cannot read the rule file ({type(error).__name__}: {error})") from None
    return parse_rule(read_text(text, "TOML" if path.suffix.lower() == ".toml" else "YAML", source), source)


def read_text(text: str, fmt: str, source: str) -> Any:
    """YAML (safe: no tags, no code; `1e26` is a number; a key twice is an error) or TOML."""
    from ..errors import SpecError
    from ..loading import _parse_text

    try:
        return _parse_text(text, fmt, source)
    except SpecError as error:
        hint = ""
        if fmt == "TOML" and re.search(r"=\s*[0-9.]+\s*(?:\^|\*\*|x)", text):
            hint = ' (TOML reads 10^26 only as text: write threshold = "10^26", or 1e26)'
        elif "\t" in text:
            hint = " (YAML indents with spaces, not tabs)"
        raise PolicyError(str(error) + hint) from None


def parse_rule(data: Any, source: str = "<rule>") -> Policy:
    if data is None or data == {}:
        raise PolicyError(f"{source}: the file is empty; a rule file holds id, title, readings, rules, ... "
                          "(docs/rule-api.md, or copy a bundled one)")
    if not isinstance(data, dict):
        raise PolicyError(f"{source}: a rule file holds a mapping (id, title, rules, ...), not {type(data).__name__}")
    try:
        spec = RuleFile.model_validate(data)
    except ValidationError as error:
        raise PolicyError(_message(error, data, source)) from None
    try:
        return build_policy(spec, source)
    except PolicyError as error:  # the framework's own checks (Rule, Policy) do not know the file
        text = str(error)
        raise PolicyError(text if text.startswith(source) else f"{source}: {text}") from None


def _message(error: ValidationError, data: dict, source: str) -> str:
    """pydantic's report as one line: the file, the rule (by id), the key, the problem;
    an unknown key first (a misspelt `thresold:` is why `threshold` is missing)."""
    details = error.errors(include_url=False)
    first = next((d for d in details if d["type"] == "extra_forbidden"), details[0])
    loc = [part for part in first["loc"] if part not in KINDS]  # the union's branch name is not a key
    where = []
    if len(loc) >= 2 and loc[0] in ("rules", "readings", "known_loopholes") and isinstance(loc[1], int):
        items = data.get(loc[0])
        item = items[loc[1]] if isinstance(items, list) and loc[1] < len(items) else None
        name = item.get("id", item.get("strategy")) if isinstance(item, dict) else None
        where.append(f"{loc[0][:-1].replace('_', ' ')} '{name}'" if name else f"{loc[0][:-1]} #{loc[1] + 1}")
        loc = loc[2:]
    elif len(loc) >= 2 and loc[0] == "parameters":
        where.append(f"parameter '{loc[1]}'")
        loc = loc[2:]
    union = loc and loc[-1] in _UNION_BRANCHES  # a number-or-name field reports one error per branch
    if union:
        loc = loc[:-1]
    key = ".".join(str(part) for part in loc)
    kind, value = first["type"], first.get("input")
    branchless = [part for part in first["loc"] if part not in KINDS][:-1]
    siblings = sum(1 for d in details if d["loc"][-1] in _UNION_BRANCHES
                   and [part for part in d["loc"] if part not in KINDS][:-1] == branchless) if union else 1
    if union:
        problem = (f"expected a number (e.g. 1e26, 10^26, 0.5) or a parameter's name, got "
                   f"{'nothing' if value is None else one_line(repr(value), 60)}")
    elif kind == "string_pattern_mismatch" and loc == ["id"]:
        problem = (f"{one_line(repr(value), 60)} is not a rule id: use lower-case letters, digits, dots and dashes, "
                   "e.g. my-draft")
        key = "id"
    elif kind == "too_short":
        problem = "needs at least one entry"
    elif kind in ("date_from_datetime_parsing", "date_parsing", "date_type"):
        problem = f"{one_line(repr(value), 60)} is not a date; write it as YYYY-MM-DD"
    elif kind == "extra_forbidden":
        allowed = _allowed_keys(first["loc"], data)
        problem = f"unknown key '{loc[-1]}'" + _hint(str(loc[-1]), allowed) + \
                  (f" (valid keys: {', '.join(allowed)})" if allowed else "")
        key = ""
    elif kind == "missing":
        problem = f"'{key}' is required"
        key = ""
    elif kind == "union_tag_invalid" or kind == "union_tag_not_found":
        tag = (first.get("ctx") or {}).get("tag")
        problem = f"kind {tag!r} is not one of {', '.join(KINDS)}" if kind == "union_tag_invalid" else \
                  f"a rule needs a kind ({', '.join(KINDS)})"
        key = ""
    elif kind == "literal_error":
        problem = f"{one_line(repr(value), 60)} is not valid; {first['msg'][0].lower()}{first['msg'][1:]}"
    else:
        message = first["msg"]
        for prefix in ("Value error, ", "Assertion failed, "):
            message = message[len(prefix):] if message.startswith(prefix) else message
        shown = "" if isinstance(value, (dict, list)) or value is None else f" (got {one_line(repr(value), 60)})"
        problem = message + shown
    more = error.error_count() - siblings
    tail = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
    parts = [source] + where + ([key] if key else [])
    return one_line(": ".join(parts) + ": " + problem + tail)


_UNION_BRANCHES = ("int", "float", "str")
"""pydantic's names for the branches of Number and Amount."""

_BY_KIND = {"compute": ComputeRule, "domain": DomainRule, "cost": CostRule, "cluster-rate": ClusterRateRule,
            "revenue": RevenueRule, "modifier-share": ModifierShareRule, "capability": CapabilityRule,
            "percentile": PercentileRule}


def _allowed_keys(loc: tuple, data: dict) -> list[str]:
    """The keys valid where an unknown key was found: walk the location through the models
    (list indexes and parameter names are skipped; a rule's kind picks its model)."""
    model: Any = RuleFile
    for part in loc[:-1]:
        if not isinstance(part, str):
            continue
        if part in _BY_KIND:
            model = _BY_KIND[part]
        elif part in getattr(model, "model_fields", {}):
            model = _model_in(model.model_fields[part].annotation) or model
    return list(getattr(model, "model_fields", {}))


def _model_in(annotation: Any) -> Any:
    """The pydantic model inside an annotation such as list[ReadingSpec] or X | None."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()) or ():
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def json_schema() -> dict:
    """The JSON Schema of a rule file (what `loopholes schema --rule` prints)."""
    return RuleFile.model_json_schema()
