"""How much a finding rests on the capability coefficients (docs/design.md §12: uncertainty is a
probability).

Every coefficient of the table is drawn at once, each within its own low–high band, with
its central value as the mode of a triangular distribution on a log scale (linear where a
band touches zero). One draw is one complete table: the finding *and* the honest target it
is measured against are evaluated with the same draw, so a coefficient that helps both
(say, the instruction-tuning gain) cancels out instead of flattering the finding.

Per finding this gives

- ``p_evades``: the share of draws in which the artifact is not covered and its leakage is
  at least 1 (as capable as an honest model trained at the line);
- ``p_material``: the share in which it is not covered and its leakage reaches the
  material factor (default 2);
- ``hinge``: the coefficient whose one-at-a-time swing (that coefficient at its low, then
  its high end, every other one central) moves the leakage most, with its status, so a
  reader sees when a loophole rests on a judgement (status J).

The draws are made once per search from its seed: same seed, same numbers.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Any

from .capability import Coefficient, Coefficients, load_coefficients
from .capability_columns import each_table
from .rules.frontier import prepare_draws

DRAWS = 300
"""Joint draws per search; every finding and target is evaluated on the same draws."""
MIN_SWING = math.log(1.01)
"""A coefficient is named as an assumption only if its band moves the leakage by over 1 %."""
CENTRAL = 1
"""Band index used under a drawn table (every band holds the drawn value)."""


def _fixed(coefficient: Coefficient, value: float) -> Coefficient:
    """`coefficient` with its whole band at `value` (built directly: dataclasses.replace
    costs twice as much, and a search draws 300 tables of every coefficient)."""
    c = coefficient
    return Coefficient(c.name, value, value, value, c.source, c.status, c.description, c.extra)


def _triangular(rng: random.Random, low: float, mode: float, high: float) -> float:
    lo, hi = min(low, high), max(low, high)
    if hi <= lo:
        return mode
    mode = min(max(mode, lo), hi)
    if lo > 0:
        return math.exp(rng.triangular(math.log(lo), math.log(hi), math.log(mode)))
    return rng.triangular(lo, hi, mode)


_DRAWN: dict[tuple[int, int, int], tuple[Coefficients, tuple[Coefficients, ...]]] = {}


def joint_draws(table: Coefficients, n: int = DRAWS, seed: int = 0) -> tuple[Coefficients, ...]:
    """`n` complete coefficient tables, each coefficient drawn within its band. The same
    table, count and seed give the same table objects within a process, so what a rule
    caches per table (the EU frontier) serves every search of a `compare`."""
    key = (id(table), n, seed)
    hit = _DRAWN.get(key)
    if hit is not None and hit[0] is table:
        return hit[1]
    draws = tuple(_draw(table, n, seed))  # shared: a tuple, so no caller can change another's draws
    if len(_DRAWN) >= 16:
        _DRAWN.clear()
    _DRAWN[key] = (table, draws)
    return draws


def _draw(table: Coefficients, n: int, seed: int) -> list[Coefficients]:
    """Each coefficient's n values come from a stream of its own, seeded by the seed and
    its name: adding a coefficient to the table, or fixing one at a single value (which
    draws nothing), leaves every other coefficient's draws as they were, so the
    probabilities move only by what was changed, not by reshuffled noise."""
    values = {}
    for name in sorted(table):
        rng = random.Random(f"loopholes-sensitivity-{seed}-{name}")
        values[name] = [_triangular(rng, *table[name].bands) for _ in range(n)]
    return [Coefficients({name: _fixed(table[name], column[i]) for name, column in values.items()},
                         f"{table.origin} (joint draw {i + 1} of {n})") for i in range(n)]


def one_at_a_time(table: Coefficients) -> list[tuple[str, Coefficients, Coefficients]]:
    """Per coefficient with a real band: (name, table with it at low, table with it at high),
    every other coefficient at its central value."""
    central = {name: _fixed(c, c.central) for name, c in table.items()}
    out = []
    for name in sorted(table):
        c = table[name]
        if c.low == c.high:
            continue
        at_low = Coefficients({**central, name: _fixed(c, c.low)}, f"{name} at low")
        at_high = Coefficients({**central, name: _fixed(c, c.high)}, f"{name} at high")
        out.append((name, at_low, at_high))
    return out


@dataclass(frozen=True)
class Sensitivity:
    p_evades: float
    p_material: float
    draws: int
    hinge: dict[str, Any] | None
    """{coefficient, status, source, leakage_at_low, leakage_at_high} of the largest swing."""
    assumptions: tuple[dict[str, Any], ...]
    """The three coefficients with the largest swings, largest first."""

    def to_json(self) -> dict[str, Any]:
        return {"p_evades": self.p_evades, "p_material": self.p_material, "draws": self.draws,
                "hinge": self.hinge, "assumptions": list(self.assumptions)}


class Analyser:
    """Evaluates findings of one search on shared draws. Capability under every draw comes
    from one pass over the lifecycle with the draws as columns (`Coefficients.columns`,
    `capability_columns`), bit for bit what the draws evaluated one by one give; target
    capabilities are cached since every finding of a domain shares its target. Under each
    draw only the rules whose verdict read the coefficient table are judged again
    (`Policy.central_verdict`)."""

    def __init__(self, policy: Any, material: float, seed: int, draws: int = DRAWS):
        table = policy.coefficients or load_coefficients()  # the policy object itself stays as given
        self.policy, self.material = policy, material
        self.table = table
        self.draws = joint_draws(table, draws, seed)
        self.swings = one_at_a_time(table)
        self._swing_tables = [t for _, at_low, at_high in self.swings for t in (at_low, at_high)]
        self._columns = {"draws": (self.draws, Coefficients.columns(self.draws, f"{table.origin} ({draws} joint draws)")),
                         "swings": (self._swing_tables, Coefficients.columns(self._swing_tables or [table],
                                                                             f"{table.origin} (one at a time)"))}
        self._policies: dict[int, Any] = {}
        self._targets: dict[tuple[str, int, str], list[float]] = {}

    def _policy(self, coefficients: Coefficients) -> Any:
        key = id(coefficients)
        if key not in self._policies:
            self._policies[key] = self.policy.with_coefficients(coefficients)
        return self._policies[key]

    def _central(self, lc: Any, which: str, domain: str) -> list[float]:
        """Central capability in `domain` under each table of a column set."""
        tables, columns = self._columns[which]
        return each_table(lc, self.policy.reference_date, tables, columns, domain)

    def _leakages(self, lc: Any, target: Any, domain: str, which: str) -> list[float]:
        key = (which, id(target), domain)
        if key not in self._targets:
            self._targets[key] = self._central(target.lifecycle, which, domain)
        return [finding / honest if honest > 0 else math.inf
                for finding, honest in zip(self._central(lc, which, domain), self._targets[key])]

    def analyse(self, lc: Any, target: Any, domain: str, reading: Any) -> Sensitivity:
        evades = material = 0
        central = self.policy.central_verdict(lc, reading)
        leakages = self._leakages(lc, target, domain, "draws")
        if central.moving:  # a capability limb: its numbers under every draw in one pass
            prepare_draws(self.policy, lc, self.draws, self._columns["draws"][1])
        counts = min(1.0, self.material)  # a draw with less leakage adds to neither count: no verdict needed
        for coefficients, leakage in zip(self.draws, leakages):
            if leakage < counts or central.under(self._policy(coefficients)):
                continue
            evades += leakage >= 1.0
            material += leakage >= self.material
        swings = []
        ends = self._leakages(lc, target, domain, "swings") if self.swings else []
        for i, (name, _, _) in enumerate(self.swings):
            low, high = ends[2 * i], ends[2 * i + 1]
            if low > 0 and high > 0 and math.isfinite(low) and math.isfinite(high):
                swing = abs(math.log(high / low))
            else:
                swing = math.inf if low != high else 0.0
            if swing > MIN_SWING:
                c = self.table[name]
                swings.append((swing, name, {"coefficient": name, "status": c.status, "source": c.source,
                                             "leakage_at_low": low, "leakage_at_high": high}))
        swings.sort(key=lambda item: (-item[0], item[1]))
        top = tuple(entry for _, _, entry in swings[:3])
        n = len(self.draws)
        return Sensitivity(evades / n, material / n, n, top[0] if top else None, top)


def describe_hinge(hinge: dict[str, Any] | None) -> str:
    """One phrase for reports: which coefficient the finding hinges on and how much."""
    if not hinge:
        return "no coefficient moves it"
    return (f"{hinge['coefficient']} (status {hinge['status'] or '?'}): leakage {hinge['leakage_at_low']:.3g}x at its "
            f"low end, {hinge['leakage_at_high']:.3g}x at its high end")

