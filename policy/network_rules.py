"""Network rules that span resources: every VPC is flow-logged, into a destination encrypted with a KMS key.

AWS FSBP EC2.6 requires VPC flow logging
(https://docs.aws.amazon.com/securityhub/latest/userguide/ec2-controls.html#ec2-6). Physical ids
and ARNs are unknown during a real preview, so resources are linked through the engine's
dependency graph instead: a flow log depends on its VPC (``vpcId``) and on its destination
(``logDestination``), and a bucket's encryption configuration depends on the bucket. Like
``rules.py`` these are plain functions, shared by the CrossGuard pack and the tests.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

try:  # a package for the tests, flat modules for the policy runtime
    from .graph import StackResource
except ImportError:
    from graph import StackResource

VPC = "aws:ec2/vpc:Vpc"
FLOW_LOG = "aws:ec2/flowLog:FlowLog"
BUCKET = "aws:s3/bucket:Bucket"
BUCKET_ENCRYPTION = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"


def _kms_encrypted(config: StackResource) -> bool:
    return any(
        (rule.get("applyServerSideEncryptionByDefault") or {}).get("sseAlgorithm") in ("aws:kms", "aws:kms:dsse")
        and (rule.get("applyServerSideEncryptionByDefault") or {}).get("kmsMasterKeyId")
        for rule in config.props.get("rules") or []
    )


def _destination_problem(flow_log: StackResource, by_urn: Mapping[str, StackResource], encryptions) -> str | None:
    """Why the flow log's destination is not KMS-encrypted, or None when it is."""
    kind = flow_log.props.get("logDestinationType", "cloud-watch-logs")
    wanted = BUCKET if kind == "s3" else LOG_GROUP if kind == "cloud-watch-logs" else None
    if wanted is None:
        return f"destination type {kind!r} is not checked; use s3 or cloud-watch-logs"
    targets = [by_urn[u] for u in flow_log.dependencies if u in by_urn and by_urn[u].type == wanted]
    if not targets:
        return f"its {kind} destination is not a resource of this stack, so its encryption cannot be checked"
    for target in targets:
        if wanted == LOG_GROUP and not target.props.get("kmsKeyId"):
            return f"log group {target.urn} is not KMS-encrypted"
        if wanted == BUCKET and not any(_kms_encrypted(e) for e in encryptions.get(target.urn, [])):
            return f"bucket {target.urn} has no SSE-KMS default encryption with a customer-managed key"
    return None


def flow_log_violations(resources: Iterable[StackResource]) -> list[tuple[str, str]]:
    """(urn, message) for each VPC without a flow log and each flow log with an unencrypted destination."""
    resources = list(resources)
    by_urn = {r.urn: r for r in resources}
    encryptions: dict[str, list[StackResource]] = {}
    for resource in resources:
        if resource.type == BUCKET_ENCRYPTION:
            for dependency in resource.dependencies:
                encryptions.setdefault(dependency, []).append(resource)
    flow_logs = [r for r in resources if r.type == FLOW_LOG]
    logged = {u for f in flow_logs if f.props.get("trafficType") == "ALL" for u in f.dependencies}
    found = [
        (vpc.urn, "VPC has no flow log capturing ALL traffic (FSBP EC2.6)")
        for vpc in resources
        if vpc.type == VPC and vpc.urn not in logged
    ]
    for flow_log in flow_logs:
        problem = _destination_problem(flow_log, by_urn, encryptions)
        if problem:
            found.append((flow_log.urn, f"flow log destination must be KMS-encrypted: {problem}"))
    return found
