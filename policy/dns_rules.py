"""Global routing rules: every latency record of the API drops out of DNS when its region is
unhealthy, and someone hears about it.

- A latency record without a health check (and without ``EvaluateTargetHealth`` on its ALB alias)
  stays in answers while its region is down: Route 53 only skips records it knows are unhealthy.
  https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/health-checks-how-route-53-chooses-records.html
- ``HealthCheckStatus`` (namespace ``AWS/Route53``, dimension ``HealthCheckId``) exists only in
  us-east-1: an alarm on it elsewhere never leaves INSUFFICIENT_DATA, so it must be in us-east-1
  and notify someone.
  https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/monitoring-health-checks.html
- ``EvaluateTargetHealth`` cannot be true for an alias to CloudFront (hosted zone ``Z2FDTNDATAQYW2``).
  https://docs.aws.amazon.com/Route53/latest/APIReference/API_AliasTarget.html
"""

from __future__ import annotations

from collections.abc import Sequence

try:  # a package for the tests, flat modules for the policy runtime
    from .graph import StackResource
except ImportError:
    from graph import StackResource

RECORD = "aws:route53/record:Record"
HEALTH_CHECK = "aws:route53/healthCheck:HealthCheck"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
METRICS_REGION = "us-east-1"
CLOUDFRONT_ZONE_ID = "Z2FDTNDATAQYW2"


def _links(resource: StackResource, key: str) -> set[str]:
    """URNs whose outputs flowed into input ``key`` (all dependencies when not recorded per input)."""
    linked = resource.property_dependencies.get(key)
    return set(linked) if linked else set(resource.dependencies)


def dns_health_checks(resources: Sequence[StackResource]) -> list[tuple[str, str]]:
    """Latency records carry a health check (and evaluate their alias's health); every health
    check has a us-east-1 ``HealthCheckStatus`` alarm with an action; CloudFront aliases do not
    evaluate target health."""
    checks = {r.urn for r in resources if r.type == HEALTH_CHECK}
    found: list[tuple[str, str]] = []
    for record in (r for r in resources if r.type == RECORD):
        aliases = record.props.get("aliases") or []
        if any(a.get("zoneId") == CLOUDFRONT_ZONE_ID and a.get("evaluateTargetHealth") for a in aliases):
            found.append((record.urn, "an alias to CloudFront cannot evaluate target health (AWS refuses it)"))
        if not record.props.get("latencyRoutingPolicies"):
            continue
        linked = _links(record, "healthCheckId") & checks
        if not record.props.get("healthCheckId") and not linked:
            found.append(
                (record.urn, "latency record without a health check: it stays in answers while its region is down")
            )
        if aliases and not all(a.get("evaluateTargetHealth") for a in aliases):
            found.append((record.urn, "latency alias must evaluate target health (an ALB without healthy targets)"))
    alarms = [
        r
        for r in resources
        if r.type == ALARM
        and r.props.get("namespace") == "AWS/Route53"
        and r.props.get("metricName") == "HealthCheckStatus"
    ]
    for urn in sorted(checks):
        watching = [a for a in alarms if urn in _links(a, "dimensions")]
        if not watching:
            found.append((urn, "health check without a HealthCheckStatus alarm"))
            continue
        for alarm in watching:
            if alarm.region and alarm.region != METRICS_REGION:
                found.append(
                    (alarm.urn, f"HealthCheckStatus exists only in {METRICS_REGION}; this alarm is in {alarm.region}")
                )
            if not alarm.props.get("alarmActions"):
                found.append((alarm.urn, "health-check alarm notifies nobody (no alarm actions)"))
    return found
