"""The global edge layer: what has no region of its own — the CDN, its WAF, access logs and
alarms, and what every serving region shares: the asset buckets (phase 4: one per serving region,
replicated) and the replication of the apps' container images.

CloudFront is global, but its CLOUDFRONT-scope WAF, its metrics, its standard-logging-v2 delivery
source and so its alarms exist only in us-east-1, while the asset bucket lives in the primary
region (and its replicas in the other serving regions). So the layer takes the primary and the
us-east-1 providers, plus the providers of the other serving regions.
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from components.assets import AssetReplica, Assets, AssetsArgs
from components.base import region_code
from components.cdn_logs import CdnAccessLogs, CdnAccessLogsArgs
from components.dns import GlobalDns, GlobalDnsArgs, RegionEndpoint
from components.ecr_replication import EcrReplication, EcrReplicationArgs, ecr_repository
from components.edge_waf import EdgeWaf, EdgeWafArgs
from components.kms import CLOUDWATCH_ALARMS_GRANT, KmsKey, KmsKeyArgs, ServiceGrant, logs_grant
from components.monitoring import Monitoring, MonitoringArgs
from infra.alerts import alarm_thresholds
from infra.config import StackConfig
from infra.naming import Names

EDGE_REGION = "us-east-1"

#: CloudFront reads SSE-KMS objects through origin access control; AWS documents ``aws:SourceArn``
#: as the condition, narrowed here to our account's distributions.
CLOUDFRONT_GRANT = ServiceGrant(
    "cloudfront.amazonaws.com",
    ("kms:Decrypt",),
    {"ArnLike": {"aws:SourceArn": "arn:aws:cloudfront::{account}:distribution/*"}},
)


class EdgeLayer(pulumi.ComponentResource):
    """CDN in front of the asset bucket, WAF, and the edge's own alert topic and alarms."""

    def __init__(
        self,
        name: str,
        config: StackConfig,
        account_id: pulumi.Input[str],
        primary_provider: aws.Provider,
        edge_provider: aws.Provider,
        opts: pulumi.ResourceOptions | None = None,
        providers: dict[str, aws.Provider] | None = None,
    ):
        super().__init__("platform:stack:Edge", name, None, opts)
        names = Names(config.name)
        tags = {"PlatformEnvironment": config.name, **config.tags}
        at_edge = pulumi.ResourceOptions(parent=self, provider=edge_provider)
        at_primary = pulumi.ResourceOptions(parent=self, provider=primary_provider)
        self._at_edge, self._config, self._tags = at_edge, config, tags
        self.dns: GlobalDns | None = None
        primary_region = config.primary.region
        providers = providers or {}
        #: Serving regions besides the primary (phase 4): each gets a replicated asset bucket.
        replica_regions = [cell.region for cell in config.regions[1:] if cell.role == "active"]

        self.edge_key = KmsKey(
            f"{name}-key",
            KmsKeyArgs(
                account_id=account_id,
                alias=names.edge(),
                description=f"WAF logs and CDN alerts of {config.name}",
                service_grants=[logs_grant(EDGE_REGION), CLOUDWATCH_ALARMS_GRANT],
                tags=tags,
            ),
            opts=at_edge,
        )
        self.assets_key = KmsKey(
            f"{name}-assets-key",
            KmsKeyArgs(
                account_id=account_id,
                alias=f"{config.name}-assets",
                description=f"Assets and uploads of {config.name}",
                service_grants=[CLOUDFRONT_GRANT],
                tags=tags,
            ),
            opts=at_primary,
        )
        #: The asset key of every serving region (replicas are encrypted in their own region).
        self.assets_keys: dict[str, pulumi.Output[str]] = {primary_region: self.assets_key.arn}
        for region in replica_regions:
            self.assets_keys[region] = KmsKey(
                f"{name}-assets-key-{region_code(region)}",
                KmsKeyArgs(
                    account_id=account_id,
                    alias=f"{config.name}-assets-{region_code(region)}",
                    description=f"Assets and uploads of {config.name} in {region}",
                    service_grants=[CLOUDFRONT_GRANT],
                    tags=tags,
                ),
                opts=pulumi.ResourceOptions(parent=self, provider=providers[region]),
            ).arn
        self.waf = EdgeWaf(
            f"{name}-waf",
            EdgeWafArgs(
                name=names.edge(),
                kms_key_arn=self.edge_key.arn,
                rate_limit_per_5min=config.assets.waf_rate_limit,
                log_retention_days=config.monitoring.log_retention_days,
                anonymous_ip=True,
                log_allowed_requests=config.monitoring.waf_log_allowed_requests,
                tags=tags,
            ),
            opts=at_edge,
        )
        assets = config.assets
        self.assets = Assets(
            f"{name}-assets",
            AssetsArgs(
                bucket_name=names.assets_bucket(primary_region),
                log_bucket_name=names.log_bucket(primary_region),
                kms_key_arn=self.assets_key.arn,
                region=primary_region,
                web_acl_arn=self.waf.web_acl_arn,
                price_class=assets.price_class,
                aliases=list(assets.aliases),
                acm_certificate_arn=assets.certificate_arn,
                minimum_protocol_version=assets.minimum_protocol_version,
                signing_public_key_pem=assets.signing_public_key_pem if config.phase >= 2 else None,
                uploads_path_pattern=assets.uploads_path_pattern,
                api_origin_domain=config.apps.api.host if config.phase >= 3 else None,
                api_cache_path_pattern=assets.api_cache_path_pattern,
                api_cache_max_ttl_seconds=assets.api_cache_max_ttl_seconds,
                replicas=[
                    AssetReplica(
                        region=region,
                        bucket_name=names.assets_bucket(region),
                        log_bucket_name=names.log_bucket(region),
                        kms_key_arn=self.assets_keys[region],
                        provider=providers[region],
                    )
                    for region in replica_regions
                ],
                noncurrent_version_expiration_days=assets.noncurrent_version_expiration_days,
                transition_to_ia_days=assets.transition_to_ia_days,
                log_retention_days=config.monitoring.log_retention_days,
                tags=tags,
            ),
            opts=at_primary,
        )
        self.access_logs = CdnAccessLogs(
            f"{name}-cdn-logs",
            CdnAccessLogsArgs(
                name=names.edge(),
                distribution_arn=self.assets.distribution_arn,
                kms_key_arn=self.edge_key.arn,
                log_retention_days=config.monitoring.log_retention_days,
                tags=tags,
            ),
            opts=at_edge,
        )
        self.image_replication = self._replicate_images(name, config, account_id, replica_regions, at_primary)
        #: The name apps put in URLs: the first alias, else CloudFront's own domain.
        self.cdn_domain: pulumi.Input[str] = (
            assets.aliases[0] if assets.aliases else self.assets.distribution_domain_name
        )
        self.monitoring = Monitoring(
            f"{name}-monitoring",
            MonitoringArgs(
                name=names.edge(),
                account_id=account_id,
                kms_key_arn=self.edge_key.arn,
                alert_emails=list(config.monitoring.alert_emails),
                thresholds=alarm_thresholds(config),
                cdn_distribution_ids=[self.assets.distribution_id],
                log_retention_days=config.monitoring.log_retention_days,
                dashboard=config.monitoring.dashboard,
                tags=tags,
            ),
            opts=at_edge,
        )
        self.endpoints = {
            "cdnDomain": self.assets.distribution_domain_name,
            "cdnDistributionId": self.assets.distribution_id,
            "assetsBucket": self.assets.bucket_name,
            "webAclArn": self.waf.web_acl_arn,
            "cdnLogGroup": self.access_logs.log_group_name,
            "assetsBuckets": {region or primary_region: b[0] for region, b in self.assets.regional_buckets.items()},
        }
        if self.assets.public_key_id is not None:
            self.endpoints["cdnSigningKeyId"] = self.assets.public_key_id
        self.register_outputs({"endpoints": self.endpoints})

    def add_dns(self, endpoints: list[RegionEndpoint]) -> GlobalDns | None:
        """Route 53 for the API (latency records to ``endpoints``, the serving regions' ALBs) and
        the CDN's aliases, when ``platform:dns`` is set. Called once the cells exist (it needs their
        ALBs); in us-east-1, where health-check metrics and so their alarms live."""
        config = self._config
        dns = config.dns
        if dns is None:
            return None
        self.dns = GlobalDns(
            "edge-dns",
            GlobalDnsArgs(
                name=Names(config.name).edge(),
                zone_name=dns.zone_name,
                hosted_zone_id=dns.hosted_zone_id,
                create_zone=dns.create_zone,
                api_host=config.apps.api.host,
                health_path=config.apps.api.health_path,
                endpoints=endpoints if config.apps.api.host else [],
                request_interval_seconds=dns.health_check_interval_seconds,
                failure_threshold=dns.health_check_failure_threshold,
                checker_regions=list(dns.health_check_regions),
                cdn_aliases=list(config.assets.aliases),
                cdn_domain_name=self.assets.distribution_domain_name,
                alarm_topic_arn=self.monitoring.topic_arn,
                tags=self._tags,
            ),
            opts=self._at_edge,
        )
        return self.dns

    def assets_bucket(self, region: str) -> tuple[pulumi.Input[str], pulumi.Input[str], pulumi.Input[str]]:
        """Name, ARN and key ARN of the asset bucket the apps of ``region`` use: their own region's
        when it has one (phase 4), else the primary's."""
        if region in self.assets.regional_buckets and region in self.assets_keys:
            bucket_name, bucket_arn = self.assets.regional_buckets[region]
            return bucket_name, bucket_arn, self.assets_keys[region]
        return self.assets.bucket_name, self.assets.bucket_arn, self.assets_key.arn

    @staticmethod
    def _replicate_images(
        name: str,
        config: StackConfig,
        account_id: pulumi.Input[str],
        replica_regions: list[str],
        opts: pulumi.ResourceOptions,
    ) -> EcrReplication | None:
        """ECR replication of the apps' repositories from the primary region's registry to every
        other serving region (the cells pull region-local copies, ``components.ecr_replication``)."""
        primary_region = config.primary.region
        apps = config.apps
        repositories = [
            repository
            for image in (apps.api.image, apps.worker.image)
            if (repository := ecr_repository(image, primary_region))
        ]
        if not replica_regions or not repositories:
            return None
        return EcrReplication(
            f"{name}-images",
            EcrReplicationArgs(account_id=account_id, destination_regions=replica_regions, repositories=repositories),
            opts=opts,
        )
