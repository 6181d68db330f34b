"""Hypothesis strategies for lifecycles, for drafters' own property tests (docs/design.md §2).

Three public strategies:

- `lifecycles(**options)`: valid `Lifecycle` objects covering every step kind, with the
  right inputs per kind (a base model, two or more members, a teacher, a generator),
  developers from a small pool, data shares, precisions and all three compute forms
  (a given figure, 6·N·D, a hardware estimate);
- `near_threshold_lifecycles(threshold, ...)`: the same, with the main training run
  placed within a factor of about 2 of a compute line, where rules are most fragile;
- `spec_dicts(**options)`: the same lifecycles as plain spec dicts (`Lifecycle.to_spec()`),
  as a drafter would write them in a JSON, YAML or TOML file.

Example: a draft rule should cover everything its bundled baseline covers::

    from hypothesis import given
    from loopholes import load_policy
    from loopholes.testing import lifecycles

    BASELINE = load_policy("us-eo-14110")
    DRAFT = load_policy("policies/my_draft.py")

    @given(lifecycles(max_steps=4))
    def test_draft_is_at_least_as_strict(lc):
        if BASELINE.evaluate(lc, "cumulative").covered:
            assert DRAFT.evaluate(lc).covered

Shrinking gives small, readable lifecycles: few steps, kind `pretrain`, developer "A",
precision bf16, round compute figures (1, 2, 3 or 5 times a power of ten), no optional
fields, and the earliest date allowed. Lifecycles are built in memory with `make_step`
and `Lifecycle(...)`, not through files, so hundreds of examples take well under a second.
"""

from __future__ import annotations

import dataclasses

import datetime as dt
import functools
from dataclasses import dataclass
from typing import Any, Iterable, Sequence

from hypothesis import strategies as st

from .hardware import chip_table
from .lifecycle import _MODEL_INPUTS, TRAINING_KINDS, Hardware, Lifecycle, Step, make_step
from .spec import BOOST_METHODS, INTEGER_PRECISIONS, KINDS, PRECISIONS

__all__ = ["lifecycles", "near_threshold_lifecycles", "spec_dicts", "DEVELOPERS", "FORMS"]

DEVELOPERS = ("A", "B", "C")
"""The default developer pool: small, so that steps often share a developer."""
FORMS = ("flop", "params", "hardware")
"""Compute forms: a given figure, parameters x tokens (6·N·D), a hardware estimate."""

_EARLIEST, _LATEST = dt.date(2023, 1, 1), dt.date(2026, 12, 31)
_NEAR_FACTORS = (1.0, 0.99, 1.01, 0.9, 1.1, 0.7, 1.5, 0.5, 2.0)

# Strategies that never change, built once: building strategies inside every draw is
# what makes composite strategies slow.
_MANTISSA = st.sampled_from((1.0, 2.0, 3.0, 5.0))
_BOOL = st.booleans()
_MORE = st.sampled_from((False, True, True, True))  # another step, 3 times in 4; shrinks to "stop"
_BIO_SHARE = st.sampled_from((0.0, 1.0, 0.5, 0.49, 0.51, 0.1, 0.9))
_SMALL_FLOP = st.sampled_from((0.0, 1e18, 1e21))
_CHIPS = st.sampled_from(sorted(chip_table()))
_CHIP_PRECISIONS = {chip: tuple(p for p in PRECISIONS if p in entry) for chip, entry in chip_table().items()}
_COUNT = st.sampled_from((8, 1024, 16384, 100_000))
_HOURS = st.sampled_from((24.0, 100.0, 1000.0, 2000.0))
_UTILIZATION = st.sampled_from((0.4, 0.3, 0.5, 1.0))
_QUANTIZED = st.sampled_from(("int8", "int4", "fp8"))
_BOOST = st.tuples(st.sampled_from(BOOST_METHODS), st.sampled_from((1, 4, 64)))
_SITES = st.lists(st.tuples(st.sampled_from((1e20, 1e18, 2e20)), _BOOL), min_size=1, max_size=2)
_COST = st.sampled_from((1e6, 1e8))
_SPARSITY = st.sampled_from((0.5, 0.25))
_MOE_RATIO = st.sampled_from((4.0, 8.0))
_REVENUE = st.sampled_from((6e8, 1e8, 5e8, 1e11))
_PARAMS = st.builds(lambda m, e: m * 10.0 ** e, _MANTISSA, st.integers(8, 12))
_TOKENS = st.builds(lambda m, e: m * 10.0 ** e, _MANTISSA, st.integers(9, 14))


