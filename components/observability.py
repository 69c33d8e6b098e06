"""In-cluster observability: an encrypted default StorageClass, Prometheus/Grafana, OpenTelemetry tracing.

Always an encrypted gp3 StorageClass (every PVC of the cluster lands on the customer-managed key);
from phase 3 kube-prometheus-stack in namespace ``monitoring``; from phase 4 an OpenTelemetry
collector in namespace ``opentelemetry`` that forwards OTLP traces to AWS X-Ray with its own EKS
Pod Identity role. Chart values are pure functions, tested on their own.

AWS and Kubernetes/chart constraints this component relies on:

- EBS CSI StorageClass parameters: ``type``, ``encrypted``, ``kmsKeyId``,
  ``csi.storage.k8s.io/fstype`` and ``tagSpecification_<n>: "key=value"``. StorageClass parameters
  are immutable: changing one replaces the StorageClass (existing volumes keep their settings).
  https://github.com/kubernetes-sigs/aws-ebs-csi-driver/blob/master/docs/parameters.md
- A customer-managed key needs, beyond ``AmazonEBSCSIDriverPolicy``, ``kms:CreateGrant``/
  ``ListGrants``/``RevokeGrant`` (with ``kms:GrantIsForAWSResource``) and ``kms:Encrypt``/``Decrypt``/
  ``ReEncrypt*``/``GenerateDataKey*``/``DescribeKey`` for the driver's role; EC2 makes those calls,
  so ``kms:ViaService`` is ``ec2.<region>.amazonaws.com``. The key policy must let IAM grant use.
  https://docs.aws.amazon.com/eks/latest/userguide/ebs-csi.html
  https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-via-service
- Volume expansion modifies the EBS volume online; a volume can be modified again only after six
  hours. ``WaitForFirstConsumer`` creates each volume in its pod's AZ (EBS volumes are zonal).
  https://docs.aws.amazon.com/ebs/latest/userguide/modify-volume-requirements.html
- Default StorageClass: with several marked default, Kubernetes uses the newest; EKS stopped
  marking its ``gp2`` class default on clusters created at 1.30 or later.
  https://kubernetes.io/docs/concepts/storage/storage-classes/#default-storageclass
  https://docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions-standard.html
- Prometheus ``retentionSize`` units are powers of two (``GB`` = GiB, as the PVC's ``Gi``); the
  docs advise at most 80-85% of the volume.
  https://prometheus.io/docs/prometheus/latest/storage/#operational-aspects
- kube-prometheus-stack 88.5.3 has appVersion v0.93.1 (Prometheus Operator); ``defaultRules.rules``
  has the switches listed in ``_UNREACHABLE_RULES``; Grafana takes ``admin.existingSecret`` with
  ``userKey``/``passwordKey``.
  https://github.com/prometheus-community/helm-charts/blob/kube-prometheus-stack-88.5.3/charts/kube-prometheus-stack/values.yaml
- EKS exposes kube-scheduler, kube-controller-manager and etcd metrics only through the API server
  (``/apis/metrics.eks.amazonaws.com/v1/{ksh,kcm,etcd}/container/metrics``, 1.28+), which the
  chart's per-component scrapers do not use; hence they stay off.
  https://docs.aws.amazon.com/eks/latest/userguide/view-raw-metrics.html
- opentelemetry-collector chart 0.170.0 runs collector 0.158.0; ``image.repository`` and ``mode``
  must be set; ``alternateConfig`` replaces ``config`` entirely (so it must bring the health check
  extension). ``awsxray`` is only in the contrib image.
  https://github.com/open-telemetry/opentelemetry-helm-charts/blob/main/charts/opentelemetry-collector/values.yaml
  https://github.com/open-telemetry/opentelemetry-collector-contrib/tree/main/exporter/awsxrayexporter
- ``xray:PutTraceSegments``, ``PutTelemetryRecords``, ``GetSamplingRules`` and
  ``GetSamplingTargets`` support no resource-level permissions (``Resource: "*"``).
  https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsx-ray.html
- EKS Pod Identity (collector role): see :mod:`components.keda`; role names at most 64 characters.
  https://docs.aws.amazon.com/eks/latest/userguide/pod-id-role.html
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s
import pulumi_random as random

from components.base import child_opts, merge_tags
from components.cluster_addons import pod_identity_association, pod_identity_role
from components.network_policies import ServicePeer
from components.workload import UID

#: (chart, repository, version) pins. kube-prometheus-stack 88.5.3 ships Prometheus Operator
#: v0.93.1; opentelemetry-collector 0.170.0 runs collector 0.158.0 (its appVersion is the tag).
PROMETHEUS_CHART = ("kube-prometheus-stack", "https://prometheus-community.github.io/helm-charts", "88.5.3")
OTEL_CHART = ("opentelemetry-collector", "https://open-telemetry.github.io/opentelemetry-helm-charts", "0.170.0")
OTEL_IMAGE = "otel/opentelemetry-collector-contrib"
STORAGE_CLASS = "gp3-encrypted"
MONITORING_NAMESPACE = "monitoring"
TRACING_NAMESPACE = "opentelemetry"
#: Also the collector's release name, Service name and fullname.
OTEL_SERVICE_ACCOUNT = "otel-collector"
GRAFANA_SECRET = "grafana-admin"
ALERTMANAGER_STORAGE_GB = 5
#: Control-plane scrapers and node-exporter rules that cannot work here: EKS does not expose
#: etcd, the scheduler, the controller manager or kube-proxy metrics to pods, and node-exporter is
#: off (see :func:`prometheus_values`). Left on, they would be alerts that always fire.
_UNREACHABLE_RULES = (
    "etcd", "kubeControllerManager", "kubeSchedulerAlerting", "kubeSchedulerRecording", "kubeProxy",
    "kubePrometheusNodeRecording", "node", "nodeExporterAlerting", "nodeExporterRecording",
)  # fmt: skip


def _sized(cpu: str, memory_mib: int, limit_mib: int) -> dict:
    # Requests and a memory limit; no CPU limit, as for the apps (throttling only adds latency).
    return {"requests": {"cpu": cpu, "memory": f"{memory_mib}Mi"}, "limits": {"memory": f"{limit_mib}Mi"}}


def _volume(size_gb: int) -> dict:
    spec = {
        "storageClassName": STORAGE_CLASS,
        "accessModes": ["ReadWriteOnce"],
        "resources": {"requests": {"storage": f"{size_gb}Gi"}},
    }
    return {"volumeClaimTemplate": {"spec": spec}}


def prometheus_values(retention_days: int, storage_gb: int) -> dict:
    """kube-prometheus-stack values: persistent, size-capped Prometheus; Grafana without secrets.

    Prometheus keeps ``retention_days`` but never more than 85% of its ``storage_gb`` volume (a full
    disk stops ingestion). Grafana reads its admin login from the ``grafana-admin`` Secret, so no
    password is in the values (nor in the release's stored manifest). Grafana persistence is off:
    dashboards and the data source are provisioned from ConfigMaps, so the only state lost on a
    restart is hand-made edits, which should go through code anyway; a PVC would also pin Grafana
    to one AZ. node-exporter is off: Container Insights already runs a per-node agent, and
    node-exporter's host network, PID namespace and host paths would force the namespace to the
    ``privileged`` Pod Security level.
    """
    if retention_days < 1 or storage_gb < 10:
        raise ValueError(f"need retention_days >= 1 ({retention_days}) and storage_gb >= 10 ({storage_gb})")
    prometheus_spec = {
        "retention": f"{retention_days}d",
        "retentionSize": f"{storage_gb * 85 // 100}GB",
        "storageSpec": _volume(storage_gb),
        "resources": _sized("500m", 2048, 4096),
        # Pick up ServiceMonitors, PodMonitors and rules from every namespace, not only this release's.
        "serviceMonitorSelectorNilUsesHelmValues": False,
        "podMonitorSelectorNilUsesHelmValues": False,
        "ruleSelectorNilUsesHelmValues": False,
    }
    return {
        "defaultRules": {"rules": dict.fromkeys(_UNREACHABLE_RULES, False)},
        **{component: {"enabled": False} for component in ("kubeEtcd", "kubeControllerManager", "kubeScheduler")},
        "kubeProxy": {"enabled": False},
        "nodeExporter": {"enabled": False},
        "prometheusOperator": {"resources": _sized("100m", 128, 512)},
        "kube-state-metrics": {"resources": _sized("50m", 128, 512)},
        "prometheus": {"prometheusSpec": prometheus_spec},
        # One replica each: CloudWatch alarms remain the paging path; Alertmanager restarts in
        # about a minute with its silences on the volume.
        "alertmanager": {
            "alertmanagerSpec": {"storage": _volume(ALERTMANAGER_STORAGE_GB), "resources": _sized("50m", 64, 256)}
        },
        "grafana": {
            "admin": {"existingSecret": GRAFANA_SECRET, "userKey": "admin-user", "passwordKey": "admin-password"},
            "persistence": {"enabled": False},
            "resources": _sized("100m", 256, 512),
        },
    }


def otel_collector_values(region: str) -> dict:
    """opentelemetry-collector values: 2 restricted replicas, OTLP in, AWS X-Ray out.

    ``alternateConfig`` replaces the chart's default pipelines (debug exporters, Jaeger, Zipkin and
    a Prometheus self-scrape) with just the trace pipeline. The memory limiter comes first so an
    overload drops data instead of the pod; the limit is read from ``resources.limits.memory``.
    """
    pod_ip = "${env:MY_POD_IP}"
    config = {
        "extensions": {"health_check": {"endpoint": f"{pod_ip}:13133"}},
        "receivers": {
            "otlp": {"protocols": {"grpc": {"endpoint": f"{pod_ip}:4317"}, "http": {"endpoint": f"{pod_ip}:4318"}}}
        },
        "processors": {
            "memory_limiter": {"check_interval": "5s", "limit_percentage": 80, "spike_limit_percentage": 25},
            "batch": {},
        },
        "exporters": {"awsxray": {"region": region}},
        "service": {
            "extensions": ["health_check"],
            "pipelines": {
                "traces": {"receivers": ["otlp"], "processors": ["memory_limiter", "batch"], "exporters": ["awsxray"]}
            },
        },
    }
    selector = {"app.kubernetes.io/name": "opentelemetry-collector", "app.kubernetes.io/instance": OTEL_SERVICE_ACCOUNT}
    return {
        "mode": "deployment",
        "replicaCount": 2,
        "fullnameOverride": OTEL_SERVICE_ACCOUNT,
        "image": {"repository": OTEL_IMAGE},
        "serviceAccount": {"create": True, "name": OTEL_SERVICE_ACCOUNT},
        "ports": {port: {"enabled": False} for port in ("jaeger-compact", "jaeger-thrift", "jaeger-grpc", "zipkin")},
        "alternateConfig": config,
        "podSecurityContext": {
            "runAsNonRoot": True,
            "runAsUser": UID,
            "runAsGroup": UID,
            "fsGroup": UID,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "securityContext": {
            "runAsNonRoot": True,
            "readOnlyRootFilesystem": True,
            "allowPrivilegeEscalation": False,
            "capabilities": {"drop": ["ALL"]},
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "resources": _sized("200m", 256, 1024),
        "podDisruptionBudget": {"enabled": True, "minAvailable": 1},
        "topologySpreadConstraints": [
            {
                "maxSkew": 1,
                "topologyKey": "topology.kubernetes.io/zone",
                "whenUnsatisfiable": "ScheduleAnyway",
                "labelSelector": {"matchLabels": selector},
            }
        ],
    }


#: The chart's Service selector in ``mode: deployment`` (``selectorLabels`` + ``component``), and
#: its OTLP gRPC/HTTP ports (service port = container port). Apps' egress policies must name this
#: whole selector: the VPC CNI policy agent only lets traffic to the Service's ClusterIP through
#: when the rule's pod selector carries every label of the Service's selector.
#: https://github.com/open-telemetry/opentelemetry-helm-charts/blob/opentelemetry-collector-0.170.0/charts/opentelemetry-collector/templates/service.yaml
OTEL_SELECTOR = {
    "app.kubernetes.io/name": "opentelemetry-collector",
    "app.kubernetes.io/instance": OTEL_SERVICE_ACCOUNT,
    "component": "standalone-collector",
}
OTEL_PORTS = (4317, 4318)


def otel_peer() -> ServicePeer:
    """The collector as an egress destination of the apps (namespace, Service selector, OTLP ports)."""
    return ServicePeer(TRACING_NAMESPACE, OTEL_SELECTOR, OTEL_PORTS)


def otel_endpoint() -> str:
    """The collector's in-cluster OTLP/gRPC endpoint, as ``OTEL_EXPORTER_OTLP_ENDPOINT`` expects it."""
    return f"http://{OTEL_SERVICE_ACCOUNT}.{TRACING_NAMESPACE}.svc.cluster.local:4317"


