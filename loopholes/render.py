"""Plain-text pictures of lifecycles, verdicts and findings, shared by the CLI, the pytest
plugin and the reports, so a finding reads the same everywhere."""

from __future__ import annotations

import shlex

from .capability import BANDS
from .lifecycle import Lifecycle


def fmt(value: float) -> str:
    """Compact number: 9.9e25, 0.333, 12."""
    if value == 0:
        return "0"
    if value != value or value in (float("inf"), float("-inf")):
        return str(value)
    if 1e-3 <= abs(value) < 1e4:
        return f"{value:.3g}"
    return f"{value:.3g}".replace("e+", "e")


def lifecycle_lines(lc: Lifecycle) -> list[str]:
    """One line per step, in order: id, kind, developer, inputs, compute and recipe."""
    width = max(len(s.id) for s in lc.steps) + (9 if lc.deploy else 0)
    lines = []
    for step in lc.steps:
        name = step.id + (" [deploy]" if step.id == lc.deploy else "")
        extras = []
        if step.precision != "bf16":
            extras.append(step.precision)
        if step.reported_flop != step.flop:
            extras.append(f"reported {fmt(step.reported_flop)}")
        if step.data != (("general", 1.0),):
            extras.append(" ".join(f"{d} {v:.0%}" for d, v in step.data))
        if step.curated_data:
            extras.append("curated data")
        if step.sparsity:
            extras.append(f"sparsity {step.sparsity:.0%}")
        if step.boost_method:
            extras.append(f"{step.boost_method} x{step.boost_samples}")
        if step.sites:
            extras.append(" + ".join(f"site {fmt(ops)} op/s" for ops, _ in step.sites))
        source = f" <- {', '.join(step.inputs)}" if step.inputs else ""
        lines.append(f"{name:<{width}}  {step.kind:<15} {step.developer:<22} {fmt(step.flop):>8} ops"
                     f"{source}{'  (' + '; '.join(extras) + ')' if extras else ''}")
    return lines


def finding_text(finding, *, spec_path: str | None = None, policy=None, policy_ref: str | None = None) -> str:
    """A finding readable without the source: lifecycle, the clauses it slipped past,
    capability kept against the target, margins, robustness and how to replay it.
    `policy` is the Policy searched (needed for drafts loaded from a path) and
    `policy_ref` what the replay command should name (an id or a path)."""
    covered_tiers = policy.covered_tiers if policy is not None else _covered_tiers(finding.policy)
    verdict, target = finding.verdict, finding.target
    low, central, _ = finding.capability[finding.domain]
    tlow, tcentral, _ = target.bands
    out = [f"{finding.id}  [{', '.join(finding.strategies)}]  reading: {finding.reading}"
           + ("  (robust)" if finding.robust else "  (not robust at the low end of the coefficients)")]
    out += ["  lifecycle (released " + finding.lifecycle.released.isoformat() + "):"]
    out += ["    " + line for line in lifecycle_lines(finding.lifecycle)]
    out.append("  slipped past:")
    for clause in verdict.clauses:
        if clause.tier in covered_tiers:
            out.append(f"    {clause.clause}: {clause.measures}: {fmt(clause.measured)} {clause.comparator} "
                       f"{fmt(clause.threshold)}? {'yes' if clause.triggered else 'no'} ({clause.margin:.3g}x the line)"
                       + (f" — {clause.note}" if clause.note else ""))
    out.append(f"  capability kept ({finding.domain}, effective FLOP): central {fmt(central)} vs target {fmt(tcentral)} "
               f"({central / tcentral:.2f}x); low {fmt(low)} vs {fmt(tlow)} ({low / tlow:.2f}x)")
    out.append(f"  cost: {fmt(finding.cost['flop'])} ops, {finding.cost['ratio_to_honest']:.2f}x the honest run")
    if finding.covered_under:
        out.append(f"  ambiguity of the text: evades under {', '.join(finding.evades_under)}; "
                   f"covered under {', '.join(finding.covered_under)}")
    if spec_path:
        ref = policy_ref or finding.policy
        out.append(f"  replay: loopholes check {shlex.quote(ref)} {shlex.quote(spec_path)} --reading {finding.reading}")
    return "\n".join(out)


def _covered_tiers(policy_id: str) -> frozenset[str]:
    from .registry import load_policy

    return load_policy(policy_id).covered_tiers


def capability_text(capability) -> str:
    return "; ".join(f"{d} " + " / ".join(fmt(v) for v in bands) for d, bands in capability.values.items()) + \
        f" ({' / '.join(BANDS)})"
