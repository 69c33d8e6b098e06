"""Which input changes force AWS to replace a resource, and which resources hold data.

Source: the ``ForceNew`` attributes (and ``CustomizeDiff`` ``ForceNewIf*`` rules) of the
terraform-provider-aws v6 resource schemas, which pulumi-aws v7 bridges one to one, as of
2026-11-24 (pulumi-aws 7.51.1). Read line by line in the provider source
(``internal/service/<svc>/<resource>.go``): RDS instance and proxy, ElastiCache replication group,
EKS cluster and node group, MSK, OpenSearch, DocumentDB, VPC, subnet, NAT gateway. The others come
from the provider's documented "forces new resource" arguments; ``tests/test_diff.py`` checks
that every key is a real input of the installed SDK. Names are the Pulumi wire names (camelCase)
of *top-level* inputs; a change anywhere under a listed key counts as that key changing, since a
nested ``ForceNew`` attribute replaces the whole resource just the same. Where unsure, or where an
attribute updates in place but still breaks every client (a rename that moves an endpoint), the
key is listed and commented: this table guards production data, so it errs towards "replace".

Conditional rules (``ForceNewIf``: only a downgrade, only removing a block, only some nested
fields) live in :data:`FORCE_NEW_IF` as predicates, so that an upgrade between phases is not
mistaken for a rebuild.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

#: ``predicate(old_value, new_value, old_inputs, new_inputs) -> forces replacement``.
Predicate = Callable[[Any, Any, Mapping[str, Any], Mapping[str, Any]], bool]


def _keys(names: str) -> frozenset[str]:
    """A key set from whitespace-separated names (keeps the long table readable)."""
    return frozenset(names.split())


_NAMED = frozenset({"name", "namePrefix"})
_BUCKET_CHILD = frozenset({"bucket", "expectedBucketOwner"})

FORCE_NEW: dict[str, frozenset[str]] = {
    # Databases. `identifier`/`name` renames are in place since TF v5 but move the endpoint every
    # client uses, so they are guarded as replacements. Not force-new (checked): dbSubnetGroupName,
    # replicateSourceDb (removing it promotes the replica), performanceInsightsKmsKeyId.
    "aws:rds/instance:Instance": _keys(
        "availabilityZone backupTarget characterSetName customIamInstanceProfile dbName engine"
        " kmsKeyId ncharCharacterSetName restoreToPointInTime s3Import snapshotIdentifier"
        " storageEncrypted timezone username identifier identifierPrefix"
    ),
    "aws:rds/cluster:Cluster": _keys(
        "availabilityZones clusterIdentifier clusterIdentifierPrefix clusterScalabilityType"
        " databaseName dbSubnetGroupName dbSystemId engine engineMode kmsKeyId masterUsername"
        " restoreToPointInTime s3Import snapshotIdentifier sourceRegion storageEncrypted"
    ),
    "aws:rds/clusterInstance:ClusterInstance": _keys(
        "availabilityZone clusterIdentifier customIamInstanceProfile engine identifier identifierPrefix"
    ),
    # globalClusterIdentifier is renameable today; guarded for the same endpoint reason.
    "aws:rds/globalCluster:GlobalCluster": _keys(
        "databaseName engine globalClusterIdentifier sourceDbClusterIdentifier storageEncrypted"
    ),
    "aws:rds/proxy:Proxy": _keys("engineFamily vpcSubnetIds name"),
    "aws:rds/proxyDefaultTargetGroup:ProxyDefaultTargetGroup": _keys("dbProxyName"),
    "aws:rds/proxyTarget:ProxyTarget": _keys("dbClusterIdentifier dbInstanceIdentifier dbProxyName targetGroupName"),
    "aws:rds/subnetGroup:SubnetGroup": _NAMED,
    "aws:rds/parameterGroup:ParameterGroup": _NAMED | {"family", "description"},
    "aws:rds/clusterParameterGroup:ClusterParameterGroup": _NAMED | {"family", "description"},
    "aws:docdb/cluster:Cluster": _keys(
        "availabilityZones clusterIdentifier clusterIdentifierPrefix dbSubnetGroupName engine"
        " kmsKeyId masterUsername port restoreToPointInTime snapshotIdentifier storageEncrypted"
    ),
    # Not checked against the mongodbatlas provider schema: project and cluster name, conservatively.
    "mongodbatlas:index/advancedCluster:AdvancedCluster": _keys("projectId name"),
    "mongodbatlas:index/cluster:Cluster": _keys("projectId name"),
    # Caches.
    "aws:elasticache/replicationGroup:ReplicationGroup": _keys(
        "atRestEncryptionEnabled dataTieringEnabled globalReplicationGroupId kmsKeyId networkType"
        " port replicationGroupId securityGroupNames snapshotArns snapshotName subnetGroupName"
    ),
    "aws:elasticache/subnetGroup:SubnetGroup": _keys("name"),
    "aws:elasticache/parameterGroup:ParameterGroup": _keys("name family description"),
    # Object storage. bucketNamespace is new and unchecked: guarded.
    "aws:s3/bucket:Bucket": _keys("bucket bucketPrefix objectLockEnabled bucketNamespace"),
    "aws:s3/bucketV2:BucketV2": _keys("bucket bucketPrefix objectLockEnabled"),
    "aws:s3/bucketVersioning:BucketVersioning": _BUCKET_CHILD,
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": _BUCKET_CHILD,
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": _BUCKET_CHILD,
    "aws:s3/bucketLogging:BucketLogging": _BUCKET_CHILD,
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": _keys("bucket"),
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": _keys("bucket"),
    "aws:s3/bucketPolicy:BucketPolicy": _keys("bucket"),
    # The provider's documented "forces new resource": bucket only; rules update in place.
    "aws:s3/bucketReplicationConfig:BucketReplicationConfig": _keys("bucket"),
    # Messaging and streaming.
    "aws:sqs/queue:Queue": _NAMED | {"fifoQueue"},
    "aws:sqs/queuePolicy:QueuePolicy": _keys("queueUrl"),
    "aws:sqs/redriveAllowPolicy:RedriveAllowPolicy": _keys("queueUrl"),
    "aws:sns/topic:Topic": _NAMED | {"fifoTopic"},
    "aws:sns/topicPolicy:TopicPolicy": _keys("arn"),
    "aws:sns/topicSubscription:TopicSubscription": _keys("endpoint protocol topic"),
    "aws:kinesis/stream:Stream": _keys("name"),
    "aws:msk/cluster:Cluster": _keys("clusterName"),
    "aws:opensearch/domain:Domain": _keys("domainName vpcOptions"),
    # Keys and secrets. kmsKeyId of a secret re-encrypts in place. `type` is new and unchecked.
    "aws:kms/key:Key": _keys("customKeyStoreId customerMasterKeySpec keyUsage multiRegion xksKeyId"),
    "aws:kms/alias:Alias": _NAMED,
    "aws:secretsmanager/secret:Secret": _NAMED | {"type"},
    # A secret version is immutable: a new value is a new version resource.
    "aws:secretsmanager/secretVersion:SecretVersion": _keys("secretId secretString secretBinary"),
    # Network. instanceTenancy updates in place (ModifyVpcTenancy); IPAM fields on subnets unchecked.
    "aws:ec2/vpc:Vpc": _keys("cidrBlock ipv4IpamPoolId ipv4NetmaskLength"),
    "aws:ec2/subnet:Subnet": _keys(
        "availabilityZone availabilityZoneId cidrBlock ipv6Native outpostArn vpcId ipv4IpamPoolId ipv4NetmaskLength"
    ),
    "aws:ec2/natGateway:NatGateway": _keys("allocationId availabilityMode connectivityType privateIp subnetId vpcId"),
    "aws:ec2/eip:Eip": _keys("address customerOwnedIpv4Pool domain ipamPoolId networkBorderGroup publicIpv4Pool"),
    "aws:ec2/securityGroup:SecurityGroup": _NAMED | {"description", "vpcId"},
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": _keys("vpcId"),
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": _keys("securityGroupId"),
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": _keys("securityGroupId"),
    "aws:ec2/internetGateway:InternetGateway": frozenset(),
    "aws:ec2/routeTable:RouteTable": _keys("vpcId"),
    "aws:ec2/route:Route": _keys("routeTableId destinationCidrBlock destinationIpv6CidrBlock destinationPrefixListId"),
    "aws:ec2/routeTableAssociation:RouteTableAssociation": _keys("subnetId gatewayId"),
    "aws:ec2/vpcEndpoint:VpcEndpoint": _keys("vpcId serviceName vpcEndpointType serviceRegion"),
    # A flow log has no update path at all.
    "aws:ec2/flowLog:FlowLog": _keys(
        "deliverCrossAccountRole destinationOptions eniId iamRoleArn logDestination"
        " logDestinationType logFormat maxAggregationInterval subnetId trafficType"
        " transitGatewayAttachmentId transitGatewayId vpcId"
    ),
    # Compute. The cluster's vpcConfig subnets and security groups update in place since 2024.
    "aws:eks/cluster:Cluster": _keys("bootstrapSelfManagedAddons name outpostConfig roleArn"),
    "aws:eks/nodeGroup:NodeGroup": _keys(
        "amiType capacityType clusterName diskSize instanceTypes nodeGroupName"
        " nodeGroupNamePrefix nodeRoleArn remoteAccess subnetIds"
    ),
    # Edge, identity, observability.
    "aws:cloudfront/distribution:Distribution": frozenset(),
    "aws:cloudfront/originAccessControl:OriginAccessControl": frozenset(),
    "aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy": frozenset(),
    # Checked in internal/service/cloudfront/public_key.go (encoded_key, name, name_prefix are
    # ForceNew; encoded_key_wo_version too, absent from pulumi-aws 7.51.1) and key_group.go (none).
    # Cache and origin request policies: not read line by line; their Update APIs take the whole
    # config, so they are taken to update in place (no data in them either way).
    "aws:cloudfront/publicKey:PublicKey": _keys("encodedKey name namePrefix"),
    "aws:cloudfront/keyGroup:KeyGroup": frozenset(),
    "aws:cloudfront/cachePolicy:CachePolicy": frozenset(),
    "aws:cloudfront/originRequestPolicy:OriginRequestPolicy": frozenset(),
    # Standard logging v2, checked in internal/service/logs/delivery_source.go, delivery_destination.go
    # and delivery.go (RequiresReplace plan modifiers). The destination's resource ARN replaces only
    # when its service changes (RequiresReplaceIf); guarded as a whole here.
    "aws:cloudwatch/logDeliverySource:LogDeliverySource": _keys("logType name resourceArn"),
    "aws:cloudwatch/logDeliveryDestination:LogDeliveryDestination": _keys(
        "name outputFormat deliveryDestinationConfiguration"
    ),
    "aws:cloudwatch/logDelivery:LogDelivery": _keys("deliveryDestinationArn deliverySourceName"),
    # Registry-level; PutReplicationConfiguration replaces the configuration in place.
    "aws:ecr/replicationConfiguration:ReplicationConfiguration": frozenset(),
    "aws:wafv2/webAcl:WebAcl": _NAMED | {"scope"},
    "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration": _keys("resourceArn"),
    "aws:iam/role:Role": _NAMED | {"path"},
    "aws:iam/rolePolicy:RolePolicy": _NAMED | {"role"},
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": _keys("role policyArn"),
    "aws:cloudwatch/logGroup:LogGroup": _NAMED | {"logGroupClass"},
    "aws:cloudwatch/metricAlarm:MetricAlarm": _keys("name"),
    "aws:cloudwatch/dashboard:Dashboard": _keys("dashboardName"),
    # An explicit provider whose region changes is replaced, and every resource under it with it.
    "pulumi:providers:aws": _keys("region"),
}

#: Types whose replacement or deletion loses data: databases and replicas, caches, buckets,
#: queues and streams, keys (data encrypted under them), secrets, clusters and search domains.
STATEFUL_TYPES: frozenset[str] = _keys(
    "aws:rds/instance:Instance aws:rds/cluster:Cluster"
    " aws:rds/clusterInstance:ClusterInstance aws:rds/globalCluster:GlobalCluster"
    " aws:docdb/cluster:Cluster aws:dynamodb/table:Table"
    " mongodbatlas:index/advancedCluster:AdvancedCluster mongodbatlas:index/cluster:Cluster"
    " aws:elasticache/replicationGroup:ReplicationGroup aws:elasticache/cluster:Cluster"
    " aws:elasticache/globalReplicationGroup:GlobalReplicationGroup aws:s3/bucket:Bucket"
    " aws:s3/bucketV2:BucketV2 aws:sqs/queue:Queue aws:kinesis/stream:Stream"
    " aws:msk/cluster:Cluster aws:kms/key:Key aws:secretsmanager/secret:Secret"
    " aws:eks/cluster:Cluster aws:opensearch/domain:Domain"
)


def _numbers(version: Any) -> tuple[int, ...]:
    return tuple(int(n) for n in re.findall(r"\d+", str(version or "")))


def _downgrade(old: Any, new: Any, *_: Any) -> bool:
    """True when ``new`` sorts below ``old``; unparseable versions count as a downgrade (guarded)."""
    old_n, new_n = _numbers(old), _numbers(new)
    return not (old_n and new_n) or new_n < old_n


def _get(value: Any, path: str) -> Any:
    for part in path.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    return value


def _nested(*paths: str, presence: bool = True) -> Predicate:
    """Forces when the block appears/disappears (if ``presence``) or any nested ``paths`` differ."""

    def predicate(old: Any, new: Any, *_: Any) -> bool:
        if presence and bool(old) != bool(new):
            return True
        return any(_get(old, p) != _get(new, p) for p in paths)

    return predicate


def _switched_off(*paths: str) -> Predicate:
    """Forces when a nested boolean goes from true to false (AWS cannot turn it off in place)."""
    return lambda old, new, *_: any(_get(old, p) and not _get(new, p) for p in paths)


def _opensearch_encryption(kms: bool) -> Predicate:
    """TF: turning encryption off, or on for a pre-OpenSearch engine, or changing the key, replaces."""

    def predicate(old: Any, new: Any, _old_inputs: Mapping[str, Any], new_inputs: Mapping[str, Any]) -> bool:
        was, now = bool(_get(old, "enabled")), bool(_get(new, "enabled"))
        in_place = str(new_inputs.get("engineVersion") or "").startswith("OpenSearch_")
        return (
            (was and not now)
            or (now and not was and not in_place)
            or (kms and _get(old, "kmsKeyId") != _get(new, "kmsKeyId"))
        )

    return predicate


def _valkey_to_redis(old: Any, new: Any, *_: Any) -> bool:
    """Redis -> Valkey updates in place; anything else that changes the engine replaces."""
    before, after = str(old or "redis").lower(), str(new or "redis").lower()
    return after != "valkey" and before != after


def _transit_encryption(_old: Any, _new: Any, _oi: Mapping[str, Any], new_inputs: Mapping[str, Any]) -> bool:
    """TF: toggling in-transit encryption replaces the group below engine 7.0.5."""
    version = _numbers(new_inputs.get("engineVersion"))
    return not version or version < (7, 0, 5)


FORCE_NEW_IF: dict[str, dict[str, Predicate]] = {
    "aws:elasticache/replicationGroup:ReplicationGroup": {
        "engine": _valkey_to_redis,
        "engineVersion": _downgrade,
        "transitEncryptionEnabled": _transit_encryption,
        # TF only replaces on "significant" node group changes; every change is guarded here.
        "nodeGroupConfigurations": lambda old, new, *_: True,
    },
    "aws:eks/cluster:Cluster": {
        "accessConfig": _nested("bootstrapClusterCreatorAdminPermissions", presence=False),
        "encryptionConfig": lambda old, new, *_: bool(old) and not new,
        "kubernetesNetworkConfig": _nested("ipFamily", "serviceIpv4Cidr", presence=False),
    },
    "aws:eks/nodeGroup:NodeGroup": {"launchTemplate": _nested("id", "name")},
    "aws:msk/cluster:Cluster": {
        "brokerNodeGroupInfo": _nested("azDistribution", "clientSubnets", "securityGroups"),
        "encryptionInfo": _nested("encryptionAtRestKmsKeyArn", "encryptionInTransit.inCluster"),
        "kafkaVersion": _downgrade,
    },
    "aws:opensearch/domain:Domain": {
        # TF asks the service which upgrades are compatible; offline every version change is guarded.
        "engineVersion": lambda old, new, *_: True,
        "encryptAtRest": _opensearch_encryption(kms=True),
        "nodeToNodeEncryption": _opensearch_encryption(kms=False),
        "advancedSecurityOptions": _switched_off("enabled"),
        "ipAddressType": lambda old, new, *_: old == "dualstack",
    },
}


def replacement_keys(resource_type: str) -> frozenset[str]:
    """Top-level inputs of ``resource_type`` whose change always forces replacement.

    Every ``aws:`` resource also has pulumi-aws v7's per-resource ``region`` input: moving a
    resource to another region is a new resource.
    """
    keys = FORCE_NEW.get(resource_type, frozenset())
    return keys | {"region"} if resource_type.startswith("aws:") else keys


def forcing_keys(
    resource_type: str,
    changed: list[str],
    old_inputs: Mapping[str, Any],
    new_inputs: Mapping[str, Any],
) -> list[str]:
    """The subset of ``changed`` top-level inputs that replace a ``resource_type`` resource."""
    always = replacement_keys(resource_type)
    rules = FORCE_NEW_IF.get(resource_type, {})
    forcing = []
    for key in changed:
        rule = rules.get(key)
        if key in always or (rule and rule(old_inputs.get(key), new_inputs.get(key), old_inputs, new_inputs)):
            forcing.append(key)
    return forcing


def is_stateful(resource_type: str) -> bool:
    """True for resources whose replacement or deletion loses data (see :data:`STATEFUL_TYPES`)."""
    return resource_type in STATEFUL_TYPES
