"""Global routing for the API: Route 53 latency records with health checks, one per serving region.

Every serving region's ALB (created by the AWS Load Balancer Controller, looked up by
:func:`components.alb_alarms.lookup_alb`) gets a latency alias record ``<api host> A`` whose
``set_identifier`` is the region, an HTTPS health check on the API's health path and a CloudWatch
alarm on that check. A resolver gets the healthy region with the lowest latency from it; when a
region's check fails (or its ALB has no healthy target) Route 53 answers with the next-lowest
latency healthy region, so failover is automatic. The CloudFront distribution's custom names
(``platform:assets.aliases``) get A/AAAA alias records in the same zone.

Records are keyed by region (logical name ``<component>-api-<region code>``, ``set_identifier`` =
region): adding a region adds a record, health check and alarm and changes nothing that exists, and
the records are latency records from the first phase on, so no phase change alters a record's
routing policy or identifier.

AWS constraints relied on:

- Latency records: same name and type, one ``SetIdentifier`` each, ``Region`` = the resource's
  region; Route 53 answers with the lowest-latency record *among the healthy ones*. When every
  record of the set is unhealthy, Route 53 answers as if all were healthy (fail open).
  https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/routing-policy-latency.html
  https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/health-checks-how-route-53-chooses-records.html
- Alias to an ALB: ``AliasTarget.HostedZoneId`` is the load balancer's canonical hosted zone
  (the lookup's ``zone_id``, per region), not our zone; no TTL. With ``EvaluateTargetHealth`` an
  ALB is healthy only while every target group with targets has at least one healthy target; an
  alias record may carry a ``HealthCheckId`` as well, and is then healthy only if both are.
  ``EvaluateTargetHealth`` must be false for a CloudFront alias, whose hosted zone is always
  ``Z2FDTNDATAQYW2``.
  https://docs.aws.amazon.com/Route53/latest/APIReference/API_AliasTarget.html
  https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/resource-record-sets-values-alias.html
- Health checks: ``RequestInterval`` 10 or 30 s and ``Type`` cannot be changed after creation
  (terraform-provider-aws: ``ForceNew``), ``FailureThreshold`` 1-10, ``Regions`` at least three
  of the checker regions (empty = all). An HTTPS check passes on a 2xx/3xx within 2 s of a TCP
  connect within 4 s; the endpoint must speak TLS 1.2 or older (our ALB policy offers 1.2 and 1.3).
  https://docs.aws.amazon.com/Route53/latest/APIReference/API_HealthCheckConfig.html
  https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/dns-failover-determining-health-of-endpoints.html
- Which name the check probes: without ``IPAddress`` Route 53 resolves ``FullyQualifiedDomainName``
  and sends it as the ``Host`` header. The API's own host resolves through these very latency
  records (a checker would probe whichever region is closest to it, not the one checked), and an
  ALB's addresses change, so the check targets the **ALB's DNS name**. That name is then the Host
  header, which the Ingress's host rule does not match: the api Ingress therefore also routes the
  exact health path for any host (``IngressSpec.health_any_host``). SNI is off: the only name
  SNI could carry is the ALB's, which no certificate of ours covers; without SNI (and for any
  unknown SNI name) the ALB presents its default certificate, the API's.
  https://docs.aws.amazon.com/Route53/latest/APIReference/API_HealthCheckConfig.html (FQDN, SNI)
  https://docs.aws.amazon.com/elasticloadbalancing/latest/application/https-listener-certificates.html
- Health-check metrics (``AWS/Route53`` ``HealthCheckStatus``, 1 healthy / 0 unhealthy, per
  ``HealthCheckId``, every minute) exist only in us-east-1, so the alarms must be created there
  (give this component the us-east-1 provider) and notify a us-east-1 topic.
  https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/monitoring-health-checks.html
  https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/monitoring-cloudwatch.html
- A hosted zone we create holds the NS delegation that the parent zone (outside this program)
  points at: replacing or deleting it breaks resolution of every name in it, so it is protected.
  Its ``name`` and ``delegation_set_id`` force replacement (terraform-provider-aws
  ``internal/service/route53/zone.go``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components.base import child_opts, merge_tags, stateful_opts

#: The hosted zone of every CloudFront distribution, for alias records (API_AliasTarget).
CLOUDFRONT_ZONE_ID = "Z2FDTNDATAQYW2"
#: Route 53 health checker regions (HealthCheckRegion enum of the Route 53 API).
CHECKER_REGIONS = (
    "us-east-1",
    "us-west-1",
    "us-west-2",
    "eu-west-1",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-northeast-1",
    "sa-east-1",
)
_ZONE_ID = re.compile(r"^Z[0-9A-Z]{1,31}$")
_MAX_ALARM_NAME = 255
_OUTPUTS = ("zone_id", "name_servers", "health_check_ids", "alarm_names", "record_names")


def in_zone(name: str, zone: str) -> bool:
    """True when ``name`` is ``zone`` or a name below it (``*.`` wildcards included)."""
    name, zone = name.lower().rstrip("."), zone.lower().rstrip(".")
    return name == zone or name.endswith(f".{zone}")


@dataclass(frozen=True)
class RegionEndpoint:
    """One serving region's ALB: ``dns_name`` and its canonical hosted zone ``zone_id``;
    ``code`` is the region's stable short label in names (``use1``)."""

    region: str
    code: str
    dns_name: pulumi.Input[str]
    zone_id: pulumi.Input[str]


