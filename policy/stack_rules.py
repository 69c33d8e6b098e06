"""Every cross-resource rule, by name: plain functions of the stack's resources returning
``(urn, message)`` violations, run by the tests over the offline plans and by ``pack.py`` as
CrossGuard stack policies over a real preview."""

from __future__ import annotations

try:  # a package for the tests, flat modules for the policy runtime
    from .alert_rules import eventbridge_sns_targets
    from .database_rules import replica_connections, replica_topology
    from .dns_rules import dns_health_checks
    from .edge_rules import cdn_access_log_violations, origin_group_violations
    from .event_rules import sns_sqs_delivery
    from .graph import StackResource
    from .network_rules import BUCKET_ENCRYPTION, FLOW_LOG, LOG_GROUP, VPC, flow_log_violations
except ImportError:
    from alert_rules import eventbridge_sns_targets
    from database_rules import replica_connections, replica_topology
    from dns_rules import dns_health_checks
    from edge_rules import cdn_access_log_violations, origin_group_violations
    from event_rules import sns_sqs_delivery
    from graph import StackResource
    from network_rules import BUCKET_ENCRYPTION, FLOW_LOG, LOG_GROUP, VPC, flow_log_violations

__all__ = [
    "BUCKET_ENCRYPTION",
    "FLOW_LOG",
    "LOG_GROUP",
    "STACK_RULES",
    "VPC",
    "StackResource",
    "dns_health_checks",
    "cdn_access_log_violations",
    "eventbridge_sns_targets",
    "flow_log_violations",
    "origin_group_violations",
    "replica_connections",
    "replica_topology",
    "sns_sqs_delivery",
]

#: (name, description, rule) of every cross-resource rule.
STACK_RULES = (
    (
        "eventbridge-can-publish-to-sns",
        "EventBridge targets on our SNS topics are allowed by the topic policy and the topic's key.",
        eventbridge_sns_targets,
    ),
    (
        "sns-can-deliver-to-sqs",
        "Every SQS subscription's queue and DLQ let SNS deliver from the topic (queue policy, queue key).",
        sns_sqs_delivery,
    ),
    (
        "vpc-flow-logs-encrypted",
        "Every VPC has a flow log of ALL traffic into a KMS-encrypted destination (FSBP EC2.6).",
        flow_log_violations,
    ),
    (
        "rds-replica-topology",
        "Replicas have a source RDS accepts (no managed password, <= 15 per source, <= 5 cross-region, "
        "keys only across regions, backups on cascade heads, chains of at most four).",
        replica_topology,
    ),
    (
        "rds-replica-max-connections",
        "Every replica pins max_connections at least as high as its source.",
        replica_connections,
    ),
    (
        "dns-latency-records-health-checked",
        "Every latency record of the API has a health check and evaluates its ALB's health; every health "
        "check has a HealthCheckStatus alarm in us-east-1 that notifies; CloudFront aliases evaluate no health.",
        dns_health_checks,
    ),
    (
        "cloudfront-logging-v2",
        "Every distribution delivers access logs through standard logging v2 (a us-east-1 delivery source).",
        cdn_access_log_violations,
    ),
    (
        "cloudfront-origin-group-readable",
        "Every origin-group member has origin access control and a bucket policy letting the distribution read.",
        origin_group_violations,
    ),
)
