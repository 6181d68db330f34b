"""`amend`: propose edits of a rule file, search and backtest each candidate, and say
what each closes, what it leaves and opens, and what it costs in real models covered.

The sweep goes in rounds so it stays small: the original and every single edit first;
then combinations (up to `max_edits`) of the edits that closed a material loophole or
lowered the worst material leakage, never two edits of one group; then, if no candidate
closed everything some edit closes, the greedy union of the closing edits. A material
loophole is a strategy credited in a material finding (every strategy of a finding is
needed for it: search.Finding.evades_under); it is *closed* when the candidate's search
finds it in no material finding and every material finding of the original that credits
it is covered by the candidate under every reading (re-judged through `check`).
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

from ..errors import UsageError
from ..executor import SerialExecutor
from .candidate import Candidate, candidate, evaluate, uncovered_under, worst_with
from .operators import CATALOGUE, NOT_ENCODED, Edit, edits_for, operator

DEFAULT_MAX_EDITS = 2


@dataclass
class Amendments:
    policy: str
    title: str
    source: str
    original: dict
    edits: list[Edit]
    candidates: list[Candidate]
    results: dict[str, dict]
    """Evaluation of each candidate id (`candidate.evaluate`), the original's under its own id."""
    max_edits: int
    seed: int
    max_evals: int
    rounds: list[int] = field(default_factory=list)
    _checked: dict = field(default_factory=dict, repr=False)
    _policies: dict = field(default_factory=dict, repr=False)

    @property
    def baseline(self) -> dict:
        return self.results[self.policy]

    def closed(self, cid: str) -> list[str]:
        """Material loopholes of the original that the candidate closes: no longer material
        in its search, and the original's finding for the strategy is covered by the
        candidate under every reading (re-judged through `check`)."""
        return [s for s in self._gone(cid) if not self._still_open(cid, s)]

    def left(self, cid: str) -> list[str]:
        kept = set(self.baseline["material_loopholes"]) & set(self.results[cid]["material_loopholes"])
        return sorted(kept | {s for s in self._gone(cid) if self._still_open(cid, s)})

    def opened(self, cid: str) -> list[str]:
        """Strategies material under the candidate and not under the original, whose
        finding the original covers under every reading: the amendment opened them. (A
        finding the original misses too was open before, credited to other strategies;
        `shifted` lists those.)"""
        return [s for s in self._new(cid) if not self._was_open(cid, s)]

    def shifted(self, cid: str) -> list[str]:
        return [s for s in self._new(cid) if self._was_open(cid, s)]

    def _gone(self, cid: str) -> list[str]:
        return sorted(set(self.baseline["material_loopholes"]) - set(self.results[cid]["material_loopholes"]))

    def _new(self, cid: str) -> list[str]:
        return sorted(set(self.results[cid]["material_loopholes"]) - set(self.baseline["material_loopholes"]))

    def _still_open(self, cid: str, strategy: str) -> bool:
        """Some material finding of the original credited to `strategy` evades the candidate."""
        return any(self._uncovered(cid, f["lifecycle"]) for f in self.baseline["material_findings"]
                   if strategy in f["strategies"])

    def _was_open(self, cid: str, strategy: str) -> bool:
        """Every material finding of the candidate credited to `strategy` evades the original too."""
        return all(self._uncovered(self.policy, f["lifecycle"]) for f in self.results[cid]["material_findings"]
                   if strategy in f["strategies"])

    def _uncovered(self, rule_id: str, spec: dict) -> list[str]:
        """Readings of a candidate (or the original) that leave a lifecycle spec uncovered;
        each rule is parsed once and each (rule, spec) judged once."""
        from ..rules.rulefile import parse_rule

        key = (rule_id, json.dumps(spec, sort_keys=True))
        if key not in self._checked:
            if rule_id not in self._policies:
                data = next(c.data for c in self.candidates if c.id == rule_id)
                self._policies[rule_id] = parse_rule(data, f"<amendment {rule_id}>")
            self._checked[key] = uncovered_under(self._policies[rule_id], spec)
        return self._checked[key]

    @property
    def amended(self) -> list[Candidate]:
        return [c for c in self.candidates if c.edits]

    @property
    def closable(self) -> list[str]:
        """Material loopholes of the original that at least one candidate closes."""
        return sorted({s for c in self.amended for s in self.closed(c.id)})

    @property
    def unclosable(self) -> list[str]:
        """Material loopholes no candidate in the catalogue closes."""
        return sorted(set(self.baseline["material_loopholes"]) - set(self.closable))

    def remaining(self, cid: str) -> list[str]:
        """Every strategy still material under the candidate: left, opened or shifted."""
        return sorted(set(self.left(cid)) | set(self.results[cid]["material_loopholes"]))

    def closes_all(self, cid: str) -> bool:
        """Nothing material leaks after the candidate but what no edit in the catalogue closes."""
        return set(self.remaining(cid)) <= set(self.unclosable)

    def untested(self, cid: str) -> list[str]:
        """The candidate's edits whose closures no gaming strategy tests (Operator.untested)."""
        edits = next(c.edits for c in self.candidates if c.id == cid)
        return [e.id for e in edits if operator(e.operator).untested]

    @property
    def recommended(self) -> Candidate | None:
        """The lightest candidate the search could attack in full (no edit whose closures go
        untested) after which nothing material leaks but what no edit closes: least burden,
        then fewest edits, then the lower worst material leakage. None when there is nothing
        to close or no such candidate. Not an endorsement: the frontier shows what less
        burden leaves open, and every figure holds for releases up to the search's horizon."""
        if not self.closable:
            return None
        fits = [c for c in self.amended if self.closes_all(c.id) and not self.untested(c.id)]
        return min(fits, key=self._weight, default=None)

    @property
    def lightest_untested(self) -> Candidate | None:
        """The lightest candidate that closes all, counting edits whose closures go untested,
        when it is lighter than `recommended` (else None)."""
        if not self.closable:
            return None
        fits = [c for c in self.amended if self.closes_all(c.id) and self.untested(c.id)]
        best = min(fits, key=self._weight, default=None)
        rec = self.recommended
        return best if best is not None and (rec is None or self._weight(best) < self._weight(rec)) else None

    def _weight(self, c: Candidate) -> tuple:
        return (self.burden(c.id), len(c.edits), self.worst(c.id), c.id)

    def burden(self, cid: str) -> float:
        return self.results[cid]["burden"]["recent_mean"]

    def worst(self, cid: str) -> float:
        """The worst material leakage on the rule's own lines (0 when nothing material leaks)."""
        worst = self.results[cid]["worst_material"]
        return worst["leakage"] if worst else 0.0

    @property
    def frontier(self) -> list[str]:
        """Candidates (the original included) no other beats on both worst material leakage
        and burden: the trade-off a drafter chooses on. Of candidates at the same point,
        the one with fewest edits stands for them."""
        ids = [c.id for c in self.candidates]
        points = {cid: (self.worst(cid), self.burden(cid)) for cid in ids}

        def dominated(cid: str) -> bool:
            w, b = points[cid]
            return any(points[o][0] <= w and points[o][1] <= b and points[o] != (w, b) for o in ids)

        edits = {c.id: len(c.edits) for c in self.candidates}
        kept: dict[tuple, str] = {}
        for cid in sorted((cid for cid in ids if not dominated(cid)), key=lambda cid: (edits[cid], cid)):
            kept.setdefault(points[cid], cid)  # one candidate per point: the one with fewest edits
        return sorted(kept.values(), key=lambda cid: (points[cid][1], points[cid][0], cid))

    def to_json(self) -> dict[str, Any]:
        operators = []
        for op in CATALOGUE:
            made = [e.id for e in self.edits if e.operator == op.id]
            operators.append({"id": op.id, "title": op.title, "group": op.group, "proposed_by": op.proposed_by,
                              "aims_at": list(op.aims_at), "edits": made, "applies": bool(made),
                              "untested": op.untested or None})
        recommended, untested = self.recommended, self.lightest_untested
        return {
            "policy": self.policy, "title": self.title, "source": self.source, "seed": self.seed,
            "max_evals": self.max_evals, "max_edits": self.max_edits, "material_factor":
                self.baseline["material_factor"],
            "operators": operators, "not_encoded": dict(NOT_ENCODED),
            "baseline": self.baseline,
            "candidates": [{"id": c.id, "edits": list(c.edit_ids), "describes": [e.describes for e in c.edits],
                            "closed": self.closed(c.id), "left": self.left(c.id), "opened": self.opened(c.id),
                            "shifted": self.shifted(c.id), "remaining": self.remaining(c.id),
                            "untested": self.untested(c.id),
                            "remaining_leakage": {s: _brief(worst_with(self.results[c.id], s))
                                                  for s in self.remaining(c.id)},
                            "worst_material_leakage": self.worst(c.id), "burden": self.burden(c.id),
                            "result": self.results[c.id]} for c in self.amended],
            "closable": self.closable, "unclosable": self.unclosable,
            "recommended": recommended.id if recommended else None,
            "lightest_untested": untested.id if untested else None,
            "horizon": self.baseline["horizon"],
            "frontier": self.frontier, "rounds": self.rounds,
        }


