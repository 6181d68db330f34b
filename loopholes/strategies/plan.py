"""A `Plan` is an adversary's lifecycle in declarative form: the honest recipe by default
(one dense pre-training run, the developer's own instruction fine-tune and, under the
"standard" profile, whatever else was standard practice by the release date), with
fields that gaming strategies bend. `build()` turns a plan into a `Lifecycle`;
`honest_plan()` is the honest target's plan.

Keeping strategies as edits of one plan makes them compose (apply several in any
order), makes "drop this strategy" well defined (apply the others to a fresh plan) and
keeps the numbers the search tunes — the knobs — separate from the shape.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field, fields

from ..capability import CURATED_DATA_STANDARD_SINCE
from ..lifecycle import Hardware, Lifecycle, Step, _normalise_shares, make_step

ADVERSARY = "Adversary Labs"
TEACHER_OWNER = "Frontier Co (teacher)"

HONEST_FINETUNE_SHARE = 3e-3
"""Instruction tuning at 0.3 % of pre-training, InstructGPT's share (docs/coefficient-sources.md [davidson2023],
P2): the honest recipe includes it, so a fine-tune alone is no gain."""
HONEST_TRAINING_DAYS = 90.0
"""Wall-clock length of an honest frontier run (J: GPT-4 and Llama 3 405B pre-training took
roughly two to three months, per their reports as summarised by Epoch)."""
DEFAULT_UTILIZATION = 0.4
"""Epoch AI's default utilisation for hardware estimates of non-LLM runs is 0.4 and 0.3
for LLMs; measured frontier MFU is 0.35-0.43 (docs/coefficient-sources.md [epoch-hardware-estimates])."""
TOKENS_PER_PARAM = 20.0
"""Compute-optimal tokens per parameter (Hoffmann et al. 2022, Table 3): a run given only
as FLOP is taken to have N = sqrt(C / (6 x 20)) parameters and D = 20 N tokens."""

TARGET_PROFILES = ("standard", "bare")
"""What the honest model gets besides its pre-training run. "bare": the instruction tune
only (the old target). "standard": every practice that was standard by its release date
(STANDARD_PRACTICE), so an adversary's finding must beat ordinary deployment."""

STANDARD_PRACTICE = {
    # practice: (first date it was standard, domains, source key in docs/coefficient-sources.md)
    "curated_data": (CURATED_DATA_STANDARD_SINCE, ("general",), "fineweb2024, dclm2024: model-based quality filtering "
                     "published with open corpora in June 2024 and used by later open releases"),
    "cot": (dt.date(2023, 3, 14), ("general",), "wei2022-cot; GPT-4 technical report (14 March 2023) scored its "
            "headline reasoning benchmarks with chain-of-thought prompting"),
    "tool_use": (dt.date(2023, 6, 13), ("general",), "openai-function-calling-2023: function calling in the public "
                 "API on 13 June 2023"),
}
"""Deployment affordances and recipe parts counted as standard, with the date they
became so (J dates, cited in docs/coefficient-sources.md). The instruction tune is in
every profile (InstructGPT, March 2022). No bio practice is listed: biological
sequence models are not served with chain-of-thought or tools."""


def standard(practice: str, domain: str, released: dt.date, profile: str) -> bool:
    """Whether `practice` is part of the honest recipe for `domain` at `released`."""
    if profile == "bare":
        return False
    since, domains, _ = STANDARD_PRACTICE[practice]
    return domain in domains and released >= since


def params_of(flop: float) -> float:
    """Compute-optimal parameter count of a run of `flop` (N = sqrt(C / 120))."""
    return math.sqrt(max(flop, 0.0) / (6.0 * TOKENS_PER_PARAM))


def generation_flop(teacher_flop: float, student_flop: float) -> float:
    """The teacher's forward passes over the student's training tokens, 2 x N_teacher x
    D_student (Kaplan et al. 2020: a forward pass costs 2 N per token), both models taken
    as compute-optimal for their compute. The distilled student depends on this compute;
    rules that count synthetic-data generation count it."""
    student_tokens = TOKENS_PER_PARAM * params_of(student_flop)
    return 2.0 * params_of(teacher_flop) * student_tokens


