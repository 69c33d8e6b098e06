"""Pricers of observability: CloudWatch alarms, dashboards and log groups."""

from __future__ import annotations

from infra.offline.cost.context import _Context, _num, _q
from infra.offline.cost.registry import pricer
from infra.offline.cost.report import LineItem
from infra.offline.harness import RecordedResource
from infra.offline.usage import Usage


@pricer("aws:cloudwatch/metricAlarm:MetricAlarm", "metrics_analyzed")
def _alarm(ctx: _Context, r: RecordedResource, u: Usage, region: str) -> list[LineItem]:
    """Per metric the alarm evaluates: standard (period >= 60 s) or high resolution; a metric-math
    alarm pays for each metric it reads; a Metrics Insights query alarm for each metric it analyzes;
    an anomaly-detection band counts three metrics."""
    queries = r.inputs.get("metricQueries") or []
    if not queries:
        resolution = "high_resolution" if _num(r.inputs.get("period"), 60) < 60 else "standard"
        metrics = 3.0 if r.inputs.get("thresholdMetricId") else 1.0
        return [
            LineItem(
                f"alarm {resolution}", metrics * ctx.rate(f"cloudwatch.alarm_{resolution}_metric_month", region), region
            )
        ]
    periods = [_num((q.get("metric") or {}).get("period"), 60) for q in queries if q.get("metric")]
    periods += [_num(q.get("period"), 60) for q in queries if q.get("expression")]
    resolution = "high_resolution" if periods and min(periods) < 60 else "standard"
    rate = ctx.rate(f"cloudwatch.alarm_{resolution}_metric_month", region)
    if any("SELECT" in str(q.get("expression", "")).upper() for q in queries):
        metrics = u["metrics_analyzed"]
        return [LineItem(f"Metrics Insights alarm, {_q(metrics)} metrics", metrics * rate, region)]
    metrics = sum(1 for q in queries if q.get("metric"))
    bands = sum(1 for q in queries if "ANOMALY_DETECTION_BAND" in str(q.get("expression", "")))
    return [LineItem(f"metric-math alarm, {metrics} metrics", (metrics + 3 * bands) * rate, region)]


@pricer("aws:cloudwatch/dashboard:Dashboard")
def _dashboard(ctx: _Context, r: RecordedResource, u: Usage, region: str) -> list[LineItem]:
    return [LineItem("dashboard", ctx.rate("cloudwatch.dashboard_month", region), region)]


@pricer("aws:cloudwatch/logGroup:LogGroup", "monthly_ingestion_gb", "compressed_fraction")
def _log_group(ctx: _Context, r: RecordedResource, u: Usage, region: str) -> list[LineItem]:
    """Ingestion per log class, and storage at steady state: a month's ingestion kept for the
    retention (no retention: one year), billed at its compressed size (``compressed_fraction`` of
    the ingested bytes)."""
    log_class = r.inputs.get("logGroupClass") or "STANDARD"
    gb = u["monthly_ingestion_gb"]
    retention_days = _num(r.inputs.get("retentionInDays"), 365) or 365
    stored = gb * retention_days / 30.4 * u["compressed_fraction"] if gb else 0.0
    ingestion = gb * ctx.rate("logs.ingestion_gb", region, log_class)
    storage = stored * ctx.rate("logs.storage_gb_month", region)
    return [
        LineItem(f"ingestion {_q(gb)} GB {log_class.lower()}", ingestion, region),
        LineItem(f"storage {stored:,.0f} GB compressed ({_q(retention_days)} d)", storage, region),
    ]
