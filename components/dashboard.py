"""CloudWatch dashboard JSON for a region's monitoring: a row of widgets per kind of target.

Kept apart from :mod:`components.monitoring` (which owns the dashboard resource) as pure functions.
Widget JSON: https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/CloudWatch-Dashboard-Body-Structure.html
(``metrics`` entries are ``[namespace, metric, dimension, value, ...]`` arrays or
``{"expression": ...}`` objects; a Metrics Insights query is such an expression).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from components.alb_alarms import unhealthy_hosts_query


@dataclass(frozen=True)
class _Row:
    """One dashboard row: a widget per ``(metric, statistic)``, a line per target."""

    title: str
    namespace: str
    dimension: str
    metrics: tuple[tuple[str, str], ...]
    extra_dimensions: tuple[str, ...] = ()
    region: str | None = None


_ROWS = (
    _Row("Database", "AWS/RDS", "DBInstanceIdentifier", (("CPUUtilization", "Average"),
         ("DatabaseConnections", "Average"), ("FreeStorageSpace", "Minimum"), ("ReplicaLag", "Maximum"))),
    _Row("Cache", "AWS/ElastiCache", "CacheClusterId", (("EngineCPUUtilization", "Average"),
         ("DatabaseMemoryUsagePercentage", "Average"), ("Evictions", "Sum"))),
    _Row("Queue", "AWS/SQS", "QueueName", (("ApproximateAgeOfOldestMessage", "Maximum"),
         ("ApproximateNumberOfMessagesVisible", "Maximum"))),
    _Row("Dead-letter queue", "AWS/SQS", "QueueName", (("ApproximateNumberOfMessagesVisible", "Maximum"),)),
    # CloudFront metrics exist only in us-east-1, whatever region the dashboard is viewed from.
    _Row("CDN", "AWS/CloudFront", "DistributionId", (("5xxErrorRate", "Average"), ("Requests", "Sum")),
         ("Region", "Global"), "us-east-1"),
    _Row("Events", "AWS/SNS", "TopicName", (("NumberOfMessagesPublished", "Sum"),
         ("NumberOfNotificationsFailed", "Sum"))),
    _Row("Stream", "AWS/Kinesis", "StreamName", (("IncomingRecords", "Sum"),
         ("GetRecords.IteratorAgeMilliseconds", "Maximum"), ("WriteProvisionedThroughputExceeded", "Sum"))),
)  # fmt: skip
#: OpenSearch metrics carry the domain and the owning account (``ClientId``) as dimensions
#: (https://docs.aws.amazon.com/opensearch-service/latest/developerguide/managedomains-cloudwatchmetrics.html).
_SEARCH_METRICS = (("ClusterStatus.red", "Maximum"), ("FreeStorageSpace", "Minimum"),
                   ("JVMMemoryPressure", "Maximum"), ("CPUUtilization", "Average"))  # fmt: skip


def _alb_widgets(load_balancers: Sequence[tuple[str, str]]) -> list[tuple[str, str | None, list]]:
    """The ALB row: (title, statistic, metrics) per widget, a line per ``(label, arn_suffix)``.

    The same three views as :class:`components.alb_alarms.AlbAlarms` alarms on.
    """
    ns = "AWS/ApplicationELB"
    p95 = [[ns, "TargetResponseTime", "LoadBalancer", lb, {"label": label}] for label, lb in load_balancers]
    rates: list = []
    unhealthy: list = []
    for i, (label, lb) in enumerate(load_balancers):
        rates += [
            [ns, "HTTPCode_Target_5XX_Count", "LoadBalancer", lb, {"id": f"e{i}", "stat": "Sum", "visible": False}],
            [ns, "RequestCount", "LoadBalancer", lb, {"id": f"r{i}", "stat": "Sum", "visible": False}],
            [{"expression": f"IF(r{i} > 0, 100 * FILL(e{i}, 0) / r{i})", "id": f"rate{i}", "label": label}],
        ]
        unhealthy.append([{"expression": unhealthy_hosts_query(lb), "id": f"u{i}", "label": label, "period": 60}])
    return [
        ("ALB: target p95 response time (s)", "p95", p95),
        ("ALB: target 5xx rate (%)", None, rates),
        ("ALB: unhealthy targets", None, unhealthy),
    ]


def dashboard_body(
    region: str,
    db_ids: list[str],
    cache_nodes: list[str],
    queues: list[str],
    dlqs: list[str],
    distributions: list[str],
    load_balancers: Sequence[tuple[str, str]] = (),
    topics: Sequence[str] = (),
    streams: Sequence[str] = (),
    search_domains: Sequence[str] = (),
    account_id: str = "",
) -> str:
    """CloudWatch dashboard JSON: one row of 6-unit-high widgets per kind of target present.

    ``load_balancers`` are ``(label, arn_suffix)`` pairs; their row comes first (the cutover
    watches it). ``topics``, ``streams`` and ``search_domains`` are physical names; the search row
    needs ``account_id`` (its ``ClientId`` dimension).
    """
    groups = (db_ids, cache_nodes, queues, dlqs, distributions, topics, streams)
    rows: list[list[tuple[str, str | None, list, str]]] = []
    if load_balancers:
        rows.append([(title, stat, lines, region) for title, stat, lines in _alb_widgets(load_balancers)])
    if search_domains:
        rows.append(
            [
                (
                    f"Search: {metric}",
                    stat,
                    [["AWS/ES", metric, "DomainName", d, "ClientId", account_id] for d in search_domains],
                    region,
                )
                for metric, stat in _SEARCH_METRICS
            ]
        )
    for row, targets in zip(_ROWS, groups, strict=True):
        if targets:
            rows.append(
                [
                    (
                        f"{row.title}: {metric}",
                        stat,
                        [[row.namespace, metric, row.dimension, t, *row.extra_dimensions] for t in targets],
                        row.region or region,
                    )
                    for metric, stat in row.metrics
                ]
            )
    widgets = []
    for y, row_widgets in enumerate(rows):
        width = 24 // len(row_widgets)
        for x, (title, stat, lines, widget_region) in enumerate(row_widgets):
            properties = {
                "title": title,
                "region": widget_region,
                "period": 300,
                "view": "timeSeries",
                "stacked": False,
                "metrics": lines,
            }
            if stat:
                properties["stat"] = stat
            widgets.append(
                {"type": "metric", "x": x * width, "y": y * 6, "width": width, "height": 6, "properties": properties}
            )
    return json.dumps({"widgets": widgets}, sort_keys=True)