@dataclass
class Plan:
    """Every field at its default is the honest recipe at the rule's reference date."""

    domain: str = "general"
    released: dt.date = dt.date(2025, 1, 1)
    # knobs: quantities the search places just under the line that binds
    core_flop: float = 1e25
    teacher_flop: float = 1e25
    modifier_flop: float = 1e22
    # the core model's recipe
    data: dict[str, float] | None = None
    precision: str = "bf16"
    curated_data: bool = False
    sparsity: float = 0.0
    form: str = "flop"  # "flop", "params" (6·N·D) or "hardware"
    peak_precision: str | None = None
    training_days: float = HONEST_TRAINING_DAYS
    split_sites: int = 1
    # the core model's construction
    core: str = "pretrain"  # "pretrain", "distill", "moe", "split"
    experts: int = 2
    parts: int = 2
    teacher_domain: str | None = None
    # the system around it
    members: int = 1
    system: str | None = None  # "ensemble" or "cascade"
    honest_finetune: bool = True
    modifiers: int = 0
    boost: tuple[str, int] | None = None
    reach: tuple[int, int] | None = None
    profile: str = "standard"
    """Which honest practices the plan starts from (TARGET_PROFILES)."""
    external: set[str] = field(default_factory=set)
    """Ids of steps the adversary does not pay for (an existing teacher)."""


def build(plan: Plan, name: str = "finding") -> Lifecycle:
    """The lifecycle a plan describes."""
    steps = []
    data = _shares(plan.data) if plan.data is not None else _ONLY[plan.domain]
    teacher_id = None
    if plan.core == "distill":
        teacher_id = "teacher"
        teacher_data = ((plan.teacher_domain or plan.domain, 1.0),)
        steps.append(_step(("teacher", plan.teacher_flop, type(plan.teacher_flop), teacher_data[0][0]), lambda: make_step(
            teacher_id, "pretrain", TEACHER_OWNER, flop=plan.teacher_flop, data=teacher_data)))
        generated = round_down(generation_flop(plan.teacher_flop, plan.core_flop))
        steps.append(_step(("teacher-data", generated, type(generated)), lambda: make_step(
            "teacher-data", "synthetic_data", ADVERSARY, (teacher_id,), flop=generated)))
        plan.external.add(teacher_id)

    curated = plan.curated_data or standard("curated_data", plan.domain, plan.released, plan.profile)
    compute, sites = _compute(plan), tuple(_sites(plan))  # every core run of a plan is the same run
    recipe = _recipe(data if plan.data is not None else plan.domain, curated, sites, compute)
    first: list[list] = []  # the fields of the first core run made in this build

    def run(step_id: str, kind: str, inputs: tuple[str, ...]):
        def make():
            if first:  # the same run as the first one made in this build, under another id
                return _renamed(first[0], step_id, kind, inputs)
            step = make_step(step_id, kind, ADVERSARY, inputs, data=data, curated_data=curated, sites=sites, **compute)
            first.append([getattr(step, name) for name in _FIELDS])
            return step
        return _step((step_id, kind, inputs, recipe), make)

    members = []
    for m in range(plan.members):
        tag = f"-{m + 1}" if plan.members > 1 else ""
        if plan.core == "distill":
            steps.append(run(f"student{tag}", "distill", ("teacher-data",)))
            members.append(f"student{tag}")
        elif plan.core == "moe":
            experts = tuple(f"expert{tag}-{e + 1}" for e in range(plan.experts))
            steps.extend(run(e, "pretrain", ()) for e in experts)
            steps.append(_step((f"moe{tag}", experts), lambda: make_step(
                f"moe{tag}", "moe_assemble", ADVERSARY, experts, flop=0.0)))
            members.append(f"moe{tag}")
        elif plan.core == "split":
            previous: tuple[str, ...] = ()
            for p in range(plan.parts):
                step_id = f"run{tag}-{p + 1}"
                steps.append(run(step_id, "pretrain" if p == 0 else "continued_pretrain", previous))
                previous = (step_id,)
            members.append(previous[0])
        else:
            steps.append(run(f"base{tag}", "pretrain", ()))
            members.append(f"base{tag}")
    top = members[0]
    if plan.members > 1:
        top = plan.system or "ensemble"
        inputs = tuple(members)
        steps.append(_step((top, "composite", inputs), lambda: make_step(top, top, ADVERSARY, inputs, flop=0.0)))
    trained = plan.core_flop * plan.members * (plan.experts if plan.core == "moe" else plan.parts if plan.core == "split" else 1)
    if plan.honest_finetune:
        tuned = round_down(trained * HONEST_FINETUNE_SHARE)
        steps.append(_step(("instruct", top, tuned, type(tuned)), lambda: make_step(
            "instruct", "finetune", ADVERSARY, (top,), flop=tuned)))
        top = "instruct"
    deployer = ADVERSARY
    for j in range(plan.modifiers):  # a modifier trains on the core run's data recipe, curated where that is
        deployer, tune = f"Modifier {j + 1}", f"tune-{j + 1}"
        steps.append(_step((tune, top, plan.modifier_flop, type(plan.modifier_flop), data, _types(data), curated),
                           lambda: make_step(tune, "finetune", deployer, (top,), flop=plan.modifier_flop, data=data,
                                             curated_data=curated)))
        top = tune
    for method in ("cot", "tool_use"):
        if standard(method, plan.domain, plan.released, plan.profile):
            step_id = f"deploy-{method.replace('_', '-')}"
            steps.append(_step((step_id, deployer, top), lambda: make_step(
                step_id, "inference_boost", deployer, (top,), flop=0.0, boost=(method, 1))))
            top = step_id
    if plan.boost is not None:
        boost = plan.boost
        steps.append(_step(("boosted", deployer, top, boost, tuple(map(type, boost))), lambda: make_step(
            "boosted", "inference_boost", deployer, (top,), flop=0.0, boost=boost)))
        top = "boosted"
    return Lifecycle.trusted(name, plan.released, top, tuple(steps), plan.reach)


