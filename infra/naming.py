"""Physical names: derived from the environment's name (``platform:name``), a role and a region.

Never from the stack name, so the same environment keeps every physical name when it moves from
stack phaseN to phaseN+1 (SPEC §4, decision 4).
"""

from __future__ import annotations

from dataclasses import dataclass

from components.base import region_code


@dataclass(frozen=True)
class Names:
    """Physical names of one environment's resources."""

    env: str

    def cell(self, region: str) -> str:
        """Base name of a regional cell: ``acme-prod-use1``."""
        return f"{self.env}-{region_code(region)}"

    def primary_db(self) -> str:
        """Identifier of the writable PostgreSQL instance (one per environment)."""
        return f"{self.env}-db"

    def replicas(self, region: str) -> str:
        """Identifier prefix of a region's read replicas: ``acme-prod-usw2-db``."""
        return f"{self.cell(region)}-db"

    def cache(self, region: str) -> str:
        """ElastiCache replication group id of a region (at most 40 characters)."""
        return f"{self.cell(region)}-cache"

    def edge(self) -> str:
        """Base name of the global edge layer (WAF, edge alarms)."""
        return f"{self.env}-edge"

    def assets_bucket(self, region: str) -> str:
        """The asset bucket; S3 names are global, so the region keeps a multi-region future open."""
        return f"{self.env}-assets-{region_code(region)}"

    def log_bucket(self, region: str) -> str:
        """The access-log bucket beside the asset bucket."""
        return f"{self.env}-logs-{region_code(region)}"

    def atlas_project(self) -> str:
        """The MongoDB Atlas project (unique in its organisation): the environment's name."""
        return self.env

    def atlas_cluster(self) -> str:
        """The Atlas cluster (fixed once created: Atlas cannot rename a cluster)."""
        return f"{self.env}-mongo"

    def atlas_endpoint(self, region: str) -> str:
        """Name prefix of a region's PrivateLink endpoint to Atlas and its security group."""
        return f"{self.cell(region)}-atlas"
