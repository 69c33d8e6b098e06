"""Shared pieces of the config model: the namespaces, region and replica limits, the EKS
release table, :class:`ConfigError`, the base model of every section and shared validators."""

from __future__ import annotations

import datetime
import ipaddress
import json
from typing import Any

import pulumi
import pulumi_aws as aws
from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

from components.base import YEAR_LOG_RETENTION_DAYS

NAMESPACE = "platform"
#: Config namespaces a stack file may use besides ours: the providers' own and Pulumi's.
OTHER_NAMESPACES = ("aws", "kubernetes", "random", "pulumi", "mongodbatlas")
#: Regions the installed AWS provider knows (its ``Region`` enum, maintained with the provider).
AWS_REGIONS = frozenset(region.value for region in aws.Region)
#: EKS end of standard support per Kubernetes minor, from the EKS release calendar
#: (https://docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html), as of 2026-12-01.
#: A version is accepted while at least :data:`K8S_MIN_SUPPORT_DAYS` of standard support remain.
EKS_STANDARD_SUPPORT_ENDS = {"1.34": datetime.date(2026, 12, 2), "1.35": datetime.date(2027, 3, 27)}
K8S_MIN_SUPPORT_DAYS = 30

# RDS for PostgreSQL allows 15 read replicas per source instance and guarantees at most five
# cross-region ones (RDS User Guide: USER_PostgreSQL.Replication.ReadReplicas, USER_ReadRepl.XRgn).
MAX_READ_REPLICAS = 15
MAX_CROSS_REGION_REPLICAS = 5
#: At most five regions: one primary and four remote ones, each with one cross-region replica of
#: the primary, stays inside the five guaranteed cross-region replicas.
MAX_REGIONS = MAX_CROSS_REGION_REPLICAS
_REGION = r"^[a-z]{2}(-gov)?-[a-z]+-\d$"
#: An IAM role ARN (the cluster's admins, OpenSearch's master user).
_ROLE_ARN = r"^arn:aws:iam::\d{12}:role/[\w+=,.@/-]+$"


class ConfigError(pulumi.RunError):
    """Invalid stack configuration; the message names the key path, the value and what is allowed."""

    def __init__(self, path: str, value: Any, allowed: str, *, missing: bool = False):
        self.path, self.value, self.allowed = path, value, allowed
        if missing:
            super().__init__(f"missing config {path}: {allowed}")
        else:
            super().__init__(f"invalid config {path} = {json.dumps(value, default=str)}: {allowed}")


def _cidr(value: str) -> str:
    """An IPv4 network without host bits, never the whole internet; ValueError says what is wrong."""
    try:
        network = ipaddress.IPv4Network(value)
    except ValueError as error:
        raise ValueError(f"must be an IPv4 network in CIDR notation without host bits ({error})") from None
    if network.prefixlen == 0:
        raise ValueError("must not be 0.0.0.0/0: that opens it to the whole internet")
    return str(network)


def _year_retention(value: int) -> int:
    """A CloudWatch Logs retention that keeps at least a year (FSBP), or ValueError naming the choices."""
    if value not in YEAR_LOG_RETENTION_DAYS:
        allowed = ", ".join(str(d) for d in sorted(YEAR_LOG_RETENTION_DAYS))
        raise ValueError(f"must be a CloudWatch retention of at least a year: one of {allowed}")
    return value


class _Model(BaseModel):
    """Base for config sections: camelCase keys as in the stack YAML, unknown keys rejected."""

    model_config = ConfigDict(extra="forbid", alias_generator=to_camel, populate_by_name=True, frozen=True)
