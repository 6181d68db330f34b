"""Capability as effective compute (docs/design.md §5).

Effective compute is the training FLOP a plain dense transformer with the rule's
reference-date recipe would need to match the artifact, per domain, in three bands:
low / central / high. Each band uses the matching end of every coefficient, so "low"
is the least capability the evidence supports. Rules that keep the model inside its
evidence (docs/coefficient-sources.md names every source):

- a distilled student, and everything later built on it, stays under its teacher's
  capability x a retention expressed in compute units (GPQA slope of the R1 students);
- distillation's own gain fades with student compute (Busbridge et al. 2025);
- post-training and inference-time gains count once per kind (every way of drawing
  several answers -- best-of-n, self-consistency, a voting ensemble -- is one kind),
  differ by domain where the evidence does, and their product is capped; a gain measured
  only on text has its own band for biological sequences (RL, inference-time gains,
  scaffolds, ensembles, curated data) unless it cancels against the honest target (the
  fine-tune: every honest recipe has the instruction tune);
- curated data is one of the recipe improvements the algorithmic-progress rate already
  measures, so the two are not multiplied;
- a hardware estimate at the wrong peak undercounts by a measured band, not a fixed 2x;
- domain capability follows the data shares plus a small transfer term;
- a release later than the reference date buys algorithmic progress at the domain's rate.
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
        # issue 10: per-domain values and coefficients that were module constants
        "algorithmic_halving_months_bio", "inference_gain_bio", "scaffold_gain_bio", "ensemble_gain_bio", "rl_gain_bio",
        "data_quality_gain_bio",
        "distill_gain_full_flop", "distill_gain_vanish_flop", "hardware_estimate_undercount",
    )

    independent = False
    """False: the columns of `band` are one table's low, central and high ends (ordered
    roles). True (`columns`): each column is the central value of a separate table."""

    def __init__(self, table: Mapping[str, Coefficient], origin: str):
        self._table = dict(table)
        self.origin = origin
        self.band = {name: c.bands for name, c in self._table.items()}
        """name -> (low, central, high), precomputed: the model reads it thousands of times per search."""
        missing = [name for name in self.REQUIRED if name not in self._table]
        if missing:
            raise CoefficientError(f"{origin}: missing coefficients: {', '.join(missing)}")

    @classmethod
    def columns(cls, tables: "list[Coefficients]", origin: str) -> "Coefficients":
        """Many drawn tables evaluated in one pass: column i of every band (a numpy array)
        holds table i's value, so `loopholes.capability_columns.effective_compute_columns`
        returns each table's capability in column i, exactly as evaluating the tables one
        by one would. That holds for tables like the sensitivity pass's draws and swings,
        and they are checked for it: every coefficient at one value (low = central =
        high), the same loss-law constants (taken from the first table), and no zero
        where the model divides by a coefficient (where one table alone would raise)."""
        import numpy as np

        if not tables:
            raise CoefficientError(f"{origin}: no tables to evaluate")
        for table in tables:
            spread = next((name for name, c in table.items() if not c.low == c.central == c.high), None)
            if spread is not None:
                raise CoefficientError(f"{origin}: '{spread}' in {table.origin} has a band; tables evaluated as columns "
                                       "hold one value per coefficient (draws)")
            if any(table[name].extra != tables[0][name].extra for name in _LAW_CONSTANTS):
                raise CoefficientError(f"{origin}: {table.origin} has other loss-law constants than {tables[0].origin}")
            zero = next((name for name in _DIVISORS if table[name].central == 0), None)
            if zero is not None:
                raise CoefficientError(f"{origin}: '{zero}' is 0 in {table.origin}; the capability model divides by it")
        out = cls(dict(tables[0].items()), origin)
        out.band = {name: np.array([t.band[name][1] for t in tables], dtype=float) for name in out.band}
        out.independent = True
        return out

    def __getitem__(self, name: str) -> Coefficient:
        return self._table[name]

    def __iter__(self):
        return iter(self._table)

    def __len__(self) -> int:
        return len(self._table)


_LAW_CONSTANTS = {"offoptimal_besiroglu": ("E", "A", "B", "alpha", "beta"),
                  "offoptimal_hoffmann": ("E", "A", "B", "alpha", "beta")}
_DIVISORS = ("algorithmic_halving_months", "algorithmic_halving_months_bio", "finetune_full_gain_share",
             "distill_gain_full_flop")
"""Coefficients the model divides by: at 0 one table's walk raises, where numpy would not."""


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
        values = self.values[domain]
        if len(values) != len(BANDS):  # a result over independent tables (Coefficients.columns)
            raise ValueError("this capability holds one column per coefficient table, not low/central/high")
        return values[BANDS.index(band)]

    def to_json(self) -> dict[str, dict[str, float]]:
        if any(len(v) != len(BANDS) for v in self.values.values()):
            raise ValueError("this capability holds one column per coefficient table, not low/central/high")
        return {d: dict(zip(BANDS, v)) for d, v in self.values.items()}


