"""Labels of the data services: databases, cache, messaging, search, buckets and MongoDB Atlas."""

from __future__ import annotations

import re

from infra.offline.diagram.kinds import _kind_of
from infra.offline.diagram.text import _int, _of, _plural, _short
from infra.offline.harness import RecordedResource


def _label_rds_primary(rs: list[RecordedResource], component: str) -> str:
    (db, *_) = _of(rs, "aws:rds/instance:Instance")
    i = db.inputs
    engine = "PostgreSQL" if i.get("engine") == "postgres" else str(i.get("engine", ""))
    return (
        f"RDS {engine} {i.get('engineVersion', '')}\n{i.get('instanceClass', '')}"
        f"{' Multi-AZ' if i.get('multiAz') else ''}\n{_int(i.get('allocatedStorage'))} GB {i.get('storageType', '')}, "
        f"{_int(i.get('backupRetentionPeriod'))}-day backups"
    )


def _label_rds_proxy(rs: list[RecordedResource], component: str) -> str:
    (proxy, *_) = _of(rs, "aws:rds/proxy:Proxy")
    auth = "IAM auth" if any(a.get("iamAuth") == "REQUIRED" for a in proxy.inputs.get("auths") or []) else "secrets"
    return f"RDS Proxy\n{auth}{', TLS' if proxy.inputs.get('requireTls') else ''}"


def _label_rds_replicas(rs: list[RecordedResource], component: str) -> str:
    replicas = _of(rs, "aws:rds/instance:Instance")
    classes = sorted({str(r.inputs.get("instanceClass")) for r in replicas})
    return f"{_plural(len(replicas), 'read replica')}\n{'/'.join(classes)}"


def _label_cache(rs: list[RecordedResource], component: str) -> str:
    (group, *_) = _of(rs, "aws:elasticache/replicationGroup:ReplicationGroup")
    i = group.inputs
    engine = {"valkey": "Valkey", "redis": "Redis OSS"}.get(str(i.get("engine", "redis")), i.get("engine"))
    if i.get("numNodeGroups") is not None:
        shape = f"{_plural(_int(i['numNodeGroups']), 'shard')} × {1 + _int(i.get('replicasPerNodeGroup', 0))} nodes"
    else:
        shape = f"{_int(i.get('numCacheClusters', 1))} nodes"
    mode = "cluster mode" if i.get("clusterMode") == "enabled" else "Multi-AZ" if i.get("multiAzEnabled") else ""
    return f"ElastiCache {engine}\n{i.get('nodeType', '')}\n{shape}" + (f", {mode}" if mode else "")


def _label_sqs(rs: list[RecordedResource], component: str) -> str:
    queues = _of(rs, "aws:sqs/queue:Queue")
    dlqs = {u for q in queues for u in (q.property_dependencies.get("redrivePolicy") or [])}
    main = sorted(_short(q, component) for q in queues if q.urn not in dlqs)
    return f"SQS\n{', '.join(main)}\n+ {_plural(len(dlqs), 'DLQ')}"


def _label_sns(rs: list[RecordedResource], component: str) -> str:
    topics = [t for t in _of(rs, "aws:sns/topic:Topic")]
    subscriptions = _of(rs, "aws:sns/topicSubscription:TopicSubscription")
    names = sorted(_short(t, component) for t in topics)
    return f"SNS\n{', '.join(names)}\n{_plural(len(subscriptions), 'subscription')}"


def _label_kinesis(rs: list[RecordedResource], component: str) -> str:
    (stream, *_) = _of(rs, "aws:kinesis/stream:Stream")
    i = stream.inputs
    mode = (i.get("streamModeDetails") or {}).get("streamMode", "PROVISIONED")
    shards = f"{_plural(_int(i.get('shardCount', 0)), 'shard')}" if mode == "PROVISIONED" else "on-demand"
    return f"Kinesis\n{shards}, {_int(i.get('retentionPeriod', 24))} h retention"


def _label_opensearch(rs: list[RecordedResource], component: str) -> str:
    (domain, *_) = _of(rs, "aws:opensearch/domain:Domain")
    c = domain.inputs.get("clusterConfig") or {}
    zones = (c.get("zoneAwarenessConfig") or {}).get("availabilityZoneCount", 1)
    lines = [f"OpenSearch\n{_int(c.get('instanceCount', 1))} × {c.get('instanceType', '')}"]
    if c.get("dedicatedMasterEnabled"):
        lines.append(f"{_int(c.get('dedicatedMasterCount'))} masters {c.get('dedicatedMasterType', '')}")
    lines.append(f"{_int(zones)} AZs")
    return "\n".join(lines)


def _label_s3(rs: list[RecordedResource], component: str) -> str:
    logs = {u.inputs.get("targetBucket") for u in _of(rs, "aws:s3/bucketLogging:BucketLogging")}
    buckets = [b for b in _of(rs, "aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2") if b.id not in logs]
    replicated = bool(_of(rs, "aws:s3/bucketReplicationConfig:BucketReplicationConfig"))
    text = f"S3 {_plural(len(buckets), 'bucket')}"
    return text + (f" + {_plural(len(logs), 'log bucket')}" if logs else "") + ("\nreplicated" if replicated else "")


_ATLAS_REGION = re.compile(r"^[A-Z]+_[A-Z]+_\d+$")


def atlas_region(name: str) -> str:
    """Atlas's AWS region names (``US_EAST_1``) as AWS spells them (``us-east-1``)."""
    return name.lower().replace("_", "-") if _ATLAS_REGION.match(name) else name


def _label_atlas(rs: list[RecordedResource], component: str) -> str:
    (cluster, *_) = [r for r in rs if r.type.startswith("mongodbatlas:") and _kind_of(r, {}, False) == "atlas"]
    i = cluster.inputs
    specs = i.get("replicationSpecs") or []
    sizes, regions, electable, analytics = set(), [], 0, 0
    for spec in specs:
        for config in spec.get("regionConfigs") or []:
            region = atlas_region(str(config.get("regionName", "")))
            if region not in regions:
                regions.append(region)
            for key in ("electableSpecs", "readOnlySpecs", "analyticsSpecs"):
                hardware = config.get(key) or {}
                if hardware.get("instanceSize"):
                    sizes.add(str(hardware["instanceSize"]))
            electable += _int((config.get("electableSpecs") or {}).get("nodeCount", 0))
            analytics += _int((config.get("analyticsSpecs") or {}).get("nodeCount", 0))
    shards = len(specs) if i.get("clusterType") in ("SHARDED", "GEOSHARDED") else 0
    nodes_per_shard = electable // max(len(specs), 1)
    shape = f"{_plural(shards, 'shard')} × {nodes_per_shard} nodes" if shards else f"replica set, {electable} nodes"
    lines = [f"MongoDB Atlas {'/'.join(sorted(sizes)) or cluster.inputs.get('providerInstanceSizeName', '')}", shape]
    if analytics:
        lines.append(f"+ {_plural(analytics, 'analytics node')}")
    if regions:
        lines.append(", ".join(regions))
    endpoints = [r for r in rs if r.type.endswith(":PrivateLinkEndpoint")]
    if endpoints:
        lines.append(_plural(len(endpoints), "private endpoint"))
    return "\n".join(lines)


def _label_atlas_endpoint(rs: list[RecordedResource], component: str) -> str:
    return f"PrivateLink\n{_plural(len(_of(rs, 'aws:ec2/vpcEndpoint:VpcEndpoint')), 'endpoint')} to Atlas"
