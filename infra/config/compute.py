"""EKS and the apps on it: the cluster and its node groups (``platform:cluster``) and the
Deployments and database bootstrap Job (``platform:apps``)."""

from __future__ import annotations

import datetime
from typing import Annotated, Literal

import pulumi_aws as aws
from pydantic import AfterValidator, Field, field_validator

from infra.config.base import _ROLE_ARN, EKS_STANDARD_SUPPORT_ENDS, K8S_MIN_SUPPORT_DAYS, _cidr, _Model

_IMAGE = r"^[a-z0-9.-]+(:\d+)?(/[a-z0-9._-]+)+(:[\w][\w.-]{0,127}|@sha256:[0-9a-f]{64})$"


class NodeGroupConfig(_Model):
    """EKS managed node groups, one per zone. Defaults: Graviton m7g.large, 1 to 3 nodes per zone,
    50 GiB encrypted gp3 root volumes. One instance type: it lives in the launch template, so
    changing it rolls the nodes in place instead of replacing the node groups."""

    instance_type: Annotated[str, Field(pattern=r"^[a-z][0-9][a-z]*g[a-z]*\.[a-z0-9]+$")] = "m7g.large"
    min_per_az: Annotated[int, Field(ge=1, le=100)] = 1
    max_per_az: Annotated[int, Field(ge=1, le=450)] = 3
    disk_gb: Annotated[int, Field(ge=20, le=1000)] = 50

    @field_validator("instance_type")
    @classmethod
    def _known_instance_type(cls, value: str) -> str:
        if value not in _EC2_TYPES:
            raise ValueError("not an EC2 instance type the AWS provider knows (a Graviton type, e.g. m7g.large)")
        return value


_EC2_TYPES = frozenset(t.value for t in aws.ec2.InstanceType)


class ClusterConfig(_Model):
    """EKS in every serving region. ``adminRoleArns`` (required) are the IAM roles given cluster
    admin through access entries: the role that runs ``pulumi up`` must be one of them.
    Defaults: Kubernetes 1.35, private API endpoint (``publicAccessCidrs`` empty)."""

    kubernetes_version: str = "1.35"
    admin_role_arns: Annotated[list[Annotated[str, Field(pattern=_ROLE_ARN)]], Field(min_length=1)]
    public_access_cidrs: list[str] = []
    nodes: NodeGroupConfig = NodeGroupConfig()

    @field_validator("kubernetes_version")
    @classmethod
    def _in_standard_support(cls, value: str) -> str:
        return kubernetes_version_in_support(value, datetime.date.today())

    @field_validator("public_access_cidrs")
    @classmethod
    def _public_cidrs(cls, value: list[str]) -> list[str]:
        return [_cidr(cidr) for cidr in value]


def kubernetes_version_in_support(version: str, today: datetime.date) -> str:
    """``version`` if EKS offers it in standard support for at least a month after ``today``."""
    supported = {v: end for v, end in EKS_STANDARD_SUPPORT_ENDS.items() if (end - today).days >= K8S_MIN_SUPPORT_DAYS}
    if version not in supported:
        known = EKS_STANDARD_SUPPORT_ENDS.get(version)
        why = f"its EKS standard support ends {known.isoformat()}" if known else "not in our EKS release table"
        raise ValueError(f"{why}; use one of {', '.join(sorted(supported)) or 'none (update the table)'}")
    return version


def _pinned(value: str) -> str:
    """A moving tag makes a rollout or a node replacement silently run different code."""
    if value.endswith(":latest"):
        raise ValueError("must be pinned to a version tag or digest, not 'latest'")
    return value


#: A container image reference pinned to a tag other than ``latest`` or to a digest.
PinnedImage = Annotated[str, Field(pattern=_IMAGE), AfterValidator(_pinned)]


class AppConfig(_Model):
    """One autoscaled Deployment. ``image`` must be pinned (a tag other than ``latest``, or a
    digest). Defaults: 2 to 4 pods requesting 250m CPU and 512 MiB, memory limited to 1 GiB."""

    image: PinnedImage
    min_replicas: Annotated[int, Field(ge=2, le=1000)] = 2
    max_replicas: Annotated[int, Field(ge=2, le=1000)] = 4
    cpu_request_m: Annotated[int, Field(ge=10, le=64000)] = 250
    memory_request_mib: Annotated[int, Field(ge=16, le=262144)] = 512
    memory_limit_mib: Annotated[int, Field(ge=16, le=262144)] = 1024


class ApiConfig(AppConfig):
    """The HTTP API behind an ALB. ``host``: its public name; with it every serving region needs
    ``apiCertificateArn``. Default: no host, no load balancer. ``maxBodyKb``: largest request body
    in KiB, refused with 413 by the API's WAF (declared ``Content-Length``; the app gets it as
    ``MAX_BODY_BYTES`` for bodies WAF cannot measure). Default: 1024 (1 MiB); at most 10240: larger
    payloads belong in the asset bucket, not in API requests."""

    host: Annotated[str, Field(pattern=r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$")] | None = (
        None
    )
    port: Annotated[int, Field(ge=1024, le=65535)] = 8080
    health_path: Annotated[str, Field(pattern=r"^/[\w./-]*$")] = "/healthz"
    max_body_kb: Annotated[int, Field(ge=1, le=10240)] = 1024


class WorkerConfig(AppConfig):
    """The queue consumer. ``scaling``: ``cpu`` (HPA on CPU/memory) or ``queue`` (KEDA on the SQS
    depth of ``queue``, CPU as the floor; SPEC phase 2+). ``livenessCommand`` (required): the
    image's health check. Defaults: ``cpu``, queue ``jobs``, 20 messages per pod."""

    scaling: Literal["cpu", "queue"] = "cpu"
    queue: str = "jobs"
    messages_per_pod: Annotated[int, Field(ge=1, le=100000)] = 20
    liveness_command: Annotated[list[str], Field(min_length=1)]


class DbBootstrapConfig(_Model):
    """The in-cluster Job that creates the database's application roles (``components/db_bootstrap.py``).
    ``psqlImage`` (psql 16 or newer) and ``awsCliImage`` (AWS CLI v2) are required and pinned, like
    the apps' images (mirror the public ones into your registry). PostgreSQL only: required with
    ``platform:database.engine: postgres``, refused with ``mongodb`` (Atlas users are API objects)."""

    psql_image: PinnedImage
    aws_cli_image: PinnedImage


class AppsConfig(_Model):
    """The backend's two Deployments, and the database bootstrap Job (PostgreSQL)."""

    api: ApiConfig
    worker: WorkerConfig
    db_bootstrap: DbBootstrapConfig | None = None