Bands2 = list  # [band][domain] -> float, domains in DOMAINS order


class _Model:
    """A model's state while the lifecycle is walked: pre-gain effective compute per band
    and domain, the post-hoc gains applied so far (per kind, per band and domain), its
    counted training, and the ceiling a teacher imposes (None when it has no teacher)."""

    __slots__ = ("pre", "gains", "trained", "params", "ceiling", "_final")

    def __init__(self, pre, gains, trained, params, ceiling=None):
        self.pre, self.gains, self.trained, self.params, self.ceiling = pre, gains, trained, params, ceiling
        self._final = None

    def factor(self, cap, b: int, d: int) -> float:
        product = 1.0
        for gain in self.gains.values():
            product *= gain[b][d]
        return min(product, cap[b])

    def final(self, cap) -> Bands2:
        if self._final is None:
            self._final = self._compute_final(cap)
        return self._final

    def _compute_final(self, cap) -> Bands2:
        gains = tuple(self.gains.values())
        out = []
        for b in range(len(cap)):
            row = []
            for d in (0, 1):
                product = 1.0
                for gain in gains:
                    product *= gain[b][d]
                row.append(self.pre[b][d] * (product if product < cap[b] else cap[b]))
            out.append(row)
        if self.ceiling is not None:
            out = [[min(out[b][d], self.ceiling[b][d]) for d in (0, 1)] for b in range(len(cap))]
        return out


class TableReads:
    """How many times anything read a number that depends on the coefficient table: an
    effective compute, or a line made of real models' effective compute (the EU frontier,
    `rules.frontier`). A rule is judged again under a drawn table only when judging it
    moved this count (`rules.framework.Policy.central_verdict`)."""

    count = 0


def effective_compute(lc: Lifecycle, reference_date: dt.date, coefficients: Coefficients | None = None) -> Capability:
    """Effective compute of the deployed artifact, judged against `reference_date`'s recipe."""
    TableReads.count += 1
    co = coefficients or default_coefficients()
    if co.independent:
        raise CoefficientError(f"{co.origin}: a table of columns (Coefficients.columns) is evaluated by "
                               "loopholes.capability_columns.effective_compute_columns")
    cap = co.band["posthoc_cap"]
    # Views of one lifecycle (lifecycle.rooted, frontier.the_model) share its memo and its
    # steps, and a step's state depends only on what is upstream of it: the states walked
    # for one view serve the others (a developer-level duty judges several per probe).
    # One entry per lifecycle, the latest table's: a finding judged under hundreds of tables
    # must not keep hundreds of walks alive.
    hit = lc._memo.get("capability")
    if hit is not None and hit[0] is co and hit[1] == (lc.released, reference_date) and lc.deploy in hit[2]:
        return _result(hit[2][lc.deploy].final(cap))
    months = (lc.released - reference_date).days / DAYS_PER_MONTH
    # Per band and domain; sorted so "low" stays the least capable end for releases before
    # the reference date too.
    general = sorted([2.0 ** (months / tau) for tau in co.band["algorithmic_halving_months"]])
    bio = sorted([2.0 ** (months / tau) for tau in co.band["algorithmic_halving_months_bio"]])
    vintage = (tuple((general[b], bio[b]) for b in range(len(cap))), reference_date >= CURATED_DATA_STANDARD_SINCE)
    states: dict[str, _Model] = {}
    for step in lc.steps:
        states[step.id] = _advance(lc, step, states, co, vintage, cap)
    lc._memo["capability"] = (co, (lc.released, reference_date), states)  # type: ignore[index]
    return _result(states[lc.deploy].final(cap))


