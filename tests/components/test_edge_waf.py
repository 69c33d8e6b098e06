"""EdgeWaf's request body limit: the Content-Length regex, the rule it builds and the ACL's capacity."""

from __future__ import annotations

import re

import pulumi
import pulumi_aws as aws
import pytest
from hypothesis import given
from hypothesis import strategies as st

import components.edge_waf as edge_waf
from components.edge_waf import (
    CORE_RULE_SET,
    PRICED_CAPACITY_WCU,
    EdgeWaf,
    EdgeWafArgs,
    web_acl_capacity,
    web_acl_rules,
)
from components.waf_body import (
    BODY_INSPECTION_LIMIT_BYTES,
    MAX_REGEX_LENGTH,
    body_limit_statement,
    greater_than_regex,
)
from tests.readable import run_program

WEB_ACL = "aws:wafv2/webAcl:WebAcl"
KEY_ARN = "arn:aws:kms:us-east-1:111122223333:key/waf"
ASCII_BLANKS = " \t\n\r\f\v"
#: The config's largest limit, 10240 KiB, has 8 digits; cover every limit with up to 9.
CONFIG_LIMITS = st.integers(min_value=0, max_value=10**9 - 1)


def _matches(limit: int, text: str) -> bool:
    """How WAF applies a regex match statement: a match anywhere in the field (PCRE is ASCII)."""
    return re.search(greater_than_regex(limit), text, re.ASCII) is not None


@given(st.integers(min_value=0, max_value=10**12), st.integers(min_value=0, max_value=10**13))
def test_the_regex_matches_exactly_the_integers_above_the_limit(limit, value):
    assert _matches(limit, str(value)) == (value > limit)


@given(st.integers(min_value=0, max_value=10**12), st.integers(min_value=-3, max_value=3))
def test_the_regex_is_exact_at_the_boundary(limit, offset):
    value = max(limit + offset, 0)
    assert _matches(limit, str(value)) == (value > limit)


@given(
    CONFIG_LIMITS,
    st.integers(min_value=0, max_value=10**10),
    st.integers(min_value=0, max_value=5),
    st.text(alphabet=" \t", max_size=3),
    st.text(alphabet=" \t", max_size=3),
)
def test_zero_padding_and_surrounding_blanks_do_not_change_the_value(limit, value, zeros, before, after):
    assert _matches(limit, f"{before}{'0' * zeros}{value}{after}") == (value > limit)


@given(CONFIG_LIMITS, st.text(alphabet="0123456789 \t+-.,exX", max_size=14))
def test_anything_but_a_plain_decimal_never_matches(limit, text):
    stripped = text.strip(ASCII_BLANKS)
    is_decimal = stripped.isascii() and stripped.isdigit()
    assert _matches(limit, text) == (is_decimal and int(stripped) > limit)


@given(CONFIG_LIMITS)
def test_the_regex_fits_waf_length_quota_and_syntax(limit):
    regex = greater_than_regex(limit)
    assert len(regex) <= MAX_REGEX_LENGTH
    # WAF refuses capturing groups, atomic groups and possessive quantifiers.
    assert all(regex[i + 1 : i + 3] == "?:" for i, char in enumerate(regex) if char == "(")
    assert "(?>" not in regex and not re.search(r"[*+?}]\+", regex)
    assert regex.count("|") < 10  # "a large number of | branches" is refused
    assert regex.startswith("^") and regex.endswith("$")


def test_a_negative_limit_is_refused():
    with pytest.raises(ValueError, match="non-negative"):
        greater_than_regex(-1)


@given(st.integers(min_value=1, max_value=BODY_INSPECTION_LIMIT_BYTES))
def test_up_to_8_kb_a_body_size_constraint_matches_oversize_bodies(limit):
    assert body_limit_statement(limit) == {
        "size_constraint_statement": {
            "comparison_operator": "GT",
            "size": limit,
            "field_to_match": {"body": {"oversize_handling": "MATCH"}},
            "text_transformations": [{"priority": 0, "type": "NONE"}],
        }
    }


@given(st.integers(min_value=BODY_INSPECTION_LIMIT_BYTES + 1, max_value=10240 * 1024))
def test_above_8_kb_the_declared_content_length_is_compared(limit):
    # A size constraint cannot see past the ALB's 8 KB: MATCH would block 8 KB, NO_MATCH nothing.
    (statement,) = body_limit_statement(limit).values()
    assert statement == {
        "regex_string": greater_than_regex(limit),
        "field_to_match": {"single_header": {"name": "content-length"}},
        "text_transformations": [{"priority": 0, "type": "NONE"}],
    }


def test_a_body_limit_below_one_byte_is_refused():
    with pytest.raises(ValueError, match="at least 1"):
        body_limit_statement(0)


def _groups(rules: list[dict]) -> dict[str, dict]:
    return {
        r["name"]: r["statement"]["managed_rule_group_statement"]
        for r in rules
        if "managed_rule_group_statement" in r["statement"]
    }


