"""The ForceNew table: which input changes replace a resource, which types hold data, and defaults.

Data only; the logic that reads it is :mod:`infra.offline.forcenew`. Sources, read in the provider code
(pulumi-aws 7.51.1 bridges terraform-provider-aws v6 one to one; pulumi-kubernetes 4.34; pulumi-
random 4.21 bridges terraform-provider-random): the ``ForceNew`` / ``RequiresReplace`` attributes
of each resource schema, ``internal/service/<svc>/<resource>.go`` unless a group names another file.
Originally read line by line: RDS instance and proxy, ElastiCache replication group, EKS cluster and
node group, MSK, OpenSearch, DocumentDB, VPC, subnet, NAT gateway; the others before this table's
second pass came from the documented "forces new resource" arguments. ``tests/test_diff.py`` checks
that every path starts at a real input of the installed SDK and that every type the four phase
stacks register is listed. Where unsure, or where an attribute updates in place but still breaks
every client (a rename that moves an endpoint), the key is listed and commented: this table guards
production data, so it errs towards "replace".

Paths are Pulumi wire names (camelCase). ``a`` covers any change under ``a`` (a ForceNew block);
``a.b`` only a change of ``b`` inside ``a`` (a ForceNew attribute in a block that is not).
"""

from __future__ import annotations


def _keys(names: str) -> frozenset[str]:
    """A key set from whitespace-separated names (keeps the long table readable)."""
    return frozenset(names.split())


_NAMED = frozenset({"name", "namePrefix"})
_BUCKET_CHILD = frozenset({"bucket", "expectedBucketOwner"})
_K8S_META = frozenset({"metadata.name", "metadata.namespace"})

