"""``platform:apps.api.maxBodyKb``: validated in the config, enforced by the API's WAF, handed to the API."""

from __future__ import annotations

import json

import pytest

from components.edge_waf import CORE_RULE_SET
from components.waf_body import greater_than_regex
from infra.config import ConfigError, load_config, raw_namespace
from infra.offline.harness import stack_config
from tests.conftest import PHASES, plan_of

WEB_ACL = "aws:wafv2/webAcl:WebAcl"
CONFIG_MAP = "kubernetes:core/v1:ConfigMap"
ONE_MIB = 1024 * 1024


def _with_max_body_kb(value) -> dict[str, str]:
    raw = raw_namespace(stack_config("phase2"))
    raw["apps"]["api"]["maxBodyKb"] = value
    return {f"platform:{k}": json.dumps(v) if isinstance(v, (dict, list)) else str(v) for k, v in raw.items()}


def test_the_default_is_one_mib():
    assert load_config(stack_config("phase2")).apps.api.max_body_kb == 1024


@pytest.mark.parametrize("value", [0, 10241, "big"])
def test_out_of_range_limits_are_refused_naming_the_key(value):
    with pytest.raises(ConfigError) as caught:
        load_config(_with_max_body_kb(value))
    assert caught.value.path == "platform:apps.api.maxBodyKb"


@pytest.mark.parametrize("value", [1, 8, 10240])
def test_limits_in_range_are_accepted(value):
    assert load_config(_with_max_body_kb(value)).apps.api.max_body_kb == value


def _acls(stack: str) -> dict[str, dict]:
    return {acl.inputs["scope"]: acl.inputs for acl in plan_of(stack).of_type(WEB_ACL)}


def _rule(acl: dict, name: str) -> dict:
    (rule,) = [r for r in acl["rules"] if r["name"] == name]
    return rule


def test_phase2_api_acl_counts_the_crs_size_rule_and_refuses_bodies_over_the_limit():
    api = _acls("phase2")["REGIONAL"]
    crs = _rule(api, CORE_RULE_SET)["statement"]["managedRuleGroupStatement"]
    assert crs["ruleActionOverrides"] == [{"name": "SizeRestrictions_BODY", "actionToUse": {"count": {}}}]
    body = _rule(api, "MaxRequestBody")
    assert body["priority"] == 0
    assert body["action"] == {"block": {"customResponse": {"responseCode": 413}}}
    assert body["statement"] == {
        "regexMatchStatement": {
            "regexString": greater_than_regex(ONE_MIB),
            "fieldToMatch": {"singleHeader": {"name": "content-length"}},
            "textTransformations": [{"priority": 0, "type": "NONE"}],
        }
    }
    (config_map,) = [c for c in plan_of("phase2").of_type(CONFIG_MAP) if c.name.endswith("-api-config")]
    assert config_map.inputs["data"]["MAX_BODY_BYTES"] == str(ONE_MIB)


@pytest.mark.parametrize("stack", PHASES)
def test_the_cdn_acl_keeps_the_core_rule_set_unmodified(stack):
    cdn = _acls(stack)["CLOUDFRONT"]
    assert "MaxRequestBody" not in {r["name"] for r in cdn["rules"]}
    assert "ruleActionOverrides" not in _rule(cdn, CORE_RULE_SET)["statement"]["managedRuleGroupStatement"]
