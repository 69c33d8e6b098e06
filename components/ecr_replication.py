"""Registry-level ECR replication of the apps' repositories to every serving region, and the
region-local image URI the cells run.

AWS constraints relied on:

- Replication is configured once per registry and Region (``PutReplicationConfiguration``
  replaces the whole configuration: nothing else may manage this registry's replication), with
  rules of destinations (region + registry id, our own account for cross-Region) and optional
  ``PREFIX_MATCH`` repository filters. The first configuration creates ECR's service-linked role.
  https://docs.aws.amazon.com/AmazonECR/latest/userguide/replication.html
  https://docs.aws.amazon.com/AmazonECR/latest/userguide/registry-settings-examples.html
  https://docs.aws.amazon.com/AmazonECR/APIReference/API_PutReplicationConfiguration.html
- Only content pushed after replication is configured is replicated: images pushed before
  phase 4 must be pushed again (or re-tagged) before the new regions run them. Destination
  repositories are created on first replication with default settings unless a repository
  creation template applies (``applied_for`` REPLICATION).
  https://docs.aws.amazon.com/AmazonECR/latest/userguide/replication.html
  https://docs.aws.amazon.com/AmazonECR/latest/userguide/repository-creation-templates.html
- Image URIs: ``<account>.dkr.ecr.<region>.amazonaws.com/<repository>[:tag|@digest]``; a
  replicated image keeps its repository name, tags and digest in the destination registry.
  https://docs.aws.amazon.com/AmazonECR/latest/userguide/docker-pull-ecr-image.html
- Updates: the configuration updates in place (no ForceNew attribute besides ``region``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

_ECR = re.compile(
    r"^(?P<account>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com/(?P<path>[^:@]+)(?P<ref>[:@].+)$"
)


def ecr_repository(image: str, registry_region: str) -> str | None:
    """The repository name of ``image`` when it lives in an ECR registry of ``registry_region``."""
    match = _ECR.match(image)
    return match["path"] if match and match["region"] == registry_region else None


def regional_image(image: str, registry_region: str, region: str) -> str:
    """``image`` as the replica in ``region`` when it is in the ECR registry of ``registry_region``
    (the one :class:`EcrReplication` replicates); any other image is returned unchanged.

    ``123456789012.dkr.ecr.us-east-1.amazonaws.com/acme/api:1.0.0`` becomes
    ``123456789012.dkr.ecr.eu-west-1.amazonaws.com/acme/api:1.0.0`` for eu-west-1: nodes then pull
    from their own region (no cross-region transfer, no dependency on the primary's registry).
    The image must be in this account's registry: only that one is replicated.
    """
    match = _ECR.match(image)
    if not match or match["region"] != registry_region or region == registry_region:
        return image
    return f"{match['account']}.dkr.ecr.{region}.amazonaws.com/{match['path']}{match['ref']}"


@dataclass
class EcrReplicationArgs:
    """Inputs of :class:`EcrReplication`.

    Attributes:
        account_id: Our account (the registry replicated to, in every destination region).
        destination_regions: Regions to replicate to (not the provider's own).
        repositories: Repository names to replicate (prefix filters); at least one.
    """

    account_id: pulumi.Input[str]
    destination_regions: list[str]
    repositories: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.repositories or not self.destination_regions:
            raise ValueError("EcrReplication needs at least one repository and one destination region")


class EcrReplication(pulumi.ComponentResource):
    """The registry's replication configuration (in the provider's region)."""

    def __init__(self, name: str, args: EcrReplicationArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("platform:registry:EcrReplication", name, None, opts)
        self.configuration = aws.ecr.ReplicationConfiguration(
            f"{name}-config",
            replication_configuration={
                "rules": [
                    {
                        "destinations": [
                            {"region": region, "registry_id": args.account_id}
                            for region in sorted(args.destination_regions)
                        ],
                        "repository_filters": [
                            {"filter": repository, "filter_type": "PREFIX_MATCH"}
                            for repository in sorted(set(args.repositories))
                        ],
                    }
                ]
            },
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.registry_id = self.configuration.registry_id
        self.register_outputs({"registry_id": self.registry_id})