def test_without_a_body_limit_the_core_rule_set_is_unmodified():
    rules = web_acl_rules("edge", 2000)
    assert [r["name"] for r in rules][0] == "AWSManagedRulesAmazonIpReputationList"
    assert all("rule_action_overrides" not in g for g in _groups(rules).values())
    assert web_acl_capacity(rules) == 25 + 700 + 200 + 200 + 2


def test_with_a_body_limit_it_runs_first_and_the_crs_size_rule_only_counts():
    rules = web_acl_rules("api", 2000, max_body_bytes=1024 * 1024)
    assert [r["priority"] for r in rules] == list(range(6))
    body = rules[0]
    assert body["name"] == "MaxRequestBody"
    assert body["action"] == {"block": {"custom_response": {"response_code": 413}}}
    assert body["statement"] == body_limit_statement(1024 * 1024)
    assert body["visibility_config"]["metric_name"] == "api-MaxRequestBody"
    groups = _groups(rules)
    assert groups[CORE_RULE_SET]["rule_action_overrides"] == [
        {"name": "SizeRestrictions_BODY", "action_to_use": {"count": {}}}
    ]
    assert all("rule_action_overrides" not in g for name, g in groups.items() if name != CORE_RULE_SET)
    assert rules[-1]["name"] == "RateLimitPerIp"


@given(st.integers(min_value=1, max_value=10240 * 1024))
def test_every_configurable_body_limit_keeps_the_acl_within_the_priced_capacity(limit):
    capacity = web_acl_capacity(web_acl_rules("api", 2000, max_body_bytes=limit))
    # 1127 for the groups and the rate rule; a regex costs 3, a size constraint 1, +10 for NONE.
    assert capacity == 1127 + (11 if limit <= BODY_INSPECTION_LIMIT_BYTES else 13)
    assert capacity <= PRICED_CAPACITY_WCU


def test_capacity_refuses_a_statement_it_has_no_documented_cost_for():
    rule = {"name": "Geo", "statement": {"geo_match_statement": {"country_codes": ["US"]}}}
    with pytest.raises(ValueError, match="no documented WCU cost for geo_match_statement"):
        web_acl_capacity([rule])


def _regional_program(max_body_bytes: int | None, log_allowed_requests: bool = False):
    def program():
        provider = aws.Provider("use1", region="us-east-1")
        args = EdgeWafArgs(
            name="acme-prod-use1-api",
            kms_key_arn=KEY_ARN,
            scope="REGIONAL",
            max_body_bytes=max_body_bytes,
            log_allowed_requests=log_allowed_requests,
        )
        EdgeWaf("api-waf", args, opts=pulumi.ResourceOptions(provider=provider))

    return program


def test_the_regional_acl_registers_the_override_and_the_body_rule():
    (acl,) = run_program(_regional_program(64 * 1024)).of_type(WEB_ACL)
    assert acl.inputs["scope"] == "REGIONAL"
    rules = {r["name"]: r for r in acl.inputs["rules"]}
    crs = rules[CORE_RULE_SET]["statement"]["managedRuleGroupStatement"]
    assert crs["ruleActionOverrides"] == [{"name": "SizeRestrictions_BODY", "actionToUse": {"count": {}}}]
    body = rules["MaxRequestBody"]
    assert body["priority"] == 0
    assert body["action"] == {"block": {"customResponse": {"responseCode": 413}}}
    regex = body["statement"]["regexMatchStatement"]
    assert regex["fieldToMatch"] == {"singleHeader": {"name": "content-length"}}
    assert regex["regexString"] == greater_than_regex(64 * 1024)


def test_an_acl_over_the_priced_capacity_is_refused(monkeypatch):
    monkeypatch.setitem(edge_waf.MANAGED_RULE_GROUPS, CORE_RULE_SET, 1400)
    with pytest.raises(ValueError, match="needs 1827 WCUs, over the 1500"):
        run_program(_regional_program(None))


LOGGING = "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration"


def test_the_log_keeps_what_a_rule_acted_on_and_drops_allowed_requests():
    (logging,) = run_program(_regional_program(None)).of_type(LOGGING)
    log_filter = logging.inputs["loggingFilter"]
    assert log_filter["defaultBehavior"] == "DROP"
    (keep,) = log_filter["filters"]
    assert keep["behavior"] == "KEEP" and keep["requirement"] == "MEETS_ANY"
    actions = {c["actionCondition"]["action"] for c in keep["conditions"]}
    # Every action WAF documents except ALLOW (API_ActionCondition).
    assert actions == {"BLOCK", "COUNT", "CAPTCHA", "CHALLENGE", "EXCLUDED_AS_COUNT"}


def test_logging_every_request_is_an_opt_in():
    (logging,) = run_program(_regional_program(None, log_allowed_requests=True)).of_type(LOGGING)
    assert "loggingFilter" not in logging.inputs
