"""WAFv2 web ACLs (CloudFront or regional): AWS managed rule groups, an optional request body
limit, a per-IP rate limit and encrypted logging.

AWS constraints relied on:

- Capacity: the ACL's rules stay within the 1,500 WCUs the base price covers (5,000 at most,
  each further 500 charged): https://aws.amazon.com/about-aws/whats-new/2023/04/aws-waf-web-acl-capacity-units-limits/
  and https://docs.aws.amazon.com/waf/latest/developerguide/aws-waf-capacity-units.html.
  :func:`web_acl_capacity` adds them up and the component refuses more. Managed groups have a
  fixed capacity (CRS 700, KnownBadInputs and SQLi 200, IP reputation 25; overriding a rule's
  action does not change it): https://docs.aws.amazon.com/waf/latest/developerguide/aws-managed-rule-groups-baseline.html,
  https://docs.aws.amazon.com/waf/latest/developerguide/aws-managed-rule-groups-use-case.html,
  https://docs.aws.amazon.com/waf/latest/developerguide/aws-managed-rule-groups-ip-rep.html.
- The anonymous IP list group (``AWSManagedRulesAnonymousIpList``, 50 WCUs, same page) has two
  rules, ``AnonymousIPList`` (VPNs, Tor, proxies) and ``HostingProviderIPList`` (cloud hosting),
  both Block by default, and labels what they match
  (``awswaf:managed:aws:anonymous-ip-list:<rule>``). With ``anonymous_ip`` both are overridden to
  Count: see :data:`ANONYMOUS_IP_GROUP` for why.
  A rate-based rule costs 2, a regex match 3, a size constraint 1, plus 10 per text
  transformation: https://docs.aws.amazon.com/waf/latest/developerguide/waf-rule-statements-match.html,
  https://docs.aws.amazon.com/waf/latest/developerguide/waf-rule-statement-type-rate-based.html.
- The Core Rule Set's ``SizeRestrictions_BODY`` blocks (403 by default) every body over 8 KB
  (8,192 bytes), a size fixed in the rule whatever the resource's inspection limit. With
  ``max_body_bytes`` it is overridden to Count (``rule_action_overrides``, the documented way to
  change one rule of a managed group) and :mod:`components.waf_body` enforces the configured limit
  instead, answering 413: https://docs.aws.amazon.com/waf/latest/developerguide/aws-managed-rule-groups-baseline.html,
  https://docs.aws.amazon.com/waf/latest/APIReference/API_RuleActionOverride.html,
  https://docs.aws.amazon.com/waf/latest/developerguide/customizing-the-response-status-codes.html.
  The CRS's other body rules still inspect only the first 8 KB of a load balancer's requests.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import pulumi
import pulumi_aws as aws

from components.base import child_opts, merge_tags, stateful_opts
from components.waf_body import body_limit_statement

#: AWS managed rule groups in evaluation order, with their fixed capacity in WCUs. IP reputation
#: runs first so known-bad sources are dropped before the costlier request inspection;
#: KnownBadInputs covers Log4Shell and friends.
MANAGED_RULE_GROUPS: dict[str, int] = {
    "AWSManagedRulesAmazonIpReputationList": 25,
    "AWSManagedRulesCommonRuleSet": 700,
    "AWSManagedRulesKnownBadInputsRuleSet": 200,
    "AWSManagedRulesSQLiRuleSet": 200,
}

#: The anonymous IP list group, its capacity and rules. Counted, not blocked, on the CDN's ACL:
#: VPN, privacy-proxy and Tor users are legitimate users of a consumer app, and
#: the link-preview bots that fetch shared images run on cloud hosting; blocking either breaks
#: real traffic, while Count gives per-rule metrics and labels in the WAF log to decide on
#: (e.g. a tighter rate limit for labelled requests) with data. 50 WCUs: the CDN ACL stays at
#: 1,177 of the 1,500 priced in.
ANONYMOUS_IP_GROUP = "AWSManagedRulesAnonymousIpList"
ANONYMOUS_IP_WCU = 50
ANONYMOUS_IP_RULES = ("AnonymousIPList", "HostingProviderIPList")

#: The Core Rule Set and its rule that blocks every body over 8 KB.
CORE_RULE_SET = "AWSManagedRulesCommonRuleSet"
CRS_BODY_SIZE_RULE = "SizeRestrictions_BODY"

#: WCUs the base price of a web ACL covers.
PRICED_CAPACITY_WCU = 1500

#: Base WCUs of the statements this module writes, before text transformations.
STATEMENT_WCU = {"rate_based_statement": 2, "regex_match_statement": 3, "size_constraint_statement": 1}
TEXT_TRANSFORMATION_WCU = 10

#: Headers that carry credentials; WAF logs must never store them.
REDACTED_HEADERS: tuple[str, ...] = ("authorization", "cookie")

#: WAF only delivers to CloudWatch log groups whose name starts with this prefix.
LOG_GROUP_PREFIX = "aws-waf-logs-"


@dataclass
class EdgeWafArgs:
    """Inputs of :class:`EdgeWaf`.

    Attributes:
        name: Physical name of the web ACL; also the base of its metric names and of the log
            group ``aws-waf-logs-{name}``.
        kms_key_arn: Customer-managed key encrypting the WAF log group. The caller must grant
            ``logs.us-east-1.amazonaws.com`` use of it in the key policy (CloudWatch Logs checks
            the key when the group is created), e.g. with a ``ServiceGrant`` on ``KmsKey``.
        rate_limit_per_5min: Requests a single client IP may send in any 5-minute window before
            it is blocked. Default: 2000.
        log_retention_days: Retention of the WAF log group. Default: 365 (one year of audit).
        scope: ``CLOUDFRONT`` (for distributions; us-east-1 only) or ``REGIONAL`` (for load
            balancers in the provider's region). Default: ``CLOUDFRONT``.
        max_body_bytes: Largest request body allowed, in bytes. When set, the Core Rule Set's
            fixed 8 KB ``SizeRestrictions_BODY`` only counts and the rule ``MaxRequestBody``
            answers 413 above this limit instead (see :mod:`components.waf_body` for what WAF
            can and cannot see). Default: none (the CRS's 8 KB block applies).
        anonymous_ip: Add the anonymous IP list group after IP reputation, its rules set to Count
            (see :data:`ANONYMOUS_IP_GROUP`). Default: off.
        log_allowed_requests: Log every request. Default: off — only requests a rule blocked,
            counted, challenged or excluded as count are kept (:data:`LOGGED_ACTIONS`): allowed
            traffic is already in the ALB/CloudFront access and application logs, and logging it
            here too was the largest log bill of every phase (docs/architecture.md, cost).
        tags: Extra tags. Default: none.
    """

    name: str
    kms_key_arn: pulumi.Input[str]
    rate_limit_per_5min: int = 2000
    log_retention_days: int = 365
    scope: Literal["CLOUDFRONT", "REGIONAL"] = "CLOUDFRONT"
    max_body_bytes: int | None = None
    anonymous_ip: bool = False
    log_allowed_requests: bool = False
    tags: dict[str, str] = field(default_factory=dict)


#: Actions whose requests the WAF log keeps by default: everything a rule acted on, not ALLOW.
#: ``EXCLUDED_AS_COUNT`` matches rules overridden to Count inside managed groups (the CRS body rule,
#: the anonymous-IP list). Values and semantics:
#: https://docs.aws.amazon.com/waf/latest/APIReference/API_ActionCondition.html
LOGGED_ACTIONS = ("BLOCK", "COUNT", "CAPTCHA", "CHALLENGE", "EXCLUDED_AS_COUNT")


def logging_filter() -> dict:
    """A WAF logging filter keeping the requests of :data:`LOGGED_ACTIONS` and dropping the rest
    (https://docs.aws.amazon.com/waf/latest/APIReference/API_LoggingFilter.html: a default
    behaviour and at least one filter, each with at least one condition, are required)."""
    return {
        "default_behavior": "DROP",
        "filters": [
            {
                "behavior": "KEEP",
                "requirement": "MEETS_ANY",
                "conditions": [{"action_condition": {"action": action}} for action in LOGGED_ACTIONS],
            }
        ],
    }


def visibility(metric_name: str) -> dict:
    """Visibility config publishing CloudWatch metrics and keeping sampled requests."""
    return {
        "cloudwatch_metrics_enabled": True,
        "metric_name": metric_name,
        "sampled_requests_enabled": True,
    }


def _managed_group(group: str, max_body_bytes: int | None) -> dict:
    """A managed group statement; with a body limit of our own, the CRS's 8 KB rule only counts."""
    statement = {"name": group, "vendor_name": "AWS"}
    if group == CORE_RULE_SET and max_body_bytes is not None:
        statement["rule_action_overrides"] = [{"name": CRS_BODY_SIZE_RULE, "action_to_use": {"count": {}}}]
    if group == ANONYMOUS_IP_GROUP:
        statement["rule_action_overrides"] = [{"name": r, "action_to_use": {"count": {}}} for r in ANONYMOUS_IP_RULES]
    return {"managed_rule_group_statement": statement}


def web_acl_rules(
    name: str, rate_limit_per_5min: int, max_body_bytes: int | None = None, anonymous_ip: bool = False
) -> list[dict]:
    """The ACL's rules in priority order: the body limit (if any), the managed groups, then a
    per-IP rate-based block.

    The body limit comes first so an oversize request is refused with a 413 that says why, before
    any content inspection. Managed groups use ``override_action: none`` so their own block
    actions apply; the rate rule comes last so requests already blocked do not count against it.
    """
    rules = []
    if max_body_bytes is not None:
        rules.append(
            {
                "name": "MaxRequestBody",
                "action": {"block": {"custom_response": {"response_code": 413}}},
                "statement": body_limit_statement(max_body_bytes),
            }
        )
    groups = list(MANAGED_RULE_GROUPS)
    if anonymous_ip:
        groups.insert(1, ANONYMOUS_IP_GROUP)
    rules += [
        {
            "name": group,
            "override_action": {"none": {}},
            "statement": _managed_group(group, max_body_bytes),
        }
        for group in groups
    ]
    rules.append(
        {
            "name": "RateLimitPerIp",
            "action": {"block": {}},
            "statement": {
                "rate_based_statement": {
                    "aggregate_key_type": "IP",
                    "limit": rate_limit_per_5min,
                    "evaluation_window_sec": 300,
                }
            },
        }
    )
    return [
        {**rule, "priority": priority, "visibility_config": visibility(f"{name}-{rule['name']}")}
        for priority, rule in enumerate(rules)
    ]


def web_acl_capacity(rules: list[dict]) -> int:
    """The WCUs ``rules`` need, from the documented costs (text transformations counted at 10
    each, NONE included, so the estimate errs high). Refuses statements it has no cost for."""
    total = 0
    for rule in rules:
        ((kind, statement),) = rule["statement"].items()
        if kind == "managed_rule_group_statement":
            total += {**MANAGED_RULE_GROUPS, ANONYMOUS_IP_GROUP: ANONYMOUS_IP_WCU}[statement["name"]]
        elif kind in STATEMENT_WCU:
            transformations = statement.get("text_transformations", [])
            total += STATEMENT_WCU[kind] + TEXT_TRANSFORMATION_WCU * len(transformations)
        else:
            raise ValueError(f"no documented WCU cost for {kind} (rule {rule['name']})")
    return total


class EdgeWaf(pulumi.ComponentResource):
    """A web ACL with AWS managed rules, an optional body limit and a per-IP rate limit, with its
    logging.

    ``scope`` CLOUDFRONT (distributions): the ACL and its log group must live in us-east-1, so
    pass a us-east-1 provider in ``opts``. ``scope`` REGIONAL (load balancers): the provider of
    the load balancer's region. The default action is allow; the rules decide what is blocked.
    """

    web_acl: aws.wafv2.WebAcl
    log_group: aws.cloudwatch.LogGroup
    logging: aws.wafv2.WebAclLoggingConfiguration

    def __init__(self, name: str, args: EdgeWafArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("platform:security:EdgeWaf", name, None, opts)
        rules = web_acl_rules(args.name, args.rate_limit_per_5min, args.max_body_bytes, args.anonymous_ip)
        capacity = web_acl_capacity(rules)
        if capacity > PRICED_CAPACITY_WCU:
            raise ValueError(f"web ACL {args.name} needs {capacity} WCUs, over the {PRICED_CAPACITY_WCU} priced in")
        self.web_acl = aws.wafv2.WebAcl(
            f"{name}-acl",
            name=args.name,
            description=f"Edge protection for {args.name}",
            scope=args.scope,
            default_action={"allow": {}},
            rules=rules,
            visibility_config=visibility(args.name),
            tags=merge_tags(args.name, args.tags),
            opts=child_opts(self),
        )
        log_group_name = f"{LOG_GROUP_PREFIX}{args.name}"
        self.log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs",
            name=log_group_name,
            retention_in_days=args.log_retention_days,
            kms_key_id=args.kms_key_arn,
            tags=merge_tags(log_group_name, args.tags),
            deletion_protection_enabled=True,
            opts=stateful_opts(self),
        )
        self.logging = aws.wafv2.WebAclLoggingConfiguration(
            f"{name}-logging",
            resource_arn=self.web_acl.arn,
            log_destination_configs=[self.log_group.arn],
            redacted_fields=[{"single_header": {"name": header}} for header in REDACTED_HEADERS],
            logging_filter=None if args.log_allowed_requests else logging_filter(),
            opts=child_opts(self),
        )
        self.web_acl_arn = self.web_acl.arn
        self.web_acl_id = self.web_acl.id
        self.log_group_name = self.log_group.name
        self.register_outputs(
            {
                "web_acl_arn": self.web_acl_arn,
                "web_acl_id": self.web_acl_id,
                "log_group_name": self.log_group_name,
            }
        )