def _brief(finding: dict | None) -> dict | None:
    """A strategy's leakiest material finding, without its lifecycle (the result has it)."""
    return None if finding is None else {k: finding[k] for k in ("id", "leakage", "bounded", "p_material", "domain",
                                                                  "evades_under")}


def amend(ref: Any, *, max_edits: int = DEFAULT_MAX_EDITS, seed: int = 0, max_evals: int | None = None,
          executor: Any = None, progress: Callable[[int, int], None] | None = None) -> Amendments:
    """Sweep the catalogue's edits of a rule file (bundled id or path) and evaluate each
    candidate with the search and the backtest."""
    from ..search import DEFAULT_MAX_EVALS
    from ..rules.registry import load_policy, rule_file_of
    from ..rules.rulefile import read_text

    if not 1 <= max_edits <= 4:
        raise UsageError("--max-edits must be between 1 and 4")
    max_evals = DEFAULT_MAX_EVALS if max_evals is None else max_evals
    if max_evals < 1:
        raise UsageError("--max-evals must be at least 1")
    policy = load_policy(ref)
    path = rule_file_of(policy)
    if path is None:
        raise UsageError(f"'{policy.id}' is a Python rule; amend edits rules written as data (.yaml or .toml "
                         "rule files: docs/rule-api.md)")
    original = read_text(path.read_text(encoding="utf-8-sig"), "TOML" if path.suffix == ".toml" else "YAML", str(path))
    edits = edits_for(original)
    run = _Runner(executor, seed, max_evals, progress)
    base = candidate(original, ())
    singles = [candidate(original, (edit,)) for edit in edits]
    run([base, *singles])
    from ..rules.bundled import BUNDLED

    source = f"bundled rule {policy.id}" if str(ref) in BUNDLED else str(ref)  # no machine's paths in reports
    out = Amendments(policy.id, policy.title, source, original, edits, [base, *singles], run.results, max_edits,
                     seed, max_evals, [1 + len(singles)])
    useful = [c.edits[0] for c in singles if out.closed(c.id) or out.worst(c.id) < out.worst(base.id)]
    combos = [candidate(original, combo) for size in range(2, max_edits + 1)
              for combo in itertools.combinations(useful, size) if len({e.group for e in combo}) == size]
    if combos:
        run(combos)
        out.candidates += combos
        out.rounds.append(len(combos))
    if out.closable and out.recommended is None:  # try the greedy union of the tested closing edits
        cover = _greedy_cover(out, [e for e in useful if not operator(e.operator).untested])
        if cover and cover.id not in out.results:
            run([cover])
            out.candidates.append(cover)
            out.rounds.append(1)
    return out


