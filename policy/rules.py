"""Security and safety rules shared by the CrossGuard pack (``policy/__main__.py``) and the tests.

Each rule is a plain function of a resource's type, inputs (engine wire names, camelCase) and
``protect`` option, returning a violation message or ``None``. Keeping them free of the policy
SDK means the unit tests run exactly these rules over every phase's offline plan, and
``pulumi preview --policy-pack policy`` runs the same ones against the real engine.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

try:  # a package for the tests, flat modules for the policy runtime
    from . import atlas_rules
except ImportError:
    import atlas_rules

#: Resource types that hold data; losing one loses data, so each must be protected.
STATEFUL_TYPES = frozenset(
    {
        "aws:rds/instance:Instance",
        "aws:rds/cluster:Cluster",
        "aws:elasticache/replicationGroup:ReplicationGroup",
        "aws:s3/bucket:Bucket",
        "aws:sqs/queue:Queue",
        "aws:kms/key:Key",
        "aws:secretsmanager/secret:Secret",
        "aws:eks/cluster:Cluster",
        "aws:opensearch/domain:Domain",
        "aws:msk/cluster:Cluster",
        "aws:kinesis/stream:Stream",
        "mongodbatlas:index/advancedCluster:AdvancedCluster",
        "mongodbatlas:index/project:Project",
    }
)

#: Inputs that carry a resource's physical name, per type.
PHYSICAL_NAME_KEYS = (
    "name",
    "identifier",
    "bucket",
    "replicationGroupId",
    "clusterName",
    "domainName",
    "finalSnapshotIdentifier",
    "alarmName",
    "dashboardName",
)

_WORLD = ("0.0.0.0/0", "::/0")
_LOG_TYPES = {"api", "audit", "authenticator", "controllerManager", "scheduler"}

Check = Callable[[Mapping[str, Any], bool], "str | None"]


@dataclass(frozen=True)
class Rule:
    """One policy: the resource types it applies to and the check run on each."""

    name: str
    description: str
    types: frozenset[str]
    check: Check


def _rds(props: Mapping[str, Any], protect: bool) -> str | None:
    problems = []
    # A same-region replica must not name a key (it inherits its source's); the stack rule
    # rds-replica-topology checks replicas' keys against their sources' regions.
    if not props.get("storageEncrypted") or not (props.get("kmsKeyId") or props.get("replicateSourceDb")):
        problems.append("storage must be encrypted with a customer-managed key")
    if props.get("publiclyAccessible"):
        problems.append("must not be publicly accessible")
    if not props.get("deletionProtection"):
        problems.append("deletion protection must be on")
    if not props.get("iamDatabaseAuthenticationEnabled"):
        problems.append("IAM authentication must be on")
    if not props.get("performanceInsightsEnabled") or not props.get("performanceInsightsKmsKeyId"):
        problems.append("Performance Insights must be on and encrypted")
    if not props.get("enabledCloudwatchLogsExports"):
        problems.append("logs must be exported to CloudWatch")
    if props.get("autoMinorVersionUpgrade") is False:
        problems.append("minor version upgrades must be automatic")
    if not props.get("replicateSourceDb"):
        if not props.get("multiAz"):
            problems.append("the primary must be Multi-AZ")
        if props.get("skipFinalSnapshot") or not props.get("finalSnapshotIdentifier"):
            problems.append("the primary must take a final snapshot")
        if (props.get("backupRetentionPeriod") or 0) < 7:
            problems.append("the primary must keep at least 7 days of backups")
        if not props.get("copyTagsToSnapshot"):
            problems.append("snapshots must carry the tags")
    return "; ".join(problems) or None


def _proxy(props: Mapping[str, Any], protect: bool) -> str | None:
    return None if props.get("requireTls") else "RDS Proxy must require TLS"


def _cache(props: Mapping[str, Any], protect: bool) -> str | None:
    problems = []
    if not props.get("atRestEncryptionEnabled") or not props.get("kmsKeyId"):
        problems.append("must be encrypted at rest with a customer-managed key")
    if not props.get("transitEncryptionEnabled"):
        problems.append("must be encrypted in transit")
    if not props.get("authToken") and not props.get("userGroupIds"):
        problems.append("must require authentication")
    if not props.get("automaticFailoverEnabled") or not props.get("multiAzEnabled"):
        problems.append("must fail over automatically across zones")
    if (props.get("snapshotRetentionLimit") or 0) < 1:
        problems.append("must keep snapshots")
    return "; ".join(problems) or None


def _public_access_block(props: Mapping[str, Any], protect: bool) -> str | None:
    keys = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    missing = [k for k in keys if props.get(k) is not True]
    return f"public access must be blocked: {', '.join(missing)} not true" if missing else None


def _bucket_encryption(props: Mapping[str, Any], protect: bool) -> str | None:
    for rule in props.get("rules") or []:
        default = rule.get("applyServerSideEncryptionByDefault") or {}
        if default.get("sseAlgorithm") in ("aws:kms", "aws:kms:dsse", "AES256"):
            return None
    return "bucket must have default server-side encryption"


def _queue(props: Mapping[str, Any], protect: bool) -> str | None:
    if props.get("kmsMasterKeyId") or props.get("sqsManagedSseEnabled"):
        return None
    return "queue must be encrypted (SSE-KMS or SSE-SQS)"


def _topic(props: Mapping[str, Any], protect: bool) -> str | None:
    return None if props.get("kmsMasterKeyId") else "SNS topic must be encrypted with KMS"


def _sqs_subscription(props: Mapping[str, Any], protect: bool) -> str | None:
    # SNS drops what it cannot deliver (policy, key, attribute limits) unless the subscription has a DLQ.
    if props.get("protocol") != "sqs" or props.get("redrivePolicy"):
        return None
    return "an SQS subscription must have a redrive policy (its own dead-letter queue)"


def _stream(props: Mapping[str, Any], protect: bool) -> str | None:
    key = props.get("kmsKeyId") or ""
    if props.get("encryptionType") != "KMS" or not key or key == "alias/aws/kinesis":
        return "stream must be encrypted with a customer-managed KMS key (encryptionType KMS)"
    return None


def _log_group(props: Mapping[str, Any], protect: bool) -> str | None:
    problems = []
    if not props.get("kmsKeyId"):
        problems.append("must be encrypted with KMS")
    if (props.get("retentionInDays") or 0) < 365:
        problems.append("must keep logs for at least 365 days")
    # Logs are audit evidence: neither a code change nor a console click may delete them.
    if not protect or not props.get("deletionProtectionEnabled"):
        problems.append("must be protected (protect=True) and deletion-protected")
    return "; ".join(problems) or None


def _kms(props: Mapping[str, Any], protect: bool) -> str | None:
    return None if props.get("enableKeyRotation") else "key rotation must be on"


def _secret(props: Mapping[str, Any], protect: bool) -> str | None:
    return None if props.get("kmsKeyId") else "secret must be encrypted with a customer-managed key"


def _sg_ingress(props: Mapping[str, Any], protect: bool) -> str | None:
    cidrs = list(props.get("cidrBlocks") or []) + list(props.get("ipv6CidrBlocks") or [])
    cidrs += [props.get("cidrIpv4"), props.get("cidrIpv6")]
    for rule in props.get("ingress") or []:
        cidrs += list(rule.get("cidrBlocks") or []) + list(rule.get("ipv6CidrBlocks") or [])
    if props.get("type", "ingress") != "ingress":
        return None
    return "ingress must not be open to the internet" if any(c in _WORLD for c in cidrs) else None


def _subnet(props: Mapping[str, Any], protect: bool) -> str | None:
    return "subnets must not auto-assign public IPs" if props.get("mapPublicIpOnLaunch") else None


#: CloudFront viewer security policies with nothing below TLS 1.2 (API_ViewerCertificate).
_VIEWER_TLS = {"TLSv1.2_2021", "TLSv1.2_2025", "TLSv1.3_2025"}
_FAILOVER_METHODS = {"GET", "HEAD", "OPTIONS"}


def _distribution(props: Mapping[str, Any], protect: bool) -> str | None:
    # Logs are standard logging v2 (stack rule cloudfront-logging-v2); legacy logging needs ACLs
    # on the log bucket. Origin groups fail over only GET/HEAD/OPTIONS (CloudFront refuses others).
    problems = []
    behaviors = [props.get("defaultCacheBehavior") or {}] + list(props.get("orderedCacheBehaviors") or [])
    if any(b.get("viewerProtocolPolicy") not in ("redirect-to-https", "https-only") for b in behaviors):
        problems.append("every cache behaviour must redirect to or require HTTPS")
    certificate = props.get("viewerCertificate") or {}
    if certificate.get("cloudfrontDefaultCertificate") or certificate.get("minimumProtocolVersion") not in _VIEWER_TLS:
        problems.append(f"viewers need our certificate with a TLS 1.2+ policy ({', '.join(sorted(_VIEWER_TLS))})")
    if props.get("loggingConfig"):
        problems.append("no legacy standard logging (it writes through S3 ACLs): use standard logging v2")
    groups = {g.get("originId") for g in props.get("originGroups") or []}
    if any(
        b.get("targetOriginId") in groups and set(b.get("allowedMethods") or []) - _FAILOVER_METHODS for b in behaviors
    ):
        problems.append("a behaviour targeting an origin group may allow only GET, HEAD and OPTIONS")
    return "; ".join(problems) or None


def _replication(props: Mapping[str, Any], protect: bool) -> str | None:
    # S3 replicates SSE-KMS objects only when asked to, with a key in the destination's region;
    # RTC requires replication metrics (replication-config-for-kms-objects, replication-time-control).
    problems = []
    for rule in props.get("rules") or []:
        criteria = (rule.get("sourceSelectionCriteria") or {}).get("sseKmsEncryptedObjects") or {}
        destination = rule.get("destination") or {}
        if criteria.get("status") != "Enabled" or not (destination.get("encryptionConfiguration") or {}).get(
            "replicaKmsKeyId"
        ):
            problems.append(f"rule {rule.get('id')}: replicate SSE-KMS objects and encrypt replicas with a KMS key")
        rtc = (destination.get("replicationTime") or {}).get("status") == "Enabled"
        if rtc and (destination.get("metrics") or {}).get("status") != "Enabled":
            problems.append(f"rule {rule.get('id')}: replication time control needs metrics enabled")
    return "; ".join(problems) or None


def _launch_template(props: Mapping[str, Any], protect: bool) -> str | None:
    metadata = props.get("metadataOptions") or {}
    return None if metadata.get("httpTokens") == "required" else "instances must require IMDSv2"


def _eks(props: Mapping[str, Any], protect: bool) -> str | None:
    problems = []
    vpc = props.get("vpcConfig") or {}
    if vpc.get("endpointPublicAccess") and any(c in _WORLD for c in vpc.get("publicAccessCidrs") or list(_WORLD)):
        problems.append("the API endpoint must not be open to the internet")
    if not props.get("encryptionConfig"):
        problems.append("secrets must be encrypted with KMS")
    if not set(props.get("enabledClusterLogTypes") or []) >= _LOG_TYPES:
        problems.append("all control-plane log types must be on")
    return "; ".join(problems) or None


def _flow_log(props: Mapping[str, Any], protect: bool) -> str | None:
    return None if props.get("trafficType") == "ALL" else "flow logs must capture ALL traffic (accepted and rejected)"


#: TLS policies of an OpenSearch endpoint that refuse TLS 1.0/1.1 (API DomainEndpointOptions).
_OPENSEARCH_TLS_1_2 = ("Policy-Min-TLS-1-2-2019-07", "Policy-Min-TLS-1-2-PFS-2023-10")


def _opensearch(props: Mapping[str, Any], protect: bool) -> str | None:
    """FSBP Opensearch.1-5/8/10-style checks; FGAC needs both encryptions and HTTPS (fgac.html)."""
    problems = []
    at_rest = props.get("encryptAtRest") or {}
    if not at_rest.get("enabled") or not at_rest.get("kmsKeyId"):
        problems.append("must be encrypted at rest with a customer-managed key")
    if not (props.get("nodeToNodeEncryption") or {}).get("enabled"):
        problems.append("node-to-node encryption must be on")
    endpoint = props.get("domainEndpointOptions") or {}
    if endpoint.get("enforceHttps") is False or endpoint.get("tlsSecurityPolicy") not in _OPENSEARCH_TLS_1_2:
        problems.append("must enforce HTTPS with a TLS 1.2+ policy")
    if not (props.get("vpcOptions") or {}).get("subnetIds"):
        problems.append("must live in a VPC")
    security = props.get("advancedSecurityOptions") or {}
    if not security.get("enabled"):
        problems.append("fine-grained access control must be on")
    published = {o.get("logType") for o in props.get("logPublishingOptions") or [] if o.get("enabled", True)}
    missing = sorted({"AUDIT_LOGS", "ES_APPLICATION_LOGS"} - published)
    if missing:
        problems.append(f"logs must be published to CloudWatch: {', '.join(missing)} missing")
    return "; ".join(problems) or None


def _protected(props: Mapping[str, Any], protect: bool) -> str | None:
    return None if protect else "stateful resource must be protected (protect=True)"


RULES: tuple[Rule, ...] = (
    Rule("stateful-protected", "Resources holding data are protected from deletion.", STATEFUL_TYPES, _protected),
    Rule(
        "rds-secure",
        "RDS instances are encrypted, private, backed up and observable.",
        frozenset({"aws:rds/instance:Instance"}),
        _rds,
    ),
    Rule("rds-proxy-tls", "RDS Proxy requires TLS.", frozenset({"aws:rds/proxy:Proxy"}), _proxy),
    Rule(
        "elasticache-secure",
        "Caches are encrypted, authenticated, Multi-AZ and snapshotted.",
        frozenset({"aws:elasticache/replicationGroup:ReplicationGroup"}),
        _cache,
    ),
    Rule(
        "s3-no-public-access",
        "Buckets block every kind of public access.",
        frozenset({"aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"}),
        _public_access_block,
    ),
    Rule(
        "s3-encrypted",
        "Buckets encrypt objects by default.",
        frozenset({"aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"}),
        _bucket_encryption,
    ),
    Rule("sqs-encrypted", "Queues are encrypted at rest.", frozenset({"aws:sqs/queue:Queue"}), _queue),
    Rule("sns-encrypted", "Topics are encrypted at rest.", frozenset({"aws:sns/topic:Topic"}), _topic),
    Rule(
        "sns-sqs-subscription-dlq",
        "SNS subscriptions to SQS have a redrive policy (a dead-letter queue).",
        frozenset({"aws:sns/topicSubscription:TopicSubscription"}),
        _sqs_subscription,
    ),
    Rule(
        "kinesis-encrypted",
        "Kinesis streams are encrypted with a customer-managed key.",
        frozenset({"aws:kinesis/stream:Stream"}),
        _stream,
    ),
    Rule(
        "logs-encrypted-retained",
        "Log groups are KMS-encrypted, kept at least a year, protected and deletion-protected.",
        frozenset({"aws:cloudwatch/logGroup:LogGroup"}),
        _log_group,
    ),
    Rule("kms-rotation", "Customer-managed keys rotate.", frozenset({"aws:kms/key:Key"}), _kms),
    Rule(
        "secrets-cmk", "Secrets use a customer-managed key.", frozenset({"aws:secretsmanager/secret:Secret"}), _secret
    ),
    Rule(
        "no-world-ingress",
        "No security group accepts traffic from the whole internet.",
        frozenset(
            {
                "aws:ec2/securityGroup:SecurityGroup",
                "aws:ec2/securityGroupRule:SecurityGroupRule",
                "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
            }
        ),
        _sg_ingress,
    ),
    Rule(
        "flow-logs-all-traffic",
        "Flow logs record accepted and rejected traffic (see stack_rules.py for one per VPC).",
        frozenset({"aws:ec2/flowLog:FlowLog"}),
        _flow_log,
    ),
    Rule("no-public-ip-subnets", "Subnets never hand out public IPs.", frozenset({"aws:ec2/subnet:Subnet"}), _subnet),
    Rule(
        "cloudfront-https-tls12",
        "CloudFront serves HTTPS only, TLS 1.2+ on our certificate, without legacy (ACL) logging.",
        frozenset({"aws:cloudfront/distribution:Distribution"}),
        _distribution,
    ),
    Rule(
        "s3-replication-encrypted",
        "S3 replication replicates KMS-encrypted objects and re-encrypts replicas with a KMS key.",
        frozenset({"aws:s3/bucketReplicationConfig:BucketReplicationConfig"}),
        _replication,
    ),
    Rule(
        "imdsv2",
        "Launch templates require IMDSv2.",
        frozenset({"aws:ec2/launchTemplate:LaunchTemplate"}),
        _launch_template,
    ),
    Rule(
        "opensearch-secure",
        "OpenSearch domains are encrypted, HTTPS-only (TLS 1.2+), in a VPC, access-controlled and logged.",
        frozenset({"aws:opensearch/domain:Domain"}),
        _opensearch,
    ),
    Rule(
        "eks-secure",
        "EKS clusters are private, encrypted and fully logged.",
        frozenset({"aws:eks/cluster:Cluster"}),
        _eks,
    ),
    Rule(
        "atlas-no-public-access",
        "Atlas IP access lists name no public range (clusters are reached through private endpoints).",
        frozenset({atlas_rules.ACCESS_LIST}),
        atlas_rules.access_list_entry,
    ),
    Rule(
        "atlas-cluster-safe",
        "Atlas clusters are backed up with point-in-time restore, termination-protected, encrypted "
        "with our AWS KMS key and TLS 1.2+.",
        frozenset({atlas_rules.CLUSTER}),
        atlas_rules.cluster,
    ),
    Rule(
        "atlas-encryption-our-key",
        "Atlas encryption at rest uses our AWS KMS key, enabled, through an assumed IAM role.",
        frozenset({atlas_rules.ENCRYPTION_AT_REST}),
        atlas_rules.encryption_at_rest,
    ),
    Rule(
        "atlas-users-iam-least-privilege",
        "Atlas database users are IAM roles on $external, without passwords or broad roles, scoped to clusters.",
        frozenset({atlas_rules.DATABASE_USER}),
        atlas_rules.database_user,
    ),
)


def stack_of(urn: str) -> str:
    """The stack segment of a URN (``urn:pulumi:STACK::PROJECT::TYPE::NAME``)."""
    return urn.split("::", 1)[0].removeprefix("urn:pulumi:")


def physical_name_violation(urn: str, props: Mapping[str, Any]) -> str | None:
    """A physical name containing the stack name breaks promotion (SPEC §4, decision 4)."""
    stack = stack_of(urn)
    for key in PHYSICAL_NAME_KEYS:
        value = props.get(key)
        if isinstance(value, str) and stack and stack in value:
            return f"physical name {key}={value!r} contains the stack name {stack!r}"
    return None


def violations(resource_type: str, urn: str, props: Mapping[str, Any], protect: bool) -> list[tuple[str, str]]:
    """Every (rule name, message) the resource breaks."""
    found = []
    for rule in RULES:
        if resource_type in rule.types:
            message = rule.check(props, protect)
            if message:
                found.append((rule.name, message))
    if not resource_type.startswith(("pulumi:", "kubernetes:")):
        message = physical_name_violation(urn, props)
        if message:
            found.append(("stable-physical-names", message))
    return found