def _result(final: Bands2) -> Capability:
    general, bio = DOMAINS
    return Capability({general: tuple([row[0] for row in final]), bio: tuple([row[1] for row in final])})


CURATED_DATA_STANDARD_SINCE = dt.date(2024, 6, 17)
"""From this date model-based quality filtering of general pre-training data is part of
the standard recipe (FineWeb-Edu and DCLM, June 2024; docs/coefficient-sources.md)."""


def _recipe(vintage: float, quality: float | None, in_reference: bool) -> float:
    """Recipe factor of a run. Ho et al. 2024's progress rate already includes data
    improvements, so curated data and a later release do not multiply when curated data
    was not yet part of the reference-date recipe: the run gets the larger of the two.
    When it was (`in_reference`), progress since then is on top of it. Before the
    reference date the older recipe's penalty and the data gain combine."""
    if quality is None:
        return vintage
    if in_reference or vintage < 1.0:
        return vintage * quality
    return max(vintage, quality)


def counted_flop_bands(step: Step, co: Coefficients) -> tuple[float, float, float]:
    """Operations a run really executed, per band. A hardware estimate made at another
    precision's (lower) peak undercounts by `hardware_estimate_undercount`, never by more
    than the peak ratio the lifecycle records (step.flop / step.reported_flop)."""
    if step.hardware is None or not step.reported_flop or step.reported_flop >= step.flop:
        return (step.flop,) * len(co.band["posthoc_cap"])
    return tuple(min(step.flop, step.reported_flop * u) for u in co.band["hardware_estimate_undercount"])


def _own(step: Step, co: Coefficients, context, extra: tuple[float, float, float] | None = None) -> Bands2:
    """Effective compute a training run adds by itself, split by domain. `context` is the
    vintage per band and domain, and whether curated general data was standard at the
    reference date (bio data never counts as standard-curated)."""
    vintage, curated_in_reference = context
    factors = [1.0] * len(vintage) if extra is None else list(extra)
    band = co.band
    if step.integer or step.precision == "fp8":
        _scale(factors, band["training_4bit" if step.precision == "int4" else "training_8bit"])
    if moe_trained(step):
        _scale(factors, band["moe_gain"])
    if step.sparsity > 0 and step.kind != "prune":
        weight = min(step.sparsity, 0.5) / 0.5
        _scale(factors, tuple(g ** weight for g in band["sparse_training_gain"]))
    if len(step.sites) > 1:  # one run spread over several sites
        _scale(factors, band["decentralized_training"])
    if step.kind == "pretrain" and step.params and step.tokens and step.active_params is None:
        _scale(factors, _offoptimal(step.params, step.tokens, co))
    flop = counted_flop_bands(step, co)
    bio = step.share("bio")
    transfer = band["domain_transfer"]
    quality = band["data_quality_gain"] if step.curated_data else None
    out = []
    for b in range(len(factors)):
        base = flop[b] * factors[b]
        if quality is None:
            g, s = base * vintage[b][0], base * vintage[b][1]
        else:
            g = base * _recipe(vintage[b][0], quality[b], curated_in_reference)
            s = base * _recipe(vintage[b][1], band["data_quality_gain_bio"][b], False)
        out.append([g * ((1 - bio) + transfer[b] * bio), s * (bio + transfer[b] * (1 - bio))])
    return out


