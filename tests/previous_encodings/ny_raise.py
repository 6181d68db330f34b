"""New York RAISE Act as enacted: Gen. Bus. Law Art. 44-B (§§1420-1429), chapter 96 of 2026.

Every element and its source: docs/legal-sources.md, "New York RAISE Act". The chapter
amendment (signed 27 March 2026, in force 1 January 2027) replaced the 2025 text: a
frontier model is now a foundation model trained with more than 10^26 integer or
floating-point operations, counting the original run and later fine-tuning or other
modification (SB 53's formula), and a large frontier developer is one with more than
$500 m annual revenue. The 2025 text's cost tests - more than $100 m for the final
training run, and a distilled model above $5 m - are gone, so no cost is tested here
(that the distillation limb is gone rests on secondary sources [S/U]).

Who is obliged: the frontier developer, for its frontier models (as SB 53), so every
model a developer deploys or hands to another party is judged.
"""

import datetime as dt

from loopholes.rules.framework import KnownLoophole, Parameter, Policy, Reading, compute_threshold, revenue_threshold

FRONTIER_LINE = Parameter(10**26, "N.Y. Gen. Bus. Law §1420 ('frontier model'), as amended by L.2026 c.96",
                          "integer or floating-point operations, original run plus later fine-tuning or modification")
LARGE_REVENUE = Parameter(500_000_000, "N.Y. Gen. Bus. Law §1420 ('large frontier developer'), as amended",
                          "annual gross revenue with affiliates")
FRONTIER_TIER = "frontier-model"
LARGE_TIER = "large-frontier-developer"
_CLAUSE = "N.Y. Gen. Bus. Law §1420 (L.2026 c.96)"
_QUESTION = ("Must a developer that fine-tunes someone else's model count the upstream run (the amended §1420 "
             "counts modifications the developer applies to a preceding foundation model)?")

_frontier = compute_threshold("frontier", _CLAUSE, FRONTIER_LINE.value, tier=FRONTIER_TIER, comparator=">",
                              measures="integer or floating-point operations used to train")

POLICY = Policy(
    id="ny-raise",
    title="New York RAISE Act as enacted (L.2026 c.96, Gen. Bus. Law §§1420-1429), frontier model definition",
    jurisdiction="New York, United States",
    source="https://www.nysenate.gov/legislation/laws/GBS/1420",
    status="enacted",
    dates={"signed": "2026-03-27", "in_force": "2027-01-01", "replaces": "L.2025 c.699 (original Art. 44-B)"},
    reference_date=dt.date(2026, 3, 27),
    readings=(
        Reading("developer-only", _QUESTION,
                "No: a developer counts its own runs and its own later modifications only.", {"scope": "developer"}),
        Reading("include-upstream", _QUESTION,
                "Yes: the original run of the preceding model counts together with every later modification.",
                {"scope": "model"}),
    ),
    rules=(
        _frontier,
        revenue_threshold("large-developer", _CLAUSE, LARGE_REVENUE.value, tier=LARGE_TIER, requires=_frontier,
                          comparator=">"),
    ),
    tiers=(FRONTIER_TIER, LARGE_TIER),
    covered_tiers=frozenset({FRONTIER_TIER, LARGE_TIER}),
    target_lines={"general": 1e26},
    parameters={"frontier_line": FRONTIER_LINE, "large_revenue": LARGE_REVENUE},
    duty="developer",
    ambiguities=(
        "The enacted §1420 wording was read only in summaries [S]: the SB 53 formula is assumed.",
        "Whether a downstream fine-tuner counts the upstream run: readings developer-only and include-upstream.",
        "The 2025 text's $100 m final-run cost test and $5 m distillation limb are gone; distilled students are "
        "judged on their own runs.",
        "The Act reaches models developed, deployed or operating in New York (§1426); every lifecycle is assumed to.",
        "Duties attach to the frontier developer: every model it deploys or hands to another party is judged.",
    ),
    known_loopholes=(
        KnownLoophole("decentralized-finetune", "only modifications the developer applies count: a downstream "
                      "fine-tuner counts its own runs under developer-only; found together with sparsity, a hardware "
                      "estimate at another precision's peak or a later release (Hooker 2024 §3.1.2; primer §2.3)",
                      ("developer-only",)),
        KnownLoophole("measured-vs-theoretical", "no estimation method is fixed: a hardware estimate at the BF16 peak "
                      "reports half of an FP8 run; found only together with decentralized-finetune, under "
                      "developer-only (Hooker 2024 Appendix A)", ("developer-only",)),
        KnownLoophole("sparsity", "zero-skipping sparse training halves the counted operations while capability "
                      "largely stays; found only together with decentralized-finetune, under developer-only "
                      "(Hooker 2024 Appendix A)", ("developer-only",)),
        KnownLoophole("algorithmic-progress", "the 10^26 line changes only by legislation while recipes improve; "
                      "found only together with decentralized-finetune, under developer-only "
                      "(Hooker 2024 §2.1.2, §5.1)", ("developer-only",)),
    ),
)
