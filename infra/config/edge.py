"""The edge: assets on S3 + CloudFront (``platform:assets``) and Route 53 routing (``platform:dns``)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from components.assets import VIEWER_TLS_POLICIES, signing_key_problem
from components.dns import CHECKER_REGIONS
from infra.config.base import _Model


class AssetsConfig(_Model):
    """S3 + CloudFront for uploads and static assets (``components/assets.py``). Defaults: price
    class 100 (North America and Europe edges), objects to Standard-IA after 30 days, old versions
    kept 90 days, WAF rate limit 2000 requests per 5 minutes per IP.

    ``aliases`` + ``certificateArn`` (an ACM certificate in us-east-1): the CDN's own domain;
    required from phase 2 (default: none, the ``*.cloudfront.net`` certificate, which negotiates
    TLS 1.0). ``minimumProtocolVersion``: viewer security policy, ``TLSv1.2_2021`` (default),
    ``TLSv1.2_2025`` or ``TLSv1.3_2025``. ``signingPublicKeyPem``: the public half (RSA 2048 or
    ECDSA P-256, PEM) of the key the apps sign private-upload URLs with; required from phase 2
    (SPEC §3 signed URLs); the private key stays with the app team. ``uploadsPathPattern``: the
    paths that need a signed URL (default ``/uploads/*``). ``apiCachePathPattern``: public API
    GETs cached at the edge from phase 3 (default ``/api/public/*``), at most
    ``apiCacheMaxTtlSeconds`` (default 300) and only as long as the API's ``Cache-Control`` says."""

    price_class: Literal["PriceClass_100", "PriceClass_200", "PriceClass_All"] = "PriceClass_100"
    transition_to_ia_days: Annotated[int, Field(ge=30, le=3650)] = 30
    noncurrent_version_expiration_days: Annotated[int, Field(ge=1, le=3650)] = 90
    waf_rate_limit: Annotated[int, Field(ge=100, le=2_000_000_000)] = 2000
    aliases: list[Annotated[str, Field(pattern=r"^[a-z0-9*][a-z0-9.-]+\.[a-z]{2,}$")]] = []
    certificate_arn: Annotated[str, Field(pattern=r"^arn:aws:acm:us-east-1:\d{12}:certificate/")] | None = None
    minimum_protocol_version: Literal[VIEWER_TLS_POLICIES] = "TLSv1.2_2021"  # type: ignore[valid-type]
    signing_public_key_pem: str | None = None
    uploads_path_pattern: Annotated[str, Field(pattern=r"^/[\w.-]+(/[\w.-]+)*/\*$")] = "/uploads/*"
    api_cache_path_pattern: Annotated[str, Field(pattern=r"^/[\w.-]+(/[\w.-]+)*/\*$")] = "/api/public/*"
    api_cache_max_ttl_seconds: Annotated[int, Field(ge=1, le=86400)] = 300

    @field_validator("signing_public_key_pem")
    @classmethod
    def _signing_key(cls, value: str | None) -> str | None:
        problem = signing_key_problem(value) if value is not None else None
        if problem:
            raise ValueError(problem)
        return value


class DnsConfig(_Model):
    """Global routing of the API through Route 53 (``components/dns.py``); without this section no
    DNS is managed.

    ``zoneName`` (required): the public zone's domain; ``platform:apps.api.host`` and every
    ``platform:assets.aliases`` name must be inside it. The zone is an existing one,
    ``hostedZoneId`` (``Z`` + up to 31 capital letters/digits; it must be public and named
    ``zoneName``), or ``createZone: true`` creates it (protected: its NS delegation lives in the
    parent zone, outside this program); exactly one of the two. Health checks of each serving
    region's ALB: ``healthCheckIntervalSeconds`` 10 or 30 (default 30; fixed once created),
    ``healthCheckFailureThreshold`` 1-10 (default 3: a region leaves DNS answers about 90 s after
    it fails), ``healthCheckRegions`` at least three Route 53 checker regions (default: empty =
    all of them).
    """

    zone_name: Annotated[str, Field(pattern=r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$")]
    hosted_zone_id: Annotated[str, Field(pattern=r"^Z[0-9A-Z]{1,31}$")] | None = None
    create_zone: bool = False
    health_check_interval_seconds: Literal[10, 30] = 30
    health_check_failure_threshold: Annotated[int, Field(ge=1, le=10)] = 3
    health_check_regions: list[Literal[CHECKER_REGIONS]] = []

    @field_validator("health_check_regions")
    @classmethod
    def _three_checker_regions(cls, value: list[str]) -> list[str]:
        if value and len(set(value)) < 3:
            raise ValueError("needs at least three distinct checker regions (or none: all of them)")
        return value

    @model_validator(mode="after")
    def _one_zone_source(self) -> DnsConfig:
        if self.create_zone == (self.hosted_zone_id is not None):
            raise ValueError("give exactly one of hostedZoneId (an existing zone) and createZone: true")
        return self