@functools.lru_cache(maxsize=None)
def _round_number(low_exp: int, high_exp: int) -> st.SearchStrategy[float]:
    """Round figures m x 10^e; shrinks toward 1 x 10^low_exp."""
    return st.builds(lambda m, e: m * 10.0 ** e, _MANTISSA, st.integers(low_exp, high_exp))


@functools.lru_cache(maxsize=None)
def _pick(n: int, low: int, high: int) -> st.SearchStrategy[list[int]]:
    """Distinct indices into n candidates, between low and high of them; shrinks toward
    the fewest, earliest candidates."""
    return st.lists(st.integers(0, n - 1), unique=True, min_size=low, max_size=high)


@functools.lru_cache(maxsize=None)
def _one_of(options: tuple) -> st.SearchStrategy:
    return st.sampled_from(options)


@dataclass(frozen=True)
class _Plan:
    """The options of one `lifecycles(...)` call, with their strategies built once."""

    min_steps: int
    max_steps: int
    kinds: st.SearchStrategy[str]
    developers: st.SearchStrategy[str]
    forms: st.SearchStrategy[str]
    precisions: tuple[str, ...]
    flop: st.SearchStrategy[float]
    later_flop: st.SearchStrategy[float]
    released: st.SearchStrategy[dt.date]
    revenues: bool
    connected: bool = True


def _feasible(kind: str, n_models: int, n_data: int) -> bool:
    """Whether the models and data sources drawn so far can fill `kind`'s input roles."""
    if kind == "distill":
        return n_models + n_data > 0
    return _MODEL_INPUTS[kind][0] <= n_models


def _draw_step(draw, plan: _Plan, index: int, earlier: list[Step]) -> Step:
    # Draws are laid out so that shrinking moves toward the plainest step: kind "pretrain"
    # (or the first kind asked for), form "flop", precision bf16, developer A, no extras.
    models = [s.id for s in earlier if s.kind != "synthetic_data"]
    data_sources = [s.id for s in earlier if s.kind == "synthetic_data"]
    kind = "pretrain" if index == 0 else draw(plan.kinds)
    if not _feasible(kind, len(models), len(data_sources)):
        kind = "pretrain"  # repaired rather than filtered, so that shrinking stays stable

    low, high = _MODEL_INPUTS[kind]
    if kind == "distill" and not data_sources:
        low = 1  # a student needs a teacher: a model, when there is no synthetic data yet
    upper = min(len(models), 3 if high is None else high)
    inputs = [models[i] for i in draw(_pick(len(models), low, upper))] if upper else []
    training = kind in TRAINING_KINDS
    if training and data_sources:
        needed = 1 if kind == "distill" and not inputs else 0
        inputs += [data_sources[i] for i in draw(_pick(len(data_sources), needed, min(2, len(data_sources))))]
    developer = draw(plan.developers)

    form = draw(plan.forms) if training else "flop"
    options: dict[str, Any] = {}
    if form == "hardware":
        chip = draw(_CHIPS)
        usable = tuple(p for p in plan.precisions if p in _CHIP_PRECISIONS[chip]) or ("bf16",)
        precision = draw(_one_of(usable))
        peak = draw(_one_of((None,) + tuple(p for p in ("bf16", "fp8") if p in _CHIP_PRECISIONS[chip])))
        options["hardware"] = Hardware(chip=chip, count=draw(_COUNT), hours=draw(_HOURS),
                                       utilization=draw(_UTILIZATION), peak_precision=peak)
    else:
        precision = draw(_one_of(plan.precisions))
        if form == "params":
            options["params"], options["tokens"] = draw(_PARAMS), draw(_TOKENS)
        elif training or kind == "synthetic_data":
            options["flop"] = draw(plan.flop if index == 0 else plan.later_flop)
        else:  # composition, quantization, pruning and boosts cost little or nothing
            options["flop"] = draw(_SMALL_FLOP)
    if kind == "quantize" and precision not in INTEGER_PRECISIONS:
        precision = draw(_QUANTIZED)
    if kind == "inference_boost":
        options["boost"] = draw(_BOOST)
    if training:
        bio = draw(_BIO_SHARE)
        if bio:
            options["data"] = {"bio": bio, "general": 1.0 - bio} if draw(_BOOL) else {"bio": bio}

    if draw(_BOOL):  # the less common fields, all behind one switch
        if training:
            options["curated_data"] = draw(_BOOL)
            options["sites"] = draw(_SITES)
            options["cost_usd"] = draw(_COST)
        if kind == "prune" or "params" in options:
            options["sparsity"] = draw(_SPARSITY)
        if "params" in options:
            options["active_params"] = options["params"] / draw(_MOE_RATIO)
        options["open_weights"] = True
        if index == 0:
            options["disclosed"] = False
    return make_step(f"s{index}", kind, developer, inputs, precision=precision, **options)


