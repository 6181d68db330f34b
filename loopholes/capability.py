"""Capability as effective compute (DESIGN §5).

Effective compute is the training FLOP a plain dense transformer with the rule's
reference-date recipe would need to match the artifact, per domain, in three bands:
low / central / high. Each band uses the matching end of every coefficient, so "low"
is the least capability the evidence supports. Rules that keep the model honest:

- a distilled student never exceeds its teacher x retention (capability-evidence §15.4);
- post-training and inference-time gains count once per kind and their product is
  capped (§15.3);
- domain capability follows the data shares plus a small transfer term;
- a release later than the reference date buys algorithmic progress (§2).
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import os
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Mapping

from .errors import CoefficientError
from .lifecycle import Lifecycle, Step

BANDS = ("low", "central", "high")
DOMAINS = ("general", "bio")
DAYS_PER_MONTH = 365.25 / 12


@dataclass(frozen=True, slots=True)
class Coefficient:
    name: str
    low: float
    central: float
    high: float
    source: str
    status: str
    description: str = ""
    extra: Mapping[str, float] | None = None

    @property
    def bands(self) -> tuple[float, float, float]:
        return (self.low, self.central, self.high)


class Coefficients(Mapping[str, Coefficient]):
    """A validated coefficient table; read-only mapping name -> Coefficient."""

    REQUIRED = (
        "algorithmic_halving_months", "data_quality_gain", "moe_gain", "training_8bit", "training_4bit",
        "decentralized_training", "sparse_training_gain", "finetune_gain", "finetune_full_gain_share", "rl_gain",
        "scaffold_gain", "inference_gain", "inference_exchange_rate", "ensemble_gain", "cascade_gain", "merge_gain",
        "moe_assembly_pooling", "distill_gain", "distill_retention_small", "distill_retention_large",
        "prune_half_small", "prune_half_large", "ptq_8bit", "ptq_4bit", "posthoc_cap", "domain_transfer",
        "offoptimal_besiroglu", "offoptimal_hoffmann",
    )

    def __init__(self, table: Mapping[str, Coefficient], origin: str):
        self._table = dict(table)
        self.origin = origin
        missing = [name for name in self.REQUIRED if name not in self._table]
        if missing:
            raise CoefficientError(f"{origin}: missing coefficients: {', '.join(missing)}")

    def __getitem__(self, name: str) -> Coefficient:
        return self._table[name]

    def __iter__(self):
        return iter(self._table)

    def __len__(self) -> int:
        return len(self._table)


_LAW_CONSTANTS = {"offoptimal_besiroglu": ("E", "A", "B", "alpha", "beta"),
                  "offoptimal_hoffmann": ("E", "A", "B", "alpha", "beta")}


def _parse_table(raw: Mapping, origin: str) -> dict[str, Coefficient]:
    table = {}
    for name, entry in raw.items():
        if not isinstance(entry, dict):
            raise CoefficientError(f"{origin}: '{name}' must be a table with low, central, high, source, status")
        try:
            low, central, high = (float(entry[key]) for key in BANDS)
        except KeyError as missing:
            raise CoefficientError(f"{origin}: coefficient '{name}' lacks {missing.args[0]}") from None
        except (TypeError, ValueError):
            raise CoefficientError(f"{origin}: coefficient '{name}' needs numeric low, central and high") from None
        if not all(math.isfinite(v) and v >= 0 for v in (low, central, high)):
            raise CoefficientError(f"{origin}: coefficient '{name}' must be finite and non-negative")
        source = entry.get("source")
        if not isinstance(source, str) or not source.strip():
            raise CoefficientError(f"{origin}: coefficient '{name}' has no source; every value must cite where it comes from")
        extra = {}
        for key, value in entry.items():
            if key in {*BANDS, "source", "status", "description"}:
                continue
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise CoefficientError(f"{origin}: coefficient '{name}' field '{key}' must be a number; "
                                       "text belongs in source, status or description")
            extra[key] = float(value)
        missing = [key for key in _LAW_CONSTANTS.get(name, ()) if key not in extra]
        if missing:
            raise CoefficientError(f"{origin}: coefficient '{name}' needs the loss-law constants {', '.join(missing)}")
        table[name] = Coefficient(name, low, central, high, source, str(entry.get("status", "")),
                                  str(entry.get("description", "")), extra or None)
    return table


@functools.cache
def default_coefficients() -> Coefficients:
    with resources.files("loopholes.data").joinpath("coefficients.toml").open("rb") as handle:
        raw = tomllib.load(handle)
    return Coefficients(_parse_table(raw, "coefficients.toml"), "bundled coefficients.toml")


def load_coefficients(path: str | Path | None = None) -> Coefficients:
    """The bundled table, with any entries of `path` (or $LOOPHOLES_COEFFICIENTS) laid over it."""
    path = path or os.environ.get("LOOPHOLES_COEFFICIENTS")
    if not path:
        return default_coefficients()
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CoefficientError(f"{path}: no such coefficient file") from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise CoefficientError(f"{path}: cannot read coefficients ({error})") from None
    unknown = sorted(set(raw) - set(Coefficients.REQUIRED))
    if unknown:
        raise CoefficientError(f"{path}: unknown coefficients {', '.join(unknown)}; valid: {', '.join(Coefficients.REQUIRED)}")
    merged = dict(default_coefficients().items())
    merged.update(_parse_table(raw, str(path)))
    return Coefficients(merged, str(path))


# -- the model ---------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Capability:
    """Effective compute per domain and band."""

    values: Mapping[str, tuple[float, float, float]]

    def __getitem__(self, domain: str) -> tuple[float, float, float]:
        return self.values[domain]

    def get(self, domain: str, band: str = "central") -> float:
        return self.values[domain][BANDS.index(band)]

    def to_json(self) -> dict[str, dict[str, float]]:
        return {d: dict(zip(BANDS, v)) for d, v in self.values.items()}


class _Model:
    """A model's state while the lifecycle is walked: pre-gain effective compute per band
    and domain, the post-hoc gains applied so far (per kind), and its counted training."""

    __slots__ = ("pre", "gains", "trained", "params")

    def __init__(self, pre, gains, trained, params):
        self.pre, self.gains, self.trained, self.params = pre, gains, trained, params

    def final(self, cap: tuple[float, float, float]) -> list[list[float]]:
        out = []
        for b in range(3):
            product = 1.0
            for gain in self.gains.values():
                product *= gain[b]
            factor = min(product, cap[b])
            out.append([value * factor for value in self.pre[b]])
        return out

    def factor(self, cap, b: int) -> float:
        product = 1.0
        for gain in self.gains.values():
            product *= gain[b]
        return min(product, cap[b])


def effective_compute(lc: Lifecycle, reference_date: dt.date, coefficients: Coefficients | None = None) -> Capability:
    """Effective compute of the deployed artifact, judged against `reference_date`'s recipe."""
    co = coefficients or default_coefficients()
    cap = co["posthoc_cap"].bands
    months = (lc.released - reference_date).days / DAYS_PER_MONTH
    # Sorted so "low" stays the least capable end for releases before the reference date too.
    vintage = tuple(sorted(2.0 ** (months / tau) for tau in co["algorithmic_halving_months"].bands))
    states: dict[str, _Model] = {}
    for step in lc.steps:
        states[step.id] = _advance(lc, step, states, co, vintage, cap)
    final = states[lc.deploy].final(cap)
    return Capability({d: (final[0][i], final[1][i], final[2][i]) for i, d in enumerate(DOMAINS)})


