"""NetworkPolicy specs of a workload, and an evaluator of what they let a pod reach (pure functions).

:class:`components.workload.Workload` turns :func:`workload_policies` into NetworkPolicy objects:
default deny, then DNS, the Pod Identity agent, the given CIDRs, in-cluster services and HTTPS.
:func:`egress_allows` answers whether a set of policies lets a pod open one connection; the tests
use it to prove that every endpoint an app is configured to reach is allowed, and nothing else.

Constraints this module relies on (Amazon VPC CNI network policy agent):

- The agent enforces policies with eBPF on the pod's host-side veth, *before* kube-proxy
  translates a Service's ClusterIP to a pod IP. So a connection to a Service is allowed only if
  the rule's peer resolves to that ClusterIP: the policy controller adds a Service's ClusterIP to
  an egress rule only when the rule's ``podSelector`` carries every label of the Service's
  selector (an ``ipBlock`` of the VPC CIDR never covers the service CIDR). Hence
  :class:`ServicePeer` names the Service's full selector, not a subset.
  https://github.com/aws/amazon-network-policy-controller-k8s/issues/194 (resolver code linked
  there: ``pkg/resolvers/endpoints.go``),
  https://github.com/aws/aws-network-policy-agent (PolicyEndpoints enforced by eBPF on the veth)
- "For any of your Kubernetes services, the service port must be the same as the container port":
  the rule lists the Service's port, which is also the container port for the peers we use.
  https://docs.aws.amazon.com/eks/latest/userguide/cni-network-policy.html#cni-network-policy-considerations
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

#: EKS Pod Identity agent's link-local address: pods fetch their AWS credentials from it.
#: https://docs.aws.amazon.com/eks/latest/userguide/pod-id-how-it-works.html
POD_IDENTITY_AGENT = "169.254.170.23/32"
#: CoreDNS: namespace and the pod label its ``kube-dns`` Service selects on.
DNS_NAMESPACE = "kube-system"
DNS_LABELS = {"k8s-app": "kube-dns"}
_NAMESPACE_LABEL = "kubernetes.io/metadata.name"


@dataclass(frozen=True)
class ServicePeer:
    """An in-cluster Service a workload sends to: its namespace, its full pod selector, its TCP ports.

    Attributes:
        namespace: Namespace of the Service and its pods.
        pod_labels: The Service's ``spec.selector`` (all of it; see the module docstring).
        ports: TCP ports (service port = container port).
    """

    namespace: str
    pod_labels: Mapping[str, str]
    ports: Sequence[int]


@dataclass(frozen=True)
class Destination:
    """One connection a pod opens: to an IP, or to a pod (namespace + labels) behind a Service."""

    port: int
    protocol: str = "TCP"
    ip: str | None = None
    namespace: str | None = None
    pod_labels: Mapping[str, str] = field(default_factory=dict)


def _namespace_peer(namespace: str, pod_labels: Mapping[str, str]) -> dict:
    return {
        "namespace_selector": {"match_labels": {_NAMESPACE_LABEL: namespace}},
        "pod_selector": {"match_labels": dict(pod_labels)},
    }


def egress_rules(cidrs: Sequence[str], services: Sequence[ServicePeer] = (), https_anywhere: bool = True) -> list[dict]:
    """Egress rules: DNS, the Pod Identity agent, ``cidrs`` on any port, ``services``, HTTPS.

    HTTPS anywhere because AWS APIs (STS, Secrets Manager, SQS, S3...) have public endpoints and
    the VPC has no interface endpoints for all of them; the IP ranges of AWS services are too
    broad and volatile to list. Plain HTTP and every other port stay closed.
    """
    rules = [
        {
            "to": [_namespace_peer(DNS_NAMESPACE, DNS_LABELS)],
            "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}],
        },
        {"to": [{"ip_block": {"cidr": POD_IDENTITY_AGENT}}], "ports": [{"protocol": "TCP", "port": 80}]},
    ]
    if cidrs:
        rules.append({"to": [{"ip_block": {"cidr": cidr}} for cidr in cidrs]})
    for service in services:
        rules.append(
            {
                "to": [_namespace_peer(service.namespace, service.pod_labels)],
                "ports": [{"protocol": "TCP", "port": port} for port in service.ports],
            }
        )
    if https_anywhere:
        rules.append({"to": [{"ip_block": {"cidr": "0.0.0.0/0"}}], "ports": [{"protocol": "TCP", "port": 443}]})
    return rules


def ingress_rule(port: int, cidrs: Sequence[str], namespaces: Sequence[str]) -> dict:
    """Who may reach ``port``: ``cidrs`` (ALB targets in IP mode, kubelet probes) and ``namespaces``."""
    sources: list[dict] = [{"ip_block": {"cidr": cidr}} for cidr in cidrs]
    if namespaces:
        expression = {"key": _NAMESPACE_LABEL, "operator": "In", "values": list(namespaces)}
        sources.append({"namespace_selector": {"match_expressions": [expression]}})
    return {"from": sources, "ports": [{"protocol": "TCP", "port": port}]}


# --- evaluation (manifest shape: camelCase, as written by ``plan --manifests``) ---------------------


def _matches(selector: Mapping | None, labels: Mapping[str, str]) -> bool:
    selector = selector or {}
    if any(labels.get(k) != v for k, v in (selector.get("matchLabels") or {}).items()):
        return False
    for expression in selector.get("matchExpressions") or []:
        key, operator, values = expression["key"], expression["operator"], expression.get("values") or []
        ok = {
            "In": labels.get(key) in values,
            "NotIn": labels.get(key) not in values,
            "Exists": key in labels,
            "DoesNotExist": key not in labels,
        }[operator]
        if not ok:
            return False
    return True


def _peer_allows(peer: Mapping, source_namespace: str, destination: Destination) -> bool:
    if "ipBlock" in peer:
        if destination.ip is None:
            return False
        block = peer["ipBlock"]
        address = ipaddress.ip_address(destination.ip)
        inside = address in ipaddress.ip_network(block["cidr"], strict=False)
        return inside and not any(address in ipaddress.ip_network(e, strict=False) for e in block.get("except") or [])
    if destination.namespace is None:
        return False
    if "namespaceSelector" in peer:
        if not _matches(peer["namespaceSelector"], {_NAMESPACE_LABEL: destination.namespace}):
            return False
    elif destination.namespace != source_namespace:
        return False
    return _matches(peer.get("podSelector"), destination.pod_labels)


def _port_allows(ports: list | None, destination: Destination) -> bool:
    if not ports:
        return True
    return any(
        p.get("protocol", "TCP") == destination.protocol and p.get("port") in (None, destination.port) for p in ports
    )


def egress_allows(policies: Sequence[Mapping], pod_labels: Mapping[str, str], destination: Destination) -> bool:
    """Whether NetworkPolicy manifests ``policies`` let a pod with ``pod_labels`` open ``destination``.

    Kubernetes semantics: a pod selected by no Egress policy may go anywhere; otherwise a
    connection must match one rule (a peer and a port) of some policy selecting the pod.
    """
    selecting = [
        p
        for p in policies
        if "Egress" in (p["spec"].get("policyTypes") or []) and _matches(p["spec"].get("podSelector"), pod_labels)
    ]
    if not selecting:
        return True
    for policy in selecting:
        namespace = policy["metadata"].get("namespace", "")
        for rule in policy["spec"].get("egress") or []:
            peers = rule.get("to")
            peer_ok = not peers or any(_peer_allows(peer, namespace, destination) for peer in peers)
            if peer_ok and _port_allows(rule.get("ports"), destination):
                return True
    return False
