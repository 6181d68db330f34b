"""Bundled policies, addressable by stable id from any folder once the package is installed.

A value ending in .yaml is a rule file in this folder (rules as data, loopholes.rules.rulefile);
any other value is the module that defines POLICY (the two dynamic rules, whose lines are
percentiles of real models: the format cannot express them)."""

BUNDLED = {
    "us-eo-14110": "us_eo_14110.yaml",
    "eu-ai-act": "eu_ai_act.yaml",
    "ca-sb53": "ca_sb53.yaml",
    "dynamic-percentile": "loopholes.rules.bundled.dynamic_percentile",
    "risk-index": "loopholes.rules.bundled.risk_index",
    "ny-raise": "ny_raise.yaml",
    "kr-ai-basic-act": "kr_ai_basic_act.yaml",
}