def _own(step: Step, co: Coefficients, vintage, extra: tuple[float, float, float] | None = None) -> list[list[float]]:
    """Effective compute a training run adds by itself, split by domain."""
    factors = [vintage[b] * (extra[b] if extra else 1.0) for b in range(3)]
    if step.integer or step.precision == "fp8":
        bands = co["training_4bit" if step.precision == "int4" else "training_8bit"].bands
        factors = [f * g for f, g in zip(factors, bands)]
    if step.curated_data:
        factors = [f * g for f, g in zip(factors, co["data_quality_gain"].bands)]
    if step.active_params is not None and step.params and step.active_params < step.params:
        factors = [f * g for f, g in zip(factors, co["moe_gain"].bands)]
    if step.sparsity > 0 and step.kind != "prune":
        weight = min(step.sparsity, 0.5) / 0.5
        factors = [f * g ** weight for f, g in zip(factors, co["sparse_training_gain"].bands)]
    if len(step.sites) > 1:  # one run spread over several sites
        factors = [f * g for f, g in zip(factors, co["decentralized_training"].bands)]
    if step.kind == "pretrain" and step.params and step.tokens and step.active_params is None:
        factors = [f * g for f, g in zip(factors, _offoptimal(step.params, step.tokens, co))]
    bio = step.share("bio")
    transfer = co["domain_transfer"].bands
    return [[step.flop * factors[b] * ((1 - bio) + transfer[b] * bio),
             step.flop * factors[b] * (bio + transfer[b] * (1 - bio))] for b in range(3)]


def _offoptimal(params: float, tokens: float, co: Coefficients) -> tuple[float, float, float]:
    """C_eff / C for an (N, D) pair under a loss law (capability-evidence §1b, D): low takes
    the worse of the two laws, central the Besiroglu refit, high 1 (no penalty)."""
    ratios = [_loss_matched_ratio(params, tokens, co[name].extra or {}) for name in ("offoptimal_besiroglu", "offoptimal_hoffmann")]
    return (min(ratios), ratios[0], 1.0)


@functools.lru_cache(maxsize=4096)
def _loss_matched_ratio_cached(params: float, tokens: float, e: float, a: float, b: float, alpha: float, beta: float) -> float:
    try:
        loss = e + a / params ** alpha + b / tokens ** beta
        g = (alpha * a / (beta * b)) ** (1 / (alpha + beta))
        gamma = alpha * beta / (alpha + beta)
        k = a * g ** (-alpha) + b * g ** beta
        effective = 6.0 * ((loss - e) / k) ** (-1 / gamma)
        ratio = effective / (6.0 * params * tokens)
    except (ZeroDivisionError, OverflowError):
        return 1.0  # far outside the range the law was fitted on: no off-optimal penalty
    return min(1.0, ratio) if math.isfinite(ratio) else 1.0


