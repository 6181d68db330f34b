"""California SB 53, Transparency in Frontier Artificial Intelligence Act (2025).

Every element and its source: docs/legal-sources.md, "California SB 53" (Bus. & Prof.
Code §22757.11).

Who is obliged: §22757.11 makes a "frontier developer" of whoever has trained (or begun
training) a frontier model, and the duties (frameworks, transparency reports before
deploying, incident reports) attach to that developer and its frontier models. So every
model in a lifecycle that its developer deploys or hands to another party is judged
(`duty="developer"`): a lab that trains a >10^26 base and hands it to a third party is a
frontier developer even if the third party's fine-tune is what gets deployed. No reading
judges the deployed artifact alone: no text of the Act supports one.
"""

import datetime as dt

from loopholes.rules.framework import KnownLoophole, Parameter, Policy, Reading, compute_threshold, revenue_threshold

FRONTIER_LINE = Parameter(10**26, "Cal. Bus. & Prof. Code §22757.11 ('frontier model')",
                          "integer or floating-point operations, original run plus the developer's later modifications")
LARGE_REVENUE = Parameter(500_000_000, "Cal. Bus. & Prof. Code §22757.11 ('large frontier developer')",
                          "annual gross revenue with affiliates in the preceding calendar year")
FRONTIER_TIER = "frontier-model"
LARGE_TIER = "large-frontier-developer"

_frontier = compute_threshold("frontier", "Cal. Bus. & Prof. Code §22757.11", FRONTIER_LINE.value, tier=FRONTIER_TIER,
                              comparator=">", measures="integer or floating-point operations used to train")

POLICY = Policy(
    id="ca-sb53",
    title="California SB 53 (Stats. 2025, ch. 138), frontier model definition",
    jurisdiction="California, United States",
    source="https://leginfo.legislature.ca.gov/faces/billTextClient.xhtml?bill_id=202520260SB53",
    status="in force",
    dates={"approved": "2025-09-29", "in_force": "2026-01-01"},
    duty="developer",
    reference_date=dt.date(2025, 9, 29),
    readings=(
        Reading("developer-only",
                "Must a developer that fine-tunes someone else's model count the upstream run ('the developer applies to a preceding foundation model')?",
                "No: a developer counts its own runs and its own later modifications only.", {"scope": "developer"}),
        Reading("include-upstream",
                "Must a developer that fine-tunes someone else's model count the upstream run ('the developer applies to a preceding foundation model')?",
                "Yes: the original run of the preceding model counts together with every later modification.",
                {"scope": "model"}),
    ),
    rules=(
        _frontier,
        revenue_threshold("large-developer", "Cal. Bus. & Prof. Code §22757.11", LARGE_REVENUE.value,
                          tier=LARGE_TIER, requires=_frontier, comparator=">"),
    ),
    tiers=(FRONTIER_TIER, LARGE_TIER),
    covered_tiers=frozenset({FRONTIER_TIER, LARGE_TIER}),
    target_lines={"general": 1e26},
    parameters={"frontier_line": FRONTIER_LINE, "large_revenue": LARGE_REVENUE},
    ambiguities=(
        "Whether a downstream fine-tuner counts the upstream run is contested: readings developer-only and include-upstream.",
        "'Material modifications' is undefined; distillation and synthetic-data generation are not mentioned.",
        "Revenue is measured for the corporate group: a low-revenue lab is a frontier developer but not a large one.",
        "Duties attach to the frontier developer (§22757.11): every model it deploys or hands to another party is judged.",
    ),
    known_loopholes=(
        KnownLoophole("decentralized-finetune", "only modifications 'the developer applies' count: a downstream "
                      "fine-tuner counts its own runs under developer-only; found together with algorithmic-progress "
                      "(Hooker 2024 §3.1.2; primer §2.3)", ("developer-only",)),
        KnownLoophole("measured-vs-theoretical", "no estimation method is fixed: a hardware estimate at the BF16 peak "
                      "reports half of an FP8 run; found together with algorithmic-progress (Hooker 2024 Appendix A)"),
        KnownLoophole("sparsity", "zero-skipping sparse training halves the counted operations while capability "
                      "largely stays; found together with algorithmic-progress (Hooker 2024 Appendix A)"),
        KnownLoophole("algorithmic-progress", "the 10^26 line changes only by legislation (§22757.14 asks for "
                      "recommendations) while recipes improve (Hooker 2024 §2.1.2, §5.1)"),
        KnownLoophole("split-runs", "pre-training split into runs; the runs of one model are summed, so it is found "
                      "only together with sparsity and algorithmic-progress, where it adds about 5 %; that gain comes "
                      "from the capability model (its token/parameter penalty applies to the first run only), not "
                      "from the count (Hooker 2024 §3.1.2, §5.3)"),
    ),
)