def _greedy_cover(out: Amendments, useful: Sequence[Edit]) -> Candidate | None:
    """The edits, one per group, that together close the most: each step adds the edit
    whose single-edit candidate closes most of what is still open."""
    todo, chosen = set(out.closable), []
    while todo:
        best = max((e for e in useful if e.group not in {c.group for c in chosen}),
                   key=lambda e: (len(todo & set(out.closed(f"{out.policy}.{e.id}"))), -out.burden(f"{out.policy}.{e.id}")),
                   default=None)
        if best is None or not todo & set(out.closed(f"{out.policy}.{best.id}")):
            break
        chosen.append(best)
        todo -= set(out.closed(f"{out.policy}.{best.id}"))
    if len(chosen) < 2:
        return None
    order = {e.id: i for i, e in enumerate(out.edits)}
    return candidate(out.original, tuple(sorted(chosen, key=lambda e: order[e.id])))


class _Runner:
    """Evaluates candidates through an executor (in this process when none), remembering
    results; progress counts candidates over every round started so far."""

    def __init__(self, executor: Any, seed: int, max_evals: int, progress) -> None:
        self.executor, self.seed, self.max_evals, self.progress = executor, seed, max_evals, progress
        self.results: dict[str, dict] = {}
        self.done = 0

    def __call__(self, candidates: list[Candidate]) -> None:
        tasks = [c.task(seed=self.seed, max_evals=self.max_evals) for c in candidates if c.id not in self.results]
        before, total = self.done, self.done + len(tasks)

        def tick(done: int, _: int) -> None:
            self.done = before + done
            if self.progress:
                self.progress(self.done, total)

        executor = self.executor or SerialExecutor()
        results = executor.map(evaluate, tasks, costs=[_cost(t) for t in tasks], progress=tick, label="amended rules")
        for task, result in zip(tasks, results):
            self.results[task["id"]] = result


def _cost(task: dict) -> int:
    """Longest first: readings x rules guesses a search's length (reporting.analysis.search_cost)."""
    data = task["data"]
    return len(data["readings"]) * len(data["rules"]) * len(data["target_lines"])