#: Type token -> input paths whose change replaces the resource (``a.b``: nested key ``b`` of
#: block ``a``; lists are walked element by element).
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
    # MongoDB Atlas (pulumi-mongodbatlas 4.18.0 bridges terraform-provider-mongodbatlas 2.x; read in
    # internal/service/<svc>/: RequiresReplace plan modifiers of the framework resources, ForceNew of
    # the SDKv2 ones). advancedcluster/schema.go: project_id and name only; cluster_type, replication
    # specs (shards, regions, sizes), version, backup and encryption flags are PATCHes. The legacy
    # `cluster` resource is not read: project and name, conservatively.
    "mongodbatlas:index/advancedCluster:AdvancedCluster": _keys("projectId name"),
    "mongodbatlas:index/cluster:Cluster": _keys("projectId name"),
    # project/resource_project_schema.go: org_id; the name updates in place.
    "mongodbatlas:index/project:Project": _keys("orgId"),
    # cloudbackupschedule/resource_cloud_backup_schedule.go: project_id is ForceNew. cluster_name is
    # not, but another name is another cluster's schedule: guarded.
    "mongodbatlas:index/cloudBackupSchedule:CloudBackupSchedule": _keys("projectId clusterName"),
    # encryptionatrest/resource.go: project_id; the KMS configuration updates in place.
    "mongodbatlas:index/encryptionAtRest:EncryptionAtRest": _keys("projectId"),
    # cloudprovideraccess/resource_cloud_provider_access_setup.go (project_id, provider_name) and
    # resource_cloud_provider_access_authorization.go (project_id, role_id; `aws` re-authorizes in place).
    "mongodbatlas:index/cloudProviderAccessSetup:CloudProviderAccessSetup": _keys("projectId providerName"),
    "mongodbatlas:index/cloudProviderAccessAuthorization:CloudProviderAccessAuthorization": _keys("projectId roleId"),
    # privatelinkendpoint/resource.go: project_id, provider_name, region, delete_on_create_timeout
    # (supported_remote_regions updates). privatelinkendpointservice/resource.go: project_id,
    # provider_name, private_link_id, endpoint_service_id, gcp_project_id, delete_on_create_timeout.
    "mongodbatlas:index/privateLinkEndpoint:PrivateLinkEndpoint": _keys(
        "projectId providerName region deleteOnCreateTimeout"
    ),
    "mongodbatlas:index/privateLinkEndpointService:PrivateLinkEndpointService": _keys(
        "projectId providerName privateLinkId endpointServiceId gcpProjectId deleteOnCreateTimeout"
    ),
    # privateendpointregionalmode/resource_private_endpoint_regional_mode.go: project_id.
    "mongodbatlas:index/privateEndpointRegionalMode:PrivateEndpointRegionalMode": _keys("projectId"),
    # databaseuser/resource_database_user.go: project_id and username. auth_database_name is not
    # ForceNew but is part of the user's API path (/databaseUsers/{db}/{user}): guarded.
    "mongodbatlas:index/databaseUser:DatabaseUser": _keys("projectId username authDatabaseName"),
    # alertconfiguration/resource.go: project_id.
    "mongodbatlas:index/alertConfiguration:AlertConfiguration": _keys("projectId"),
    # projectipaccesslist/resource_schema.go: every argument RequiresReplace.
    "mongodbatlas:index/projectIpAccessList:ProjectIpAccessList": _keys(
        "projectId cidrBlock ipAddress awsSecurityGroup comment"
    ),
    # Caches.
    "aws:elasticache/replicationGroup:ReplicationGroup": _keys(
        "atRestEncryptionEnabled dataTieringEnabled globalReplicationGroupId kmsKeyId networkType"
        " port replicationGroupId securityGroupNames snapshotArns snapshotName subnetGroupName"
    ),
    "aws:elasticache/subnetGroup:SubnetGroup": _keys("name"),
    "aws:elasticache/parameterGroup:ParameterGroup": _keys("name family description"),
    # Object storage (internal/service/s3/bucket.go). bucketNamespace is new and unchecked: guarded.
    # The deprecated inline objectLockConfiguration block is not itself ForceNew, but its nested
    # objectLockEnabled is: matched by path, so a new `rule` inside the block stays an update.
    "aws:s3/bucket:Bucket": _keys(
        "bucket bucketPrefix objectLockEnabled bucketNamespace objectLockConfiguration.objectLockEnabled"
    ),
    "aws:s3/bucketV2:BucketV2": _keys(
        "bucket bucketPrefix objectLockEnabled objectLockConfiguration.objectLockEnabled"
    ),
    "aws:s3/bucketVersioning:BucketVersioning": _BUCKET_CHILD,
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": _BUCKET_CHILD,
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": _BUCKET_CHILD,
    "aws:s3/bucketLogging:BucketLogging": _BUCKET_CHILD,
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": _keys("bucket"),
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": _keys("bucket"),
    "aws:s3/bucketPolicy:BucketPolicy": _keys("bucket"),
    # Messaging and streaming.
    "aws:sqs/queue:Queue": _NAMED | {"fifoQueue"},
    "aws:sqs/queuePolicy:QueuePolicy": _keys("queueUrl"),
    "aws:sqs/redriveAllowPolicy:RedriveAllowPolicy": _keys("queueUrl"),
    "aws:sns/topic:Topic": _NAMED | {"fifoTopic"},
    "aws:sns/topicPolicy:TopicPolicy": _keys("arn"),
    # Kinesis stream: `name` is its only ForceNew attribute; mode, shard count, retention, encryption
    # and shard-level metrics have update calls (TF internal/service/kinesis/stream.go).
    # SNS subscription: endpoint, protocol and topic_arn are ForceNew; filter/redrive/raw delivery update.
    "aws:sns/topicSubscription:TopicSubscription": _keys("endpoint protocol topic"),
    "aws:kinesis/stream:Stream": _keys("name"),
    "aws:msk/cluster:Cluster": _keys("clusterName"),
    # internal/service/opensearch/domain.go (v6): ForceNew on domain_name, vpc_options (the block;
    # its subnet/security-group changes update in place, guarded as a whole) and encrypt_at_rest.kms_key_id;
    # the rest is CustomizeDiff, in FORCE_NEW_IF. Cluster, EBS, logs, Auto-Tune, off-peak: in place.
    "aws:opensearch/domain:Domain": _keys("domainName vpcOptions encryptAtRest.kmsKeyId"),
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
    "aws:wafv2/webAcl:WebAcl": _NAMED | {"scope"},
    "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration": _keys("resourceArn"),
    "aws:iam/role:Role": _NAMED | {"path"},
    "aws:iam/rolePolicy:RolePolicy": _NAMED | {"role"},
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": _keys("role policyArn"),
    "aws:cloudwatch/logGroup:LogGroup": _NAMED | {"logGroupClass"},
    # The provider's documented "forces new resource": bucket only; rules update in place.
    "aws:s3/bucketReplicationConfig:BucketReplicationConfig": _keys("bucket"),
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
    # DNS (internal/service/route53: zone.go, record.go, health_check.go). A record's `type` and
    # `setIdentifier` are not ForceNew: the provider's Update deletes and creates the record set in
    # one atomic ChangeResourceRecordSets batch, so there is no gap (latency records from phase 1
    # keep both fixed anyway). A health check's type, interval, latency measurement, reference name
    # and routing control are fixed at creation; the zone's name and delegation set likewise.
    "aws:route53/zone:Zone": _keys("name delegationSetId"),
    "aws:route53/record:Record": _keys("name zoneId"),
    "aws:route53/healthCheck:HealthCheck": _keys("type requestInterval measureLatency referenceName routingControlArn"),
    # internal/service/logs/resource_policy.go: policy_name is ForceNew, the document updates in place.
    "aws:cloudwatch/logResourcePolicy:LogResourcePolicy": _keys("policyName"),
    "aws:cloudwatch/metricAlarm:MetricAlarm": _keys("name"),
    "aws:cloudwatch/dashboard:Dashboard": _keys("dashboardName"),
    # EventBridge (internal/service/events/rule.go, target.go): the bus and the names.
    "aws:cloudwatch/eventRule:EventRule": _NAMED | {"eventBusName"},
    "aws:cloudwatch/eventTarget:EventTarget": _keys("eventBusName rule targetId"),
    # EKS satellites (internal/service/eks/addon.go, access_entry.go, access_policy_association.go,
    # pod_identity_association.go). An add-on's version, configuration and role update in place; a
    # pod identity association's roleArn too. accessScope is a ForceNew block.
    "aws:eks/addon:Addon": _keys("addonName clusterName"),
    "aws:eks/accessEntry:AccessEntry": _keys("clusterName principalArn type"),
    "aws:eks/accessPolicyAssociation:AccessPolicyAssociation": _keys("accessScope clusterName policyArn principalArn"),
    "aws:eks/podIdentityAssociation:PodIdentityAssociation": _keys("clusterName namespace serviceAccount"),
    # Launch templates (internal/service/ec2/ec2_launch_template.go): only the name forces a new
    # template; every other change is in place as a new version (latestVersion moves, and node
    # groups pinned to it roll their nodes: an update, see infra/offline/harness.py).
    "aws:ec2/launchTemplate:LaunchTemplate": _NAMED,
    # VPC peering (internal/service/ec2/vpc_peering_connection.go, vpc_peering_connection_accepter.go).
    "aws:ec2/vpcPeeringConnection:VpcPeeringConnection": _keys("peerOwnerId peerRegion peerVpcId vpcId"),
    "aws:ec2/vpcPeeringConnectionAccepter:VpcPeeringConnectionAccepter": _keys("vpcPeeringConnectionId"),
    # Rotation (internal/service/secretsmanager/secret_rotation.go) and the rotation function's
    # SAR stack (internal/service/serverlessrepo/cloudformation_stack.go: parameters, capabilities
    # and semanticVersion update the CloudFormation stack through a change set).
    "aws:secretsmanager/secretRotation:SecretRotation": _keys("secretId"),
    "aws:serverlessrepository/cloudFormationStack:CloudFormationStack": _keys("applicationId name"),
    # terraform-provider-random (internal/provider/resource_password.go, resource_bytes.go): every
    # argument carries a RequiresReplace plan modifier; a new value means a new secret.
    "random:index/randomPassword:RandomPassword": _keys(
        "keepers length lower minLower minNumeric minSpecial minUpper number numeric overrideSpecial special upper"
    ),
    "random:index/randomBytes:RandomBytes": _keys("keepers length"),
    # An explicit provider whose region changes is replaced, and every resource under it with it.
    "pulumi:providers:aws": _keys("region"),
    # pulumi-kubernetes provider/pkg/provider/provider.go DiffConfig: replaced when the kubeconfig
    # points at another cluster (compared through its active cluster, see forcenew.PROJECTIONS),
    # or clusterIdentifier / renderYamlToDirectory change.
    "pulumi:providers:kubernetes": _keys("kubeconfig context cluster clusterIdentifier renderYamlToDirectory"),
    # Kubernetes objects: pulumi-kubernetes provider/pkg/provider/diff.go (forceNewProperties) and
    # provider.go Diff: metadata.name/namespace always; per kind the fields the API server will not
    # patch. ConfigMap data and Secret type/data/stringData replace unless the provider enables
    # enableConfigMapMutable / enableSecretMutable (ours does not). policy/v1 PDBs are patchable
    # (only v1beta1 listed .spec). StorageClass: the provider lists parameters and provisioner; the
    # API server also refuses reclaimPolicy and volumeBindingMode updates, guarded here too.
    "kubernetes:core/v1:Namespace": _K8S_META,
    "kubernetes:keda.sh/v1alpha1:TriggerAuthentication": _K8S_META,
    "kubernetes:core/v1:ServiceAccount": _K8S_META,
    "kubernetes:core/v1:ConfigMap": _K8S_META | {"data", "binaryData"},
    "kubernetes:core/v1:Secret": _K8S_META | {"type", "data", "stringData"},
    "kubernetes:core/v1:Service": _K8S_META | {"spec.clusterIP"},
    "kubernetes:core/v1:PersistentVolumeClaim": _K8S_META
    | _keys("spec.accessModes spec.selector spec.storageClassName spec.volumeName"),
    "kubernetes:apps/v1:Deployment": _K8S_META | {"spec.selector"},
    "kubernetes:apps/v1:DaemonSet": _K8S_META | {"spec.selector"},
    "kubernetes:apps/v1:StatefulSet": _K8S_META
    | _keys(
        "spec.podManagementPolicy spec.revisionHistoryLimit spec.selector spec.serviceName spec.volumeClaimTemplates"
    ),
    "kubernetes:batch/v1:Job": _K8S_META | _keys("spec.completions spec.parallelism spec.selector spec.template"),
    "kubernetes:storage.k8s.io/v1:StorageClass": _K8S_META
    | _keys("parameters provisioner reclaimPolicy volumeBindingMode"),
    "kubernetes:policy/v1:PodDisruptionBudget": _K8S_META,
    "kubernetes:autoscaling/v2:HorizontalPodAutoscaler": _K8S_META,
    "kubernetes:networking.k8s.io/v1:Ingress": _K8S_META,
    "kubernetes:networking.k8s.io/v1:NetworkPolicy": _K8S_META,
    "kubernetes:keda.sh/v1alpha1:ScaledObject": _K8S_META,
    # provider/pkg/provider/helm_release.go Diff: forceNewFields .name and .namespace.
    "kubernetes:helm.sh/v3:Release": _keys("name namespace"),
}