def ebs_csi_role_name(cluster_name: str) -> str:
    """Name :class:`components.cluster.EksCluster` gives the EBS CSI driver's Pod Identity role."""
    return f"{cluster_name}-ebs-csi"


def ebs_key_policy(key_arn: str, region: str, account_id: str) -> dict:
    """What the EBS CSI driver needs to create and attach volumes encrypted with ``key_arn``.

    The AWS-managed driver policy covers EC2 only; a customer-managed key also needs these two
    statements (EBS CSI driver documentation), here limited to calls EC2 makes in our account.
    """
    via_ec2 = {"kms:ViaService": f"ec2.{region}.amazonaws.com", "kms:CallerAccount": account_id}
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "GrantsForVolumes",
                "Effect": "Allow",
                "Action": ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"],
                "Resource": key_arn,
                "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}, "StringEquals": via_ec2},
            },
            {
                "Sid": "UseForVolumes",
                "Effect": "Allow",
                "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
                "Resource": key_arn,
                "Condition": {"StringEquals": via_ec2},
            },
        ],
    }


def xray_write_policy() -> dict:
    """The X-Ray calls of the collector's ``awsxray`` exporter (and remote sampling), nothing else.

    ``Resource: "*"`` because these four actions support no resource-level permissions (Service
    Authorization Reference, AWS X-Ray): a narrower resource would deny them.
    """
    actions = ["xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules", "xray:GetSamplingTargets"]
    statement = {"Sid": "WriteTraces", "Effect": "Allow", "Action": actions, "Resource": "*"}
    return {"Version": "2012-10-17", "Statement": [statement]}