@st.composite
def _next_step(draw, plan: _Plan, index: int, earlier: tuple[Step, ...]) -> Step | None:
    """The next step, or None to stop. The stop flag and the step share one span, so the
    shrinker can delete a whole step from the middle of a lifecycle."""
    if index >= plan.min_steps and not draw(_MORE):
        return None
    return _draw_step(draw, plan, index, list(earlier))


@st.composite
def _lifecycle(draw, plan: _Plan) -> Lifecycle:
    steps: list[Step] = []
    for index in range(plan.max_steps):
        step = draw(_next_step(plan, index, tuple(steps)))
        if step is None:
            break
        steps.append(step)
    revenue = {}
    if plan.revenues and draw(_BOOL):
        for name in sorted({s.developer for s in steps}):
            revenue[name] = draw(_REVENUE)
    # The artifact is the last step that is a model (a synthetic_data step is a data set).
    deploy = next(s.id for s in reversed(steps) if s.kind != "synthetic_data")
    lc = Lifecycle(name="generated", released=draw(plan.released), deploy=deploy, steps=tuple(steps),
                   revenue_usd=revenue)
    if plan.connected:
        # Keep only what the artifact is built from: a dangling step changes no verdict,
        # and a generator that emits none shrinks to the truly smallest example.
        kept = {s.id for s in lc.lineage()}
        lc = Lifecycle(name=lc.name, released=lc.released, deploy=deploy,
                       steps=tuple(s for s in steps if s.id in kept),
                       revenue_usd={d: v for d, v in revenue.items() if any(s.developer == d and s.id in kept for s in steps)})
    return lc


def _plan(min_steps: int, max_steps: int, kinds: Iterable[str], developers: Sequence[str], forms: Sequence[str],
          precisions: Sequence[str], flop: st.SearchStrategy[float], later_flop: st.SearchStrategy[float],
          released: tuple[dt.date, dt.date], revenues: bool) -> _Plan:
    kinds, developers, forms, precisions = tuple(kinds), tuple(developers), tuple(forms), tuple(precisions)
    if not 1 <= min_steps <= max_steps:
        raise ValueError("need 1 <= min_steps <= max_steps")
    for name, given, valid in (("kinds", kinds, KINDS), ("forms", forms, FORMS), ("precisions", precisions, PRECISIONS)):
        if not given or not set(given) <= set(valid):
            raise ValueError(f"{name} must be a non-empty subset of {', '.join(valid)}; got {given!r}")
    if not developers:
        raise ValueError("developers must name at least one developer")
    return _Plan(min_steps, max_steps, st.sampled_from(kinds), st.sampled_from(developers), st.sampled_from(forms),
                 tuple(sorted(precisions, key=lambda p: p != "bf16")),  # shrink toward the default
                 flop, later_flop, st.dates(*released), revenues)


