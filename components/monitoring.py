"""Regional alerting: an encrypted SNS topic, CloudWatch alarms, RDS events, application log
groups, a dashboard.

One instance per region: a CloudWatch alarm can only notify an SNS topic in its own region, so the
caller creates one per regional cell, plus one in us-east-1 for CloudFront (whose metrics exist
only there).

AWS constraints relied on:

- Storage autoscaling grows an instance once free space is at most 10% of its allocation for
  5 minutes (then waits at least 6 hours), and the allocation never shrinks below the initial
  one; so free space below a floor under 10% of the *initial* allocation means autoscaling has
  already acted and not (yet) helped. That floor is the free-storage alarm; nearing
  ``max_allocated_storage`` and blocked autoscaling come as RDS events (:mod:`components.db_events`).
  https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_PIOPS.Autoscaling.html
- The topic policy lets ``cloudwatch.amazonaws.com`` publish only for our alarms, and, when RDS
  events are routed here, ``events.amazonaws.com`` without a Condition block (EventBridge does
  not support one in SNS topic policies); the key policy must grant both services
  ``kms:GenerateDataKey*`` and ``kms:Decrypt`` (the caller's ``KmsKey``).
  https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html
  https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html#eb-sns-permissions
  https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services
- Alarm names: at most 255 characters.
  https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components.alb_alarms import AlbAlarms, AlbAlarmsArgs, AlbThresholds
from components.base import YEAR_LOG_RETENTION_DAYS, child_opts, merge_tags, stateful_opts
from components.dashboard import dashboard_body
from components.db_events import DbEvents, DbEventsArgs

_MAX_ALARM_NAME = 255
_GIB = 1024**3
_OUTPUTS = ("topic_arn", "alarm_names", "dashboard_name", "log_group_names")


@dataclass(frozen=True)
class AlarmThresholds:
    """Alarm thresholds; every alarm fires when the metric is beyond the value for its periods.

    Defaults: ``db_cpu_percent=70``, ``db_connections_percent=80`` (of the instance's
    max_connections), ``replica_lag_seconds=30``, ``db_free_storage_floor_percent=5`` (of the
    initial allocated storage: half of storage autoscaling's lowest trigger; must be below 10),
    ``cache_cpu_percent=70``, ``cache_memory_percent=80``,
    ``cache_evictions=0`` (evictions per 5 minutes, sustained), ``queue_oldest_message_seconds=300``,
    ``dlq_depth=0`` (one dead letter alarms), ``cdn_5xx_rate_percent=1.0``, ``alb=AlbThresholds()``
    (p95 0.3 s, 5xx 1%, 0 unhealthy targets).
    """

    db_cpu_percent: float = 70
    db_connections_percent: float = 80
    replica_lag_seconds: float = 30
    db_free_storage_floor_percent: float = 5
    cache_cpu_percent: float = 70
    cache_memory_percent: float = 80
    cache_evictions: int = 0
    queue_oldest_message_seconds: int = 300
    dlq_depth: int = 0
    cdn_5xx_rate_percent: float = 1.0
    alb: AlbThresholds = field(default_factory=AlbThresholds)

    def __post_init__(self) -> None:
        if not 0 < self.db_free_storage_floor_percent < 10:
            raise ValueError(
                f"db_free_storage_floor_percent {self.db_free_storage_floor_percent} must be above 0 and below 10 "
                "(storage autoscaling's trigger), or the alarm pages for low storage autoscaling fixes"
            )


@dataclass(frozen=True)
class DbTarget:
    """An RDS instance to watch: its identifier, ``max_connections`` parameter, *initial* allocated
    storage in GiB (storage autoscaling only ever grows it) and whether it is a read replica."""

    identifier: str
    max_connections: int
    allocated_storage_gb: int
    is_replica: bool


@dataclass
class MonitoringArgs:
    """Inputs of :class:`Monitoring`. Every target list may be empty: no alarms of that kind.

    Attributes:
        name: Physical prefix, e.g. ``acme-prod-use1``; names the topic, alarms and dashboard.
            Must be unique per account: dashboards are account-global.
        account_id: Account owning the alarms; only its CloudWatch may publish to the topic.
        kms_key_arn: Customer-managed key for the topic and the log groups. Its policy must let
            ``cloudwatch.amazonaws.com`` use it (kms:Decrypt, kms:GenerateDataKey*) to publish
            and ``logs.<region>.amazonaws.com`` encrypt logs: the caller's job (see ``KmsKey``).
        alert_emails: Email endpoints subscribed to the topic (each must confirm). Default: none.
        thresholds: Alarm thresholds. Default: ``AlarmThresholds()``.
        db_instances: RDS instances to alarm on. Default: none.
        cache_nodes: ElastiCache member cluster ids (one alarm set per node). Default: none.
        queues: Main SQS queue names (age of oldest message). Default: none.
        dead_letter_queues: Dead-letter queue names (any message alarms). Default: none.
        cdn_distribution_ids: CloudFront distribution ids; only meaningful in a us-east-1
            instance. May be outputs, so alarms are named by list index. Default: none.
        load_balancers: ALBs to alarm on, ``label -> ARN suffix`` (``app/<name>/<id>``; may be an
            output, see :func:`components.alb_alarms.lookup_alb_arn_suffix`). Default: none.
        app_log_groups: Application log groups to create, e.g. ``/platform/acme-prod/api``.
            Default: none.
        log_retention_days: Retention of those log groups, >= 365. Default: 365.
        dashboard: Create the CloudWatch dashboard named ``name``. Default: True.
        dashboard_topics: SNS topic names shown on the dashboard (their alarms live with them).
            Default: none.
        dashboard_streams: Kinesis stream names shown on the dashboard. Default: none.
        dashboard_search_domains: OpenSearch domain names shown on the dashboard. Default: none.
        tags: Extra tags. Default: none.
    """

    name: str
    account_id: pulumi.Input[str]
    kms_key_arn: pulumi.Input[str]
    alert_emails: list[str] = field(default_factory=list)
    thresholds: AlarmThresholds = field(default_factory=AlarmThresholds)
    db_instances: list[DbTarget] = field(default_factory=list)
    cache_nodes: list[str] = field(default_factory=list)
    queues: list[str] = field(default_factory=list)
    dead_letter_queues: list[str] = field(default_factory=list)
    cdn_distribution_ids: list[pulumi.Input[str]] = field(default_factory=list)
    load_balancers: dict[str, pulumi.Input[str]] = field(default_factory=dict)
    dashboard_topics: list[str] = field(default_factory=list)
    dashboard_streams: list[pulumi.Input[str]] = field(default_factory=list)
    dashboard_search_domains: list[pulumi.Input[str]] = field(default_factory=list)
    app_log_groups: list[str] = field(default_factory=list)
    log_retention_days: int = 365
    dashboard: bool = True
    tags: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.log_retention_days not in YEAR_LOG_RETENTION_DAYS:
            raise ValueError(
                f"log_retention_days {self.log_retention_days} must be one of {sorted(YEAR_LOG_RETENTION_DAYS)}"
            )
        labels = [log_group_label(g) for g in self.app_log_groups]
        for what, values in (("alert_emails", self.alert_emails), ("app_log_groups", labels)):
            if len(set(values)) != len(values):
                raise ValueError(f"{what} has duplicates: {values}")


def alarm_name(prefix: str, kind: str, target: str) -> str:
    """Physical alarm name ``{prefix}-{kind}-{target}``; ValueError past CloudWatch's 255 chars."""
    name = f"{prefix}-{kind}-{target}"
    if len(name) > _MAX_ALARM_NAME:
        raise ValueError(f"alarm name {name!r} is longer than {_MAX_ALARM_NAME} characters")
    return name


def log_group_label(group_name: str) -> str:
    """Logical-name label of a log group: its path with slashes as dashes (stable, order-free)."""
    return group_name.strip("/").replace("/", "-")


@dataclass(frozen=True)
class AlarmSpec:
    """One CloudWatch alarm, fully computed: ``kind``/``target`` name it, the rest configures it."""

    kind: str
    target: str
    name: str
    namespace: str
    metric_name: str
    dimensions: dict[str, pulumi.Input[str]]
    statistic: str
    comparison: str
    threshold: float
    period: int
    evaluation_periods: int
    datapoints_to_alarm: int
    treat_missing_data: str
    description: str


@dataclass(frozen=True)
class _Metric:
    """How one kind of alarm watches its metric; ``periods`` of ``period`` seconds must all breach."""

    kind: str
    namespace: str
    metric_name: str
    statistic: str
    comparison: str
    treat_missing_data: str
    summary: str
    period: int = 300
    periods: int = 3

    def spec(self, prefix: str, target: str, dimensions: dict, threshold: float) -> AlarmSpec:
        """The alarm of this kind on ``target``."""
        return AlarmSpec(
            kind=self.kind,
            target=target,
            name=alarm_name(prefix, self.kind, target),
            namespace=self.namespace,
            metric_name=self.metric_name,
            dimensions=dimensions,
            statistic=self.statistic,
            comparison=self.comparison,
            threshold=float(threshold),
            period=self.period,
            evaluation_periods=self.periods,
            datapoints_to_alarm=self.periods,
            treat_missing_data=self.treat_missing_data,
            description=f"{target}: {self.summary}",
        )


_GT, _LT = "GreaterThanThreshold", "LessThanThreshold"
# fmt: off
# RDS and ElastiCache publish every minute; a gap means a reboot, failover or node replacement,
# which their events report. "missing" shows a long gap as INSUFFICIENT_DATA instead of paging.
_DB_CPU = _Metric("db-cpu", "AWS/RDS", "CPUUtilization", "Average", _GT, "missing", "CPU high")
_DB_CONNECTIONS = _Metric("db-connections", "AWS/RDS", "DatabaseConnections", "Average", _GT, "missing",
                          "near max_connections")
# Below autoscaling's trigger: it already acted and did not help in time (cooldown, at the maximum,
# quota). Storage drifts rather than spikes: two periods suffice, one would page on a temp-file burst.
_DB_FREE_STORAGE = _Metric("db-free-storage", "AWS/RDS", "FreeStorageSpace", "Minimum", _LT, "missing",
                           "free storage below the floor storage autoscaling should keep it above", periods=2)
# A replica reports no lag while it is being created (hours, cross-region) nor once replication
# broke. "missing" shows that as INSUFFICIENT_DATA without paging (and without a false OK); a broken
# or failed replica pages through its RDS events instead (components.db_events).
_DB_REPLICA_LAG = _Metric("db-replica-lag", "AWS/RDS", "ReplicaLag", "Maximum", _GT, "missing",
                          "replica lag high", period=60, periods=5)
_CACHE_CPU = _Metric("cache-cpu", "AWS/ElastiCache", "EngineCPUUtilization", "Average", _GT, "missing",
                     "engine CPU high")
_CACHE_MEMORY = _Metric("cache-memory", "AWS/ElastiCache", "DatabaseMemoryUsagePercentage", "Average", _GT,
                        "missing", "memory high")
# No Evictions datapoint means nothing was evicted.
_CACHE_EVICTIONS = _Metric("cache-evictions", "AWS/ElastiCache", "Evictions", "Sum", _GT, "notBreaching",
                           "evicting keys: cache too small")
# SQS stops publishing for a queue idle 6 hours even while messages sit in it; "ignore" keeps the
# last state, so a stuck queue stays in ALARM and an idle empty one stays OK.
_QUEUE_AGE = _Metric("queue-age", "AWS/SQS", "ApproximateAgeOfOldestMessage", "Maximum", _GT, "ignore",
                     "workers falling behind")
# Dead letters do not leave by themselves, so one period is enough to page.
_DLQ_DEPTH = _Metric("dlq-depth", "AWS/SQS", "ApproximateNumberOfMessagesVisible", "Maximum", _GT, "ignore",
                     "jobs failed repeatedly", periods=1)
# CloudFront publishes only while there are requests: no traffic means no errors.
_CDN_5XX = _Metric("cdn-5xx", "AWS/CloudFront", "5xxErrorRate", "Average", _GT, "notBreaching",
                   "5xx error rate high")
# fmt: on


def alarm_specs(args: MonitoringArgs) -> list[AlarmSpec]:
    """Every alarm the arguments call for, in a stable order: DB, cache, queues, DLQs, CDN."""
    t, prefix = args.thresholds, args.name
    specs: list[AlarmSpec] = []
    for db in args.db_instances:
        dims, ident = {"DBInstanceIdentifier": db.identifier}, db.identifier
        specs += [
            _DB_CPU.spec(prefix, ident, dims, t.db_cpu_percent),
            _DB_CONNECTIONS.spec(prefix, ident, dims, db.max_connections * t.db_connections_percent / 100),
            _DB_FREE_STORAGE.spec(
                prefix, ident, dims, db.allocated_storage_gb * _GIB * t.db_free_storage_floor_percent / 100
            ),
        ]
        if db.is_replica:
            specs.append(_DB_REPLICA_LAG.spec(prefix, ident, dims, t.replica_lag_seconds))
    for node in args.cache_nodes:
        dims = {"CacheClusterId": node}
        specs += [
            _CACHE_CPU.spec(prefix, node, dims, t.cache_cpu_percent),
            _CACHE_MEMORY.spec(prefix, node, dims, t.cache_memory_percent),
            _CACHE_EVICTIONS.spec(prefix, node, dims, t.cache_evictions),
        ]
    specs += [_QUEUE_AGE.spec(prefix, q, {"QueueName": q}, t.queue_oldest_message_seconds) for q in args.queues]
    specs += [_DLQ_DEPTH.spec(prefix, q, {"QueueName": q}, t.dlq_depth) for q in args.dead_letter_queues]
    specs += [
        _CDN_5XX.spec(prefix, str(i), {"DistributionId": d, "Region": "Global"}, t.cdn_5xx_rate_percent)
        for i, d in enumerate(args.cdn_distribution_ids)
    ]
    return specs


def topic_policy(topic_arn: str, account_id: str, alarm_prefix: str, eventbridge: bool = False) -> str:
    """Topic policy: only this account's CloudWatch alarms named ``{alarm_prefix}-*`` may publish,
    with ``eventbridge`` also EventBridge rules (which cannot be narrowed by a Condition), and
    nothing may publish without TLS. Partition and region come from the topic ARN."""
    _, partition, _, region, _, _ = topic_arn.split(":", 5)
    alarms = f"arn:{partition}:cloudwatch:{region}:{account_id}:alarm:{alarm_prefix}-*"
    statements = [
        {
            "Sid": "AllowCloudWatchAlarmsToPublish",
            "Effect": "Allow",
            "Principal": {"Service": "cloudwatch.amazonaws.com"},
            "Action": "sns:Publish",
            "Resource": topic_arn,
            "Condition": {
                "StringEquals": {"aws:SourceAccount": account_id},
                "ArnLike": {"aws:SourceArn": alarms},
            },
        },
    ]
    if eventbridge:
        statements.append(
            {
                "Sid": "AllowEventBridgeToPublish",
                "Effect": "Allow",
                "Principal": {"Service": "events.amazonaws.com"},
                "Action": "sns:Publish",
                "Resource": topic_arn,
            }
        )
    statements += [
        {
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "sns:Publish",
            "Resource": topic_arn,
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        },
    ]
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


class Monitoring(pulumi.ComponentResource):
    """Alarms on a region's databases, caches, queues, ALBs and CDN, and the databases' RDS events,
    notifying an encrypted SNS topic.

    Outputs: ``topic_arn``; ``alarm_names`` (ALB alarms included) and ``log_group_names`` (lists,
    empty when no targets); ``dashboard_name`` (``""`` when ``dashboard`` is off, so it is always
    defined). Alarm logical names are ``{component name}-{kind}-{target}``, the RDS event rule is
    the child component ``{component name}-db-events`` and each ALB's alarms ``{component
    name}-alb-{label}``: targets are stable identifiers, so adding a replica, queue or region in a
    later phase only adds alarms.
    """

    topic: aws.sns.Topic
    alarms: list[aws.cloudwatch.MetricAlarm]
    log_groups: list[aws.cloudwatch.LogGroup]

    def __init__(self, name: str, args: MonitoringArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("platform:observability:Monitoring", name, None, opts)
        self._name, self._args = name, args
        self.topic = self._create_topic()
        self.alarms = [self._create_alarm(spec) for spec in alarm_specs(args)]
        if args.db_instances:
            DbEvents(
                f"{name}-db-events",
                DbEventsArgs(
                    name=args.name,
                    topic_arn=self.topic.arn,
                    db_identifiers=[db.identifier for db in args.db_instances],
                    tags=args.tags,
                ),
                opts=child_opts(self),
            )
        albs = [
            AlbAlarms(
                f"{name}-alb-{label}",
                AlbAlarmsArgs(args.name, label, suffix, self.topic.arn, args.thresholds.alb, args.tags),
                opts=child_opts(self),
            )
            for label, suffix in sorted(args.load_balancers.items())
        ]
        # Logs are audit evidence: guarded like other data, and by AWS deletion protection.
        self.log_groups = [
            aws.cloudwatch.LogGroup(
                f"{name}-log-{log_group_label(group)}",
                name=group,
                kms_key_id=args.kms_key_arn,
                retention_in_days=args.log_retention_days,
                deletion_protection_enabled=True,
                tags=merge_tags(group, args.tags),
                opts=stateful_opts(self),
            )
            for group in args.app_log_groups
        ]
        self.topic_arn = self.topic.arn
        alarm_names = [alarm.name for alarm in self.alarms] + [a.name for alb in albs for a in alb.alarms]
        self.alarm_names = pulumi.Output.all(*alarm_names)
        self.log_group_names = pulumi.Output.all(*[group.name for group in self.log_groups])
        self.dashboard_name = self._create_dashboard() if args.dashboard else pulumi.Output.from_input("")
        self.register_outputs({key: getattr(self, key) for key in _OUTPUTS})

    def _create_topic(self) -> aws.sns.Topic:
        """The alert topic, KMS-encrypted, with its CloudWatch-only policy and email subscriptions."""
        name, args = self._name, self._args
        physical = f"{args.name}-alerts"
        topic = aws.sns.Topic(
            f"{name}-alerts",
            name=physical,
            kms_master_key_id=args.kms_key_arn,
            tags=merge_tags(physical, args.tags),
            opts=child_opts(self),
        )
        aws.sns.TopicPolicy(
            f"{name}-alerts-policy",
            arn=topic.arn,
            policy=pulumi.Output.all(topic.arn, args.account_id).apply(
                lambda values: topic_policy(values[0], values[1], args.name, eventbridge=bool(args.db_instances))
            ),
            opts=child_opts(self),
        )
        # Named by address, not position: reordering the list must not re-send confirmations.
        for email in args.alert_emails:
            aws.sns.TopicSubscription(
                f"{name}-email-{email}",
                topic=topic.arn,
                protocol="email",
                endpoint=email,
                opts=child_opts(self),
            )
        return topic

    def _create_alarm(self, spec: AlarmSpec) -> aws.cloudwatch.MetricAlarm:
        """Materialise ``spec``, notifying the topic both when it fires and when it recovers."""
        return aws.cloudwatch.MetricAlarm(
            f"{self._name}-{spec.kind}-{spec.target}",
            name=spec.name,
            alarm_description=spec.description,
            namespace=spec.namespace,
            metric_name=spec.metric_name,
            dimensions=spec.dimensions,
            statistic=spec.statistic,
            comparison_operator=spec.comparison,
            threshold=spec.threshold,
            period=spec.period,
            evaluation_periods=spec.evaluation_periods,
            datapoints_to_alarm=spec.datapoints_to_alarm,
            treat_missing_data=spec.treat_missing_data,
            actions_enabled=True,
            alarm_actions=[self.topic.arn],
            ok_actions=[self.topic.arn],
            tags=merge_tags(spec.name, self._args.tags),
            opts=child_opts(self),
        )

    def _create_dashboard(self) -> pulumi.Output[str]:
        """The dashboard; widgets use the topic's region, the one this instance's provider targets."""
        args = self._args
        labels = sorted(args.load_balancers)
        cdns = len(args.cdn_distribution_ids)
        names = pulumi.Output.all(
            pulumi.Output.all(*args.dashboard_streams), pulumi.Output.all(*args.dashboard_search_domains)
        )
        values = pulumi.Output.all(
            self.topic.arn,
            args.account_id,
            names,
            *args.cdn_distribution_ids,
            *[args.load_balancers[label] for label in labels],
        )
        body = values.apply(
            lambda v: dashboard_body(
                v[0].split(":")[3],
                [db.identifier for db in args.db_instances],
                args.cache_nodes,
                args.queues,
                args.dead_letter_queues,
                list(v[3 : 3 + cdns]),
                list(zip(labels, v[3 + cdns :], strict=True)),
                topics=args.dashboard_topics,
                streams=list(v[2][0]),
                search_domains=list(v[2][1]),
                account_id=v[1],
            )
        )
        dashboard = aws.cloudwatch.Dashboard(
            f"{self._name}-dashboard", dashboard_name=args.name, dashboard_body=body, opts=child_opts(self)
        )
        return dashboard.dashboard_name
