"""Effective compute of one lifecycle under many coefficient tables at once (issue 14).

The sensitivity pass judges each finding under hundreds of drawn tables. Walking the
lifecycle once per table repeats the same Python for every table; here the tables are
columns (`Coefficients.columns`: column i holds table i's central value) and each
formula of `loopholes.capability` runs once over numpy arrays, one element per table.

`loopholes.capability` stays the model's one definition; this module follows it formula
by formula, in the same order of operations, so every column equals, bit for bit, what
`effective_compute` gives for that table alone (tests/test_bulk_evaluation.py checks it
on generated lifecycles and tables). Elementwise +, -, *, /, min and max are exact in
IEEE arithmetic whichever code runs them; numpy's vectorised `power` and `log` are not
(they differ from the C library's in the last bit on a processor with AVX-512), so those
two are taken element by element from Python's `pow` and `math.log`.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np

from .capability import (CURATED_DATA_STANDARD_SINCE, DAYS_PER_MONTH, DOMAINS, SAMPLING, Capability, Coefficients,
                         MixedColumns, _loss_matched_ratio, _post_training_bands, effective_compute,
                         moe_trained, retention_name)
from .lifecycle import Lifecycle, Step

Pair = tuple  # (general, bio): two arrays with one element per table


def _pow(base, exponent) -> np.ndarray:
    """base ** exponent per element, as Python (the C library's pow) computes it; either
    side may be a scalar. x ** 1.0 is x and x ** 0.0 is 1.0 exactly, so those need no call
    (a release on the reference date has no progress to raise to a power, a fine-tune of
    a thousandth of its base's compute its full gain)."""
    if np.isscalar(exponent):
        if exponent == 1.0:
            return np.asarray(base, dtype=float)
        if exponent == 0.0:
            return np.ones_like(base, dtype=float)
        return np.array([b ** exponent for b in base.tolist()], dtype=float)
    out = np.where(exponent == 0.0, 1.0, base)
    rest = np.flatnonzero((exponent != 0.0) & (exponent != 1.0))
    if rest.size:
        bases = [base] * rest.size if np.isscalar(base) else base[rest].tolist()
        out[rest] = [b ** e for b, e in zip(bases, exponent[rest].tolist())]
    return out


class _Model:
    """`capability._Model` with every band value an array over the tables."""

    __slots__ = ("pre", "gains", "trained", "params", "ceiling", "_final")

    def __init__(self, pre: Pair, gains: dict, trained: float, params, ceiling: Pair | None = None):
        self.pre, self.gains, self.trained, self.params, self.ceiling = pre, gains, trained, params, ceiling
        self._final = None

    def product(self, d: int) -> np.ndarray | float:
        """The post-hoc gains' product in domain d, in the order they were applied."""
        product = 1.0
        for gain in self.gains.values():
            product = product * gain[d]
        return product

    def final(self, cap: np.ndarray) -> Pair:
        if self._final is None:
            out = tuple(self.pre[d] * np.minimum(self.product(d), cap) for d in (0, 1))
            if self.ceiling is not None:
                out = tuple(np.minimum(out[d], self.ceiling[d]) for d in (0, 1))
            self._final = out
        return self._final


def effective_compute_columns(lc: Lifecycle, reference_date: dt.date, co: Coefficients) -> Capability:
    """`capability.effective_compute` under every table of `co` (made by
    `Coefficients.columns`): each domain's value is a tuple with one float per table.
    Raises MixedColumns when the tables disagree on a composition's strongest member."""
    general, bio = _walk(lc, reference_date, co)[lc.deploy]
    return Capability({DOMAINS[0]: tuple(general.tolist()), DOMAINS[1]: tuple(bio.tolist())})


def each_table(lc: Lifecycle, reference_date: dt.date, tables, columns: Coefficients, domain: str) -> list[float]:
    """Capability in `domain` under each of `tables` (`columns` = Coefficients.columns of
    them): one column pass, or one walk per table where the tables disagree on a
    composition's strongest member."""
    try:
        return list(effective_compute_columns(lc, reference_date, columns)[domain])
    except MixedColumns:
        return [effective_compute(lc, reference_date, t)[domain][1] for t in tables]


def general_by_step(lc: Lifecycle, reference_date: dt.date, co: Coefficients) -> dict[str, tuple[float, ...]]:
    """Each step's general effective compute under every table, from one walk: what
    `effective_compute_columns` gives for `rooted(lc, step)` (a step's value depends only
    on what is upstream of it, and a rooted view keeps the release date)."""
    return {step_id: tuple(final[0].tolist()) for step_id, final in _walk(lc, reference_date, co).items()}


def _walk(lc: Lifecycle, reference_date: dt.date, co: Coefficients) -> dict[str, Pair]:
    """(general, bio) under every table, for every step of the lifecycle. Kept in the
    lifecycle's memo (shared by its views, whose steps' values are the same) for the
    latest table of columns: the sensitivity pass reads a finding's columns for its
    leakage and again for a capability limb. A few arrays per step, which the garbage
    collector does not scan (a walk of Python floats kept alive made it 2.4x slower)."""
    hit = lc._memo.get("capability-columns")
    if hit is not None and hit[0] is co and hit[1] == (lc.released, reference_date) and lc.deploy in hit[2]:
        return hit[2]
    cap = co.band["posthoc_cap"]
    months = (lc.released - reference_date).days / DAYS_PER_MONTH
    vintage = ((_pow(2.0, months / co.band["algorithmic_halving_months"]),
                _pow(2.0, months / co.band["algorithmic_halving_months_bio"])),
               reference_date >= CURATED_DATA_STANDARD_SINCE)
    states: dict[str, _Model] = {}
    for step in lc.steps:
        states[step.id] = _advance(lc, step, states, co, vintage, cap)
    finals = {step_id: model.final(cap) for step_id, model in states.items()}
    lc._memo["capability-columns"] = (co, (lc.released, reference_date), finals)  # type: ignore[index]
    return finals


def _own(step: Step, co: Coefficients, context, extra: np.ndarray | None = None) -> Pair:
    """`capability._own` over the columns."""
    (general_vintage, bio_vintage), curated_in_reference = context
    band = co.band
    factors = 1.0 if extra is None else extra
    if step.integer or step.precision == "fp8":
        factors = factors * band["training_4bit" if step.precision == "int4" else "training_8bit"]
    if moe_trained(step):
        factors = factors * band["moe_gain"]
    if step.sparsity > 0 and step.kind != "prune":
        factors = factors * _pow(band["sparse_training_gain"], min(step.sparsity, 0.5) / 0.5)
    if len(step.sites) > 1:
        factors = factors * band["decentralized_training"]
    if step.kind == "pretrain" and step.params and step.tokens and step.active_params is None:
        factors = factors * _loss_matched_ratio(step.params, step.tokens, co["offoptimal_besiroglu"].extra or {})
    base = _counted_flop(step, co) * factors
    bio = step.share("bio")
    transfer = band["domain_transfer"]
    if step.curated_data:
        g = base * _recipe(general_vintage, band["data_quality_gain"], curated_in_reference)
        s = base * _recipe(bio_vintage, band["data_quality_gain_bio"], False)
    else:
        g, s = base * general_vintage, base * bio_vintage
    g = g * ((1 - bio) + transfer * bio)
    s = s * (bio + transfer * (1 - bio))
    return (g, s)


def _counted_flop(step: Step, co: Coefficients):
    """`capability.counted_flop_bands` over the columns (a scalar when no column differs)."""
    if step.hardware is None or not step.reported_flop or step.reported_flop >= step.flop:
        return step.flop
    return np.minimum(step.flop, step.reported_flop * co.band["hardware_estimate_undercount"])


def _recipe(vintage: np.ndarray, quality: np.ndarray, in_reference: bool) -> np.ndarray:
    """`capability._recipe` per column."""
    if in_reference:
        return vintage * quality
    return np.where(vintage < 1.0, vintage * quality, np.maximum(vintage, quality))


def _distill_gain(flop: float, co: Coefficients) -> np.ndarray:
    """`capability.distill_gain_bands` per column: the full gain at or under the full-gain
    compute, none at or past the vanishing compute, log-linear between."""
    gains, full, vanish = co.band["distill_gain"], co.band["distill_gain_full_flop"], co.band["distill_gain_vanish_flop"]
    weight = np.where(flop <= full, 1.0, 0.0)
    between = (flop > full) & ~((flop >= vanish) | (vanish <= full))
    for i in np.flatnonzero(between).tolist():
        weight[i] = math.log(float(vanish[i]) / flop) / math.log(float(vanish[i]) / float(full[i]))
    out = np.ones_like(gains)
    for i in np.flatnonzero(weight).tolist():
        out[i] = float(gains[i]) ** float(weight[i])
    return out


def _with_gain(gains: dict, kind: str, gain: Pair) -> dict:
    out = dict(gains)
    old = out.get(kind)
    out[kind] = gain if old is None else (np.maximum(old[0], gain[0]), np.maximum(old[1], gain[1]))
    return out


def _add(a: Pair, b: Pair) -> Pair:
    return (a[0] + b[0], a[1] + b[1])


def _advance(lc: Lifecycle, step: Step, states: dict[str, _Model], co: Coefficients, vintage, cap) -> _Model:
    """`capability._advance` over the columns."""
    kind = step.kind
    models = [states[s.id] for s in lc.model_inputs(step)]
    if kind == "pretrain":
        return _Model(_own(step, co, vintage), {}, step.flop, step.params)
    if kind == "synthetic_data":
        return models[0]
    if kind == "distill":
        teachers = models + [states[s.id] for s in lc.data_inputs(step)]
        own = _own(step, co, vintage, _distill_gain(step.flop, co))
        retention = co.band[retention_name(step)]
        finals = [t.final(cap) for t in teachers]
        ceiling = tuple(_largest([f[d] for f in finals]) * retention for d in (0, 1))
        return _Model(own, {}, step.flop, step.params, ceiling)
    if kind in ("continued_pretrain", "finetune", "rl"):
        base = models[0]
        own = _own(step, co, vintage)
        pre = _add(base.pre, own)
        ceiling = None if base.ceiling is None else _add(base.ceiling, own)
        gains = base.gains
        if kind != "continued_pretrain":
            ratio = step.flop / base.trained if base.trained > 0 else 1.0
            general, bio = _post_training_bands(kind, co)
            weight = np.minimum(1.0, ratio / co.band["finetune_full_gain_share"])
            gains = _with_gain(gains, kind, (_pow(general, weight), _pow(bio, weight)))
        return _Model(pre, gains, base.trained + step.flop, base.params, ceiling)
    if kind == "quantize":
        base = models[0]
        bands = co.band["ptq_4bit" if step.precision == "int4" else "ptq_8bit"]
        return _Model((base.pre[0] * bands, base.pre[1] * bands), base.gains, base.trained + step.flop, base.params,
                      base.ceiling)
    if kind == "prune":
        base = models[0]
        bands = _pow(co.band["prune_half_large" if (base.params or 0) >= 175e9 else "prune_half_small"],
                     (step.sparsity or 0.5) / 0.5)
        return _Model((base.pre[0] * bands, base.pre[1] * bands), base.gains, base.trained + step.flop, base.params,
                      base.ceiling)
    if kind == "inference_boost":
        base = models[0]
        return _Model(base.pre, _with_gain(base.gains, *_boost_gain(step, co)), base.trained, base.params, base.ceiling)
    return _compose(step, models, co, cap)


def _largest(values: list[np.ndarray]) -> np.ndarray:
    top = values[0]
    for v in values[1:]:
        top = np.maximum(top, v)
    return top


def _boost_gain(step: Step, co: Coefficients) -> tuple[str, Pair]:
    """`capability.boost_gain` over the columns."""
    general, bio = co.band["inference_gain"], co.band["inference_gain_bio"]
    if step.boost_method in SAMPLING:
        earned = _pow(float(step.boost_samples), co.band["inference_exchange_rate"])
        return "sampling", (np.minimum(general, earned), np.minimum(bio, earned))
    if step.boost_method == "cot":
        return "cot", (general, bio)
    return "scaffold", (co.band["scaffold_gain"], co.band["scaffold_gain_bio"])


def _compose(step: Step, members: list[_Model], co: Coefficients, cap) -> _Model:
    """`capability._compose` over the columns; the strongest member must be the same in
    every column (else MixedColumns)."""
    finals = [m.final(cap) for m in members]
    picks = np.argmax(np.stack([f[0] for f in finals]), axis=0)
    best_index = int(picks[0])
    if (picks != best_index).any():
        raise MixedColumns()
    best = members[best_index]
    pooling = co.band["moe_assembly_pooling"] if step.kind == "moe_assemble" else None

    def combine(rows: list[Pair], d: int) -> np.ndarray:
        values = [r[d] for r in rows]
        top = _largest(values)
        if pooling is None:
            return top
        total = values[0]
        for v in values[1:]:
            total = total + v
        return top + pooling * (total - top)

    pre = tuple(_divide(combine(finals, d), np.minimum(best.product(d), cap)) for d in (0, 1))
    ceiling = None
    if all(m.ceiling is not None for m in members):
        ceiling = tuple(combine([m.ceiling for m in members], d) for d in (0, 1))
    if step.kind == "moe_assemble":
        return _Model(pre, best.gains, sum(m.trained for m in members) + step.flop, best.params, ceiling)
    trained = max(m.trained for m in members) + step.flop
    if step.kind == "ensemble":
        weight = min(1.0, math.log(len(members)) / math.log(15))
        gain = (_pow(co.band["ensemble_gain"], weight), _pow(co.band["ensemble_gain_bio"], weight))
        return _Model(pre, _with_gain(best.gains, "sampling", gain), trained, best.params, ceiling)
    if step.kind == "cascade":
        gain = (co.band["cascade_gain"], np.ones_like(cap))
    else:
        gain = (co.band["merge_gain"], co.band["merge_gain"])
    return _Model(pre, _with_gain(best.gains, step.kind, gain), trained, best.params, ceiling)


def _divide(value: np.ndarray, factor: np.ndarray) -> np.ndarray:
    positive = factor > 0
    return np.where(positive, value / np.where(positive, factor, 1.0), 0.0)