def lifecycles(*, min_steps: int = 1, max_steps: int = 5, kinds: Iterable[str] = KINDS,
               developers: Sequence[str] = DEVELOPERS, forms: Sequence[str] = FORMS,
               precisions: Sequence[str] = PRECISIONS, min_exponent: int = 18, max_exponent: int = 27,
               released: tuple[dt.date, dt.date] = (_EARLIEST, _LATEST),
               revenues: bool = True, connected: bool = True) -> st.SearchStrategy[Lifecycle]:
    """Valid lifecycles drawn with `min_steps` to `max_steps` steps; the last step that is
    a model (not a synthetic_data step) is deployed. With `connected` (the default), steps
    the deployed artifact is not built from are dropped, so a lifecycle may end up with
    fewer than `min_steps` steps; pass `connected=False` to keep such dangling steps.

    The first step is a pretrain; each later step draws a kind from `kinds` (one whose
    inputs cannot be filled yet becomes a pretrain): a finetune gets one base model, an
    ensemble two or more members, a distill step teachers or synthetic data, and so on.
    Training compute given as a figure is a round number between 10^min_exponent and
    5 x 10^max_exponent operations; 6·N·D and hardware estimates use round inputs and the
    chips of `loopholes/data/chips.toml`.

        @given(lifecycles(kinds=("pretrain", "finetune"), developers=("A", "B")))
        def test_fine_tunes_never_lower_cumulative_compute(lc): ...
    """
    flop = _round_number(min_exponent, max_exponent)
    plan = _plan(min_steps, max_steps, kinds, developers, forms, precisions, flop, flop, released, revenues)
    return _lifecycle(dataclasses.replace(plan, connected=connected))


def near_threshold_lifecycles(threshold: float, *, factor: float = 2.0, min_steps: int = 1, max_steps: int = 4,
                              kinds: Iterable[str] = KINDS, developers: Sequence[str] = DEVELOPERS,
                              precisions: Sequence[str] = PRECISIONS,
                              released: tuple[dt.date, dt.date] = (_EARLIEST, _LATEST),
                              revenues: bool = True) -> st.SearchStrategy[Lifecycle]:
    """Lifecycles whose main run (the first step, a pretrain) lies within `factor` of
    `threshold`, exactly on it included (the shrink target); every step gives its compute
    as a flop figure, and later steps stay at least a hundred times smaller than the main
    run, so it stays the largest.

        @given(near_threshold_lifecycles(1e26))
        def test_a_rule_at_1e26_is_decided_by_the_main_run(lc): ...
    """
    if not (threshold > 0 and factor >= 1):
        raise ValueError("need threshold > 0 and factor >= 1")
    ratios = [r for r in _NEAR_FACTORS if 1 / factor <= r <= factor]  # ordered: shrink toward the line
    main = st.sampled_from(ratios).map(lambda r: threshold * r)
    top = int(f"{threshold / factor:e}".split("e")[1]) - 3  # 5 x 10^top <= threshold / factor / 100
    plan = _plan(min_steps, max_steps, kinds, developers, ("flop",), precisions, main,
                 _round_number(top - 4, top), released, revenues)
    return _lifecycle(dataclasses.replace(plan, connected=False))  # the main run stays, used or not


def spec_dicts(**options: Any) -> st.SearchStrategy[dict[str, Any]]:
    """Plain spec dicts (docs/design.md §3) of the lifecycles `lifecycles(**options)` draws, ready
    for `json.dumps`, `yaml.safe_dump` or `loopholes.parse_lifecycle`.

        @given(spec_dicts(max_steps=3))
        def test_my_converter_keeps_specs(spec): ...
    """
    return lifecycles(**options).map(Lifecycle.to_spec)
