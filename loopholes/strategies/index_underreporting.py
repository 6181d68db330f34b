"""Under-report a self-reported input of a risk index — reach (registered business users,
end users) — so the index stays under its percentile line while the model is unchanged
(essay §5.3; EU AI Act Annex XIII (f)-(g))."""

from . import Strategy, has_rule_kind


def _apply(plan, params):
    plan.reach = params["reach"]


STRATEGY = Strategy(
    id="index-underreporting",
    title="Report low reach to a risk index; capability is untouched",
    cites="Hooker 2024 §5.3; AI Act Annex XIII (f) 10,000 registered business users, (g) end users",
    attacks=("index-input",),
    bounds={"reach": "reported business users just under Annex XIII (f)'s 10,000, or none"},
    apply=_apply,
    variants=lambda setting: [{"reach": (9_999, 0)}, {"reach": (0, 0)}],
    group="report",
    applies=lambda policy, domain: has_rule_kind(policy, "index"),
)
