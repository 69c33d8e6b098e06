"""KEDA: event-driven autoscaling, here on SQS queue depth, with its own EKS Pod Identity role.

KEDA reads the queue depth with the operator's own credentials (each worker's TriggerAuthentication
uses the ``aws`` pod identity provider without a role to assume), so one role, allowed only
``sqs:GetQueueAttributes`` on the listed queues, serves every ScaledObject; the workloads' roles
never need to be shared with KEDA.

Constraints this component relies on:

- Chart 2.20.2 defaults ``resources.<component>.limits.cpu: 1``. Helm merges our values into the
  chart's, so leaving a key out keeps the default; only an explicit ``null`` deletes it. The
  Pulumi provider passes nulls through since pulumi-kubernetes 4.30 (``allowNullValues`` no
  longer needed).
  https://github.com/kedacore/charts/blob/v2.20.2/keda/values.yaml,
  https://helm.sh/docs/chart_template_guide/values_files/#deleting-a-default-key,
  https://github.com/pulumi/pulumi-kubernetes/blob/master/CHANGELOG.md#4300-april-24-2026
- The ``aws`` pod identity provider with ``identityOwner: keda`` (the default) loads the
  operator's credentials through the AWS SDK default chain, which includes EKS Pod Identity.
  https://keda.sh/docs/2.20/authentication-providers/aws/,
  https://github.com/kedacore/keda/blob/v2.20.2/pkg/scalers/aws/aws_config_cache.go
- KEDA 2.20 supports Kubernetes 1.33-1.35; chart and app versions are both 2.20.2.
  https://keda.sh/docs/2.20/operate/cluster/#kubernetes-compatibility
- The scaler reads ``ApproximateNumberOfMessages`` (+ ``NotVisible``) through
  ``sqs:GetQueueAttributes``, the only action the role gets; with SSE-KMS no key access is needed
  for attributes.
  https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_GetQueueAttributes.html
- HA: several operator replicas run, one leads. KEDA lists 1 as the supported metrics-server
  replica count (more want the API server flag ``--enable-aggregator-routing``, which EKS does not
  expose), and only one server in a cluster may serve ``external.metrics.k8s.io``: KEDA's.
  https://keda.sh/docs/2.20/operate/cluster/#high-availability
- EKS Pod Identity: trust ``pods.eks.amazonaws.com`` with ``sts:AssumeRole`` and ``sts:TagSession``;
  the session tags (``eks-cluster-name``, ``kubernetes-namespace``, ``kubernetes-service-account``)
  may be matched with ``aws:RequestTag``. Credentials are injected when a pod starts, so the
  association must exist before the operator pods are created. IAM role names are at most 64
  characters.
  https://docs.aws.amazon.com/eks/latest/userguide/pod-id-role.html
  https://docs.aws.amazon.com/eks/latest/userguide/pod-id-association.html
- Chart values used: ``podIdentity.aws.irsa.enabled``, ``serviceAccount.operator.{create,name}``,
  ``operator.replicaCount``, ``podDisruptionBudget.operator``, ``topologySpreadConstraints.operator``
  (pods are labelled ``app: keda-operator``) and ``resources.{operator,metricServer,webhooks}``; the
  default security contexts (non-root, no capabilities, no privilege escalation, RuntimeDefault
  seccomp) satisfy the ``restricted`` Pod Security Standard.
  https://github.com/kedacore/charts/blob/v2.20.2/keda/values.yaml
  https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted
- Updates: a chart upgrade rolls the Deployments (``atomic`` rolls back on failure); Helm 3 never
  upgrades CRDs in a chart's ``crds/`` directory, but KEDA ships them as templates, so they follow.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pulumi
import pulumi_kubernetes as k8s

from components.base import child_opts
from components.cluster_addons import pod_identity_association, pod_identity_role

#: KEDA 2.20 supports Kubernetes 1.33-1.35 (keda.sh cluster compatibility table); the chart
#: version equals the KEDA version.
KEDA_CHART_VERSION = "2.20.2"
KEDA_REPO = "https://kedacore.github.io/charts"
NAMESPACE = "keda"
OPERATOR_SERVICE_ACCOUNT = "keda-operator"
RELEASE_NAME = "keda"


def queue_reader_policy(queue_arns: list[str]) -> str:
    """IAM policy letting KEDA read the attributes (depth) of exactly ``queue_arns``, nothing else."""
    if not queue_arns:
        raise ValueError("queue_arns must list at least one queue: KEDA would have nothing to read")
    statement = {
        "Sid": "ReadQueueDepth",
        "Effect": "Allow",
        "Action": "sqs:GetQueueAttributes",
        "Resource": list(queue_arns),
    }
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def keda_values() -> dict:
    """Helm values: Pod Identity instead of IRSA, requests and memory limits, an HA operator.

    The chart's securityContext defaults (non-root, read-only root filesystem, no capabilities,
    RuntimeDefault seccomp) already meet the ``restricted`` Pod Security Standard and are kept.
    """

    def sized(cpu: str, memory_mib: int) -> dict:
        # No CPU limit, as for our workloads: throttling a controller only slows scaling decisions.
        # ``None`` (YAML null) deletes the chart's default ``limits.cpu: 1``; omitting it would keep it.
        limits = {"cpu": None, "memory": f"{memory_mib * 4}Mi"}
        return {"requests": {"cpu": cpu, "memory": f"{memory_mib}Mi"}, "limits": limits}

    return {
        # EKS Pod Identity gives the operator credentials through the agent; no IRSA annotation.
        "podIdentity": {"aws": {"irsa": {"enabled": False}}},
        "serviceAccount": {"operator": {"create": True, "name": OPERATOR_SERVICE_ACCOUNT}},
        # Only one operator leads; the standby replica shortens a failover (KEDA's HA guidance).
        # The metrics server stays at one: only one can serve external.metrics.k8s.io.
        "operator": {"replicaCount": 2},
        "podDisruptionBudget": {"operator": {"minAvailable": 1}},
        "topologySpreadConstraints": {
            "operator": [
                {
                    "maxSkew": 1,
                    "topologyKey": "topology.kubernetes.io/zone",
                    "whenUnsatisfiable": "ScheduleAnyway",
                    "labelSelector": {"matchLabels": {"app": "keda-operator"}},
                }
            ]
        },
        "resources": {
            "operator": sized("100m", 128),
            "metricServer": sized("100m", 128),
            "webhooks": sized("50m", 64),
        },
    }


@dataclass
class KedaArgs:
    """Inputs of :class:`Keda`.

    Attributes:
        cluster_name: EKS cluster name (Pod Identity association, role name prefix).
        k8s_provider: Kubernetes provider of the cluster, used explicitly by every k8s resource.
        queue_arns: SQS queues whose depth KEDA may read; at least one.
        chart_version: kedacore/keda chart version. Default: :data:`KEDA_CHART_VERSION`.
        depends_on: Cluster add-ons to wait for (``EksCluster.platform_ready``). Default: none.
        tags: Extra AWS tags. Default: none.
    """

    cluster_name: str
    k8s_provider: k8s.Provider
    queue_arns: pulumi.Input[list[str]]
    chart_version: str = KEDA_CHART_VERSION
    depends_on: list[pulumi.Resource] = field(default_factory=list)
    tags: dict[str, str] = field(default_factory=dict)


class Keda(pulumi.ComponentResource):
    """The KEDA operator, metrics server and admission webhooks in namespace ``keda``.

    ``release`` is what ScaledObjects must depend on: the chart installs the keda.sh CRDs.
    """

    release: k8s.helm.v3.Release

    def __init__(self, name: str, args: KedaArgs, opts: pulumi.ResourceOptions | None = None):
        if isinstance(args.queue_arns, list):
            queue_reader_policy(args.queue_arns)
        if len(f"{args.cluster_name}-{OPERATOR_SERVICE_ACCOUNT}") > 64:
            raise ValueError("cluster_name-keda-operator is the IAM role name and must fit 64 characters")
        super().__init__("platform:k8s:Keda", name, None, opts)
        namespace = k8s.core.v1.Namespace(
            f"{name}-namespace",
            metadata={
                "name": NAMESPACE,
                "labels": {f"pod-security.kubernetes.io/{m}": "restricted" for m in ("enforce", "audit", "warn")},
            },
            opts=child_opts(self, provider=args.k8s_provider, depends_on=args.depends_on),
        )
        role_name = f"{args.cluster_name}-{OPERATOR_SERVICE_ACCOUNT}"
        role = pod_identity_role(
            self,
            f"{name}-role",
            role_name,
            (args.cluster_name, NAMESPACE, OPERATOR_SERVICE_ACCOUNT),
            args.tags,
            inline_policy=pulumi.Output.from_input(args.queue_arns).apply(queue_reader_policy),
        )
        identity = pod_identity_association(
            self,
            f"{name}-identity",
            role,
            role_name,
            (args.cluster_name, NAMESPACE, OPERATOR_SERVICE_ACCOUNT),
            args.tags,
            depends_on=args.depends_on,
        )
        self.release = k8s.helm.v3.Release(
            f"{name}-release",
            name=RELEASE_NAME,
            chart="keda",
            version=args.chart_version,
            repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=KEDA_REPO),
            namespace=namespace.metadata.name,
            values=keda_values(),
            # A failed install rolls back rather than leaving a half-upgraded autoscaler.
            atomic=True,
            cleanup_on_fail=True,
            # The operator only gets credentials if the association exists when it starts.
            opts=child_opts(self, provider=args.k8s_provider, depends_on=[identity]),
        )
        self.namespace = namespace.metadata.name
        self.role_arn = role.arn
        self.release_name = self.release.name
        self.register_outputs(
            {"namespace": self.namespace, "role_arn": self.role_arn, "release_name": self.release_name}
        )
