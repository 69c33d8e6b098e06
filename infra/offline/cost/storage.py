"""Pricers of storage: S3 buckets and their replication, and ECR image replication."""

from __future__ import annotations

from infra.offline.cost.context import _Context, _q
from infra.offline.cost.registry import pricer
from infra.offline.cost.report import LineItem
from infra.offline.harness import RecordedResource
from infra.offline.usage import Usage


@pricer("aws:s3/bucket:Bucket", "storage_gb", "monthly_put_requests", "monthly_get_requests")
def _bucket(ctx: _Context, r: RecordedResource, u: Usage, region: str) -> list[LineItem]:
    gb, puts, gets = u["storage_gb"], u["monthly_put_requests"], u["monthly_get_requests"]
    return [
        LineItem(f"S3 Standard {_q(gb)} GB", gb * ctx.rate("s3.standard_gb_month", region), region),
        LineItem(
            f"S3 requests {_q(puts)} PUT, {_q(gets)} GET",
            puts / 1000 * ctx.rate("s3.thousand_put", region) + gets / 1000 * ctx.rate("s3.thousand_get", region),
            region,
        ),
    ]


def _arn_region(arn: str) -> str:
    parts = str(arn).split(":")
    return parts[3] if len(parts) > 3 else ""


@pricer("aws:s3/bucketReplicationConfig:BucketReplicationConfig", "monthly_replicated_gb")
def _bucket_replication(ctx: _Context, r: RecordedResource, u: Usage, region: str) -> list[LineItem]:
    """Every rule's destination receives the replicated bytes (inter-region transfer, plus the
    Replication Time Control fee where a rule turns it on)."""
    gb = u["monthly_replicated_gb"]
    items = []
    for rule in r.inputs.get("rules") or []:
        destination = rule.get("destination") or {}
        target = _arn_region(destination.get("bucket", "")) or region
        cost = gb * (ctx.rate("transfer.inter_region_gb", region) if target != region else 0.0)
        if (destination.get("replicationTime") or {}).get("status") == "Enabled":
            cost += gb * ctx.rate("s3.rtc_gb", region)
        items.append(LineItem(f"replication {_q(gb)} GB to {target}", cost, region))
    return items


@pricer("aws:ecr/replicationConfiguration:ReplicationConfiguration", "image_storage_gb", "monthly_replicated_gb")
def _ecr_replication(ctx: _Context, r: RecordedResource, u: Usage, region: str) -> list[LineItem]:
    """Replicas of the images are stored in every destination region; pushes cross regions."""
    stored, pushed = u["image_storage_gb"], u["monthly_replicated_gb"]
    items = []
    for rule in (r.inputs.get("replicationConfiguration") or {}).get("rules") or []:
        for destination in rule.get("destinations") or []:
            target = destination.get("region") or region
            items.append(
                LineItem(f"ECR replica {_q(stored)} GB in {target}", stored * ctx.rate("ecr.gb_month", target), target)
            )
            items.append(
                LineItem(
                    f"ECR replication {_q(pushed)} GB to {target}",
                    pushed * ctx.rate("transfer.inter_region_gb", region),
                    region,
                )
            )
    return items