@dataclass
class GlobalDnsArgs:
    """Inputs of :class:`GlobalDns`.

    Attributes:
        name: Physical prefix of the alarm and health-check names, e.g. ``acme-prod-edge`` (the
            alert topic's policy admits alarms named ``<its prefix>-*``).
        zone_name: The public zone's domain, e.g. ``acme.example``.
        hosted_zone_id: An existing public zone of that name. Default: none, then ``create_zone``.
        create_zone: Create (and protect) the zone. Default: False; exactly one of the two.
        api_host: The API's public name, inside the zone. Default: none (no API records).
        health_path: Path the health checks request. Default: ``/healthz``.
        endpoints: The serving regions' ALBs, in any order. Default: none.
        request_interval_seconds: 10 or 30. Default: 30 (the standard interval; 10 costs extra).
        failure_threshold: Consecutive failures (and successes) that flip a check. Default: 3.
        checker_regions: At least three Route 53 checker regions. Default: none (= all of them).
        cdn_aliases: CloudFront custom names to point at the distribution. Default: none.
        cdn_domain_name: The distribution's ``*.cloudfront.net`` name (needed with aliases).
        alarm_topic_arn: us-east-1 SNS topic the health-check alarms notify (needed with endpoints).
        tags: Extra tags. Default: none.
    """

    name: str
    zone_name: str
    hosted_zone_id: str | None = None
    create_zone: bool = False
    api_host: str | None = None
    health_path: str = "/healthz"
    endpoints: list[RegionEndpoint] = field(default_factory=list)
    request_interval_seconds: int = 30
    failure_threshold: int = 3
    checker_regions: list[str] = field(default_factory=list)
    cdn_aliases: list[str] = field(default_factory=list)
    cdn_domain_name: pulumi.Input[str] | None = None
    alarm_topic_arn: pulumi.Input[str] | None = None
    tags: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if (self.hosted_zone_id is None) == (not self.create_zone):
            raise ValueError("give exactly one of hosted_zone_id (an existing zone) and create_zone=True")
        if self.hosted_zone_id is not None and not _ZONE_ID.match(self.hosted_zone_id):
            raise ValueError(f"hosted_zone_id {self.hosted_zone_id!r} is not a Route 53 zone id (Z + 1-31 A-Z/0-9)")
        names = ([self.api_host] if self.api_host else []) + list(self.cdn_aliases)
        outside = [n for n in names if not in_zone(n, self.zone_name)]
        if outside:
            raise ValueError(f"{outside} are not inside zone {self.zone_name!r}")
        if self.request_interval_seconds not in (10, 30):
            raise ValueError("request_interval_seconds must be 10 or 30")
        if not 1 <= self.failure_threshold <= 10:
            raise ValueError("failure_threshold must be 1..10")
        unknown = sorted(set(self.checker_regions) - set(CHECKER_REGIONS))
        if unknown or (self.checker_regions and len(set(self.checker_regions)) < 3):
            raise ValueError(f"checker_regions must be at least three of {', '.join(CHECKER_REGIONS)}")
        regions, codes = [e.region for e in self.endpoints], [e.code for e in self.endpoints]
        if len(set(regions)) != len(regions) or len(set(codes)) != len(codes):
            raise ValueError(f"one endpoint (and code) per region, got {regions} / {codes}")
        if self.endpoints and (not self.api_host or self.alarm_topic_arn is None):
            raise ValueError("endpoints need api_host and alarm_topic_arn")
        if self.cdn_aliases and self.cdn_domain_name is None:
            raise ValueError("cdn_aliases need cdn_domain_name")
        longest = max((f"{self.name}-dns-health-{e.code}" for e in self.endpoints), key=len, default="")
        if len(longest) > _MAX_ALARM_NAME:
            raise ValueError(f"alarm name {longest!r} is longer than {_MAX_ALARM_NAME} characters")


def _checked_zone_id(zone: aws.route53.GetZoneResult, zone_name: str) -> str:
    """The looked-up zone's id, or a failure naming what does not match (a private zone, another name)."""
    found = (zone.name or "").rstrip(".").lower()
    if zone.private_zone or found != zone_name.rstrip(".").lower():
        kind = "private" if zone.private_zone else "public"
        raise ValueError(
            f"hosted zone {zone.zone_id} is the {kind} zone {found!r}; platform:dns needs the public zone {zone_name!r}"
        )
    return zone.zone_id