#: Types whose replacement or deletion loses data: databases and replicas, caches, buckets,
#: queues and streams, keys (data encrypted under them), secrets, clusters, search domains and
#: hosted zones.
STATEFUL_TYPES: frozenset[str] = _keys(
    "aws:rds/instance:Instance aws:rds/cluster:Cluster"
    " aws:rds/clusterInstance:ClusterInstance aws:rds/globalCluster:GlobalCluster"
    " aws:docdb/cluster:Cluster aws:dynamodb/table:Table"
    " mongodbatlas:index/advancedCluster:AdvancedCluster mongodbatlas:index/cluster:Cluster"
    # An Atlas project: deleting it deletes its clusters' configuration, users and backups' home.
    " mongodbatlas:index/project:Project"
    " aws:elasticache/replicationGroup:ReplicationGroup aws:elasticache/cluster:Cluster"
    " aws:elasticache/globalReplicationGroup:GlobalReplicationGroup aws:s3/bucket:Bucket"
    " aws:s3/bucketV2:BucketV2 aws:sqs/queue:Queue aws:kinesis/stream:Stream"
    " aws:msk/cluster:Cluster aws:kms/key:Key aws:secretsmanager/secret:Secret"
    " aws:eks/cluster:Cluster aws:opensearch/domain:Domain"
    " kubernetes:core/v1:PersistentVolumeClaim"
    # A public zone: its name servers are what the parent zone delegates to.
    " aws:route53/zone:Zone"
)

