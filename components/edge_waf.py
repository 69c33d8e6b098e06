"""WAFv2 web ACL for CloudFront: AWS managed rule groups, a per-IP rate limit and encrypted logging."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import pulumi
import pulumi_aws as aws

from components.base import child_opts, merge_tags

#: AWS managed rule groups in evaluation order. IP reputation runs first so known-bad sources are
#: dropped before the costlier request inspection; KnownBadInputs covers Log4Shell and friends.
MANAGED_RULE_GROUPS: tuple[str, ...] = (
    "AWSManagedRulesAmazonIpReputationList",
    "AWSManagedRulesCommonRuleSet",
    "AWSManagedRulesKnownBadInputsRuleSet",
    "AWSManagedRulesSQLiRuleSet",
)

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
        tags: Extra tags. Default: none.
    """

    name: str
    kms_key_arn: pulumi.Input[str]
    rate_limit_per_5min: int = 2000
    log_retention_days: int = 365
    scope: Literal["CLOUDFRONT", "REGIONAL"] = "CLOUDFRONT"
    tags: dict[str, str] = field(default_factory=dict)


def visibility(metric_name: str) -> dict:
    """Visibility config publishing CloudWatch metrics and keeping sampled requests."""
    return {
        "cloudwatch_metrics_enabled": True,
        "metric_name": metric_name,
        "sampled_requests_enabled": True,
    }


def web_acl_rules(name: str, rate_limit_per_5min: int) -> list[dict]:
    """The ACL's rules in priority order: the managed groups, then a per-IP rate-based block.

    Managed groups use ``override_action: none`` so their own block actions apply; the rate rule
    comes last so requests already blocked by a managed group do not count against the limit.
    """
    rules = [
        {
            "name": group,
            "priority": priority,
            "override_action": {"none": {}},
            "statement": {"managed_rule_group_statement": {"name": group, "vendor_name": "AWS"}},
            "visibility_config": visibility(f"{name}-{group}"),
        }
        for priority, group in enumerate(MANAGED_RULE_GROUPS)
    ]
    rules.append(
        {
            "name": "RateLimitPerIp",
            "priority": len(rules),
            "action": {"block": {}},
            "statement": {
                "rate_based_statement": {
                    "aggregate_key_type": "IP",
                    "limit": rate_limit_per_5min,
                    "evaluation_window_sec": 300,
                }
            },
            "visibility_config": visibility(f"{name}-RateLimitPerIp"),
        }
    )
    return rules


class EdgeWaf(pulumi.ComponentResource):
    """A web ACL with AWS managed rules and a per-IP rate limit, with its logging.

    ``scope`` CLOUDFRONT (distributions): the ACL and its log group must live in us-east-1, so
    pass a us-east-1 provider in ``opts``. ``scope`` REGIONAL (load balancers): the provider of
    the load balancer's region. The default action is allow; the rules decide what is blocked.
    """

    web_acl: aws.wafv2.WebAcl
    log_group: aws.cloudwatch.LogGroup
    logging: aws.wafv2.WebAclLoggingConfiguration

    def __init__(self, name: str, args: EdgeWafArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("platform:security:EdgeWaf", name, None, opts)
        self.web_acl = aws.wafv2.WebAcl(
            f"{name}-acl",
            name=args.name,
            description=f"Edge protection for {args.name}",
            scope=args.scope,
            default_action={"allow": {}},
            rules=web_acl_rules(args.name, args.rate_limit_per_5min),
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
            opts=child_opts(self),
        )
        self.logging = aws.wafv2.WebAclLoggingConfiguration(
            f"{name}-logging",
            resource_arn=self.web_acl.arn,
            log_destination_configs=[self.log_group.arn],
            redacted_fields=[{"single_header": {"name": header}} for header in REDACTED_HEADERS],
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