MOE_GAIN_KINDS = frozenset({"pretrain", "continued_pretrain", "distill"})
"""Runs that train a model's weights on a pre-training objective: `moe_gain` is measured
as a pre-training speed-up (docs/coefficient-sources.md [deepseekmoe2024] [switch2021]),
so it is credited to these and not to a fine-tune or an RL run (whose model keeps the
gain its pre-training earned)."""


def moe_trained(step: Step) -> bool:
    """A pre-training-like run of a mixture of experts (fewer active than total parameters)."""
    return (step.kind in MOE_GAIN_KINDS and step.active_params is not None and bool(step.params)
            and step.active_params < step.params)


def _scale(factors: list[float], bands) -> None:
    for b in range(len(factors)):
        factors[b] *= bands[b]


def _offoptimal(params: float, tokens: float, co: Coefficients) -> tuple[float, float, float]:
    """C_eff / C for an (N, D) pair under a loss law (docs/coefficient-sources.md, D): low
    takes the worse of the two laws, central the Besiroglu refit, high 1 (no penalty)."""
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


def _add(a: Bands2, b: Bands2) -> Bands2:
    return [[ra[0] + rb[0], ra[1] + rb[1]] for ra, rb in zip(a, b)]  # [band][general, bio]


def _both(bands: tuple[float, float, float]) -> tuple:
    """A gain that is the same in every domain, as [band][domain]."""
    return tuple(zip(bands, bands))


def _per_domain(general: tuple[float, ...], bio: tuple[float, ...]) -> tuple:
    return tuple(zip(general, bio))


def _with_gain(gains: dict, kind: str, gain: tuple) -> dict:
    out = dict(gains)
    old = out.get(kind)
    out[kind] = gain if old is None else tuple((max(o[0], g[0]), max(o[1], g[1])) for o, g in zip(old, gain))
    return out


def student_params(step: Step) -> float:
    """A student's parameter count: as given, else compute-optimal for its compute
    (about 20 tokens per parameter, Hoffmann et al. 2022: N = sqrt(C / 120))."""
    return step.params if step.params else math.sqrt(max(step.flop, 0.0) / 120.0)


def distill_gain_bands(flop: float, co: Coefficients) -> tuple[float, float, float]:
    """Distillation's gain over training from scratch at a student compute of `flop`: the
    full small-scale gain up to `distill_gain_full_flop`, fading (log-linearly in compute)
    to none at `distill_gain_vanish_flop` -- a simplification of Busbridge et al. 2025,
    who find distillation beats supervised training only below a compute level that
    grows with student size."""
    gains, full, vanish = co.band["distill_gain"], co.band["distill_gain_full_flop"], co.band["distill_gain_vanish_flop"]
    out = []
    for b in range(len(gains)):
        if flop <= full[b]:
            weight = 1.0
        elif flop >= vanish[b] or vanish[b] <= full[b]:
            weight = 0.0
        else:
            weight = math.log(vanish[b] / flop) / math.log(vanish[b] / full[b])
        out.append(gains[b] ** weight)
    return tuple(out)


def retention_name(step: Step) -> str:
    """Which retention band binds a student: by its (given or inferred) size."""
    return "distill_retention_large" if student_params(step) >= 10e9 else "distill_retention_small"


