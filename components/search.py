"""OpenSearch Service domain: private, three zones, dedicated masters, encrypted, IAM-authenticated, logged.

AWS constraints this component relies on:

- Domain name: 3-28 characters, a lowercase letter first, then lowercase letters, digits and
  hyphens. It is the provider's only always-``ForceNew`` top-level input besides ``vpc_options``
  (adding or removing the block replaces; subnets and security groups update in place), so phases
  never change either (terraform-provider-aws ``internal/service/opensearch/domain.go``, schema and
  ``CustomizeDiff``; see ``infra/offline/forcenew.py``).
  https://docs.aws.amazon.com/opensearch-service/latest/APIReference/API_CreateDomain.html
- Also replacing, per that ``CustomizeDiff``: a changed ``encrypt_at_rest.kms_key_id``, turning
  at-rest or node-to-node encryption or fine-grained access control *off*, leaving ``dualstack``,
  and an ``engine_version`` that ``GetCompatibleVersions`` does not list as an upgrade target.
  Instance type, count, dedicated masters, EBS size/IOPS/throughput, log publishing, Auto-Tune,
  off-peak and software-update options go through ``UpdateDomainConfig`` in place; size and
  type changes run as a blue/green deployment, which can take hours (hence the 6-hour timeout).
  https://docs.aws.amazon.com/opensearch-service/latest/developerguide/managedomains-configuration-changes.html
- Three zones: ``zone_awareness_enabled`` with ``availability_zone_count = 3`` (the provider
  accepts 2 or 3) needs one subnet per zone in three zones; data nodes are a multiple of three so
  each zone holds the same number (and a replica of every shard can live in another zone); three
  dedicated master nodes (3 or 5 are the documented choices), one per zone, keep a quorum when a
  zone is lost.
  https://docs.aws.amazon.com/opensearch-service/latest/developerguide/managedomains-multiaz.html
  https://docs.aws.amazon.com/opensearch-service/latest/developerguide/managedomains-dedicatedmasternodes.html
- Graviton instance types are named ``<family>.<size>.search`` (``r7g.large.search``,
  ``m7g.large.search``); the config's table (``infra/config/data.py``) lists the ones we accept; not
  every Region offers every type.
  https://docs.aws.amazon.com/opensearch-service/latest/developerguide/supported-instance-types.html
- gp3 volumes take ``iops`` and ``throughput`` (``throughput`` at least 125 MiB/s, the provider's
  validation); EBS caps gp3 at 500 IOPS per GiB and 0.25 MiB/s per provisioned IOPS; the size
  limit per node depends on the instance type (limits page).
  https://docs.aws.amazon.com/opensearch-service/latest/APIReference/API_EBSOptions.html
  https://docs.aws.amazon.com/ebs/latest/userguide/general-purpose.html#gp3-ebs-volume-type
  https://docs.aws.amazon.com/opensearch-service/latest/developerguide/limits.html
- Fine-grained access control needs node-to-node encryption, encryption at rest and
  ``EnforceHTTPS``; with the internal user database off, the master user is an IAM ARN
  (``master_user_arn``) and requests are SigV4-signed. The domain access policy lets the account's
  IAM principals call ``es:ESHttp*`` on the domain; IAM policies (the apps' Pod Identity roles) and
  the security plugin's role mappings decide the rest.
  https://docs.aws.amazon.com/opensearch-service/latest/developerguide/fgac.html
  https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-opensearchservice-domain-advancedsecurityoptionsinput.html
- TLS policies: ``Policy-Min-TLS-1-0-2019-07``, ``Policy-Min-TLS-1-2-2019-07`` and
  ``Policy-Min-TLS-1-2-PFS-2023-10`` (TLS 1.2-1.3, forward-secret suites only); we use the last.
  https://docs.aws.amazon.com/opensearch-service/latest/APIReference/API_DomainEndpointOptions.html
- Encryption at rest with a customer key: a symmetric key in the domain's Region. OpenSearch
  Service uses it through KMS grants created on behalf of the caller, so the key policy needs no
  service principal; its ``AccountAdministers`` statement lets the deployer's IAM policy allow
  ``kms:CreateGrant``/``kms:DescribeKey``. The log groups' key must grant
  ``logs.<region>.amazonaws.com`` (the cell key does).
  https://docs.aws.amazon.com/opensearch-service/latest/developerguide/encryption-at-rest.html
- Log publishing (``INDEX_SLOW_LOGS``, ``SEARCH_SLOW_LOGS``, ``ES_APPLICATION_LOGS``, ``AUDIT_LOGS``;
  audit logs only with fine-grained access control) needs a CloudWatch Logs *resource policy*
  letting ``es.amazonaws.com`` call ``logs:PutLogEvents`` and ``logs:CreateLogStream`` on the log
  groups, narrowed by ``aws:SourceAccount``/``aws:SourceArn``. Resource policies are per account
  and Region: at most 10, each at most 5,120 characters (:func:`log_resource_policy` refuses a
  longer one). We write one per domain, and one domain per Region exists (primary cell).
  https://docs.aws.amazon.com/opensearch-service/latest/developerguide/createdomain-configure-slow-logs.html
  https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutResourcePolicy.html
  https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/cloudwatch_limits_cwl.html
- Slow-log thresholds and audit-log categories are OpenSearch settings (index settings, the
  security plugin's audit configuration), not AWS API inputs: publishing only ships what the
  domain writes.
- Off-peak window: every domain created since 2023-02-16 has one and it cannot be disabled; Auto-Tune
  and service software updates use it (``use_off_peak_window``, ``auto_software_update_enabled``).
  https://docs.aws.amazon.com/opensearch-service/latest/developerguide/off-peak.html
  https://docs.aws.amazon.com/opensearch-service/latest/developerguide/auto-tune.html
- Snapshots: domains on OpenSearch take hourly automated snapshots (kept 14 days) whatever
  ``automated_snapshot_start_hour`` says; the provider marks ``snapshot_options`` as irrelevant
  for them, so it is not set.
  https://docs.aws.amazon.com/opensearch-service/latest/developerguide/managedomains-snapshots.html
- VPC domains need the service-linked role ``AWSServiceRoleForAmazonOpenSearchService``
  (``opensearchservice.amazonaws.com``). It is account-wide and creating it fails when it exists,
  so no stack creates it: an account runs ``aws iam create-service-linked-role --aws-service-name
  opensearchservice.amazonaws.com`` once (docs/architecture.md).
  https://docs.aws.amazon.com/opensearch-service/latest/developerguide/slr.html
- Alarms: AWS's recommended set (namespace ``AWS/ES``, dimensions ``DomainName`` and
  ``ClientId`` = account id): ClusterStatus.red >= 1 (1 min, 1 of 1), ClusterStatus.yellow >= 1
  (1 min, 5 of 5), FreeStorageSpace <= 25% of a node's storage in MiB (1 min, 1 of 1),
  ClusterIndexWritesBlocked >= 1 (5 min, 1 of 1), AutomatedSnapshotFailure >= 1, CPUUtilization
  >= 80% (15 min, 3 of 3), JVMMemoryPressure >= 95% (1 min, 3 of 3), MasterCPUUtilization >= 50%
  (15 min, 3 of 3), MasterReachableFromNode < 1 (1 day, 1 of 1).
  https://docs.aws.amazon.com/opensearch-service/latest/developerguide/cloudwatch-alarms.html
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components.base import YEAR_LOG_RETENTION_DAYS, child_opts, merge_tags, stateful_opts

PORT = 443
TLS_POLICY = "Policy-Min-TLS-1-2-PFS-2023-10"
TLS_POLICIES = frozenset({"Policy-Min-TLS-1-0-2019-07", "Policy-Min-TLS-1-2-2019-07", TLS_POLICY})
#: Log type -> log group suffix, in a stable order.
LOG_TYPES = {
    "INDEX_SLOW_LOGS": "index-slow",
    "SEARCH_SLOW_LOGS": "search-slow",
    "ES_APPLICATION_LOGS": "application",
    "AUDIT_LOGS": "audit",
}
ZONES = 3
MASTER_COUNT = 3
#: CloudWatch Logs refuses a resource policy longer than this (PutResourcePolicy).
MAX_LOG_POLICY_CHARS = 5120
#: Blue/green deployments of a resized domain run for hours; a timed-out update leaves the state
#: behind a domain that is still processing, and the next ``up`` fails against it.
DOMAIN_TIMEOUTS = pulumi.CustomTimeouts(create="2h", update="6h", delete="2h")
_DOMAIN_NAME = re.compile(r"^[a-z][a-z0-9-]{2,27}$")
_MIB_PER_GIB = 1024
_OUTPUTS = ("domain_name", "arn", "endpoint", "security_group_id", "log_group_names", "alarm_names")


def check_domain_name(name: str) -> str:
    """``name`` if OpenSearch Service accepts it as a domain name, else ValueError."""
    if not _DOMAIN_NAME.match(name):
        raise ValueError(
            f"domain_name {name!r}: 3-28 characters, a lowercase letter first, then lowercase letters, digits, '-'"
        )
    return name


def domain_arn(region: str, account_id: str, name: str) -> str:
    """The domain's ARN (``arn:aws:es:...:domain/<name>``), known before the domain exists."""
    return f"arn:aws:es:{region}:{account_id}:domain/{name}"


