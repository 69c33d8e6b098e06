"""Atlas alert configurations mirroring the PostgreSQL seeds' alarms: CPU, connections,
replication lag and oplog window, disk, query targeting, e-mailed to the on-call addresses.

Atlas constraints this component relies on:

- Metric alerts are ``event_type = "OUTSIDE_METRIC_THRESHOLD"`` with ``metric_threshold_config``
  (``metric_name``, ``operator`` ``GREATER_THAN``/``LESS_THAN``, ``threshold``, ``units``,
  ``mode = "AVERAGE"``, the only mode). Metric names and their unit families, from the Atlas
  Admin API spec (``HostMetricThreshold`` mapping, kept in the provider repository under
  ``tools/codegen/atlasapispec``): ``NORMALIZED_SYSTEM_CPU_USER`` (RAW, percent of the node's
  CPUs), ``CONNECTIONS_PERCENT`` (RAW, percent of the tier's connection limit),
  ``OPLOG_SLAVE_LAG_MASTER_TIME`` (time units: ``SECONDS``...; replication lag, reported by
  secondaries), ``DISK_PARTITION_SPACE_USED_DATA`` (RAW, percent used),
  ``QUERY_TARGETING_SCANNED_OBJECTS_PER_RETURNED`` (RAW, documents scanned per returned).
  https://www.mongodb.com/docs/atlas/reference/alert-host-metrics/
  https://registry.terraform.io/providers/mongodb/mongodbatlas/latest/docs/resources/alert_configuration
- The oplog window alert is its own event type, ``REPLICATION_OPLOG_WINDOW_RUNNING_OUT``, with a
  ``threshold_config`` (``LESS_THAN`` hours), as in the provider's example.
- Matchers narrow host alerts; replication lag is matched to ``TYPE_NAME EQUALS SECONDARY``.
- E-mail notifications: ``type_name = "EMAIL"`` with ``email_address``; ``interval_min`` (between
  repeats of an unacknowledged alert) is at least 5. ``project_id`` is the only input that forces
  a new configuration.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_mongodbatlas as atlas

from components.base import child_opts

METRIC_EVENT = "OUTSIDE_METRIC_THRESHOLD"
OPLOG_EVENT = "REPLICATION_OPLOG_WINDOW_RUNNING_OUT"
#: Minutes between repeated notifications of an open alert (Atlas's minimum is 5).
REPEAT_MINUTES = 60
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class AtlasAlertSpec:
    """One alert: kind (logical suffix), event type, metric (None for the oplog event), comparison,
    threshold, units and an optional matcher on the host type."""

    kind: str
    event_type: str
    metric_name: str | None
    operator: str
    threshold: float
    units: str
    host_type: str | None = None


@dataclass
class AtlasAlertsArgs:
    """Inputs of :class:`AtlasAlerts`.

    Attributes:
        project_id: Atlas project (ForceNew). Required.
        emails: Addresses notified of every alert; at least one. Required.
        cpu_percent: Normalized CPU (user) above which to alert, 1-100. Default: 80.
        connections_percent: Share of the tier's connection limit, 1-100. Default: 80.
        replication_lag_seconds: Secondary lag behind the primary, > 0. Default: 60.
        disk_percent: Data partition space used, 1-100. Default: 80.
        query_targeting_ratio: Documents scanned per document returned, > 1. Default: 1000.
        oplog_window_hours: Oplog window below which to alert, > 0. Default: 24.
    """

    project_id: pulumi.Input[str]
    emails: list[str]
    cpu_percent: float = 80
    connections_percent: float = 80
    replication_lag_seconds: float = 60
    disk_percent: float = 80
    query_targeting_ratio: float = 1000
    oplog_window_hours: float = 24

    def __post_init__(self) -> None:
        if not self.emails:
            raise ValueError("emails: at least one address")
        for email in self.emails:
            if not _EMAIL.match(email):
                raise ValueError(f"not an e-mail address: {email!r}")
        for key in ("cpu_percent", "connections_percent", "disk_percent"):
            if not 0 < getattr(self, key) <= 100:
                raise ValueError(f"{key}: a percentage in (0, 100]")
        if self.replication_lag_seconds <= 0 or self.oplog_window_hours <= 0:
            raise ValueError("replication_lag_seconds and oplog_window_hours must be positive")
        if self.query_targeting_ratio <= 1:
            raise ValueError("query_targeting_ratio: more than 1 scanned per returned")


def alert_specs(args: AtlasAlertsArgs) -> list[AtlasAlertSpec]:
    """The alerts, in a stable order."""
    gt, lt = "GREATER_THAN", "LESS_THAN"
    return [
        AtlasAlertSpec("cpu", METRIC_EVENT, "NORMALIZED_SYSTEM_CPU_USER", gt, args.cpu_percent, "RAW"),
        AtlasAlertSpec("connections", METRIC_EVENT, "CONNECTIONS_PERCENT", gt, args.connections_percent, "RAW"),
        AtlasAlertSpec(
            "replication-lag",
            METRIC_EVENT,
            "OPLOG_SLAVE_LAG_MASTER_TIME",
            gt,
            args.replication_lag_seconds,
            "SECONDS",
            host_type="SECONDARY",
        ),
        AtlasAlertSpec("oplog-window", OPLOG_EVENT, None, lt, args.oplog_window_hours, "HOURS"),
        AtlasAlertSpec("disk", METRIC_EVENT, "DISK_PARTITION_SPACE_USED_DATA", gt, args.disk_percent, "RAW"),
        AtlasAlertSpec(
            "query-targeting",
            METRIC_EVENT,
            "QUERY_TARGETING_SCANNED_OBJECTS_PER_RETURNED",
            gt,
            args.query_targeting_ratio,
            "RAW",
        ),
    ]


def _threshold(spec: AtlasAlertSpec) -> dict[str, Any]:
    if spec.metric_name is None:
        return {"threshold_config": {"operator": spec.operator, "threshold": spec.threshold, "units": spec.units}}
    return {
        "metric_threshold_config": {
            "metric_name": spec.metric_name,
            "operator": spec.operator,
            "threshold": spec.threshold,
            "units": spec.units,
            "mode": "AVERAGE",
        }
    }


class AtlasAlerts(pulumi.ComponentResource):
    """The project's alert configurations, each e-mailed to every address."""

    alerts: dict[str, atlas.AlertConfiguration]

    def __init__(self, name: str, args: AtlasAlertsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("platform:data:AtlasAlerts", name, None, opts)
        notifications = [
            {"type_name": "EMAIL", "email_address": email, "interval_min": REPEAT_MINUTES, "delay_min": 0}
            for email in args.emails
        ]
        self.alerts = {
            spec.kind: atlas.AlertConfiguration(
                f"{name}-{spec.kind}",
                project_id=args.project_id,
                event_type=spec.event_type,
                enabled=True,
                notifications=notifications,
                matchers=(
                    [{"field_name": "TYPE_NAME", "operator": "EQUALS", "value": spec.host_type}]
                    if spec.host_type
                    else None
                ),
                **_threshold(spec),
                opts=child_opts(self),
            )
            for spec in alert_specs(args)
        }
        self.alert_ids = {kind: alert.alert_configuration_id for kind, alert in self.alerts.items()}
        self.register_outputs({"alert_ids": self.alert_ids})
