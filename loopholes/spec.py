"""The lifecycle spec: the file format drafters and scripts write (`loopholes schema`).

Pydantic validates the shape of one file; cross-step checks (unique ids, references,
cycles) live in `lifecycle.py`, which builds the graph the engine works on. Numbers are
strict: a string where a number belongs is an error, never a silent conversion.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, WrapValidator, field_validator, model_validator

KINDS = (
    "pretrain", "continued_pretrain", "finetune", "rl", "distill", "synthetic_data", "merge",
    "moe_assemble", "quantize", "prune", "ensemble", "cascade", "inference_boost",
)
PRECISIONS = ("fp32", "tf32", "bf16", "fp16", "fp8", "int8", "int4")
INTEGER_PRECISIONS = frozenset({"int8", "int4"})
BOOST_METHODS = ("cot", "best_of_n", "self_consistency", "tool_use", "rag", "long_context", "agent")

Kind = Literal[KINDS]  # type: ignore[valid-type]
Precision = Literal[PRECISIONS]  # type: ignore[valid-type]
BoostMethod = Literal[BOOST_METHODS]  # type: ignore[valid-type]

MAX_QUANTITY = 1e40
"""Largest count of operations, parameters, tokens, dollars or ops/s a spec may give:
10^13 times the largest training run on record, so sums stay finite (docs/input-envelope.md)."""
MAX_PEOPLE = 10**12
"""Largest user count in `reach` (a hundred times the world's population)."""
MAX_STEPS = 500
"""Most steps in one lifecycle; also bounds the depth of a chain of fine-tunes."""
RELEASED_MIN, RELEASED_MAX = dt.date(1950, 1, 1), dt.date(2100, 12, 31)
"""Release dates the capability model and the model population can be evaluated at."""

Count = Annotated[float, Field(strict=True, ge=0, le=MAX_QUANTITY, allow_inf_nan=False)]


def _keep_integer(value, handler):
    """Validate as a count, then hand back an integer input unchanged (not as a float)."""
    checked = handler(value)
    return value if type(value) is int else checked


ExactCount = Annotated[float, Field(strict=True, ge=0, le=MAX_QUANTITY, allow_inf_nan=False),
                       WrapValidator(_keep_integer)]
"""An operation count: an integer stays exact (10**25 + 10**8 is above 10^25; as a float
it would round to 10^25), a decimal or exponent form is a float."""
Positive = Annotated[float, Field(strict=True, gt=0, le=MAX_QUANTITY, allow_inf_nan=False)]
Name = Annotated[str, Field(strict=True, min_length=1, max_length=200)]
Flag = Annotated[bool, Field(strict=True)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Hardware(_Strict):
    """A hardware-based compute estimate: accelerators x hours x peak rate x utilization."""

    chip: Name
    count: Annotated[int, Field(strict=True, ge=1, le=MAX_PEOPLE)]
    hours: Positive
    utilization: Annotated[float, Field(strict=True, gt=0, le=1, allow_inf_nan=False)]
    peak_precision: Precision | None = None
    """Number format whose peak rate the developer used for its estimate; defaults to the
    step's precision. An FP8 run estimated at the BF16 peak reports half its operations."""


class Boost(_Strict):
    method: BoostMethod
    samples: Annotated[int, Field(strict=True, ge=1, le=10**9)] = 1


class Site(_Strict):
    ops_per_second: Count
    colocated: Flag = True
    networking_gbps: Positive | None = None
    """Data-centre networking that transitively connects the site's machines, in Gbit/s
    (EO 14110 §4.2(b)(ii) counts a cluster only over 100 Gbit/s). Absent = unknown: how a
    rule treats an unknown value is one of its readings, never a silent yes."""


class Reach(_Strict):
    """Who the deployed artifact reaches (EU AI Act Annex XIII (f)-(g)); used by risk indices."""

    business_users: Annotated[int, Field(strict=True, ge=0, le=MAX_PEOPLE)] = 0
    end_users: Annotated[int, Field(strict=True, ge=0, le=MAX_PEOPLE)] = 0


class Developer(_Strict):
    revenue_usd: Count | None = None
    """Annual gross revenue with affiliates, preceding calendar year (SB 53 large developer)."""


class StepSpec(_Strict):
    id: Name
    kind: Kind
    developer: Name
    inputs: Annotated[list[Name], Field(max_length=MAX_STEPS)] = []
    flop: ExactCount | None = None
    params: Positive | None = None
    tokens: Positive | None = None
    active_params: Positive | None = None
    hardware: Hardware | None = None
    precision: Precision = "bf16"
    data: dict[Name, Annotated[float, Field(strict=True, ge=0, le=1, allow_inf_nan=False)]] | None = None
    boost: Boost | None = None
    cost_usd: Count | None = None
    sites: Annotated[list[Site], Field(max_length=MAX_STEPS)] = []
    open_weights: Flag = False
    curated_data: Flag = False
    """Trained on filtered / deduplicated data (coefficient data_quality_gain in loopholes/data/coefficients.toml)."""
    sparsity: Annotated[float, Field(strict=True, ge=0, lt=1, allow_inf_nan=False)] = 0.0
    """Share of weights held at zero by kernels that skip them (training) or removed (prune)."""
    disclosed: Flag = True
    """False when downstream actors cannot know this step's compute (EU Guidelines fallback)."""

    @field_validator("inputs")
    @classmethod
    def _inputs_once(cls, inputs: list[str]) -> list[str]:
        """An input listed twice would be credited twice (an ensemble of one model x15)."""
        seen: set[str] = set()
        for name in inputs:
            if name in seen:
                raise ValueError(f"input {name!r} is listed twice; list each input once")
            seen.add(name)
        return inputs

    @field_validator("data")
    @classmethod
    def _shares_sum_to_at_most_one(cls, data: dict[str, float] | None) -> dict[str, float] | None:
        if data is not None and math.fsum(data.values()) > 1 + 1e-9:
            raise ValueError(f"domain shares sum to {math.fsum(data.values()):.4g}; they must sum to at most 1")
        return data

    @model_validator(mode="after")
    def _one_compute_form(self) -> "StepSpec":
        forms = [name for name, given in (
            ("flop", self.flop is not None),
            ("params/tokens", self.params is not None or self.tokens is not None),
            ("hardware", self.hardware is not None),
        ) if given]
        if not forms:
            raise ValueError("no compute given; give exactly one of: flop, params+tokens, hardware")
        if len(forms) > 1:
            raise ValueError(f"two compute forms at once ({' and '.join(forms)}); give exactly one")
        if forms == ["params/tokens"] and (self.params is None or self.tokens is None):
            raise ValueError("params and tokens go together (6*N*D); give both, or use flop")
        if self.active_params is not None and (self.params is None or self.active_params > self.params):
            raise ValueError("active_params needs params and must not exceed it")
        if self.kind == "inference_boost" and self.boost is None:
            raise ValueError("an inference_boost step needs boost: {method, samples}")
        if self.boost is not None and self.kind != "inference_boost":
            raise ValueError("boost belongs to inference_boost steps only")
        return self


class LifecycleSpec(_Strict):
    name: Name
    released: dt.date
    deploy: Name
    steps: Annotated[list[StepSpec], Field(min_length=1, max_length=MAX_STEPS)]
    developers: Annotated[dict[Name, Developer], Field(max_length=MAX_STEPS)] = {}
    reach: Reach | None = None

    @field_validator("released")
    @classmethod
    def _released_in_range(cls, released: dt.date) -> dt.date:
        if not RELEASED_MIN <= released <= RELEASED_MAX:
            raise ValueError(f"{released.isoformat()} is outside the dates the tool can evaluate "
                             f"({RELEASED_MIN.isoformat()} to {RELEASED_MAX.isoformat()})")
        return released


def json_schema() -> dict:
    """The JSON Schema of a lifecycle spec (what `loopholes schema` prints)."""
    return LifecycleSpec.model_json_schema()
