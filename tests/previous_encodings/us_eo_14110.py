"""US Executive Order 14110 §4.2(b): the interim reporting thresholds (revoked 2025).

Kept as the historic baseline that the essay and the primer critique. Every element and
its source: docs/legal-sources.md, "US Executive Order 14110".
"""

import datetime as dt

from loopholes.rules.framework import KnownLoophole, Parameter, Policy, Reading, cluster_rate, compute_threshold, domain_threshold

GENERAL_LINE = Parameter(10**26, "EO 14110 §4.2(b)(i)", "integer or floating-point operations, strictly above")
BIO_LINE = Parameter(10**23, "EO 14110 §4.2(b)(i)", "operations, strictly above, for models trained primarily on biological sequence data")
CLUSTER_LINE = Parameter(10**20, "EO 14110 §4.2(b)(ii)", "theoretical maximum operations per second for AI training; no comparator stated")
NETWORKING_GBPS = Parameter(100, "EO 14110 §4.2(b)(ii)", "machines transitively connected by data-centre networking of over 100 Gbit/s")
PRIMARILY_SHARE = Parameter(
    0.5, "EO 14110 §4.2(b)(i)",
    "'primarily biological sequence data' is undefined in the EO; read as more than half of training tokens",
)
MODEL_TIER = "dual-use-foundation-model"
CLUSTER_TIER = "computing-cluster"

_COMPUTE_QUESTION = "Which compute is 'the quantity of computing power used to train' the model (§4.2(b)(i))?"
_PRESUMED = (" A training site whose networking the spec does not give is taken to meet §4.2(b)(ii)'s "
             "'over 100 Gbit/s' (frontier training clusters are built on far faster interconnects); "
             "reading networking-shown drops that presumption.")

