"""Asynchronous messaging: SQS job queues (``platform:queues``), SNS event topics
(``platform:events``) and Kinesis event streaming (``platform:streaming``)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from infra.config.base import _Model


class QueueConfig(_Model):
    """One SQS job queue (with its dead-letter queue). Defaults: 60 s visibility timeout, 4 days
    retention, moved to the DLQ after 5 failed receives, standard (not FIFO)."""

    name: Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]{0,29}$")]
    visibility_timeout_seconds: Annotated[int, Field(ge=0, le=43200)] = 60
    message_retention_seconds: Annotated[int, Field(ge=60, le=1209600)] = 345600
    max_receive_count: Annotated[int, Field(ge=1, le=1000)] = 5
    fifo: bool = False


class SubscriptionConfig(_Model):
    """One SQS subscription of an event topic. ``queue``: a ``platform:queues`` name (a standard
    queue). ``filterPolicy``: SNS filter policy (at most 5 keys, 150 value combinations).
    Default: none, every message. ``filterPolicyScope``: ``MessageAttributes`` (default) or
    ``MessageBody``."""

    queue: str
    filter_policy: dict[str, Any] | None = None
    filter_policy_scope: Literal["MessageAttributes", "MessageBody"] = "MessageAttributes"


class TopicConfig(_Model):
    """One SNS event topic (standard, KMS-encrypted with the cell key) and its subscriptions (at
    least one). Each subscription delivers raw messages and has its own dead-letter queue."""

    name: Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]{0,19}$")]
    subscriptions: Annotated[list[SubscriptionConfig], Field(min_length=1)]


class EventsConfig(_Model):
    """SNS fan-out to SQS in every serving cell (SPEC phase 3+). ``topics``: default none; phase 3
    and 4 need at least one. Publishers are the api and worker roles."""

    topics: list[TopicConfig] = []


class StreamingConfig(_Model):
    """Event streaming on Kinesis Data Streams in every serving cell (SPEC phase 4; the choice and
    its numbers: docs/architecture.md). Defaults: 4 provisioned shards (4 MiB/s or 4,000 records/s
    of writes: 2x a 2,000 events/s x 1 KB peak), 24 h retention (included in the shard price), no
    shard-level metrics (billed), page when consumers lag 300 s or writes are throttled for 5 min.
    Change ``shards`` in steps of at most x2 (UpdateShardCount)."""

    shards: Annotated[int, Field(ge=1, le=500)] = 4
    retention_hours: Annotated[int, Field(ge=24, le=8760)] = 24
    shard_level_metrics: list[
        Literal[
            "IncomingBytes",
            "IncomingRecords",
            "OutgoingBytes",
            "OutgoingRecords",
            "WriteProvisionedThroughputExceeded",
            "ReadProvisionedThroughputExceeded",
            "IteratorAgeMilliseconds",
            "ALL",
        ]
    ] = []
    iterator_age_alarm_seconds: Annotated[int, Field(ge=1, le=604800)] = 300
    write_throttle_alarm_records: Annotated[int, Field(ge=0)] = 0
