"""Alerting, dashboards and log retention (``platform:monitoring``)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, field_validator

from infra.config.base import _Model, _year_retention


class ThresholdsConfig(_Model):
    """Alarm thresholds; defaults are the seed guides' (CPU 70%, connections and memory 80%).

    ``db_free_storage_floor_percent`` (default 5): free-storage alarm floor, in percent of the
    *initial* allocated storage; below 10, storage autoscaling's trigger, so it only fires once
    autoscaling has acted without effect. ``alb_p95_seconds`` (default 0.3, SPEC §3's 300 ms),
    ``alb_5xx_rate_percent`` (default 1, of requests) and ``alb_unhealthy_hosts`` (default 0) are
    the per-region API alarms.
    """

    db_cpu_percent: Annotated[float, Field(gt=0, le=100)] = 70
    db_connections_percent: Annotated[float, Field(gt=0, le=100)] = 80
    replica_lag_seconds: Annotated[float, Field(gt=0)] = 30
    db_free_storage_floor_percent: Annotated[float, Field(gt=0, lt=10)] = 5
    cache_cpu_percent: Annotated[float, Field(gt=0, le=100)] = 70
    cache_memory_percent: Annotated[float, Field(gt=0, le=100)] = 80
    cache_evictions: Annotated[float, Field(ge=0)] = 0
    queue_oldest_message_seconds: Annotated[float, Field(gt=0)] = 300
    dlq_depth: Annotated[float, Field(ge=0)] = 0
    cdn_5xx_rate_percent: Annotated[float, Field(gt=0, le=100)] = 1
    alb_p95_seconds: Annotated[float, Field(gt=0, le=60)] = 0.3
    alb_5xx_rate_percent: Annotated[float, Field(gt=0, le=100)] = 1
    alb_unhealthy_hosts: Annotated[float, Field(ge=0)] = 0


class MonitoringConfig(_Model):
    """Alerting and dashboards. Defaults: no e-mail subscribers, dashboards on, logs kept 365 days
    (the FSBP minimum of one year), no in-cluster Prometheus/Grafana (``prometheus``, SPEC phase 3+)
    and no OpenTelemetry tracing (``tracing``, phase 4). ``wafLogAllowedRequests`` (default false):
    the WAF logs keep only requests a rule acted on (blocked, counted, challenged); true logs every
    request, at about 1.5 KB each (the largest log bill of every phase)."""

    prometheus: bool = False
    tracing: bool = False
    alert_emails: list[Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]] = []
    dashboard: bool = True
    log_retention_days: int = 365
    waf_log_allowed_requests: bool = False
    thresholds: ThresholdsConfig = ThresholdsConfig()

    @field_validator("log_retention_days")
    @classmethod
    def _retention(cls, value: int) -> int:
        return _year_retention(value)
