"""Per-region API alarms on the ALB that the AWS Load Balancer Controller creates for an Ingress.

The controller, not Pulumi, creates the ALB, so its ARN suffix (the ``LoadBalancer`` dimension of
``AWS/ApplicationELB``, ``app/<name>/<id>``) comes from a lookup: :func:`lookup_alb_arn_suffix`
finds the ALB by the tags the controller puts on everything it creates, once the Ingress reports
its hostname. :class:`AlbAlarms` then alarms on what the phase 3 -> 4 cutover watches: target p95
latency against the SPEC's 300 ms, target 5xx rate and unhealthy targets.

AWS constraints relied on:

- The controller tags the ALB ``elbv2.k8s.aws/cluster: <clusterName>`` and
  ``ingress.k8s.aws/stack: <namespace>/<ingress>`` (an Ingress outside any IngressGroup); the
  lookup matches on both, so it never needs the generated ALB name, and the Ingress keeps its ALB
  (naming it with ``alb.ingress.kubernetes.io/load-balancer-name`` would create a new ALB, and a
  new DNS name, for every Ingress already deployed: ELB names cannot be changed).
  https://kubernetes-sigs.github.io/aws-load-balancer-controller/v2.14/guide/ingress/annotations/#resource-tags
- ``TargetResponseTime`` (seconds) and ``HTTPCode_Target_5XX_Count``/``RequestCount`` are published
  per ``LoadBalancer``; ``UnHealthyHostCount`` only per ``TargetGroup, LoadBalancer`` (and per zone),
  and the controller names target groups itself, so that alarm is a Metrics Insights query over
  the ALB's target groups. ALB metrics are only published while there are requests (the host
  counts always, every minute).
  https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-cloudwatch-metrics.html
- An alarm may watch a metric math expression (at most 10 metrics, one period) or a single
  Metrics Insights query returning one aggregated series; Metrics Insights alarms evaluate the
  last 3 hours only and are limited to 200 per account and region.
  https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Create_Metrics_Insights_Alarm.html
  https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarm-limits.html
- Percentile statistics are ``extended_statistic`` (``p95``), exclusive with ``statistic``.
  https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch_concepts.html#Percentiles
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components.base import child_opts, merge_tags

_MAX_ALARM_NAME = 255
_OUTPUTS = ("alarm_names",)


def controller_alb_tags(cluster_name: str, namespace: str, ingress: str) -> dict[str, str]:
    """Tags the Load Balancer Controller puts on the ALB of Ingress ``namespace/ingress``."""
    return {"elbv2.k8s.aws/cluster": cluster_name, "ingress.k8s.aws/stack": f"{namespace}/{ingress}"}


def lookup_alb(
    tags: Mapping[str, str], ready: pulumi.Input[str], parent: pulumi.Resource
) -> pulumi.Output[aws.lb.GetLoadBalancerResult]:
    """The controller's ALB carrying ``tags``, looked up (in ``parent``'s provider) once ``ready`` resolves.

    ``ready`` is the Ingress's status hostname: pulumi-kubernetes resolves it only after the
    controller has provisioned the ALB, so during ``up`` the lookup runs after the ALB exists, and
    in a preview of a new Ingress it stays unknown (whatever uses it then shows as computed).
    The result has the ARN suffix (alarms), the DNS name and canonical hosted zone (``zone_id``,
    DNS aliases).
    """
    lookup_tags = pulumi.Output.from_input(ready).apply(lambda _: dict(tags))
    return aws.lb.get_load_balancer_output(tags=lookup_tags, opts=pulumi.InvokeOutputOptions(parent=parent))


def lookup_alb_arn_suffix(
    tags: Mapping[str, str], ready: pulumi.Input[str], parent: pulumi.Resource
) -> pulumi.Output[str]:
    """ARN suffix of the controller's ALB carrying ``tags`` (see :func:`lookup_alb`)."""
    return lookup_alb(tags, ready, parent).arn_suffix


@dataclass(frozen=True)
class AlbThresholds:
    """Thresholds. Defaults: ``p95_seconds=0.3`` (SPEC §3's API p95 < 300 ms, ALB-to-target time),
    ``error_rate_percent=1.0`` (target 5xx per request), ``unhealthy_hosts=0`` (any unhealthy target
    sustained for 3 minutes pages)."""

    p95_seconds: float = 0.3
    error_rate_percent: float = 1.0
    unhealthy_hosts: float = 0


