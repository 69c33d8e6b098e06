"""Per-resource checks of the MongoDB Atlas resources (registered in ``rules.RULES``).

Plain functions of the engine's wire inputs (camelCase) and ``protect``, like the rest of
``rules.py``; standard library only, so the policy runtime loads them as a flat module.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Any

ACCESS_LIST = "mongodbatlas:index/projectIpAccessList:ProjectIpAccessList"
CLUSTER = "mongodbatlas:index/advancedCluster:AdvancedCluster"
ENCRYPTION_AT_REST = "mongodbatlas:index/encryptionAtRest:EncryptionAtRest"
DATABASE_USER = "mongodbatlas:index/databaseUser:DatabaseUser"
_TLS_OK = frozenset({"TLS1_2", "TLS1_3"})
#: Built-in roles that reach every database or administer the cluster: never an app user's.
_BROAD_ROLES = frozenset(
    {
        "atlasAdmin",
        "readWriteAnyDatabase",
        "readAnyDatabase",
        "dbAdminAnyDatabase",
        "clusterMonitor",
        "backup",
        "enableSharding",
    }
)


def access_list_entry(props: Mapping[str, Any], protect: bool) -> str | None:
    """An IP access list entry may only name private networks (or a security group)."""
    for key in ("cidrBlock", "ipAddress"):
        value = props.get(key)
        if not value:
            continue
        try:
            network = ipaddress.ip_network(value, strict=False)
        except ValueError:
            return f"{key}={value!r} is not an address or CIDR block"
        if network.prefixlen == 0 or not network.is_private:
            return f"{key}={value} opens the project to a public range; clusters are reached through private endpoints"
    return None


def cluster(props: Mapping[str, Any], protect: bool) -> str | None:
    """Backups with point-in-time restore, termination protection, our key, TLS 1.2+."""
    problems = []
    if props.get("backupEnabled") is not True:
        problems.append("cloud backup must be on (backupEnabled)")
    if props.get("pitEnabled") is not True:
        problems.append("continuous backup must be on (pitEnabled)")
    if props.get("terminationProtectionEnabled") is not True:
        problems.append("termination protection must be on")
    if props.get("encryptionAtRestProvider") != "AWS":
        problems.append("must be encrypted at rest with our AWS KMS key (encryptionAtRestProvider AWS)")
    tls = (props.get("advancedConfiguration") or {}).get("minimumEnabledTlsProtocol")
    if tls not in _TLS_OK:
        problems.append("must require TLS 1.2 or newer (advancedConfiguration.minimumEnabledTlsProtocol)")
    return "; ".join(problems) or None


def encryption_at_rest(props: Mapping[str, Any], protect: bool) -> str | None:
    """Customer key management through AWS KMS, enabled, with a key, its region and an IAM role."""
    config = props.get("awsKmsConfig") or {}
    if config.get("enabled") is not True:
        return "AWS KMS encryption at rest must be enabled (awsKmsConfig.enabled)"
    missing = [k for k in ("customerMasterKeyId", "region", "roleId") if not config.get(k)]
    if missing:
        return f"awsKmsConfig needs {', '.join(missing)} (our key, its region, the role Atlas assumes)"
    if config.get("accessKeyId") or config.get("secretAccessKey"):
        return "Atlas reaches the key through an assumed role, never through access keys"
    return None


def database_user(props: Mapping[str, Any], protect: bool) -> str | None:
    """App users authenticate with IAM roles on $external, hold no broad role and reach named clusters."""
    problems = []
    if props.get("awsIamType") != "ROLE" or props.get("authDatabaseName") != "$external":
        problems.append("must authenticate with an AWS IAM role (awsIamType ROLE on $external)")
    if props.get("password") or props.get("passwordWo"):
        problems.append("must not have a password")
    broad = sorted({r.get("roleName") for r in props.get("roles") or []} & _BROAD_ROLES)
    if broad:
        problems.append(f"roles {broad} reach beyond the app's database")
    if not props.get("scopes"):
        problems.append("must be scoped to its cluster (scopes)")
    return "; ".join(problems) or None
