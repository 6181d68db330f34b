"""Stop training just under the line and make up the difference with better data
(essay §2.1.1; primer §2.1): the counted compute never crosses, the capability does."""

from . import Strategy


def _apply(plan, params):
    plan.curated_data = True


STRATEGY = Strategy(
    id="throttling",
    title="Train just under the line on filtered, deduplicated data",
    cites="Hooker 2024 §2.1.1; primer §2.1; docs/coefficient-sources.md [ankner2024] [fineweb2024] (data quality 1.45-10x, not stacked on algorithmic progress)",
    attacks=("static-line", "compute-total"),
    bounds={"data_quality_gain": "1.45x (Ankner et al. 2024) to 10x (FineWeb-Edu); no gain over the standard honest profile once curated data is standard (June 2024)",
            "data_quality_gain_bio": "1x to 10x, central 3x carried over from text (J: nothing measures it for sequence data)",
            "modifiers": "other parties' runs (decentralized-finetune) train on the same curated data"},
    apply=_apply,
    variants=lambda setting: [{}],
    group="quality",
)
