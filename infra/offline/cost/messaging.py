"""Pricers of messaging: SQS queues, SNS topics and Kinesis data streams."""

from __future__ import annotations

from infra.offline.cost.context import _Context, _monthly, _num, _q
from infra.offline.cost.registry import pricer
from infra.offline.cost.report import LineItem
from infra.offline.harness import RecordedResource
from infra.offline.pricing import PriceError
from infra.offline.usage import Usage


@pricer("aws:sqs/queue:Queue", "monthly_requests")
def _queue(ctx: _Context, r: RecordedResource, u: Usage, region: str) -> list[LineItem]:
    kind = "fifo" if r.inputs.get("fifoQueue") else "standard"
    requests = u["monthly_requests"]
    return [
        LineItem(
            f"{_q(requests)} {kind} requests", requests / 1e6 * ctx.rate(f"sqs.{kind}_million_requests", region), region
        )
    ]


@pricer("aws:sns/topic:Topic", "monthly_publishes")
def _topic(ctx: _Context, r: RecordedResource, u: Usage, region: str) -> list[LineItem]:
    """Publishes (deliveries to SQS are free; e-mail alerts are too few to price)."""
    publishes = u["monthly_publishes"]
    return [LineItem(f"{_q(publishes)} publishes", publishes / 1e6 * ctx.rate("sns.million_publishes", region), region)]


@pricer("aws:kinesis/stream:Stream", "monthly_put_units_millions")
def _stream(ctx: _Context, r: RecordedResource, u: Usage, region: str) -> list[LineItem]:
    mode = (r.inputs.get("streamModeDetails") or {}).get("streamMode") or "PROVISIONED"
    if mode != "PROVISIONED":
        raise PriceError(f"{r.name}: Kinesis stream mode {mode!r} has no price (PROVISIONED only)")
    shards = _num(r.inputs.get("shardCount"))
    units = u["monthly_put_units_millions"]
    items = [
        LineItem(f"{_q(shards)} shards, 730 h", _monthly(ctx, "kinesis.shard_hour", region, count=shards), region),
        LineItem(f"{_q(units)} M PUT payload units", units * ctx.rate("kinesis.million_put_units", region), region),
    ]
    if _num(r.inputs.get("retentionPeriod"), 24) > 24:
        items.append(
            LineItem(
                "extended retention",
                _monthly(ctx, "kinesis.extended_retention_shard_hour", region, count=shards),
                region,
            )
        )
    return items
