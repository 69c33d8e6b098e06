"""Autoscaling specs of a workload: the plain HPA, or a KEDA ScaledObject on SQS depth (pure functions).

Constraints this module relies on:

- KEDA (2.20) sets itself as controller owner of the HPA it manages (adopted or created), so
  deleting the ScaledObject garbage-collects that HPA; its admission webhook refuses a
  ScaledObject whose target another HPA already scales unless that HPA is annotated
  ``validations.keda.sh/hpa-ownership: "false"`` (the code checks ``"false"`` on the HPA; the
  docs' example shows ``"true"``) or the ScaledObject adopts it by name.
  https://github.com/kedacore/keda/blob/v2.20.2/controllers/keda/hpa.go (SetControllerReference),
  https://github.com/kedacore/keda/blob/v2.20.2/apis/keda/v1alpha1/scaledobject_webhook.go (verifyHpas),
  https://keda.sh/docs/2.20/concepts/scaling-deployments/#transferring-ownership-of-an-existing-hpa
- pulumi-kubernetes >= 4.29 creates with a client-side create: an object of the same name that
  already exists fails with AlreadyExists (no upsert by default).
  https://github.com/pulumi/pulumi-kubernetes/blob/master/CHANGELOG.md#4290-april-15-2026
- Two HPAs on one target do not fight since Kubernetes 1.26: both report
  ``ScalingActive=False`` (AmbiguousSelector) and the replica count stays as it is.
  https://github.com/kubernetes/kubernetes/pull/112011
- KEDA's ``pollingInterval`` and ``cooldownPeriod`` only act at zero replicas (activation and
  scale to zero); from 1 to N the HPA polls the metrics and its ``behavior`` governs, so the
  ScaledObject sets the HPA behavior and leaves those two at their defaults.
  https://keda.sh/docs/2.20/reference/scaledobject-spec/#pollinginterval
- The SQS scaler authenticates through a TriggerAuthentication with ``podIdentity.provider:
  aws`` (``identityOwner`` in trigger metadata is deprecated since KEDA 2.13); with neither
  ``roleArn`` nor ``identityOwner: workload`` KEDA uses the operator's own credentials (the
  AWS SDK default chain, which serves EKS Pod Identity).
  https://keda.sh/docs/2.20/scalers/aws-sqs/, https://keda.sh/docs/2.20/authentication-providers/aws/
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import pulumi

if TYPE_CHECKING:
    from components.workload import WorkloadArgs

#: On the plain HPA: KEDA's webhook lets a ScaledObject be created while this HPA still exists.
KEDA_VALIDATION_OPT_OUT = {"validations.keda.sh/hpa-ownership": "false"}


def hpa_names(app: str) -> tuple[str, str]:
    """(plain HPA, KEDA's HPA) names: distinct, so neither direction re-creates a name in use."""
    return app, f"{app}-keda"


@dataclass(frozen=True)
class QueueScaler:
    """Scale on the depth of an SQS queue through KEDA (needs :class:`components.keda.Keda`).

    KEDA reads the depth with its own Pod Identity role (a TriggerAuthentication with the ``aws``
    pod identity provider), so the queue must be among ``KedaArgs.queue_arns``. CPU and memory
    stay triggers too: they are the floor. No polling interval or cooldown: with
    ``min_replicas >= 2`` both would only govern a scale to zero that never happens; the HPA's
    15 s sync and its ``behavior`` are what act.

    Attributes:
        queue_url: URL of the queue.
        region: Region of the queue.
        messages_per_pod: Target visible + in-flight messages per pod. Default: 20.
        activation_messages: Depth above which KEDA activates the scaler (only matters at zero
            replicas, which ``min_replicas >= 2`` never reaches). Default: 0.
    """

    queue_url: pulumi.Input[str]
    region: str
    messages_per_pod: int = 20
    activation_messages: int = 0


def trigger_authentication_name(app: str) -> str:
    """Name of the TriggerAuthentication through which the app's SQS trigger uses KEDA's own role."""
    return f"{app}-keda-aws"


def scaled_object_spec(deployment: pulumi.Input[str], args: WorkloadArgs) -> dict:
    """KEDA ScaledObject spec (camelCase: custom resources are passed through verbatim).

    Scales ``deployment`` on the queue depth of ``args.queue_scaler`` with CPU and memory
    utilization as further triggers (the HPA KEDA creates takes the highest proposal, so CPU stays
    the floor), between ``min_replicas`` and ``max_replicas``, with the same slow scale-down as the
    plain HPA. KEDA's HPA is named apart from the plain one (:func:`hpa_names`). KEDA trigger
    metadata values are strings.
    """
    scaler = args.queue_scaler
    if scaler is None:
        raise ValueError("scaled_object_spec needs args.queue_scaler")
    sqs = {
        "type": "aws-sqs-queue",
        # KEDA's own Pod Identity role reads the depth; the app's role is never lent to KEDA.
        "authenticationRef": {"name": trigger_authentication_name(args.app)},
        "metadata": {
            "queueURL": scaler.queue_url,
            "queueLength": str(scaler.messages_per_pod),
            "activationQueueLength": str(scaler.activation_messages),
            "awsRegion": scaler.region,
        },
    }
    return {
        "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": deployment},
        "minReplicaCount": args.min_replicas,
        "maxReplicaCount": args.max_replicas,
        "advanced": {
            "horizontalPodAutoscalerConfig": {
                "name": hpa_names(args.app)[1],
                "behavior": {"scaleDown": scale_down(args, camel=True)},
            }
        },
        "triggers": [
            sqs,
            {"type": "cpu", "metricType": "Utilization", "metadata": {"value": str(args.cpu_target_percent)}},
            {"type": "memory", "metricType": "Utilization", "metadata": {"value": str(args.memory_target_percent)}},
        ],
    }


def scale_down(args: WorkloadArgs, camel: bool) -> dict:
    """The slow scale-down both HPAs share: a stabilization window, then at most half the pods a minute."""
    window, period = (
        ("stabilizationWindowSeconds", "periodSeconds") if camel else ("stabilization_window_seconds", "period_seconds")
    )
    return {
        window: args.scale_down_stabilization_seconds,
        "policies": [{"type": "Percent", "value": 50, period: 60}],
    }


def utilization(resource: str, percent: int) -> dict:
    """An HPA metric: average utilization of ``resource`` (cpu or memory) against its request."""
    return {
        "type": "Resource",
        "resource": {"name": resource, "target": {"type": "Utilization", "average_utilization": percent}},
    }


def hpa_spec(target: pulumi.Input[str], args: WorkloadArgs) -> dict:
    """Spec of the plain HPA (snake_case: typed Kubernetes args) on CPU and memory utilization."""
    return {
        "scale_target_ref": {"api_version": "apps/v1", "kind": "Deployment", "name": target},
        "min_replicas": args.min_replicas,
        "max_replicas": args.max_replicas,
        "metrics": [utilization("cpu", args.cpu_target_percent), utilization("memory", args.memory_target_percent)],
        "behavior": {"scale_down": scale_down(args, camel=False)},
    }
