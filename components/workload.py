"""One application (api or worker) on EKS: hardened Deployment, HPA, PDB, NetworkPolicies, Pod Identity.

Scaling decision: an HPA on CPU and memory by default; with ``queue_scaler`` a KEDA ScaledObject
instead, which drives its own HPA from the SQS depth *and* the same CPU/memory targets. The two
HPAs have different names (:func:`hpa_names`), so moving between them in either direction creates
one object and deletes another, never re-creates a name the other still holds; the ordering of
such a move is in ``docs/promotion.md``.

Draining decision (workloads behind an ALB, target type ``ip``): the namespace carries the AWS
Load Balancer Controller's readiness-gate label, so a new pod counts as ready only once its
target is healthy; a terminating pod keeps serving for a ``preStop`` sleep a little longer than
the target group's deregistration delay, then gets ``drain_seconds`` to finish in-flight work.

Secrets decision: secret values never reach Kubernetes. The ConfigMap carries each secret's
Secrets Manager ARN (``<NAME>_SECRET_ARN``) and the app fetches the value at start-up with its Pod
Identity role (the caller's ``iam_policy_json`` grants ``secretsmanager:GetSecretValue`` on exactly
those ARNs). The Secrets Store CSI driver would mount them as files, but it adds a DaemonSet, a
provider plugin and a SecretProviderClass per app for no security gain over an SDK call, and
Kubernetes Secrets would copy the values into etcd.

Constraints: see :mod:`components.autoscaling`, :mod:`components.ingress_specs` and
:mod:`components.network_policies`.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field

import pulumi
import pulumi_kubernetes as k8s

from components.autoscaling import (
    KEDA_VALIDATION_OPT_OUT,
    QueueScaler,
    hpa_names,
    hpa_spec,
    scaled_object_spec,
    trigger_authentication_name,
)
from components.base import child_opts
from components.cluster_addons import pod_identity_association, pod_identity_role
from components.ingress_specs import (
    READINESS_GATE_LABEL,
    TLS_POLICY,
    IngressSpec,
    alb_annotations,
    drain_timings,
)
from components.network_policies import POD_IDENTITY_AGENT, ServicePeer, egress_rules, ingress_rule

_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
_ENV_NAME = re.compile(r"^[A-Z_][A-Z0-9_]*$")
_DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")
_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
__all__ = [
    "POD_IDENTITY_AGENT", "TLS_POLICY", "IngressSpec", "QueueScaler", "ServicePeer",
    "drain_timings", "hpa_names", "scaled_object_spec",
]  # fmt: skip
UID = 10001


def restricted_container_context(uid: int = UID) -> dict:
    """Container security context meeting the ``restricted`` Pod Security Standard: a fixed
    non-root user, read-only root filesystem, no privilege escalation, no capabilities."""
    return {
        "run_as_non_root": True,
        "run_as_user": uid,
        "run_as_group": uid,
        "read_only_root_filesystem": True,
        "allow_privilege_escalation": False,
        "privileged": False,
        "capabilities": {"drop": ["ALL"]},
        "seccomp_profile": {"type": "RuntimeDefault"},
    }


def restricted_pod_context(uid: int = UID) -> dict:
    """Pod security context to go with :func:`restricted_container_context` (volumes owned by ``uid``)."""
    return {
        "run_as_non_root": True,
        "run_as_user": uid,
        "run_as_group": uid,
        "fs_group": uid,
        "seccomp_profile": {"type": "RuntimeDefault"},
    }


def validate_image(image: str) -> str:
    """Return ``image`` if it is pinned (a digest, or a tag other than ``latest``); else ValueError.

    A moving tag makes a rollout or a node replacement silently run different code.
    """
    if _DIGEST.search(image):
        return image
    repository, _, tag = image.rpartition(":")
    if not repository or "@" in repository or not _TAG.match(tag) or tag.lower() == "latest":
        raise ValueError(f"image {image!r} must be pinned to a tag other than 'latest' or to a sha256 digest")
    return image


def pdb_min_available(min_replicas: int) -> str:
    """``minAvailable`` of the PodDisruptionBudget: half of the pods, as a percentage.

    Kubernetes rounds a percentage up, so for any replica count ``n >= 2`` the HPA chooses,
    ``ceil(n / 2)`` pods stay (never below half) and ``n - ceil(n / 2) >= 1`` can be evicted, so node
    drains never deadlock. A percentage, unlike a count derived from ``min_replicas``, keeps
    protecting half of the pods when the HPA has scaled out.
    """
    if min_replicas < 2:
        raise ValueError(f"min_replicas {min_replicas} must be >= 2: a single pod cannot be evicted safely")
    return "50%"


@dataclass
class WorkloadArgs:
    """Inputs of :class:`Workload`.

    Attributes:
        app: App name (DNS label): names the Deployment, Service, HPA, ServiceAccount, etc.
        namespace: Namespace created for and owned by this workload (one workload per namespace,
            so its default-deny policy and pod-security level are its own).
        image: Container image, pinned (see :func:`validate_image`).
        max_replicas: HPA (or ScaledObject) maximum.
        cluster_name: EKS cluster name (Pod Identity association, role name prefix).
        iam_policy_json: The app's least-privilege IAM policy, built by the caller.
        k8s_provider: Kubernetes provider of the cluster, used explicitly by every k8s resource.
        port: Container HTTP port; ``None`` for workers (then no Service and no ingress policy).
            Default: 8080.
        health_path: HTTP path of the startup/readiness/liveness probes (used when ``port`` is set).
            Default: ``/healthz``.
        liveness_exec: Probe command for workers without a port. Default: none.
        cpu_request_m: CPU request in millicores. Default: 250.
        memory_request_mib: Memory request. Default: 512.
        memory_limit_mib: Memory limit. Default: 1024.
        min_replicas: HPA minimum, at least 2. Default: 2.
        cpu_target_percent: HPA CPU utilization target. Default: 70.
        memory_target_percent: HPA memory utilization target. Default: 80.
        scale_down_stabilization_seconds: HPA scale-down window. Default: 300.
        drain_seconds: Time the app needs after SIGTERM to finish in-flight work (added to the
            grace period of pods behind an ALB). Default: 15.
        config: Non-secret settings (endpoints), exposed as environment variables. Default: none.
        secret_arns: Env var name -> Secrets Manager ARN; exposed as ``<NAME>_SECRET_ARN``, never
            as values. Default: none.
        ingress: ALB in front of the Service. Default: none.
        queue_scaler: Scale on SQS depth with KEDA instead of a plain HPA. Default: none (HPA).
        ingress_cidrs: CIDRs allowed to reach ``port`` (the VPC CIDR: ALB targets in IP mode and
            kubelet probes come from it). Required when ``port`` is set. Default: none.
        allowed_ingress_namespaces: Namespaces whose pods may reach ``port``. Default: none.
        egress_cidrs: CIDRs the pods may reach on any port (the VPC CIDR: database, cache, proxy).
            Default: none.
        egress_services: In-cluster Services the pods send to (e.g. the OpenTelemetry collector),
            allowed by namespace, full pod selector and ports. Default: none.
        depends_on: Cluster add-ons to wait for (``EksCluster.platform_ready``, plus
            ``Keda.release`` with ``queue_scaler``: its chart installs the ScaledObject CRD).
            Default: none.
        tags: Extra AWS tags. Default: none.
    """

    app: str
    namespace: str
    image: str
    max_replicas: int
    cluster_name: str
    iam_policy_json: pulumi.Input[str]
    k8s_provider: k8s.Provider
    port: int | None = 8080
    health_path: str | None = "/healthz"
    liveness_exec: list[str] | None = None
    cpu_request_m: int = 250
    memory_request_mib: int = 512
    memory_limit_mib: int = 1024
    min_replicas: int = 2
    cpu_target_percent: int = 70
    memory_target_percent: int = 80
    scale_down_stabilization_seconds: int = 300
    drain_seconds: int = 15
    config: dict[str, pulumi.Input[str]] = field(default_factory=dict)
    secret_arns: dict[str, pulumi.Input[str]] = field(default_factory=dict)
    ingress: IngressSpec | None = None
    queue_scaler: QueueScaler | None = None
    ingress_cidrs: list[pulumi.Input[str]] = field(default_factory=list)
    allowed_ingress_namespaces: list[str] = field(default_factory=list)
    egress_cidrs: list[pulumi.Input[str]] = field(default_factory=list)
    egress_services: list[ServicePeer] = field(default_factory=list)
    depends_on: list[pulumi.Resource] = field(default_factory=list)
    tags: dict[str, str] = field(default_factory=dict)


def _validate(args: WorkloadArgs) -> None:
    """Reject bad args before anything is registered."""
    for label in (args.app, args.namespace, *args.allowed_ingress_namespaces):
        if not _DNS_LABEL.match(label):
            raise ValueError(f"{label!r} is not a Kubernetes DNS label (lowercase, digits, '-', <= 63)")
    validate_image(args.image)
    pdb_min_available(args.min_replicas)
    if args.max_replicas < args.min_replicas:
        raise ValueError(f"max_replicas {args.max_replicas} < min_replicas {args.min_replicas}")
    if not (0 < args.cpu_target_percent <= 100 and 0 < args.memory_target_percent <= 100):
        raise ValueError("HPA targets must be percentages in 1..100")
    if args.memory_limit_mib < args.memory_request_mib:
        raise ValueError(f"memory_limit_mib {args.memory_limit_mib} < memory_request_mib")
    http_probes = args.port is not None and args.health_path is not None
    if http_probes == bool(args.liveness_exec):
        raise ValueError("give exactly one health check: port + health_path (HTTP) or liveness_exec")
    if args.port is not None and not args.ingress_cidrs:
        raise ValueError("ingress_cidrs (the VPC CIDR) is required when port is set")
    if args.ingress and not http_probes:
        raise ValueError("ingress needs port and health_path")
    if args.ingress and args.ingress.scheme not in ("internet-facing", "internal"):
        raise ValueError(f"ingress.scheme {args.ingress.scheme!r} must be 'internet-facing' or 'internal'")
    if any(isinstance(c, str) and c.endswith("/0") for c in args.ingress_cidrs):
        raise ValueError("ingress_cidrs must not open the port to every address")
    keys = [*args.config, *(f"{k}_SECRET_ARN" for k in args.secret_arns)]
    if len(set(keys)) != len(keys) or not all(_ENV_NAME.match(k) for k in keys):
        raise ValueError(f"config/secret names {keys} must be distinct UPPER_SNAKE env var names")
    for key, arn in args.secret_arns.items():
        if isinstance(arn, str) and not arn.startswith("arn:aws:secretsmanager:"):
            raise ValueError(f"secret_arns[{key!r}] must be a Secrets Manager ARN, never a secret value")
    scaler = args.queue_scaler
    if scaler and (scaler.messages_per_pod < 1 or scaler.activation_messages < 0 or not scaler.region):
        raise ValueError("queue_scaler needs messages_per_pod >= 1, activation_messages >= 0 and a region")
    if args.ingress:
        drain_timings(args.ingress.deregistration_delay_seconds, args.drain_seconds)
    if len(f"{args.cluster_name}-{args.namespace}-{args.app}") > 64:
        raise ValueError("cluster_name-namespace-app is the IAM role name and must fit 64 characters")


def _alb_hostname(status) -> str:
    ingresses = (status and status.load_balancer and status.load_balancer.ingress) or []
    return ingresses[0].hostname if ingresses else ""


def _checksum(data: dict[str, str]) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


class Workload(pulumi.ComponentResource):
    """A Deployment autoscaled by an HPA (or KEDA), with Pod Identity, default-deny networking and an ALB.

    Pods run as a fixed non-root user with a read-only root filesystem and no capabilities (the
    namespace enforces the ``restricted`` Pod Security Standard), spread across zones and nodes.
    """

    def __init__(self, name: str, args: WorkloadArgs, opts: pulumi.ResourceOptions | None = None):
        _validate(args)
        super().__init__("platform:k8s:Workload", name, None, opts)
        self._name, self._args = name, args
        self._labels = {"app.kubernetes.io/name": args.app}
        namespace = k8s.core.v1.Namespace(
            f"{name}-namespace",
            metadata={
                "name": args.namespace,
                "labels": {
                    **{f"pod-security.kubernetes.io/{m}": "restricted" for m in ("enforce", "audit", "warn")},
                    # Target type ip: a pod is ready only once its ALB target is healthy.
                    **(READINESS_GATE_LABEL if args.ingress else {}),
                },
            },
            opts=self._k8s(depends_on=args.depends_on),
        )
        # Every namespaced object reads the namespace from here, so all of them wait for it.
        self._ns = namespace.metadata.name
        role_name = f"{args.cluster_name}-{args.namespace}-{args.app}"
        service_account = (args.cluster_name, args.namespace, args.app)
        role = pod_identity_role(
            self, f"{name}-role", role_name, service_account, args.tags, inline_policy=args.iam_policy_json
        )
        identity = pod_identity_association(
            self, f"{name}-identity", role, role_name, service_account, args.tags, depends_on=args.depends_on
        )
        account = k8s.core.v1.ServiceAccount(
            f"{name}-sa", metadata=self._meta(args.app), opts=self._k8s(depends_on=[identity])
        )
        data = {**args.config, **{f"{k}_SECRET_ARN": v for k, v in args.secret_arns.items()}}
        config = k8s.core.v1.ConfigMap(
            f"{name}-config", metadata=self._meta(f"{args.app}-config"), data=data, opts=self._k8s()
        )
        self._deployment = self._create_deployment(account, config, pulumi.Output.from_input(data).apply(_checksum))
        self.deployment_name = self._deployment.metadata.name
        self.service_name = self._create_service()
        self._create_scaling()
        self._create_network_policies()
        self.ingress_hostname = self._create_ingress()
        self.role_arn = role.arn
        self.namespace = self._ns
        self.register_outputs(
            {
                "namespace": self.namespace,
                "deployment_name": self.deployment_name,
                "role_arn": self.role_arn,
                "service_name": self.service_name,
                "ingress_hostname": self.ingress_hostname,
            }
        )

    def _k8s(self, **kwargs) -> pulumi.ResourceOptions:
        return child_opts(self, provider=self._args.k8s_provider, **kwargs)

    def _meta(self, name: str, **extra) -> dict:
        return {"name": name, "namespace": self._ns, "labels": self._labels, **extra}

    def _probes(self) -> dict:
        """Startup (up to 150 s), readiness and liveness probes: HTTP on the port or an exec command."""
        args = self._args
        if args.liveness_exec:
            check: dict = {"exec": {"command": args.liveness_exec}}
        else:
            check = {"http_get": {"path": args.health_path, "port": "http"}}
        return {
            "startup_probe": {**check, "period_seconds": 5, "failure_threshold": 30, "timeout_seconds": 2},
            "readiness_probe": {**check, "period_seconds": 5, "failure_threshold": 2, "timeout_seconds": 2},
            "liveness_probe": {**check, "period_seconds": 10, "failure_threshold": 3, "timeout_seconds": 2},
        }

    def _create_deployment(self, account, config, checksum: pulumi.Output[str]) -> k8s.apps.v1.Deployment:
        """The hardened Deployment; ``replicas`` is left to the HPA."""
        args = self._args
        container = {
            "name": args.app,
            "image": args.image,
            # Every node re-resolves the tag, so no node runs a stale image cached under the same tag.
            "image_pull_policy": "Always",
            "ports": [{"name": "http", "container_port": args.port}] if args.port else [],
            "env_from": [{"config_map_ref": {"name": config.metadata.name}}],
            # No CPU limit on purpose: CFS quotas throttle latency-sensitive pods even when the node
            # has idle CPU; the request already guarantees the share. Memory is not compressible,
            # so it is limited.
            "resources": {
                "requests": {"cpu": f"{args.cpu_request_m}m", "memory": f"{args.memory_request_mib}Mi"},
                "limits": {"memory": f"{args.memory_limit_mib}Mi"},
            },
            "security_context": restricted_container_context(),
            # The root filesystem is read-only; /tmp is the one writable scratch space.
            "volume_mounts": [{"name": "tmp", "mount_path": "/tmp"}],
            **self._probes(),
        }
        grace: dict = {}
        if args.ingress:
            # Keep serving while the ALB stops routing to this pod, then drain (no shell needed).
            sleep, grace_seconds = drain_timings(args.ingress.deregistration_delay_seconds, args.drain_seconds)
            container["lifecycle"] = {"pre_stop": {"sleep": {"seconds": sleep}}}
            grace = {"termination_grace_period_seconds": grace_seconds}
        spread = [
            {
                "max_skew": 1,
                "topology_key": key,
                "when_unsatisfiable": "ScheduleAnyway",
                "label_selector": {"match_labels": self._labels},
            }
            for key in ("topology.kubernetes.io/zone", "kubernetes.io/hostname")
        ]
        pod_spec = {
            "service_account_name": account.metadata.name,
            # Needed by EKS Pod Identity, which exchanges the projected service account token for
            # AWS credentials; the token's RBAC rights are none (no Role is bound to this account).
            "automount_service_account_token": True,
            "enable_service_links": False,
            "security_context": restricted_pod_context(),
            "containers": [container],
            "volumes": [{"name": "tmp", "empty_dir": {"size_limit": "512Mi"}}],
            "topology_spread_constraints": spread,
            **grace,
        }
        return k8s.apps.v1.Deployment(
            f"{self._name}-deployment",
            metadata=self._meta(args.app),
            spec={
                "selector": {"match_labels": self._labels},
                "revision_history_limit": 5,
                "strategy": {"type": "RollingUpdate", "rolling_update": {"max_unavailable": 0, "max_surge": "25%"}},
                "template": {
                    # A config change rolls the pods, which only read their environment at start.
                    "metadata": {"labels": self._labels, "annotations": {"checksum/config": checksum}},
                    "spec": pod_spec,
                },
            },
            opts=self._k8s(),
        )

    def _create_service(self) -> pulumi.Input[str]:
        """A ClusterIP Service on the named ``http`` port; returns its name (empty for workers)."""
        args = self._args
        if args.port is None:
            return ""
        service = k8s.core.v1.Service(
            f"{self._name}-service",
            metadata=self._meta(args.app),
            spec={
                "type": "ClusterIP",
                "selector": self._labels,
                "ports": [{"name": "http", "port": args.port, "target_port": "http", "protocol": "TCP"}],
            },
            opts=self._k8s(),
        )
        return service.metadata.name

    def _create_scaling(self) -> None:
        """An HPA (or a KEDA ScaledObject) and a PDB that always lets one pod go."""
        args = self._args
        target = self._deployment.metadata.name
        if args.queue_scaler is not None:
            auth = k8s.apiextensions.CustomResource(
                f"{self._name}-keda-auth",
                api_version="keda.sh/v1alpha1",
                kind="TriggerAuthentication",
                metadata=self._meta(trigger_authentication_name(args.app)),
                spec={"podIdentity": {"provider": "aws"}},
                # The CRD comes with the KEDA chart, which the caller lists in depends_on.
                opts=self._k8s(depends_on=args.depends_on),
            )
            k8s.apiextensions.CustomResource(
                f"{self._name}-scaledobject",
                api_version="keda.sh/v1alpha1",
                kind="ScaledObject",
                metadata=self._meta(args.app),
                spec=scaled_object_spec(target, args),
                opts=self._k8s(depends_on=[*args.depends_on, auth]),
            )
        else:
            k8s.autoscaling.v2.HorizontalPodAutoscaler(
                f"{self._name}-hpa",
                # Named apart from KEDA's HPA: a move to or from queue scaling never re-creates a
                # name the other autoscaler holds, and this HPA is not adopted (so not deleted with
                # a ScaledObject). The annotation lets a ScaledObject be created while it exists.
                metadata=self._meta(hpa_names(args.app)[0], annotations=KEDA_VALIDATION_OPT_OUT),
                spec=hpa_spec(target, args),
                opts=self._k8s(),
            )
        k8s.policy.v1.PodDisruptionBudget(
            f"{self._name}-pdb",
            metadata=self._meta(args.app),
            spec={
                "min_available": pdb_min_available(args.min_replicas),
                "selector": {"match_labels": self._labels},
                # A crash-looping pod must not block node drains.
                "unhealthy_pod_eviction_policy": "AlwaysAllow",
            },
            opts=self._k8s(),
        )

    def _create_network_policies(self) -> None:
        """Default deny, then only the traffic the app needs."""
        args = self._args
        self._policy("deny-all", {"pod_selector": {}, "policy_types": ["Ingress", "Egress"]})
        if args.port is not None:
            rule = ingress_rule(args.port, args.ingress_cidrs, args.allowed_ingress_namespaces)
            self._policy("allow-ingress", {"policy_types": ["Ingress"], "ingress": [rule]})
        rules = egress_rules(args.egress_cidrs, args.egress_services)
        self._policy("allow-egress", {"policy_types": ["Egress"], "egress": rules})

    def _policy(self, suffix: str, spec: dict) -> None:
        spec = {"pod_selector": {"match_labels": self._labels}, **spec}
        k8s.networking.v1.NetworkPolicy(
            f"{self._name}-{suffix}", metadata=self._meta(f"{self._args.app}-{suffix}"), spec=spec, opts=self._k8s()
        )

    def _create_ingress(self) -> pulumi.Input[str]:
        """An ALB (AWS Load Balancer Controller) with TLS 1.2+/1.3, HTTP->HTTPS redirect and WAF."""
        args, spec = self._args, self._args.ingress
        if spec is None:
            return ""
        annotations = alb_annotations(spec, args.namespace, args.app, args.health_path, args.tags)
        health = spec.health_path or args.health_path
        backend = {"service": {"name": self.service_name, "port": {"name": "http"}}}
        ingress = k8s.networking.v1.Ingress(
            f"{self._name}-ingress",
            metadata=self._meta(args.app, annotations=annotations),
            spec={
                "ingress_class_name": "alb",
                "rules": [
                    {"host": spec.host, "http": {"paths": [{"path": "/", "path_type": "Prefix", "backend": backend}]}},
                    # No host: the health path only, for checks that name the ALB (Route 53).
                    *(
                        [{"http": {"paths": [{"path": health, "path_type": "Exact", "backend": backend}]}}]
                        if spec.health_any_host
                        else []
                    ),
                ],
            },
            opts=self._k8s(),
        )
        # Empty until the controller has provisioned the ALB (and in offline runs).
        return ingress.status.apply(_alb_hostname)
