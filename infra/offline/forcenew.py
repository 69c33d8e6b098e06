"""Which input changes force a resource's replacement: the logic over :mod:`infra.offline.forcenew_table`.

:func:`forcing_keys` classifies one resource's change for the offline diff; :func:`identity`
condenses the inputs that force replacement into a digest, which the harness's mocks put into
every ID, ARN and computed identifier, so that a replaced resource gets new ones and the change
cascades into its dependents' inputs, as the unknowns of a real preview do.

Conditional rules (``ForceNewIf``: only a downgrade, only removing a block, only some nested
fields) live in :data:`FORCE_NEW_IF` as predicates, so that an upgrade between phases is not
mistaken for a rebuild. They are not part of :func:`identity` (a digest cannot tell an upgrade
from a downgrade), so such a replacement does not cascade: the diff names it on the resource only.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping
from typing import Any

from pulumi.runtime.rpc import _special_secret_sig, _special_sig_key

from infra.offline.forcenew_table import DEFAULTS, FORCE_NEW, STATEFUL_TYPES

__all__ = ["DEFAULTS", "FORCE_NEW", "FORCE_NEW_IF", "STATEFUL_TYPES", "forcing_keys", "identity"]

#: ``predicate(old_value, new_value, old_inputs, new_inputs) -> forces replacement``.
Predicate = Callable[[Any, Any, Mapping[str, Any], Mapping[str, Any]], bool]


def _numbers(version: Any) -> tuple[int, ...]:
    return tuple(int(n) for n in re.findall(r"\d+", str(version or "")))


def _downgrade(old: Any, new: Any, *_: Any) -> bool:
    """True when ``new`` sorts below ``old``; unparseable versions count as a downgrade (guarded)."""
    old_n, new_n = _numbers(old), _numbers(new)
    return not (old_n and new_n) or new_n < old_n


def _get(value: Any, path: str) -> Any:
    for part in path.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    return value


def _active_cluster(kubeconfig: Any) -> Any:
    """The cluster entry of a kubeconfig's current context (what pulumi-kubernetes' DiffConfig compares)."""
    try:
        config = json.loads(kubeconfig) if isinstance(kubeconfig, str) else kubeconfig
        context = next(c["context"] for c in config["contexts"] if c["name"] == config["current-context"])
        return next(c["cluster"] for c in config["clusters"] if c["name"] == context["cluster"])
    except (TypeError, ValueError, KeyError, StopIteration):
        return kubeconfig


def _nested(*paths: str, presence: bool = True) -> Predicate:
    """Forces when the block appears/disappears (if ``presence``) or any nested ``paths`` differ."""

    def predicate(old: Any, new: Any, *_: Any) -> bool:
        if presence and bool(old) != bool(new):
            return True
        return any(_get(old, p) != _get(new, p) for p in paths)

    return predicate


def _switched_off(*paths: str) -> Predicate:
    """Forces when a nested boolean goes from true to false (AWS cannot turn it off in place)."""
    return lambda old, new, *_: any(_get(old, p) and not _get(new, p) for p in paths)


def _opensearch_encryption(kms: bool) -> Predicate:
    """TF: turning encryption off, or on for a pre-OpenSearch engine, or changing the key, replaces."""

    def predicate(old: Any, new: Any, _old_inputs: Mapping[str, Any], new_inputs: Mapping[str, Any]) -> bool:
        was, now = bool(_get(old, "enabled")), bool(_get(new, "enabled"))
        in_place = str(new_inputs.get("engineVersion") or "").startswith("OpenSearch_")
        return (
            (was and not now)
            or (now and not was and not in_place)
            or (kms and _get(old, "kmsKeyId") != _get(new, "kmsKeyId"))
        )

    return predicate


def _valkey_to_redis(old: Any, new: Any, *_: Any) -> bool:
    """Redis -> Valkey updates in place; anything else that changes the engine replaces."""
    before, after = str(old or "redis").lower(), str(new or "redis").lower()
    return after != "valkey" and before != after


def _transit_encryption(_old: Any, _new: Any, _oi: Mapping[str, Any], new_inputs: Mapping[str, Any]) -> bool:
    """TF: toggling in-transit encryption replaces the group below engine 7.0.5."""
    version = _numbers(new_inputs.get("engineVersion"))
    return not version or version < (7, 0, 5)


FORCE_NEW_IF: dict[str, dict[str, Predicate]] = {
    "aws:elasticache/replicationGroup:ReplicationGroup": {
        "engine": _valkey_to_redis,
        "engineVersion": _downgrade,
        "transitEncryptionEnabled": _transit_encryption,
        # TF only replaces on "significant" node group changes; every change is guarded here.
        "nodeGroupConfigurations": lambda old, new, *_: True,
    },
    "aws:eks/cluster:Cluster": {
        "accessConfig": _nested("bootstrapClusterCreatorAdminPermissions", presence=False),
        "encryptionConfig": lambda old, new, *_: bool(old) and not new,
        "kubernetesNetworkConfig": _nested("ipFamily", "serviceIpv4Cidr", presence=False),
    },
    "aws:eks/nodeGroup:NodeGroup": {"launchTemplate": _nested("id", "name")},
    "aws:msk/cluster:Cluster": {
        "brokerNodeGroupInfo": _nested("azDistribution", "clientSubnets", "securityGroups"),
        "encryptionInfo": _nested("encryptionAtRestKmsKeyArn", "encryptionInTransit.inCluster"),
        "kafkaVersion": _downgrade,
    },
    "aws:opensearch/domain:Domain": {
        # TF asks the service which upgrades are compatible; offline every version change is guarded.
        "engineVersion": lambda old, new, *_: True,
        "encryptAtRest": _opensearch_encryption(kms=True),
        "nodeToNodeEncryption": _opensearch_encryption(kms=False),
        "advancedSecurityOptions": _switched_off("enabled"),
        "ipAddressType": lambda old, new, *_: old == "dualstack",
    },
}


#: ForceNew keys compared through a projection (what the provider itself compares).
PROJECTIONS: dict[str, dict[str, Callable[[Any], Any]]] = {
    "pulumi:providers:kubernetes": {"kubeconfig": _active_cluster},
}


def top(path: str) -> str:
    """The top-level input a property path starts at (``a.b[0].c`` -> ``a``)."""
    return re.split(r"[.\[]", path, maxsplit=1)[0]


def unsecret(value: Any) -> Any:
    """``value`` with the SDK's secret wrappers (``{sig: secret, value: x}``) replaced by ``x``."""
    if isinstance(value, Mapping):
        if value.get(_special_sig_key) == _special_secret_sig:
            return unsecret(value.get("value"))
        return {k: unsecret(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unsecret(v) for v in value]
    return value


def values_at(value: Any, path: str) -> Any:
    """The value(s) at ``path`` (``a.b``; lists are walked element by element); None when absent."""
    parts = path.replace("[*]", "").split(".")

    def walk(node: Any, index: int) -> Any:
        if isinstance(node, list):
            return [walk(item, index) for item in node]
        if index == len(parts):
            return node
        return walk(node.get(parts[index]), index + 1) if isinstance(node, Mapping) else None

    return walk(value, 0)


def normalized(resource_type: str, inputs: Mapping[str, Any]) -> dict[str, Any]:
    """``inputs`` without secret wrappers and without inputs set to their provider default.

    A default made explicit (absent in one program, the default in the other) is the same state.
    """
    result = unsecret(dict(inputs))
    for path, default in DEFAULTS.get(resource_type, {}).items():
        *parents, leaf = path.split(".")
        node = result
        for part in parents:
            node = node.get(part) if isinstance(node, dict) else None
        if isinstance(node, dict) and leaf in node and node[leaf] == default:
            del node[leaf]
    return result


def replacement_keys(resource_type: str) -> frozenset[str]:
    """Input paths of ``resource_type`` whose change always forces replacement.

    Every ``aws:`` resource also has pulumi-aws v7's per-resource ``region`` input: moving a
    resource to another region is a new resource.
    """
    keys = FORCE_NEW.get(resource_type, frozenset())
    return keys | {"region"} if resource_type.startswith("aws:") else keys


def _compared(resource_type: str, path: str, inputs: Mapping[str, Any]) -> Any:
    value = values_at(inputs, path)
    project = PROJECTIONS.get(resource_type, {}).get(path)
    return project(value) if project else value


def forcing_keys(
    resource_type: str,
    changed: list[str],
    old_inputs: Mapping[str, Any],
    new_inputs: Mapping[str, Any],
) -> list[str]:
    """The ForceNew paths (and conditional top-level keys) among ``changed`` that replace the resource.

    ``changed`` holds top-level input names; a nested path forces only when the value at that path
    differs (``objectLockConfiguration.objectLockEnabled``, not any change in the block).
    """
    tops = set(changed)
    forcing = [
        path
        for path in sorted(replacement_keys(resource_type))
        if top(path) in tops
        and _compared(resource_type, path, old_inputs) != _compared(resource_type, path, new_inputs)
    ]
    for key, rule in FORCE_NEW_IF.get(resource_type, {}).items():
        old, new = old_inputs.get(key), new_inputs.get(key)
        if key in tops and key not in forcing and rule(old, new, old_inputs, new_inputs):
            forcing.append(key)
    return forcing


def identity(resource_type: str, inputs: Mapping[str, Any], *context: str) -> str:
    """A short digest of what makes this resource *this* resource: its ForceNew values.

    Two registrations with equal digests (same logical name assumed) are the same physical
    resource; a change of any ForceNew value, or of ``context`` (the region, the provider's own
    identity), gives another digest, i.e. a replacement with new IDs.
    """
    values = normalized(resource_type, inputs)
    material = [[p, _compared(resource_type, p, values)] for p in sorted(replacement_keys(resource_type))]
    text = json.dumps([material, context], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:8]


def is_stateful(resource_type: str) -> bool:
    """True for resources whose replacement or deletion loses data (see :data:`STATEFUL_TYPES`)."""
    return resource_type in STATEFUL_TYPES