def log_group_name(domain: str, log_type: str) -> str:
    """``/aws/opensearch/<domain>/<suffix>`` for one of :data:`LOG_TYPES`."""
    return f"/aws/opensearch/{domain}/{LOG_TYPES[log_type]}"


def log_resource_policy(region: str, account_id: str, domain: str) -> str:
    """The CloudWatch Logs resource policy letting this domain (only) write its log groups."""
    groups = [f"arn:aws:logs:{region}:{account_id}:log-group:{log_group_name(domain, t)}:*" for t in sorted(LOG_TYPES)]
    document = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "OpenSearchPublishesLogs",
                    "Effect": "Allow",
                    "Principal": {"Service": "es.amazonaws.com"},
                    "Action": ["logs:PutLogEvents", "logs:CreateLogStream"],
                    "Resource": groups,
                    "Condition": {
                        "StringEquals": {"aws:SourceAccount": account_id},
                        "ArnLike": {"aws:SourceArn": domain_arn(region, account_id, domain)},
                    },
                }
            ],
        }
    )
    if len(document) > MAX_LOG_POLICY_CHARS:
        raise ValueError(f"log resource policy is {len(document)} characters; CloudWatch Logs allows 5120")
    return document


def access_policy(region: str, account_id: str, domain: str) -> str:
    """Domain access policy: the account's IAM principals may send HTTP requests; IAM and FGAC decide."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "AccountPrincipals",
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"},
                    "Action": "es:ESHttp*",
                    "Resource": f"{domain_arn(region, account_id, domain)}/*",
                }
            ],
        }
    )


@dataclass(frozen=True)
class SearchAlarmSpec:
    """One recommended alarm: metric, statistic, comparison, threshold, period (s) and periods."""

    kind: str
    metric_name: str
    statistic: str
    comparison: str
    threshold: float
    period: int
    periods: int
    summary: str


def alarm_specs(volume_size_gb: int) -> list[SearchAlarmSpec]:
    """AWS's recommended OpenSearch alarms; free storage at 25% of one node's volume (in MiB)."""
    ge, le, lt = "GreaterThanOrEqualToThreshold", "LessThanOrEqualToThreshold", "LessThanThreshold"
    return [
        SearchAlarmSpec("red", "ClusterStatus.red", "Maximum", ge, 1, 60, 1, "a primary shard is unassigned"),
        SearchAlarmSpec("yellow", "ClusterStatus.yellow", "Maximum", ge, 1, 60, 5, "a replica shard is unassigned"),
        SearchAlarmSpec(
            "free-storage",
            "FreeStorageSpace",
            "Minimum",
            le,
            volume_size_gb * _MIB_PER_GIB * 0.25,
            60,
            1,
            "a node has 25% of its storage left",
        ),
        SearchAlarmSpec("writes-blocked", "ClusterIndexWritesBlocked", "Maximum", ge, 1, 300, 1, "writes blocked"),
        SearchAlarmSpec("snapshot-failed", "AutomatedSnapshotFailure", "Maximum", ge, 1, 60, 1, "snapshot failed"),
        SearchAlarmSpec("cpu", "CPUUtilization", "Maximum", ge, 80, 900, 3, "data node CPU high"),
        SearchAlarmSpec("jvm-pressure", "JVMMemoryPressure", "Maximum", ge, 95, 60, 3, "JVM memory pressure high"),
        SearchAlarmSpec("master-cpu", "MasterCPUUtilization", "Maximum", ge, 50, 900, 3, "master CPU high"),
        SearchAlarmSpec(
            "master-unreachable", "MasterReachableFromNode", "Maximum", lt, 1, 86400, 1, "master unreachable"
        ),
    ]


@dataclass
class SearchDomainArgs:
    """Inputs of :class:`SearchDomain`.

    Attributes:
        domain_name: Physical name (see :func:`check_domain_name`); never changes (ForceNew).
        region: The domain's Region (names its ARN and the log policy).
        account_id: Account of the domain (access and log policies, alarm dimension).
        vpc_id: VPC of the security group.
        subnet_ids: Private subnets, exactly one in each of three zones.
        client_cidr_blocks: Networks allowed on 443 (the app subnets); never 0.0.0.0/0.
        kms_key_arn: Customer key for data at rest and the log groups; fixed once created.
        master_user_arn: IAM role that is the security plugin's master user.
        engine_version: ``OpenSearch_X.Y``. Default: ``OpenSearch_2.19``.
        instance_type: Data node type. Default: ``r7g.large.search``.
        instance_count: Data nodes, a multiple of 3. Default: 3.
        master_instance_type: Dedicated master type (three of them). Default: ``m7g.large.search``.
        volume_size_gb: gp3 volume per data node, GiB. Default: 100.
        iops: gp3 IOPS per volume (3,000-16,000, at most 500 per GiB). Default: 3000.
        throughput_mibps: gp3 MiB/s per volume (125-1,000, at most IOPS / 4). Default: 125.
        off_peak_start_hour: UTC hour the daily 10-hour off-peak window starts. Default: 2.
        log_retention_days: Retention of the four log groups, at least 365. Default: 365.
        alarm_topic_arn: SNS topic of the alarms; None: no alarms. Default: None.
        tags: Extra tags. Default: none.
    """

    domain_name: str
    region: str
    account_id: pulumi.Input[str]
    vpc_id: pulumi.Input[str]
    subnet_ids: Sequence[pulumi.Input[str]]
    client_cidr_blocks: list[str]
    kms_key_arn: pulumi.Input[str]
    master_user_arn: pulumi.Input[str]
    engine_version: str = "OpenSearch_2.19"
    instance_type: str = "r7g.large.search"
    instance_count: int = 3
    master_instance_type: str = "m7g.large.search"
    volume_size_gb: int = 100
    iops: int = 3000
    throughput_mibps: int = 125
    off_peak_start_hour: int = 2
    log_retention_days: int = 365
    alarm_topic_arn: pulumi.Input[str] | None = None
    tags: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        check_domain_name(self.domain_name)
        if not self.engine_version.startswith("OpenSearch_"):
            raise ValueError(f"engine_version {self.engine_version!r}: OpenSearch_X.Y")
        if len(self.subnet_ids) != ZONES:
            raise ValueError(f"subnet_ids: one private subnet in each of {ZONES} zones, got {len(self.subnet_ids)}")
        if self.instance_count < ZONES or self.instance_count % ZONES:
            raise ValueError(f"instance_count {self.instance_count}: a multiple of {ZONES} (even zones)")
        for name, value in (("instance_type", self.instance_type), ("master_instance_type", self.master_instance_type)):
            if not re.fullmatch(r"[a-z]\d+g[a-z]*\.[a-z0-9]+\.search", value):
                raise ValueError(f"{name} {value!r}: a Graviton OpenSearch type, e.g. r7g.large.search")
        if not 3000 <= self.iops <= min(16000, 500 * self.volume_size_gb):
            raise ValueError(f"iops {self.iops}: 3000-16000 and at most 500 per GiB of volume_size_gb")
        if not 125 <= self.throughput_mibps <= min(1000, self.iops // 4):
            raise ValueError(f"throughput_mibps {self.throughput_mibps}: 125-1000 and at most iops / 4")
        if not 0 <= self.off_peak_start_hour <= 23:
            raise ValueError(f"off_peak_start_hour {self.off_peak_start_hour}: 0-23")
        if self.log_retention_days not in YEAR_LOG_RETENTION_DAYS:
            raise ValueError(f"log_retention_days {self.log_retention_days}: one of {sorted(YEAR_LOG_RETENTION_DAYS)}")
        for cidr in self.client_cidr_blocks:
            if ipaddress.ip_network(cidr).prefixlen == 0:
                raise ValueError(f"client_cidr_blocks: {cidr!r} opens the domain to everyone")


class SearchDomain(pulumi.ComponentResource):
    """A private OpenSearch Service domain across three zones, with its logs, policy and alarms.

    Outputs: ``domain_name``, ``arn``, ``endpoint`` (the VPC endpoint's host name; clients use
    ``https://<endpoint>`` with SigV4), ``security_group_id``, ``log_group_names`` and
    ``alarm_names`` (empty without ``alarm_topic_arn``).
    """

    def __init__(self, name: str, args: SearchDomainArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("platform:search:SearchDomain", name, None, opts)
        domain = args.domain_name
        account = pulumi.Output.from_input(args.account_id)
        self.security_group = self._security_group(name, args)
        self.log_groups = {
            log_type: aws.cloudwatch.LogGroup(
                f"{name}-{suffix}",
                name=log_group_name(domain, log_type),
                kms_key_id=args.kms_key_arn,
                retention_in_days=args.log_retention_days,
                deletion_protection_enabled=True,
                tags=merge_tags(log_group_name(domain, log_type), args.tags),
                opts=stateful_opts(self),
            )
            for log_type, suffix in LOG_TYPES.items()
        }
        log_policy = aws.cloudwatch.LogResourcePolicy(
            f"{name}-log-policy",
            policy_name=f"{domain}-opensearch-logs",
            policy_document=account.apply(lambda a: log_resource_policy(args.region, a, domain)),
            opts=child_opts(self),
        )
        self.domain = aws.opensearch.Domain(
            f"{name}-domain",
            domain_name=domain,
            engine_version=args.engine_version,
            cluster_config={
                "instance_type": args.instance_type,
                "instance_count": args.instance_count,
                "dedicated_master_enabled": True,
                "dedicated_master_type": args.master_instance_type,
                "dedicated_master_count": MASTER_COUNT,
                "zone_awareness_enabled": True,
                "zone_awareness_config": {"availability_zone_count": ZONES},
            },
            ebs_options={
                "ebs_enabled": True,
                "volume_type": "gp3",
                "volume_size": args.volume_size_gb,
                "iops": args.iops,
                "throughput": args.throughput_mibps,
            },
            vpc_options={"subnet_ids": list(args.subnet_ids), "security_group_ids": [self.security_group.id]},
            encrypt_at_rest={"enabled": True, "kms_key_id": args.kms_key_arn},
            node_to_node_encryption={"enabled": True},
            domain_endpoint_options={"enforce_https": True, "tls_security_policy": TLS_POLICY},
            advanced_security_options={
                "enabled": True,
                "internal_user_database_enabled": False,
                "master_user_options": {"master_user_arn": args.master_user_arn},
            },
            access_policies=account.apply(lambda a: access_policy(args.region, a, domain)),
            log_publishing_options=[
                {"log_type": log_type, "cloudwatch_log_group_arn": group.arn, "enabled": True}
                for log_type, group in self.log_groups.items()
            ],
            auto_tune_options={
                "desired_state": "ENABLED",
                "use_off_peak_window": True,
                "rollback_on_disable": "NO_ROLLBACK",
            },
            off_peak_window_options={
                "enabled": True,
                "off_peak_window": {"window_start_time": {"hours": args.off_peak_start_hour, "minutes": 0}},
            },
            software_update_options={"auto_software_update_enabled": True},
            tags=merge_tags(domain, args.tags),
            # Log publishing is refused until the resource policy exists.
            opts=stateful_opts(self, custom_timeouts=DOMAIN_TIMEOUTS, depends_on=[log_policy]),
        )
        self.alarms = self._alarms(name, args, account) if args.alarm_topic_arn is not None else []
        self.domain_name = self.domain.domain_name
        self.arn = self.domain.arn
        self.endpoint = self.domain.endpoint
        self.security_group_id = self.security_group.id
        self.log_group_names = [group.name for group in self.log_groups.values()]
        self.alarm_names = [alarm.name for alarm in self.alarms]
        self.register_outputs({key: getattr(self, key) for key in _OUTPUTS})

    def _security_group(self, name: str, args: SearchDomainArgs) -> aws.ec2.SecurityGroup:
        label = f"{args.domain_name}-search"
        # No egress rules: the provider strips AWS's default allow-all; the domain answers, never calls.
        group = aws.ec2.SecurityGroup(
            f"{name}-sg",
            name=label,
            description=f"OpenSearch {args.domain_name}: HTTPS from the app subnets",
            vpc_id=args.vpc_id,
            tags=merge_tags(label, args.tags),
            opts=child_opts(self),
        )
        for index, cidr in enumerate(args.client_cidr_blocks):
            v6 = ipaddress.ip_network(cidr).version == 6
            aws.vpc.SecurityGroupIngressRule(
                f"{name}-ingress-{index}",
                security_group_id=group.id,
                description=f"OpenSearch clients in {cidr}",
                ip_protocol="tcp",
                from_port=PORT,
                to_port=PORT,
                cidr_ipv4=None if v6 else cidr,
                cidr_ipv6=cidr if v6 else None,
                tags=merge_tags(f"{label}-{index}", args.tags),
                opts=child_opts(self),
            )
        return group

    def _alarms(self, name: str, args: SearchDomainArgs, account: pulumi.Output) -> list[aws.cloudwatch.MetricAlarm]:
        alarms = []
        for spec in alarm_specs(args.volume_size_gb):
            physical = f"{args.domain_name}-search-{spec.kind}"
            alarms.append(
                aws.cloudwatch.MetricAlarm(
                    f"{name}-alarm-{spec.kind}",
                    name=physical,
                    alarm_description=f"OpenSearch {args.domain_name}: {spec.summary}",
                    namespace="AWS/ES",
                    metric_name=spec.metric_name,
                    dimensions={"DomainName": args.domain_name, "ClientId": account},
                    statistic=spec.statistic,
                    comparison_operator=spec.comparison,
                    threshold=float(spec.threshold),
                    period=spec.period,
                    evaluation_periods=spec.periods,
                    datapoints_to_alarm=spec.periods,
                    # The domain publishes every minute; a gap shows as INSUFFICIENT_DATA, not a page.
                    treat_missing_data="missing",
                    actions_enabled=True,
                    alarm_actions=[args.alarm_topic_arn],
                    ok_actions=[args.alarm_topic_arn],
                    tags=merge_tags(physical, args.tags),
                    opts=child_opts(self),
                )
            )
        return alarms