def _pss_labels(enforce: str) -> dict[str, str]:
    """Pod Security Standard labels: ``enforce`` as given, audit and warn always ``restricted``."""
    levels = {"enforce": enforce, "audit": "restricted", "warn": "restricted"}
    return {f"pod-security.kubernetes.io/{mode}": level for mode, level in levels.items()}


@dataclass
class ClusterObservabilityArgs:
    """Inputs of :class:`ClusterObservability`.

    Attributes:
        cluster_name: EKS cluster name (Pod Identity association, IAM role names).
        k8s_provider: Kubernetes provider of the cluster, used explicitly by every k8s resource.
        kms_key_arn: Customer-managed key of every volume the StorageClass provisions.
        region: Region of the cluster (X-Ray endpoint, KMS ``ViaService`` condition).
        account_id: AWS account id (KMS ``CallerAccount`` condition).
        prometheus: Install kube-prometheus-stack (SPEC phase 3+). Default: False.
        tracing: Install the OpenTelemetry collector exporting to X-Ray (phase 4). Default: False.
        retention_days: Prometheus retention. Default: 15.
        storage_gb: Prometheus volume size. Default: 50.
        depends_on: Cluster add-ons to wait for (``EksCluster.platform_ready``: the EBS CSI
            driver provisions the volumes). Default: none.
        tags: Extra AWS tags (also put on the volumes). Default: none.
    """

    cluster_name: str
    k8s_provider: k8s.Provider
    kms_key_arn: pulumi.Input[str]
    region: str
    account_id: pulumi.Input[str]
    prometheus: bool = False
    tracing: bool = False
    retention_days: int = 15
    storage_gb: int = 50
    depends_on: list[pulumi.Resource] = field(default_factory=list)
    tags: dict[str, str] = field(default_factory=dict)