_FIELDS = tuple(f.name for f in fields(Step))
_SETTERS = tuple(Step.__dict__[name].__set__ for name in _FIELDS)
_ID, _KIND, _INPUTS = (_FIELDS.index(name) for name in ("id", "kind", "inputs"))


def _renamed(values: list, step_id: str, kind: str, inputs: tuple[str, ...]) -> Step:
    """A step with the fields `values` (a core run's, in _FIELDS order) under another id,
    kind and inputs: every core run of a plan is the same run, and setting the slots
    directly costs a third of make_step (a plan with 15 members of 8 experts has 120)."""
    values[_ID], values[_KIND], values[_INPUTS] = step_id, kind, inputs
    copy = object.__new__(Step)
    for set_, value in zip(_SETTERS, values):
        set_(copy, value)
    return copy


class _Only(dict):
    """domain -> the shares of data all in that domain, normalised once."""

    def __missing__(self, domain: str) -> tuple[tuple[str, float], ...]:
        shares = self[domain] = _normalise_shares({domain: 1.0})
        return shares


_ONLY = _Only()
_STEPS: dict[tuple, Step] = {}
"""Steps already made by `build`, keyed by everything each is made from: probes of one
plan differ only in the few steps a knob reaches, so the others are reused instead of
rebuilt (a Step is frozen, so lifecycles can share one), and a plan built again has the
very same steps, which the search's capability memo (`search._Engine._capability`) finds. Every number
in a key comes with its type: a step keeps an integer count exact, and 10**22 == 1e22."""
_RECIPES: dict[tuple, int] = {}
"""Recipes of core runs (data, sites, compute), each numbered once, so step keys stay short."""
_MAX_STEPS = 1 << 16