def _loss_matched_ratio(params: float, tokens: float, law: Mapping[str, float]) -> float:
    return _loss_matched_ratio_cached(params, tokens, law["E"], law["A"], law["B"], law["alpha"], law["beta"])


def _add(a: list[list[float]], b: list[list[float]]) -> list[list[float]]:
    return [[x + y for x, y in zip(ra, rb)] for ra, rb in zip(a, b)]


def _with_gain(gains: dict, kind: str, gain: tuple[float, float, float]) -> dict:
    out = dict(gains)
    old = out.get(kind)
    out[kind] = gain if old is None else tuple(max(o, g) for o, g in zip(old, gain))
    return out


def _advance(lc: Lifecycle, step: Step, states: dict[str, _Model], co: Coefficients, vintage, cap) -> _Model:
    kind = step.kind
    models = [states[s.id] for s in lc.model_inputs(step)]
    if kind == "pretrain":
        return _Model(_own(step, co, vintage), {}, step.flop, step.params)
    if kind == "synthetic_data":
        return models[0]  # stands for its generator when a distill step names it as teacher
    if kind == "distill":
        teachers = models + [states[s.id] for s in lc.data_inputs(step)]
        own = _own(step, co, vintage, co["distill_gain"].bands)
        retention = co["distill_retention_large" if (step.params or 0) >= 10e9 else "distill_retention_small"].bands
        ceilings = [t.final(cap) for t in teachers]
        pre = [[min(own[b][d], max(c[b][d] for c in ceilings) * retention[b]) for d in range(2)] for b in range(3)]
        return _Model(pre, {}, step.flop, step.params)
    if kind in ("continued_pretrain", "finetune", "rl"):
        base = models[0]
        pre = _add(base.pre, _own(step, co, vintage))
        gains = base.gains
        if kind != "continued_pretrain":
            full = co["finetune_full_gain_share"].bands
            ratio = step.flop / base.trained if base.trained > 0 else 1.0
            bands = co["finetune_gain" if kind == "finetune" else "rl_gain"].bands
            gain = tuple(g ** min(1.0, ratio / full[b]) for b, g in enumerate(bands))
            gains = _with_gain(gains, kind, gain)
        return _Model(pre, gains, base.trained + step.flop, base.params)
    if kind == "quantize":
        base = models[0]
        bands = co["ptq_4bit" if step.precision == "int4" else "ptq_8bit"].bands
        return _Model([[v * bands[b] for v in base.pre[b]] for b in range(3)], base.gains, base.trained + step.flop, base.params)
    if kind == "prune":
        base = models[0]
        bands = co["prune_half_large" if (base.params or 0) >= 175e9 else "prune_half_small"].bands
        weight = (step.sparsity or 0.5) / 0.5
        return _Model([[v * bands[b] ** weight for v in base.pre[b]] for b in range(3)], base.gains,
                      base.trained + step.flop, base.params)
    if kind == "inference_boost":
        base = models[0]
        return _Model(base.pre, _with_gain(base.gains, *_boost_gain(step, co)), base.trained, base.params)
    return _compose(step, models, co, cap)


def _boost_gain(step: Step, co: Coefficients) -> tuple[str, tuple[float, float, float]]:
    """Inference-time gain: sampling methods earn samples^(exchange rate), up to the band's
    ceiling (Villalobos & Atkinson 2023); CoT and scaffolds earn their band directly."""
    if step.boost_method in ("best_of_n", "self_consistency"):
        rate, ceiling = co["inference_exchange_rate"].bands, co["inference_gain"].bands
        return "inference", tuple(min(ceiling[b], step.boost_samples ** rate[b]) for b in range(3))
    if step.boost_method == "cot":
        return "inference", co["inference_gain"].bands
    return "scaffold", co["scaffold_gain"].bands


def _compose(step: Step, members: list[_Model], co: Coefficients, cap) -> _Model:
    """Ensembles, cascades, merges and assembled MoEs are credited with their strongest
    member (by general capability) plus the composition's own gain."""
    best = max(members, key=lambda m: m.pre[1][0] * m.factor(cap, 1))
    pre = []
    for b in range(3):
        best_factor = best.factor(cap, b)
        row = []
        for d in range(2):
            values = [m.pre[b][d] * m.factor(cap, b) / best_factor for m in members]
            top = max(values)
            if step.kind == "moe_assemble":
                top += co["moe_assembly_pooling"].bands[b] * (sum(values) - top)
            row.append(top)
        pre.append(row)
    if step.kind == "moe_assemble":
        return _Model(pre, best.gains, sum(m.trained for m in members) + step.flop, best.params)
    name = {"ensemble": "ensemble_gain", "cascade": "cascade_gain", "merge": "merge_gain"}[step.kind]
    bands = co[name].bands
    if step.kind == "ensemble":
        weight = min(1.0, math.log(len(members)) / math.log(15))
        bands = tuple(g ** weight for g in bands)
    return _Model(pre, _with_gain(best.gains, step.kind, bands), max(m.trained for m in members) + step.flop, best.params)
