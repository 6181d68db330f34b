"""Plain-text pictures of lifecycles, verdicts and findings, shared by the CLI, the pytest
plugin and the reports, so a finding reads the same everywhere."""

from __future__ import annotations

import shlex

from .lifecycle import Lifecycle


def fmt(value: float) -> str:
    """Compact number: 9.9e25, 0.333, 12. Exact thresholds (an int, or a Fraction such as
    the EU's one-third modifier share) print as floats: Python 3.11 cannot format a
    Fraction with 'g'."""
    value = float(value)
    if value == 0:
        return "0"
    if value != value or value in (float("inf"), float("-inf")):
        return str(value)
    text = f"{value:.3g}"
    if "e" not in text:  # .3g writes 1e-4 .. 1e3 without an exponent
        return text
    mantissa, exponent = text.split("e")
    return f"{mantissa}e{int(exponent)}"  # 6.95e5, 3e-5: no '+', no leading zeros


def step_notes(step, *, detail: bool = False) -> list[str]:
    """What a verdict may rest on beyond a step's kind and compute; `detail` adds the
    inputs of the compute estimate (parameters, tokens, hardware) and weight access."""
    out = []
    if step.precision != "bf16":
        out.append(f"{step.precision} arithmetic")
    if step.reported_flop != step.flop:
        out.append(f"reported as {fmt(step.reported_flop)} ops")
    if detail and step.params:
        out.append(f"{fmt(step.params)} parameters" + (f" ({fmt(step.active_params)} active)" if step.active_params else ""))
    if detail and step.tokens:
        out.append(f"{fmt(step.tokens)} tokens")
    if detail and step.hardware:
        hw = step.hardware
        out.append(f"{hw.count} x {hw.chip}, {fmt(hw.hours)} h at {hw.utilization:.0%} utilization")
    if step.data != (("general", 1.0),):
        out.append("data " + ", ".join(f"{d} {v:.0%}" for d, v in step.data))
    if step.curated_data:
        out.append("curated data")
    if step.sparsity:
        out.append(f"sparsity {step.sparsity:.0%}")
    if step.boost_method:
        out.append(f"{step.boost_method.replace('_', '-')} x{step.boost_samples}")
    for ops, colocated in step.sites:
        out.append(f"{'co-located ' if colocated else ''}site at {fmt(ops)} op/s")
    if detail and step.open_weights:
        out.append("open weights")
    return out


def lifecycle_lines(lc: Lifecycle) -> list[str]:
    """One line per step, in order: id, kind, developer, inputs, compute and recipe."""
    width = max(len(s.id) for s in lc.steps) + 9
    lines = []
    for step in lc.steps:
        name = step.id + (" [deploy]" if step.id == lc.deploy else "")
        notes = step_notes(step)
        source = f" <- {', '.join(step.inputs)}" if step.inputs else ""
        lines.append(f"{name:<{width}}  {step.kind:<15} {step.developer:<22} {fmt(step.flop):>8} ops"
                     f"{source}{'  (' + '; '.join(notes) + ')' if notes else ''}")
    return lines


def clause_test(clause) -> str:
    """A clause's test in words: "8.25e22 > 1e25? no (0.00825x the line)", or, when the
    value passes the line but an extra condition fails, "yes (990x the line), but bio
    share 49.0% does not pass > 50%", so an over-the-line value never reads as a "no"."""
    from .rules.framework import COMPARATORS

    money = "$" if clause.unit == "USD" else ""
    test = f"{money}{fmt(clause.measured)} {clause.comparator} {money}{fmt(clause.threshold)}?"
    if not clause.triggered and COMPARATORS[clause.comparator](clause.measured, clause.threshold):
        return f"{test} yes ({clause.margin:.3g}x the line), but " + (clause.note or "a condition does not hold")
    return (f"{test} {'yes' if clause.triggered else 'no'} ({clause.margin:.3g}x the line)"
            + (f" — {clause.note}" if clause.note else ""))


def finding_text(finding, *, spec_path: str | None = None, policy=None, policy_ref: str | None = None) -> str:
    """A finding readable without the source: lifecycle, the clauses it slipped past,
    capability kept against the target, margins, robustness and how to replay it.
    `policy` is the Policy searched (needed for drafts loaded from a path) and
    `policy_ref` what the replay command should name (an id or a path)."""
    covered_tiers = policy.covered_tiers if policy is not None else _covered_tiers(finding.policy)
    verdict, target = finding.verdict, finding.target
    central = finding.capability[finding.domain][1]
    size = "material" if finding.material else "marginal"
    robust = ("  (robust)" if finding.robust else "")
    out = [f"{finding.id}  [{', '.join(finding.strategies)}]  reading: {finding.reading}  "
           f"leakage {'>= ' if finding.bounded else ''}{fmt(finding.leakage)}x, {size}{robust}"]
    out += ["  lifecycle (released " + finding.lifecycle.released.isoformat() + "):"]
    out += ["    " + line for line in lifecycle_lines(finding.lifecycle)]
    out.append("  slipped past:")
    for clause in verdict.clauses:
        if clause.tier in covered_tiers:
            out.append(f"    {clause.clause}: {clause.measures}: {clause_test(clause)}")
    out.append(f"  capability kept ({finding.domain}, effective FLOP, central): {fmt(central)} vs target "
               f"{fmt(target.effective_flop)} (an honest model at {fmt(target.honest_flop)} FLOP, "
               f"{target.profile} profile)")
    if finding.bounded:
        out.append("  a lower bound: " + "; ".join(finding.bounded_by))
    if finding.adds:
        out.append("  each strategy adds: " + ", ".join(
            f"{k} {fmt(v)}x" if v != float("inf") else f"{k} (nothing escapes without it)" for k, v in finding.adds.items()))
    if finding.sensitivity is not None:
        from .sensitivity import describe_hinge

        sens = finding.sensitivity
        out.append(f"  over {sens.draws} joint coefficient draws: P(evades) {sens.p_evades:.2f}, "
                   f"P(material) {sens.p_material:.2f}; hinges on {describe_hinge(sens.hinge)}")
    out.append(f"  cost: {fmt(finding.cost['flop'])} ops, {finding.cost['ratio_to_honest']:.2f}x the honest run")
    if finding.covered_under:
        out.append(f"  ambiguity of the text: evades under {', '.join(finding.evades_under)}; "
                   f"covered under {', '.join(finding.covered_under)}")
    if spec_path:
        ref = policy_ref or finding.policy
        out.append(f"  replay: loopholes check {shlex.quote(ref)} {shlex.quote(spec_path)} --reading {finding.reading}")
    return "\n".join(out)


def _covered_tiers(policy_id: str) -> frozenset[str]:
    from .rules.registry import load_policy

    return load_policy(policy_id).covered_tiers
