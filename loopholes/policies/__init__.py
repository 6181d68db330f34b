"""Bundled policies, addressable by stable id from any folder once the package is installed."""

BUNDLED = {
    "us-eo-14110": "loopholes.policies.us_eo_14110",
    "eu-ai-act": "loopholes.policies.eu_ai_act",
    "ca-sb53": "loopholes.policies.ca_sb53",
    "dynamic-percentile": "loopholes.policies.dynamic_percentile",
    "risk-index": "loopholes.policies.risk_index",
    "ny-raise": "loopholes.policies.ny_raise",
    "kr-ai-basic-act": "loopholes.policies.kr_ai_basic_act",
}