@dataclass
class AlbAlarmsArgs:
    """Inputs of :class:`AlbAlarms`.

    Attributes:
        name: Physical prefix of the alarm names, e.g. ``acme-prod-use1``.
        label: Which ALB this is, e.g. ``api``; names the alarms (stable, unlike the ARN).
        load_balancer: The ALB's ARN suffix ``app/<name>/<id>`` (see :func:`lookup_alb_arn_suffix`).
        topic_arn: SNS topic notified on alarm and on recovery (same region as the ALB).
        thresholds: Default: ``AlbThresholds()``.
        tags: Extra tags. Default: none.
    """

    name: str
    label: str
    load_balancer: pulumi.Input[str]
    topic_arn: pulumi.Input[str]
    thresholds: AlbThresholds = field(default_factory=AlbThresholds)
    tags: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        longest = f"{self.name}-alb-unhealthy-{self.label}"
        if len(longest) > _MAX_ALARM_NAME:
            raise ValueError(f"alarm name {longest!r} is longer than {_MAX_ALARM_NAME} characters")


def unhealthy_hosts_query(load_balancer: str) -> str:
    """Metrics Insights query: the most unhealthy targets in any target group of ``load_balancer``."""
    return (
        'SELECT MAX(UnHealthyHostCount) FROM SCHEMA("AWS/ApplicationELB", LoadBalancer, TargetGroup) '
        f"WHERE LoadBalancer = '{load_balancer}'"
    )


class AlbAlarms(pulumi.ComponentResource):
    """Latency, 5xx-rate and unhealthy-target alarms on one ALB, notifying the topic both ways.

    Outputs: ``alarm_names``. Alarms are named ``{name}-alb-{p95|5xx|unhealthy}-{label}``; logical
    names are ``{component name}-{p95|5xx|unhealthy}``.
    """

    def __init__(self, name: str, args: AlbAlarmsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("platform:observability:AlbAlarms", name, None, opts)
        self._name, self._args = name, args
        t, lb = args.thresholds, args.load_balancer
        # Latency only exists while requests flow: no traffic is not slow.
        p95 = self._alarm(
            "p95",
            f"target p95 response time above {t.p95_seconds * 1000:g} ms",
            t.p95_seconds,
            "notBreaching",
            namespace="AWS/ApplicationELB",
            metric_name="TargetResponseTime",
            dimensions={"LoadBalancer": lb},
            extended_statistic="p95",
            period=60,
        )
        # Target 5xx per request, in percent; IF() keeps idle minutes (no requests) out of the math.
        errors = self._alarm(
            "5xx",
            f"target 5xx above {t.error_rate_percent:g}% of requests",
            t.error_rate_percent,
            "notBreaching",
            metric_queries=[
                _metric("errors", "HTTPCode_Target_5XX_Count", lb),
                _metric("requests", "RequestCount", lb),
                aws.cloudwatch.MetricAlarmMetricQueryArgs(
                    id="rate",
                    expression="IF(requests > 0, 100 * FILL(errors, 0) / requests)",
                    label="Target 5xx rate (%)",
                    return_data=True,
                ),
            ],
        )
        # The host counts are published every minute per target group, so a gap is a real gap.
        unhealthy = self._alarm(
            "unhealthy",
            "unhealthy targets behind the load balancer",
            t.unhealthy_hosts,
            "missing",
            metric_queries=[
                aws.cloudwatch.MetricAlarmMetricQueryArgs(
                    id="unhealthy",
                    expression=pulumi.Output.from_input(lb).apply(unhealthy_hosts_query),
                    period=60,
                    label="Unhealthy targets (max over target groups)",
                    return_data=True,
                )
            ],
        )
        self.alarms = [p95, errors, unhealthy]
        self.alarm_names = pulumi.Output.all(*[a.name for a in self.alarms])
        self.register_outputs({key: getattr(self, key) for key in _OUTPUTS})

    def _alarm(self, kind: str, summary: str, threshold: float, missing: str, **metric) -> aws.cloudwatch.MetricAlarm:
        """One alarm: 3 of 3 one-minute periods beyond ``threshold``, notifying on alarm and on OK."""
        args = self._args
        physical = f"{args.name}-alb-{kind}-{args.label}"
        return aws.cloudwatch.MetricAlarm(
            f"{self._name}-{kind}",
            name=physical,
            alarm_description=f"{args.label} ALB: {summary}",
            comparison_operator="GreaterThanThreshold",
            threshold=float(threshold),
            evaluation_periods=3,
            datapoints_to_alarm=3,
            treat_missing_data=missing,
            actions_enabled=True,
            alarm_actions=[args.topic_arn],
            ok_actions=[args.topic_arn],
            tags=merge_tags(physical, args.tags),
            opts=child_opts(self),
            **metric,
        )


def _metric(query_id: str, metric_name: str, load_balancer: pulumi.Input[str]):
    """A per-minute Sum of an ``AWS/ApplicationELB`` count, as a (non-returned) math input."""
    return aws.cloudwatch.MetricAlarmMetricQueryArgs(
        id=query_id,
        metric=aws.cloudwatch.MetricAlarmMetricQueryMetricArgs(
            namespace="AWS/ApplicationELB",
            metric_name=metric_name,
            dimensions={"LoadBalancer": load_balancer},
            period=60,
            stat="Sum",
        ),
        return_data=False,
    )