#: Provider defaults (path -> value): an input that is absent in one program and set to this value
#: in the other is the same resource state, not a change. From the ``Default:`` of the schemas read
#: above (events rule/target, EKS access entry and pod identity association, secret rotation) and
#: the Kubernetes API defaults of the fields named.
DEFAULTS: dict[str, dict[str, object]] = {
    "aws:cloudwatch/eventRule:EventRule": {"eventBusName": "default", "forceDestroy": False},
    "aws:cloudwatch/eventTarget:EventTarget": {"eventBusName": "default", "forceDestroy": False},
    "aws:eks/accessEntry:AccessEntry": {"type": "STANDARD"},
    "aws:eks/podIdentityAssociation:PodIdentityAssociation": {"disableSessionTags": False},
    "aws:secretsmanager/secretRotation:SecretRotation": {"rotateImmediately": True},
    # Documented defaults of ForceNew inputs (pulumi-aws registry pages; the security group's is
    # pulumi-aws's own override of TF's "Managed by Terraform").
    "aws:iam/role:Role": {"path": "/"},
    "aws:ec2/securityGroup:SecurityGroup": {"description": "Managed by Pulumi"},
    "aws:kms/key:Key": {"keyUsage": "ENCRYPT_DECRYPT", "customerMasterKeySpec": "SYMMETRIC_DEFAULT"},
    "aws:eks/cluster:Cluster": {"bootstrapSelfManagedAddons": True},
    "kubernetes:core/v1:Service": {"spec.type": "ClusterIP"},
    "kubernetes:core/v1:Secret": {"type": "Opaque"},
    "kubernetes:apps/v1:Deployment": {"spec.replicas": 1.0, "spec.strategy.type": "RollingUpdate"},
}