def _advance(lc: Lifecycle, step: Step, states: dict[str, _Model], co: Coefficients, vintage, cap) -> _Model:
    kind = step.kind
    models = [states[s.id] for s in lc.model_inputs(step)]
    if kind == "pretrain":
        return _Model(_own(step, co, vintage), {}, step.flop, step.params)
    if kind == "synthetic_data":
        return models[0]  # stands for its generator when a distill step names it as teacher
    if kind == "distill":
        teachers = models + [states[s.id] for s in lc.data_inputs(step)]
        own = _own(step, co, vintage, distill_gain_bands(step.flop, co))
        retention = co.band[retention_name(step)]
        finals = [t.final(cap) for t in teachers]
        ceiling = [[max(f[b][d] for f in finals) * retention[b] for d in range(2)] for b in range(len(cap))]
        return _Model(own, {}, step.flop, step.params, ceiling)
    if kind in ("continued_pretrain", "finetune", "rl"):
        base = models[0]
        own = _own(step, co, vintage)
        pre = _add(base.pre, own)
        ceiling = None if base.ceiling is None else _add(base.ceiling, own)  # own training counts; the gain does not lift it
        gains = base.gains
        if kind != "continued_pretrain":
            full = co.band["finetune_full_gain_share"]
            ratio = step.flop / base.trained if base.trained > 0 else 1.0
            general, bio = _post_training_bands(kind, co)
            weights = [min(1.0, ratio / full[b]) for b in range(len(cap))]
            gains = _with_gain(gains, kind, tuple((general[b] ** w, bio[b] ** w) for b, w in enumerate(weights)))
        return _Model(pre, gains, base.trained + step.flop, base.params, ceiling)
    if kind == "quantize":
        base = models[0]
        bands = co.band["ptq_4bit" if step.precision == "int4" else "ptq_8bit"]
        return _Model([[v * bands[b] for v in base.pre[b]] for b in range(len(cap))], base.gains, base.trained + step.flop,
                      base.params, base.ceiling)
    if kind == "prune":
        base = models[0]
        bands = co.band["prune_half_large" if (base.params or 0) >= 175e9 else "prune_half_small"]
        weight = (step.sparsity or 0.5) / 0.5
        return _Model([[v * bands[b] ** weight for v in base.pre[b]] for b in range(len(cap))], base.gains,
                      base.trained + step.flop, base.params, base.ceiling)
    if kind == "inference_boost":
        base = models[0]
        return _Model(base.pre, _with_gain(base.gains, *boost_gain(step, co)), base.trained, base.params, base.ceiling)
    return _compose(step, models, co, cap)


def _post_training_bands(kind: str, co: Coefficients) -> tuple:
    """(general, bio) gain bands of a fine-tune or an RL run. Reasoning RL's measured gain
    is on text questions with checkable answers, so biological-sequence capability has
    its own band (`rl_gain_bio`); fine-tuning's is the same in both domains."""
    if kind == "finetune":
        return co.band["finetune_gain"], co.band["finetune_gain"]
    return co.band["rl_gain"], co.band["rl_gain_bio"]


SAMPLING = ("best_of_n", "self_consistency")


def boost_gain(step: Step, co: Coefficients) -> tuple[str, tuple]:
    """Inference-time gain as (kind, [band][domain]). Every way of drawing several answers
    and picking one -- best-of-n, self-consistency, and a voting ensemble (_compose) --
    is one kind, "sampling", so samples are counted once (Li et al. 2024's ensemble is
    sampling-and-voting). Sampling earns samples^(exchange rate) up to the domain's
    ceiling (Villalobos & Atkinson 2023, measured with verifiers on math/code-like
    tasks; bio has its own small band); CoT earns the domain's ceiling as its own kind;
    tools and scaffolds their band."""
    general, bio = co.band["inference_gain"], co.band["inference_gain_bio"]
    if step.boost_method in SAMPLING:
        rate = co.band["inference_exchange_rate"]
        earned = [step.boost_samples ** r for r in rate]
        return "sampling", tuple((min(general[b], earned[b]), min(bio[b], earned[b])) for b in range(len(rate)))
    if step.boost_method == "cot":
        return "cot", _per_domain(general, bio)
    return "scaffold", _per_domain(co.band["scaffold_gain"], co.band["scaffold_gain_bio"])


