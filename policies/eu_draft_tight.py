"""A draft that tightens the EU AI Act's systemic-risk presumption (Art. 51(2)).

It keeps the Act's line (more than 10^25 operations) and changes what is counted, one
change per loophole the bundled `eu-ai-act` rule leaks; each change says why. Its count
is never below the Act's under either reading, so it covers whatever the Act covers and
opens no new loophole; `pytest policies/eu_draft_tight.py` shows which ones it closes.
What still leaks is declared in `known_loopholes`: no compute line sees inference
compute, better data or a later recipe, which is the essay's point (Hooker 2024 §2.1,
§3.1.1).
"""

import datetime as dt
import math

from loopholes.rules import Context, KnownLoophole, Parameter, Policy, Reading, Rule

SYSTEMIC_LINE = Parameter(1e25, "AI Act Art. 51(2)", "unchanged: the Act's presumption line")
GPAI_LINE = Parameter(1e23, "GPAI Guidelines Sec. 2, para ~17", "unchanged: the indicative general-purpose tier")

GPAI_TIER = "general-purpose"
SYSTEMIC_TIER = "systemic-risk"


def lineage_operations(ctx: Context) -> float:
    """Every operation in the deployed model's lineage, whoever ran it, counted as
    executed and at the model's dense size.

    What changes against Art. 51(2) read with the 2025 guidelines, and which loophole
    each change closes:

    - integer operations count, as in EO 14110 and SB 53 ("integer or floating-point");
      Art. 3(67) defines floating-point operations only: closes integer-precision;
    - the lineage counts, not only the provider's model: downstream modifications add to
      the original's total however small each is (instead of the guidelines' one-third
      test, Sec. 3), and so do the teacher and the synthetic-data generation the model
      learned from (Recital 111 names synthetic data; teachers are not addressed):
      closes decentralized-finetune and distillation;
    - a step counts the operations executed, or the developer's own estimate when that is
      larger, never an estimate at another number format's peak that undercounts (no
      instrument fixes the method; essay Appendix A): closes measured-vs-theoretical while
      still covering whatever the Act covers on an over-estimate;
    - a sparse run counts as the dense run of the same parameters (essay Appendix A:
      counted FLOP fall with sparsity, capability largely stays): closes sparsity on its own.
    """
    return math.fsum(max(step.flop, step.reported_flop) / (1.0 - step.sparsity) for step in ctx.lifecycle.lineage())


POLICY = Policy(
    id="eu-draft-tight",
    title="Draft: EU AI Act Art. 51(2) counting every operation in the lineage",
    jurisdiction="European Union (draft amendment)",
    source="policies/eu_draft_tight.py",
    status="proposal",
    dates={"drafted": "2026-11-22"},
    reference_date=dt.date(2025, 8, 2),  # the EU rule's, so targets and findings compare one to one
    readings=(
        Reading("as-drafted", "Is anything left open?",
                "No: integer operations, every party's modifications, teachers and synthetic data all count."),
    ),
    rules=(
        Rule("gpai", "GPAI Guidelines Sec. 2, para ~17 (unchanged line)", "operations in the lineage, dense-equivalent",
             GPAI_LINE.value, ">", GPAI_TIER, lineage_operations),
        Rule("systemic", "AI Act Art. 51(2) as amended by this draft", "operations in the lineage, dense-equivalent",
             SYSTEMIC_LINE.value, ">", SYSTEMIC_TIER, lineage_operations),
    ),
    tiers=(GPAI_TIER, SYSTEMIC_TIER),
    covered_tiers=frozenset({SYSTEMIC_TIER}),
    target_lines={"general": 1e25},
    parameters={"systemic_line": SYSTEMIC_LINE, "gpai_line": GPAI_LINE},
    known_loopholes=(
        # Beyond any compute line: capability bought without training operations. Of the
        # three (inference compute, better data, a later recipe), only the later recipe is
        # material (leakage at least 2x) at this line and reference date.
        KnownLoophole("algorithmic-progress", "a fixed line meets a better recipe every year (Hooker 2024 §2.1.2, "
                      "§5.1); only a line that moves, or a capability test, closes it"),
    ),
)