class GlobalDns(pulumi.ComponentResource):
    """The API's latency records, health checks and alarms, and the CDN's alias records.

    Outputs: ``zone_id``; ``name_servers`` (of a created zone, to delegate to; empty for an
    existing one); ``health_check_ids``, ``alarm_names`` and ``record_names`` (by region code,
    empty without endpoints). Logical names: ``{name}-zone``, ``{name}-api-{code}``,
    ``{name}-health-{code}``, ``{name}-health-alarm-{code}``, ``{name}-cdn-{a|aaaa}-{i}``.
    """

    def __init__(self, name: str, args: GlobalDnsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("platform:dns:GlobalDns", name, None, opts)
        self._name, self._args = name, args
        self.zone = None
        if args.create_zone:
            self.zone = aws.route53.Zone(
                f"{name}-zone",
                name=args.zone_name,
                comment=f"Public zone of {args.zone_name} (platform {args.name})",
                force_destroy=False,
                tags=merge_tags(args.zone_name, args.tags),
                opts=stateful_opts(self),
            )
            self.zone_id: pulumi.Output[str] = self.zone.zone_id
            self.name_servers: pulumi.Output[list[str]] = self.zone.name_servers
        else:
            found = aws.route53.get_zone_output(
                zone_id=args.hosted_zone_id, opts=pulumi.InvokeOutputOptions(parent=self)
            )
            self.zone_id = found.apply(lambda z: _checked_zone_id(z, args.zone_name))
            self.name_servers = pulumi.Output.from_input([])
        health, alarms, records = {}, {}, {}
        for endpoint in args.endpoints:
            code = endpoint.code
            check = self._health_check(code, endpoint)
            records[code] = self._api_record(code, endpoint, check).name
            health[code] = check.id
            alarms[code] = self._alarm(code, endpoint.region, check).name
        for index, alias in enumerate(args.cdn_aliases):
            for kind in ("A", "AAAA"):
                aws.route53.Record(
                    f"{name}-cdn-{kind.lower()}-{index}",
                    zone_id=self.zone_id,
                    name=alias,
                    type=kind,
                    aliases=[
                        aws.route53.RecordAliasArgs(
                            name=args.cdn_domain_name, zone_id=CLOUDFRONT_ZONE_ID, evaluate_target_health=False
                        )
                    ],
                    opts=child_opts(self),
                )
        self.health_check_ids = pulumi.Output.from_input(health)
        self.alarm_names = pulumi.Output.from_input(alarms)
        self.record_names = pulumi.Output.from_input(records)
        self.register_outputs({key: getattr(self, key) for key in _OUTPUTS})

    def _health_check(self, code: str, endpoint: RegionEndpoint) -> aws.route53.HealthCheck:
        """HTTPS GET of the health path on the region's ALB, by its DNS name (see the module doc)."""
        args = self._args
        return aws.route53.HealthCheck(
            f"{self._name}-health-{code}",
            type="HTTPS",
            fqdn=endpoint.dns_name,
            port=443,
            resource_path=args.health_path,
            enable_sni=False,
            request_interval=args.request_interval_seconds,
            failure_threshold=args.failure_threshold,
            regions=list(args.checker_regions) or None,
            tags=merge_tags(f"{args.name}-api-{code}", args.tags),
            opts=child_opts(self),
        )

    def _api_record(self, code: str, endpoint: RegionEndpoint, check: aws.route53.HealthCheck) -> aws.route53.Record:
        """The region's latency alias record: dropped from answers while its check or ALB is unhealthy."""
        return aws.route53.Record(
            f"{self._name}-api-{code}",
            zone_id=self.zone_id,
            name=self._args.api_host,
            # The controller's ALBs are IPv4 unless ip-address-type says dualstack: A only.
            type="A",
            set_identifier=endpoint.region,
            latency_routing_policies=[aws.route53.RecordLatencyRoutingPolicyArgs(region=endpoint.region)],
            aliases=[
                aws.route53.RecordAliasArgs(
                    name=endpoint.dns_name, zone_id=endpoint.zone_id, evaluate_target_health=True
                )
            ],
            health_check_id=check.id,
            opts=child_opts(self),
        )

    def _alarm(self, code: str, region: str, check: aws.route53.HealthCheck) -> aws.cloudwatch.MetricAlarm:
        """The check reported unhealthy for a minute (Route 53 has already waited the failure threshold)."""
        args = self._args
        physical = f"{args.name}-dns-health-{code}"
        return aws.cloudwatch.MetricAlarm(
            f"{self._name}-health-alarm-{code}",
            name=physical,
            alarm_description=(
                f"Route 53 health check of the API in {region} is unhealthy: the region is out of DNS answers"
            ),
            namespace="AWS/Route53",
            metric_name="HealthCheckStatus",
            dimensions={"HealthCheckId": check.id},
            statistic="Minimum",
            period=60,
            evaluation_periods=1,
            datapoints_to_alarm=1,
            comparison_operator="LessThanThreshold",
            threshold=1.0,
            # Published every minute while the check is enabled: a gap is not health.
            treat_missing_data="missing",
            actions_enabled=True,
            alarm_actions=[args.alarm_topic_arn],
            ok_actions=[args.alarm_topic_arn],
            tags=merge_tags(physical, args.tags),
            opts=child_opts(self),
        )
