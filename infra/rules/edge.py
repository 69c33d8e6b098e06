"""Rules of the edge: the CDN's domain and certificate, DNS names inside the managed zone, and the
edge's phase targets."""

from __future__ import annotations

from infra.config import ConfigError, StackConfig


def _check_assets(config: StackConfig) -> None:
    assets = config.assets
    if assets.aliases and not assets.certificate_arn:
        raise ConfigError(
            "platform:assets.certificateArn",
            None,
            "required when platform:assets.aliases is set (an ACM certificate in us-east-1)",
        )


def _check_dns(config: StackConfig) -> None:
    """The names Route 53 records are made for must be inside the managed zone."""
    from components.dns import in_zone

    if config.dns is None:
        return
    zone = config.dns.zone_name
    host = config.apps.api.host
    if host is not None and not in_zone(host, zone):
        raise ConfigError("platform:apps.api.host", host, f"must be inside platform:dns.zoneName {zone!r}")
    for index, alias in enumerate(config.assets.aliases):
        if not in_zone(alias, zone):
            raise ConfigError(
                f"platform:assets.aliases[{index}]", alias, f"must be inside platform:dns.zoneName {zone!r}"
            )


def _check_edge_phase(config: StackConfig) -> None:
    """SPEC §3 "Assets/uploads": signed URLs from phase 2, API edge caching from phase 3."""
    assets = config.assets
    if config.phase >= 2 and not assets.aliases:
        # Private uploads (signed URLs) start in phase 2; they are not served with TLS 1.0.
        raise ConfigError(
            "platform:assets.aliases",
            [],
            f"phase {config.phase} serves the CDN on its own domain (TLS 1.2+): a name covered by certificateArn",
        )
    if config.phase >= 2 and not assets.signing_public_key_pem:
        raise ConfigError(
            "platform:assets.signingPublicKeyPem",
            None,
            f"phase {config.phase} signs private-upload URLs: the PEM public key (RSA 2048 or ECDSA P-256) "
            "whose private key the apps hold",
            missing=True,
        )
    if config.phase >= 3 and not config.apps.api.host:
        raise ConfigError(
            "platform:apps.api.host",
            None,
            f"phase {config.phase} caches public API GETs at the edge: the API's public host name",
            missing=True,
        )