def _step(key: tuple, make) -> Step:
    """The step `make()` returns, made once per key."""
    step = _STEPS.get(key)
    if step is None:
        if len(_STEPS) >= _MAX_STEPS:
            _STEPS.clear()
        step = _STEPS[key] = make()
    return step


def _types(pairs: tuple) -> tuple:
    """The types of the numbers in (name, number) pairs (data shares, sites)."""
    return tuple([type(pair[1]) for pair in pairs])


def _recipe(data: "tuple | str", curated: bool, sites: tuple, compute: dict) -> int:
    """The number of a core run's recipe (see `_RECIPES`), its numbers typed; `data` is
    the domain when all data is in it (`_ONLY`). Every site of a run has the same capacity."""
    key = (data, _types(data) if type(data) is tuple else None, curated, sites, type(sites[0][0]),
           *compute.items(), *map(type, compute.values()))
    number = _RECIPES.get(key)
    if number is None:
        if len(_RECIPES) >= _MAX_STEPS:  # a number must not be reused while steps keyed by it remain
            _RECIPES.clear()
            _STEPS.clear()
        number = _RECIPES[key] = len(_RECIPES)
    return number


def honest_plan(domain: str, released: dt.date, flop: float, profile: str = "standard") -> Plan:
    """The honest target's plan: one dense run of `flop` for `domain`, released at the
    rule's reference date, with the practices of `profile` (TARGET_PROFILES)."""
    if profile not in TARGET_PROFILES:
        from ..errors import UsageError

        raise UsageError(f"unknown target profile '{profile}'; valid: {', '.join(TARGET_PROFILES)}")
    return Plan(domain=domain, released=released, core_flop=flop, profile=profile)


def _shares(data: dict[str, float]) -> tuple[tuple[str, float], ...]:
    """Normalised once per build (what make_step would do for every step)."""
    return _normalise_shares(data)


def _compute(plan: Plan) -> dict:
    """The compute form of one core run: a figure, 6·N·D, or a hardware estimate."""
    kw: dict = {"precision": plan.precision, "sparsity": plan.sparsity}
    if plan.form == "hardware":
        from ..hardware import peak_ops_per_second

        count = 16384
        hours = plan.core_flop / (count * 3600.0 * DEFAULT_UTILIZATION * peak_ops_per_second("H100", plan.precision))
        kw["hardware"] = Hardware("H100", count, hours, DEFAULT_UTILIZATION, plan.peak_precision)
    elif plan.form == "params":
        params = round_down(math.sqrt(plan.core_flop / 120.0))  # ~20 tokens per parameter (Hoffmann 2022)
        kw["params"] = params
        kw["tokens"] = plan.core_flop / (6.0 * params * (1.0 - plan.sparsity))
    else:
        kw["flop"] = plan.core_flop
    return kw


def _sites(plan: Plan) -> list[tuple[float, bool]]:
    """The cluster(s) a core run used: the capacity that finishes it in `training_days` at
    the default utilisation, in one co-located site or split across several."""
    capacity = plan.core_flop / (plan.training_days * 86400.0 * DEFAULT_UTILIZATION)
    if plan.split_sites <= 1:
        return [(round_down(capacity), True)]
    return [(round_down(capacity / plan.split_sites), True)] * plan.split_sites


def round_down(value: float) -> float:
    """Three significant figures, rounded down (so a value under a line stays under it),
    which keeps specs readable."""
    if value <= 0:
        return 0.0
    exponent = math.floor(math.log10(value)) - 2
    return math.floor(value / 10 ** exponent + 1e-9) * 10 ** exponent


def next_grid(value: float) -> float:
    """The next value above `value` on `round_down`'s grid (three significant figures)."""
    exponent = math.floor(math.log10(value)) - 2
    return (round(value / 10 ** exponent) + 1) * 10 ** exponent
