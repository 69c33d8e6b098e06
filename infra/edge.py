"""The global edge layer: what has no region of its own — the CDN, its WAF and its alarms.

CloudFront is global, but its CLOUDFRONT-scope WAF, its metrics and so its alarms exist only in
us-east-1, while the asset bucket lives in the primary region. So the layer takes two providers.
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from components.assets import Assets, AssetsArgs
from components.dns import GlobalDns, GlobalDnsArgs, RegionEndpoint
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
    ):
        super().__init__("platform:stack:Edge", name, None, opts)
        names = Names(config.name)
        tags = {"PlatformEnvironment": config.name, **config.tags}
        at_edge = pulumi.ResourceOptions(parent=self, provider=edge_provider)
        at_primary = pulumi.ResourceOptions(parent=self, provider=primary_provider)
        self._at_edge, self._config, self._tags = at_edge, config, tags
        self.dns: GlobalDns | None = None
        primary_region = config.primary.region

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
        self.waf = EdgeWaf(
            f"{name}-waf",
            EdgeWafArgs(
                name=names.edge(),
                kms_key_arn=self.edge_key.arn,
                rate_limit_per_5min=config.assets.waf_rate_limit,
                log_retention_days=config.monitoring.log_retention_days,
                tags=tags,
            ),
            opts=at_edge,
        )
        self.assets = Assets(
            f"{name}-assets",
            AssetsArgs(
                bucket_name=names.assets_bucket(primary_region),
                log_bucket_name=names.log_bucket(primary_region),
                kms_key_arn=self.assets_key.arn,
                web_acl_arn=self.waf.web_acl_arn,
                price_class=config.assets.price_class,
                aliases=list(config.assets.aliases),
                acm_certificate_arn=config.assets.certificate_arn,
                noncurrent_version_expiration_days=config.assets.noncurrent_version_expiration_days,
                transition_to_ia_days=config.assets.transition_to_ia_days,
                log_retention_days=config.monitoring.log_retention_days,
                tags=tags,
            ),
            opts=at_primary,
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
        }
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
