"""US Executive Order 14110 §4.2(b): the interim reporting thresholds (revoked 2025).

Kept as the historic baseline that the essay and the primer critique. Facts and clause
citations: ../shared/reference/policy-reference.md §1.
"""

import datetime as dt

from loopholes.policy import KnownLoophole, Parameter, Policy, Reading, cluster_rate, compute_threshold, domain_threshold

PRIMARILY_SHARE = Parameter(
    0.5, "EO 14110 §4.2(b)(i)",
    "'primarily biological sequence data' is undefined in the EO; read as more than half of training tokens",
)
MODEL_TIER = "dual-use-foundation-model"
CLUSTER_TIER = "computing-cluster"

POLICY = Policy(
    id="us-eo-14110",
    title="US Executive Order 14110, §4.2(b) interim technical conditions",
    jurisdiction="United States (federal)",
    source="https://www.govinfo.gov/content/pkg/FR-2023-11-01/pdf/2023-24283.pdf",
    status="revoked",
    dates={"signed": "2023-10-30", "published": "2023-11-01", "revoked": "2025-01-20 (EO 14148 §2)"},
    reference_date=dt.date(2023, 10, 30),
    readings=(
        Reading("single-run", "Which compute is 'the quantity of computing power used to train' the model (§4.2(b)(i))?",
                "The largest single training run of the deployed model (or of one member it combines).",
                {"scope": "single-run"}),
        Reading("cumulative", "Which compute is 'the quantity of computing power used to train' the model (§4.2(b)(i))?",
                "Everything in the artifact's lineage: base models, fine-tunes, teachers and synthetic-data generation.",
                {"scope": "lineage"}),
    ),
    rules=(
        compute_threshold("general", "EO 14110 §4.2(b)(i)", 1e26, tier=MODEL_TIER, comparator=">",
                          measures="integer or floating-point operations used to train"),
        domain_threshold("bio", "EO 14110 §4.2(b)(i)", 1e23, domain="bio", share_above=PRIMARILY_SHARE.value,
                         tier=MODEL_TIER, comparator=">", measures="integer or floating-point operations used to train"),
        cluster_rate("cluster", "EO 14110 §4.2(b)(ii)", 1e20, tier=CLUSTER_TIER, comparator=">="),
    ),
    tiers=(CLUSTER_TIER, MODEL_TIER),
    covered_tiers=frozenset({CLUSTER_TIER, MODEL_TIER}),
    target_lines={"general": 1e26, "bio": 1e23},
    parameters={"primarily_share": PRIMARILY_SHARE},
    ambiguities=(
        "§4.2(b)(i) does not say whether later fine-tuning, another party's base model, teachers or synthetic-data "
        "generation count: readings single-run and cumulative.",
        "'Primarily' biological sequence data is undefined (share of tokens, samples or compute?): parameter primarily_share.",
        "§4.2(b)(ii) states no comparator for the cluster capacity; encoded as 'at least' (>=).",
        "No estimation method is fixed: a hardware estimate may use any precision's peak.",
    ),
    known_loopholes=(
        KnownLoophole("distillation", "the student's own run is what §4.2(b)(i) counts under single-run, not the "
                      "teacher whose capability it inherits; under cumulative only combined with a cascade or a "
                      "later release (Hooker 2024 §3.1.1; primer §2.1)"),
        KnownLoophole("bio-dilution", "'primarily biological sequence data' is undefined: just under half bio data, "
                      "only the 10^26 general line applies (Hooker 2024 §3.1.5)"),
        KnownLoophole("cascade", "the lines apply per model, so sub-threshold members escape under single-run; under "
                      "cumulative only combined with distillation or an inference boost "
                      "(Hooker 2024 §3.1.3-3.1.4; primer §2.3)"),
        KnownLoophole("decentralized-finetune", "other parties' fine-tunes are separate runs and the order has no "
                      "derivative-model rule; under cumulative only combined with sparsity and MoE assembly "
                      "(Hooker 2024 §3.1.2; primer §2.3)"),
        KnownLoophole("inference-boost", "inference-time compute is not compute 'used to train' (Hooker 2024 §3.1.1)"),
        KnownLoophole("measured-vs-theoretical", "no estimation method is fixed: a hardware estimate at the BF16 peak "
                      "reports half of an FP8 run (Hooker 2024 Appendix A)"),
        KnownLoophole("sparsity", "zero-skipping sparse training halves the counted operations while capability "
                      "largely stays (Hooker 2024 Appendix A)"),
        KnownLoophole("moe-assembly", "experts trained separately under the line and assembled afterwards; under "
                      "cumulative only combined with an undercounting estimate or sparsity "
                      "(Hooker 2024 §3.1.3; primer §2.3)"),
        KnownLoophole("throttling", "better data buys capability that a compute line does not see "
                      "(Hooker 2024 §2.1.1; primer §2.1)"),
        KnownLoophole("algorithmic-progress", "the 10^26 line stays where it was drawn while recipes improve "
                      "(Hooker 2024 §2.1.2, §5.1)"),
        KnownLoophole("split-runs", "pre-training split into runs each under the line, 'fractured pre-training'; "
                      "under cumulative only combined with an undercounting estimate (Hooker 2024 §3.1.2, §5.3)"),
        KnownLoophole("cluster-split", "§4.2(b)(ii) counts one co-located site, so a fast run spread over sites "
                      "reports no cluster; found with a route under the model line (Hooker 2024 §3.1.2)"),
    ),
)
