"""Pricers of security and secrets: KMS keys, Secrets Manager secrets and WAF web ACLs."""

from __future__ import annotations

from infra.offline.cost.context import GLOBAL, _Context, _q
from infra.offline.cost.registry import pricer
from infra.offline.cost.report import LineItem
from infra.offline.harness import RecordedResource
from infra.offline.usage import Usage


@pricer("aws:kms/key:Key", "monthly_requests")
def _kms(ctx: _Context, r: RecordedResource, u: Usage, region: str) -> list[LineItem]:
    requests = u["monthly_requests"]
    return [
        LineItem("KMS key", ctx.rate("kms.key_month", region), region),
        LineItem(
            f"KMS {_q(requests)} requests", requests / 10000 * ctx.rate("kms.ten_thousand_requests", region), region
        ),
    ]


@pricer("aws:secretsmanager/secret:Secret", "monthly_api_calls")
def _secret(ctx: _Context, r: RecordedResource, u: Usage, region: str) -> list[LineItem]:
    calls = u["monthly_api_calls"]
    return [
        LineItem("secret", ctx.rate("secretsmanager.secret_month", region), region),
        LineItem(
            f"{_q(calls)} API calls", calls / 10000 * ctx.rate("secretsmanager.ten_thousand_calls", region), region
        ),
    ]


def _waf_region(r: RecordedResource) -> bool:
    return r.inputs.get("scope") == "CLOUDFRONT"


@pricer("aws:wafv2/webAcl:WebAcl", "monthly_requests")
def _web_acl(ctx: _Context, r: RecordedResource, u: Usage, region: str) -> list[LineItem]:
    """$ per web ACL, per rule (a managed rule group is one rule), per request; managed groups
    with a subscription fee (Bot Control, ATP...) add theirs from the table."""
    region = GLOBAL if _waf_region(r) else region
    price_region = r.region if region == GLOBAL else region
    rules = r.inputs.get("rules") or []
    requests = u["monthly_requests"]
    items = [
        LineItem("web ACL", ctx.rate("waf.web_acl_month", price_region), region),
        LineItem(f"{len(rules)} rules", len(rules) * ctx.rate("waf.rule_month", price_region), region),
        LineItem(f"{_q(requests)} requests", requests / 1e6 * ctx.rate("waf.million_requests", price_region), region),
    ]
    for rule in rules:
        group = (rule.get("statement") or {}).get("managedRuleGroupStatement")
        if group:
            fee = ctx.rate("waf.managed_rule_group_month", price_region, group.get("name"))
            if fee:
                items.append(LineItem(f"managed group {group.get('name')}", fee, region))
    return items