def _divide(value: float, factor: float) -> float:
    return value / factor if factor > 0 else 0.0


def _compose(step: Step, members: list[_Model], co: Coefficients, cap) -> _Model:
    """Ensembles, cascades, merges and assembled MoEs are credited with their strongest
    member (by general capability) plus the composition's own gain. A majority-vote
    ensemble samples several answers: its gain is of the "sampling" kind, so it does
    not multiply with best-of-n or self-consistency on top."""
    finals = [m.final(cap) for m in members]
    best_index = _strongest(finals)
    best = members[best_index]
    pooling = co.band["moe_assembly_pooling"] if step.kind == "moe_assemble" else None

    def combine(rows: list[Bands2], b: int, d: int) -> float:
        values = [r[b][d] for r in rows]
        top = max(values)
        return top + pooling[b] * (sum(values) - top) if pooling is not None else top

    pre = [[_divide(combine(finals, b, d), best.factor(cap, b, d)) for d in range(2)] for b in range(len(cap))]
    ceiling = None
    if all(m.ceiling is not None for m in members):
        ceiling = [[combine([m.ceiling for m in members], b, d) for d in range(2)] for b in range(len(cap))]
    if step.kind == "moe_assemble":
        return _Model(pre, best.gains, sum(m.trained for m in members) + step.flop, best.params, ceiling)
    trained = max(m.trained for m in members) + step.flop
    if step.kind == "ensemble":
        weight = min(1.0, math.log(len(members)) / math.log(15))
        gain = tuple((g ** weight, s ** weight) for g, s in _per_domain(co.band["ensemble_gain"], co.band["ensemble_gain_bio"]))
        return _Model(pre, _with_gain(best.gains, "sampling", gain), trained, best.params, ceiling)
    if step.kind == "cascade":  # FrugalGPT measured general tasks only; no bio figure, so no bio gain
        gain = _per_domain(co.band["cascade_gain"], (1.0,) * len(cap))
    else:
        gain = _both(co.band["merge_gain"])
    return _Model(pre, _with_gain(best.gains, step.kind, gain), trained, best.params, ceiling)


class MixedColumns(Exception):
    """Independent tables disagree on which member of a composition is strongest: the
    columns cannot share one model state, so each table is evaluated on its own."""


def _strongest(finals: list) -> int:
    """The member with the largest central general capability (the first on ties)."""
    return max(range(len(finals)), key=lambda i: finals[i][1][0])


def key_coefficients(lc: Lifecycle, reference_date: dt.date, domain: str, coefficients: Coefficients | None = None,
                     top: int = 3) -> list[dict]:
    """The coefficients a lifecycle's central capability in `domain` depends on most, for a
    report to name with their status (P / P2 / D / J): each coefficient in turn is set to
    its low end, and the ones that move the result most come first. `factor` is central
    capability / capability with that coefficient at low (1 = no dependence)."""
    import dataclasses

    co = coefficients or default_coefficients()
    base = effective_compute(lc, reference_date, co).get(domain)
    swings = []
    for name, c in co.items():
        if c.low == c.central:
            continue
        table = dict(co.items())
        table[name] = dataclasses.replace(c, central=c.low, high=c.low)
        moved = effective_compute(lc, reference_date, Coefficients(table, co.origin)).get(domain)
        factor = base / moved if moved > 0 else math.inf
        if factor > 1.0 + 1e-9:
            swings.append({"name": name, "status": c.status, "factor": factor, "central": c.central, "low": c.low})
    swings.sort(key=lambda s: -s["factor"])
    return swings[:top]


def assumptions_text(keys: list[dict]) -> str:
    """One line for a report: the coefficients a finding rests on, with status and how far
    the finding's capability falls if each were at its low end."""
    if not keys:
        return "rests on no coefficient beyond the plain scaling law"
    return "rests on " + "; ".join(f"{k['name']} ({k['status'] or '?'}, /{k['factor']:.3g} at low)" for k in keys)