POLICY = Policy(
    id="us-eo-14110",
    title="US Executive Order 14110, §4.2(b) interim technical conditions",
    jurisdiction="United States (federal)",
    source="https://www.govinfo.gov/content/pkg/FR-2023-11-01/pdf/2023-24283.pdf",
    status="revoked",
    dates={"signed": "2023-10-30", "published": "2023-11-01", "revoked": "2025-01-20 (EO 14148 §2)"},
    in_force_until=dt.date(2025, 1, 20),
    reference_date=dt.date(2023, 10, 30),
    readings=(
        Reading("single-run", _COMPUTE_QUESTION,
                "The largest single training run of the deployed model (or of one member it combines); it was trained "
                "'primarily' on biological sequence data when that run's data or the data of all the model's runs "
                "together is mostly biological (the order does not say which runs' data decide; either suffices)."
                + _PRESUMED,
                {"scope": "single-run"}),
        Reading("cumulative", _COMPUTE_QUESTION,
                "Everything in the artifact's lineage: base models, fine-tunes, teachers and synthetic-data generation."
                + _PRESUMED, {"scope": "lineage"}),
        Reading("networking-shown",
                "Does a training site whose networking is unknown meet §4.2(b)(ii)'s 'over 100 Gbit/s'?",
                "No: a site is a reportable cluster only when its networking is shown to exceed 100 Gbit/s "
                "(model compute and data share as in single-run).",
                {"scope": "single-run", "unknown_networking": False}),
    ),
    rules=(
        compute_threshold("general", "EO 14110 §4.2(b)(i)", GENERAL_LINE.value, tier=MODEL_TIER, comparator=">",
                          measures="integer or floating-point operations used to train"),
        domain_threshold("bio", "EO 14110 §4.2(b)(i)", BIO_LINE.value, domain="bio", share_above=PRIMARILY_SHARE.value,
                         tier=MODEL_TIER, comparator=">", measures="integer or floating-point operations used to train"),
        cluster_rate("cluster", "EO 14110 §4.2(b)(ii)", CLUSTER_LINE.value, tier=CLUSTER_TIER, comparator=">=",
                     networking_above_gbps=NETWORKING_GBPS.value),
    ),
    tiers=(CLUSTER_TIER, MODEL_TIER),
    covered_tiers=frozenset({CLUSTER_TIER, MODEL_TIER}),
    target_lines={"general": 1e26, "bio": 1e23},
    parameters={"general_line": GENERAL_LINE, "bio_line": BIO_LINE, "cluster_line": CLUSTER_LINE,
                "networking_gbps": NETWORKING_GBPS, "primarily_share": PRIMARILY_SHARE},
    # §4.2(a)(i): reports from companies developing (or intending to develop) such models,
    # so every model a party develops and hands on is judged, not only the deployed one.
    duty="developer",
    ambiguities=(
        "§4.2(b)(i) does not say whether later fine-tuning, another party's base model, teachers or synthetic-data "
        "generation count: readings single-run and cumulative.",
        "'Primarily' biological sequence data is undefined (share of tokens, samples or compute?): parameter primarily_share.",
        "Under a single-run reading, whose data decides 'primarily': the counted run's, or all the model's runs'? Either "
        "suffices in readings single-run and networking-shown; a stricter reading (any run over the line that is itself "
        "mostly biological) is not encoded.",
        "§4.2(b)(ii) states no comparator for the cluster capacity; encoded as 'at least' (>=).",
        "A site's networking is often unknown: the default readings presume it exceeds 100 Gbit/s, reading "
        "networking-shown does not.",
        "No estimation method is fixed: a hardware estimate may use any precision's peak.",
    ),
    known_loopholes=(
        KnownLoophole("bio-dilution", "'primarily biological sequence data' is undefined: just under half bio data, "
                      "only the 10^26 general line applies (Hooker 2024 §3.1.5)"),
        KnownLoophole("cascade", "the lines apply per model, so sub-threshold members escape under single-run and "
                      "networking-shown; found together with bio-dilution or moe-assembly, and not under cumulative "
                      "(Hooker 2024 §3.1.3-3.1.4; primer §2.3)", ("single-run", "networking-shown")),
        KnownLoophole("decentralized-finetune", "other parties' fine-tunes are separate runs and the order has no "
                      "derivative-model rule, so each run is judged alone under single-run and networking-shown; "
                      "cumulative counts the lineage and closes it (Hooker 2024 §3.1.2; primer §2.3)",
                      ("single-run", "networking-shown")),
        KnownLoophole("inference-boost", "inference-time compute is not compute 'used to train'; found only together "
                      "with bio-dilution (Hooker 2024 §3.1.1)"),
        KnownLoophole("measured-vs-theoretical", "no estimation method is fixed: a hardware estimate at the BF16 peak "
                      "reports half of an FP8 run; found together with algorithmic-progress or bio-dilution "
                      "(Hooker 2024 Appendix A)"),
        KnownLoophole("sparsity", "zero-skipping sparse training halves the counted operations while capability "
                      "largely stays; found together with algorithmic-progress or bio-dilution (Hooker 2024 Appendix A)"),
        KnownLoophole("moe-assembly", "experts trained separately under the line and assembled afterwards escape "
                      "under single-run and networking-shown; cumulative sums the experts and closes it "
                      "(Hooker 2024 §3.1.3; primer §2.3)", ("single-run", "networking-shown")),
        KnownLoophole("throttling", "better data buys capability that a compute line does not see "
                      "(Hooker 2024 §2.1.1; primer §2.1)"),
        KnownLoophole("algorithmic-progress", "the 10^26 line stays where it was drawn while recipes improve "
                      "(Hooker 2024 §2.1.2, §5.1)"),
        KnownLoophole("split-runs", "pre-training split into runs each under the line, 'fractured pre-training'; "
                      "under cumulative only together with sparsity and algorithmic-progress, where it adds about 5 %, a "
                      "gain of the capability model (its token/parameter penalty applies to the first run only) "
                      "(Hooker 2024 §3.1.2, §5.3)"),
    ),
)
