"""An event stream: one Kinesis Data Stream (provisioned shards, SSE-KMS with a customer key) and
its consumer-lag and write-throttle alarms.

Why Kinesis and why provisioned: docs/architecture.md, "Event streaming (phase 4)".

AWS constraints this component relies on:

- Stream names: 1-128 characters of letters, digits, ``_``, ``-`` and ``.``, unique per account
  and Region. Provisioned mode needs ``ShardCount`` >= 1; on-demand mode takes none (the provider
  refuses a shard count with ``ON_DEMAND``).
  https://docs.aws.amazon.com/kinesis/latest/APIReference/API_CreateStream.html
  terraform-provider-aws ``internal/service/kinesis/stream.go`` (CustomizeDiff)
- A shard takes 1 MiB/s or 1,000 records/s of writes and serves 2 MiB/s of reads shared by every
  standard (polling) consumer; a throttled write is ``WriteProvisionedThroughputExceeded``.
  https://docs.aws.amazon.com/streams/latest/dev/service-sizes-and-limits.html
- Resharding (``UpdateShardCount``) is in place, but at most 10 times per rolling 24 hours, and
  each call at most doubles or halves the open shards: change ``shard_count`` in steps of at
  most x2.
  https://docs.aws.amazon.com/kinesis/latest/APIReference/API_UpdateShardCount.html
- Retention: 24 hours (included) to 8,760 hours; longer than 24 hours is billed per shard-hour.
  ``IncreaseStreamRetentionPeriod``/``Decrease...`` are in place.
  https://docs.aws.amazon.com/kinesis/latest/APIReference/API_IncreaseStreamRetentionPeriod.html
- Encryption: ``StartStreamEncryption`` with ``EncryptionType=KMS`` and a customer key, in place.
  Producers need ``kms:GenerateDataKey`` and consumers ``kms:Decrypt`` on the key; Kinesis passes
  the stream ARN as encryption context ``aws:kinesis:arn``, which the apps' grants are scoped by
  (``infra.compute.app_policy``). The key policy's account statement lets IAM grant that.
  https://docs.aws.amazon.com/streams/latest/dev/permissions-user-key-KMS.html
- Enhanced (shard-level) metrics are billed as CloudWatch custom metrics and only needed to find a
  hot shard; the stream-level ``GetRecords.IteratorAgeMilliseconds`` and
  ``WriteProvisionedThroughputExceeded`` (``AWS/Kinesis``, ``StreamName``) come every minute at no
  charge and carry the alarms. Valid shard-level names: :data:`SHARD_LEVEL_METRICS`.
  https://docs.aws.amazon.com/streams/latest/dev/monitoring-with-cloudwatch.html
  https://docs.aws.amazon.com/kinesis/latest/APIReference/API_EnhancedMetrics.html
- Updates: only ``name`` forces a new stream (terraform-provider-aws ``stream.go``: the one
  ``ForceNew`` attribute); mode, shard count, retention, encryption and shard-level metrics are
  changed by their own API calls. The stream holds data: protected.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components.base import child_opts, merge_tags, stateful_opts

_OUTPUTS = ("stream_arn", "stream_name", "alarm_names")
_MAX_ALARM_NAME = 255
#: The shard-level metric names EnableEnhancedMonitoring accepts.
SHARD_LEVEL_METRICS = (
    "IncomingBytes",
    "IncomingRecords",
    "OutgoingBytes",
    "OutgoingRecords",
    "WriteProvisionedThroughputExceeded",
    "ReadProvisionedThroughputExceeded",
    "IteratorAgeMilliseconds",
    "ALL",
)
#: Actions of a producer and of a polling consumer (KCL 2.x / SDK GetRecords), on the stream only.
PRODUCER_ACTIONS = ("kinesis:PutRecord", "kinesis:PutRecords", "kinesis:DescribeStreamSummary", "kinesis:ListShards")
CONSUMER_ACTIONS = (
    "kinesis:GetRecords",
    "kinesis:GetShardIterator",
    "kinesis:DescribeStream",
    "kinesis:DescribeStreamSummary",
    "kinesis:ListShards",
)


@dataclass
class StreamArgs:
    """Inputs of :class:`EventStream`.

    Attributes:
        name: Physical stream name (``acme-prod-use1-events``).
        kms_key_arn: Customer-managed key (SSE-KMS).
        shard_count: Provisioned shards, 1 MiB/s or 1,000 records/s of writes each. Default: 4.
        retention_hours: 24-8760. Default: 24 (no extended-retention charge).
        shard_level_metrics: Enhanced metrics (billed). Default: none.
        alarm_topic_arn: Alert topic of the alarms. Default: None (no alarms).
        alarm_prefix: Prefix of alarm names (the alert topic admits ``{prefix}-*``). Default:
            ``name`` without its last ``-`` part.
        iterator_age_alarm_seconds: Consumer lag that pages, in seconds. Default: 300.
        write_throttle_alarm_records: Throttled records per minute that page when sustained for
            5 minutes. Default: 0.
        tags: Extra tags. Default: none.
    """

    name: str
    kms_key_arn: pulumi.Input[str]
    shard_count: int = 4
    retention_hours: int = 24
    shard_level_metrics: list[str] = field(default_factory=list)
    alarm_topic_arn: pulumi.Input[str] | None = None
    alarm_prefix: str | None = None
    iterator_age_alarm_seconds: int = 300
    write_throttle_alarm_records: int = 0
    tags: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[A-Za-z0-9_.-]{1,128}", self.name):
            raise ValueError(f"stream name {self.name!r}: letters, digits, '_', '-', '.', at most 128 characters")
        if self.shard_count < 1:
            raise ValueError(f"shard_count {self.shard_count} must be at least 1")
        if not 24 <= self.retention_hours <= 8760:
            raise ValueError(f"retention_hours {self.retention_hours} must be within 24-8760")
        unknown = sorted(set(self.shard_level_metrics) - set(SHARD_LEVEL_METRICS))
        if unknown:
            raise ValueError(f"shard_level_metrics {unknown} are not among {list(SHARD_LEVEL_METRICS)}")
        if self.iterator_age_alarm_seconds < 1 or self.write_throttle_alarm_records < 0:
            raise ValueError("iterator_age_alarm_seconds must be >= 1 and write_throttle_alarm_records >= 0")
        for kind in ("stream-iterator-age", "stream-write-throttled"):
            name = f"{self.prefix}-{kind}"
            if len(name) > _MAX_ALARM_NAME:
                raise ValueError(f"alarm name {name!r} is longer than {_MAX_ALARM_NAME} characters")

    @property
    def prefix(self) -> str:
        """Prefix of the alarm names."""
        return self.alarm_prefix or self.name.rsplit("-", 1)[0]


class EventStream(pulumi.ComponentResource):
    """A provisioned, KMS-encrypted Kinesis Data Stream, protected, with its two alarms.

    Outputs: ``stream_arn``, ``stream_name``, ``alarm_names`` (empty without an alarm topic).
    """

    def __init__(self, name: str, args: StreamArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("platform:messaging:EventStream", name, None, opts)
        self.stream = aws.kinesis.Stream(
            f"{name}-stream",
            name=args.name,
            stream_mode_details={"stream_mode": "PROVISIONED"},
            shard_count=args.shard_count,
            retention_period=args.retention_hours,
            encryption_type="KMS",
            kms_key_id=args.kms_key_arn,
            shard_level_metrics=sorted(args.shard_level_metrics),
            # Registered enhanced fan-out consumers must be deregistered first, deliberately.
            enforce_consumer_deletion=False,
            tags=merge_tags(args.name, args.tags),
            opts=stateful_opts(self),
        )
        alarms = self._alarms(name, args) if args.alarm_topic_arn is not None else []
        self.stream_arn = self.stream.arn
        self.stream_name = pulumi.Output.from_input(args.name)
        self.alarm_names = pulumi.Output.all(*[a.name for a in alarms])
        self.register_outputs({key: getattr(self, key) for key in _OUTPUTS})

    def _alarms(self, name: str, args: StreamArgs) -> list[aws.cloudwatch.MetricAlarm]:
        # Iterator age exists only while someone reads: a stopped consumer shows as INSUFFICIENT_DATA
        # ("missing"), not as OK; throttles exist only while someone writes ("notBreaching").
        specs = (
            (
                "stream-iterator-age",
                "GetRecords.IteratorAgeMilliseconds",
                "Maximum",
                args.iterator_age_alarm_seconds * 1000,
                "missing",
                "consumers falling behind",
            ),
            (
                "stream-write-throttled",
                "WriteProvisionedThroughputExceeded",
                "Sum",
                args.write_throttle_alarm_records,
                "notBreaching",
                "writes throttled: add shards (at most x2 per step)",
            ),
        )
        alarms = []
        for kind, metric, statistic, threshold, missing, summary in specs:
            physical = f"{args.prefix}-{kind}"
            alarms.append(
                aws.cloudwatch.MetricAlarm(
                    f"{name}-{kind}",
                    name=physical,
                    alarm_description=f"{args.name}: {summary}",
                    namespace="AWS/Kinesis",
                    metric_name=metric,
                    dimensions={"StreamName": args.name},
                    statistic=statistic,
                    comparison_operator="GreaterThanThreshold",
                    threshold=float(threshold),
                    period=60,
                    evaluation_periods=5,
                    datapoints_to_alarm=5,
                    treat_missing_data=missing,
                    actions_enabled=True,
                    alarm_actions=[args.alarm_topic_arn],
                    ok_actions=[args.alarm_topic_arn],
                    tags=merge_tags(physical, args.tags),
                    opts=child_opts(self),
                )
            )
        return alarms
