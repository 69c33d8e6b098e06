"""Alarm thresholds for the monitoring component, from the config."""

from __future__ import annotations

from components.alb_alarms import AlbThresholds
from components.monitoring import AlarmThresholds
from infra.config import StackConfig


def alarm_thresholds(config: StackConfig) -> AlarmThresholds:
    """The monitoring component's thresholds from the config's ``monitoring.thresholds``."""
    t = config.monitoring.thresholds
    return AlarmThresholds(
        db_cpu_percent=t.db_cpu_percent,
        db_connections_percent=t.db_connections_percent,
        replica_lag_seconds=t.replica_lag_seconds,
        db_free_storage_floor_percent=t.db_free_storage_floor_percent,
        cache_cpu_percent=t.cache_cpu_percent,
        cache_memory_percent=t.cache_memory_percent,
        cache_evictions=int(t.cache_evictions),
        queue_oldest_message_seconds=int(t.queue_oldest_message_seconds),
        dlq_depth=int(t.dlq_depth),
        cdn_5xx_rate_percent=t.cdn_5xx_rate_percent,
        alb=AlbThresholds(
            p95_seconds=t.alb_p95_seconds,
            error_rate_percent=t.alb_5xx_rate_percent,
            unhealthy_hosts=t.alb_unhealthy_hosts,
        ),
    )