class ClusterObservability(pulumi.ComponentResource):
    """The cluster's default (encrypted) storage, metrics stack and trace pipeline.

    ``storage_class_name`` always; ``prometheus_namespace`` and ``otel_endpoint`` are ``""`` when
    that part is off. ``otel_endpoint`` is what apps put in ``OTEL_EXPORTER_OTLP_ENDPOINT``;
    ``otel_peers`` is what their egress policies must allow (empty without tracing).
    """

    def __init__(self, name: str, args: ClusterObservabilityArgs, opts: pulumi.ResourceOptions | None = None):
        if args.prometheus:
            prometheus_values(args.retention_days, args.storage_gb)
        if len(f"{args.cluster_name}-{OTEL_SERVICE_ACCOUNT}") > 64:
            raise ValueError("cluster_name-otel-collector is an IAM role name and must fit 64 characters")
        super().__init__("platform:k8s:Observability", name, None, opts)
        self._name, self._args = name, args
        storage_class = self._create_storage()
        self.storage_class_name = storage_class.metadata.name
        self.prometheus_namespace: pulumi.Input[str] = ""
        self.otel_endpoint = ""
        self.otel_peers: list[ServicePeer] = []
        if args.prometheus:
            self.prometheus_namespace = self._create_prometheus(storage_class)
        if args.tracing:
            self._create_tracing()
            self.otel_endpoint = otel_endpoint()
            self.otel_peers = [otel_peer()]
        self.register_outputs(
            {
                "storage_class_name": self.storage_class_name,
                "prometheus_namespace": self.prometheus_namespace,
                "otel_endpoint": self.otel_endpoint,
            }
        )

    def _k8s(self, **kwargs) -> pulumi.ResourceOptions:
        return child_opts(self, provider=self._args.k8s_provider, **kwargs)

    def _create_storage(self) -> k8s.storage.v1.StorageClass:
        """The default StorageClass (gp3, encrypted with the key) and the driver's use of the key."""
        name, args = self._name, self._args
        policy = pulumi.Output.all(args.kms_key_arn, args.account_id).apply(
            lambda v: json.dumps(ebs_key_policy(v[0], args.region, v[1]))
        )
        key_use = aws.iam.RolePolicy(
            f"{name}-ebs-csi-kms",
            role=ebs_csi_role_name(args.cluster_name),
            policy=policy,
            # The role is the cluster's; depends_on (platform_ready) orders this after it.
            opts=child_opts(self, depends_on=args.depends_on),
        )
        volume_tags = merge_tags(f"{args.cluster_name}-volume", args.tags)
        parameters: dict[str, pulumi.Input[str]] = {
            "type": "gp3",
            "encrypted": "true",
            "kmsKeyId": args.kms_key_arn,
            "csi.storage.k8s.io/fstype": "ext4",
            **{f"tagSpecification_{i}": f"{k}={v}" for i, (k, v) in enumerate(sorted(volume_tags.items()), 1)},
        }
        return k8s.storage.v1.StorageClass(
            f"{name}-gp3",
            metadata={
                "name": STORAGE_CLASS,
                "annotations": {"storageclass.kubernetes.io/is-default-class": "true"},
            },
            provisioner="ebs.csi.aws.com",
            parameters=parameters,
            # Retain: a volume outlives an accidental PVC (or namespace) deletion; freeing it is
            # a deliberate step.
            reclaim_policy="Retain",
            # Bind where the pod is scheduled, so the volume is created in the pod's AZ.
            volume_binding_mode="WaitForFirstConsumer",
            allow_volume_expansion=True,
            opts=self._k8s(depends_on=[*args.depends_on, key_use]),
        )

    def _create_prometheus(self, storage_class: k8s.storage.v1.StorageClass) -> pulumi.Output[str]:
        """kube-prometheus-stack with persistent Prometheus/Alertmanager and a generated Grafana password."""
        name, args = self._name, self._args
        namespace = k8s.core.v1.Namespace(
            f"{name}-monitoring-namespace",
            # Baseline, not restricted: the stack bundles several upstream charts (operator,
            # admission-webhook jobs, Grafana and its sidecars, kube-state-metrics) whose
            # per-container settings we do not pin; one restricted violation would roll back the
            # whole release. Baseline still forbids host access and privilege; audit/warn report
            # any restricted drift.
            metadata={"name": MONITORING_NAMESPACE, "labels": _pss_labels("baseline")},
            opts=self._k8s(depends_on=args.depends_on),
        )
        password = random.RandomPassword(f"{name}-grafana-password", length=32, special=False, opts=child_opts(self))
        secret = k8s.core.v1.Secret(
            f"{name}-grafana-admin",
            metadata={"name": GRAFANA_SECRET, "namespace": namespace.metadata.name},
            type="Opaque",
            string_data={"admin-user": "admin", "admin-password": password.result},
            opts=self._k8s(),
        )
        chart, repo, version = PROMETHEUS_CHART
        k8s.helm.v3.Release(
            f"{name}-prometheus",
            name=chart,
            chart=chart,
            version=version,
            repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=repo),
            namespace=namespace.metadata.name,
            values=prometheus_values(args.retention_days, args.storage_gb),
            atomic=True,
            cleanup_on_fail=True,
            # CRDs, the operator and then Prometheus with its volume: well past Helm's 5 minutes.
            timeout=900,
            opts=self._k8s(depends_on=[storage_class, secret]),
        )
        return namespace.metadata.name

    def _create_tracing(self) -> None:
        """The OpenTelemetry collector (2 replicas) with a Pod Identity role that may only write to X-Ray."""
        name, args = self._name, self._args
        namespace = k8s.core.v1.Namespace(
            f"{name}-tracing-namespace",
            # Restricted: the collector's security contexts are set in our values.
            metadata={"name": TRACING_NAMESPACE, "labels": _pss_labels("restricted")},
            opts=self._k8s(depends_on=args.depends_on),
        )
        role_name = f"{args.cluster_name}-{OTEL_SERVICE_ACCOUNT}"
        role = pod_identity_role(
            self,
            f"{name}-otel-role",
            role_name,
            (args.cluster_name, TRACING_NAMESPACE, OTEL_SERVICE_ACCOUNT),
            args.tags,
            inline_policy=json.dumps(xray_write_policy()),
        )
        identity = pod_identity_association(
            self,
            f"{name}-otel-identity",
            role,
            role_name,
            (args.cluster_name, TRACING_NAMESPACE, OTEL_SERVICE_ACCOUNT),
            args.tags,
            depends_on=args.depends_on,
        )
        chart, repo, version = OTEL_CHART
        k8s.helm.v3.Release(
            f"{name}-otel-collector",
            name=OTEL_SERVICE_ACCOUNT,
            chart=chart,
            version=version,
            repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=repo),
            namespace=namespace.metadata.name,
            values=otel_collector_values(args.region),
            atomic=True,
            cleanup_on_fail=True,
            # Pods only get credentials if the association exists when they start.
            opts=self._k8s(depends_on=[identity]),
        )
